//! The operation graph of a plan: which operations a plan's actions make, and in which order
//! they may run.

use std::collections::{BTreeSet, HashMap};

use petgraph::algo::has_path_connecting;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Value;

use crate::plan::{Action, ActionKind, Plan};

/// What one operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Update,
    Adopt,
    Delete,
    Forget,
    /// Apply the deferred fields of a just-created resource once what they name exists.
    Finish,
    /// Remove deferred-field references to resources about to be deleted.
    Strip,
}

impl Step {
    fn verb(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Update => "update",
            Step::Adopt => "adopt",
            Step::Delete => "delete",
            Step::Forget => "forget",
            Step::Finish => "finish",
            Step::Strip => "unlink",
        }
    }
}

/// One operation of the walk.
#[derive(Debug, Clone)]
pub struct Op {
    /// Index into the plan's actions.
    pub action: usize,
    pub step: Step,
    /// e.g. `create subnet_a`; also the key recorded as completed in the lockfile.
    pub label: String,
}

/// The operations and their ordering edges (`a -> b`: a before b).
#[derive(Debug)]
pub struct OpGraph {
    pub ops: Vec<Op>,
    pub graph: DiGraph<usize, ()>,
}

/// The plan's operations could not be ordered.
#[derive(Debug, thiserror::Error)]
#[error("the plan's operations form a cycle through {0}")]
pub struct CycleError(pub String);

/// Builds the operation graph of a plan: [`STEPS`] in turn, then a check that it is acyclic.
pub fn op_graph(plan: &Plan) -> Result<OpGraph, CycleError> {
    let mut b = Builder {
        plan,
        ops: Vec::new(),
        graph: DiGraph::new(),
        nodes: Vec::new(),
        forward: HashMap::new(),
        deletes: HashMap::new(),
        base: 0,
        finish_of: HashMap::new(),
    };
    for step in STEPS {
        step(&mut b);
    }
    if let Err(c) = petgraph::algo::toposort(&b.graph, None) {
        let op = &b.ops[b.graph[c.node_id()]];
        return Err(CycleError(op.label.clone()));
    }
    Ok(OpGraph {
        ops: b.ops,
        graph: b.graph,
    })
}

/// The steps building the operation graph, in order, as Terraform's graph builder is a list of
/// transformers. A later step may look at the edges the earlier ones added.
const STEPS: &[fn(&mut Builder<'_>)] = &[
    add_operations,
    order_operations,
    add_finish_steps,
    add_unlink_steps,
    updates_before_deletes,
];

/// The rules ordering one operation of an action against the others, applied to each such
/// operation in turn (all of them to one operation, then to the next).
const OP_RULES: &[fn(&mut Builder<'_>, usize)] = &[
    after_dependencies,
    delete_dependents_first,
    replacement_order,
];

/// The graph as it is being built.
struct Builder<'p> {
    plan: &'p Plan,
    ops: Vec<Op>,
    graph: DiGraph<usize, ()>,
    /// The node of each operation.
    nodes: Vec<NodeIndex>,
    /// The create, update or adopt operation of each resource.
    forward: HashMap<&'p str, usize>,
    /// The delete operations of each resource.
    deletes: HashMap<&'p str, Vec<usize>>,
    /// How many operations the actions themselves make (those before any finish or unlink).
    base: usize,
    /// The finish operation of each action that has one.
    finish_of: HashMap<usize, usize>,
}

impl Builder<'_> {
    fn push(&mut self, action: usize, step: Step) -> usize {
        let i = self.ops.len();
        self.ops.push(Op {
            action,
            step,
            label: format!("{} {}", step.verb(), self.plan.actions[action].name),
        });
        self.nodes.push(self.graph.add_node(i));
        i
    }

    /// `a` before `b` (once).
    fn edge(&mut self, a: usize, b: usize) {
        if a != b && self.graph.find_edge(self.nodes[a], self.nodes[b]).is_none() {
            self.graph.add_edge(self.nodes[a], self.nodes[b], ());
        }
    }

    /// Whether `a` goes before `b` already.
    fn reaches(&self, a: usize, b: usize) -> bool {
        has_path_connecting(&self.graph, self.nodes[a], self.nodes[b], None)
    }

    fn deletes_of(&self, name: &str) -> Vec<usize> {
        self.deletes.get(name).cloned().unwrap_or_default()
    }
}

/// Each action becomes its operation; a replacement becomes two, a delete and a create; an
/// action that changes nothing becomes none.
fn add_operations(b: &mut Builder<'_>) {
    let plan = b.plan;
    for (i, a) in plan.actions.iter().enumerate() {
        let steps: &[Step] = match a.action {
            ActionKind::Create { .. } => &[Step::Create],
            ActionKind::Update => &[Step::Update],
            ActionKind::Adopt => &[Step::Adopt],
            ActionKind::Delete => &[Step::Delete],
            ActionKind::Forget => &[Step::Forget],
            ActionKind::Replace(_) => &[Step::Delete, Step::Create],
            ActionKind::NoOp { .. } => &[],
        };
        for &step in steps {
            b.push(i, step);
        }
    }
    b.base = b.ops.len();
    for (i, op) in b.ops.iter().enumerate() {
        let name = plan.actions[op.action].name.as_str();
        match op.step {
            Step::Create | Step::Update | Step::Adopt => {
                b.forward.insert(name, i);
            }
            Step::Delete => b.deletes.entry(name).or_default().push(i),
            Step::Forget | Step::Finish | Step::Strip => {}
        }
    }
}

/// Applies [`OP_RULES`] to each operation of an action, in order.
fn order_operations(b: &mut Builder<'_>) {
    for i in 0..b.base {
        for rule in OP_RULES {
            rule(b, i);
        }
    }
}

/// A create, update or adoption goes after the create, update or adoption of what it depends
/// on.
fn after_dependencies(b: &mut Builder<'_>, i: usize) {
    let op = &b.ops[i];
    if !matches!(op.step, Step::Create | Step::Update | Step::Adopt) {
        return;
    }
    let a = &b.plan.actions[op.action];
    for d in &a.depends_on {
        if let Some(&j) = b.forward.get(d.as_str()) {
            b.edge(j, i);
        }
    }
}

/// A delete goes before the deletes of what the resource depended on: what depends on a
/// resource is deleted first.
fn delete_dependents_first(b: &mut Builder<'_>, i: usize) {
    let op = &b.ops[i];
    if op.step != Step::Delete {
        return;
    }
    let a = &b.plan.actions[op.action];
    for d in &a.prior_depends_on {
        for j in b.deletes_of(d) {
            b.edge(i, j);
        }
    }
}

/// The two halves of a replacement go in its chosen order: the create first when it is
/// replaced create-before-destroy, else the delete first.
fn replacement_order(b: &mut Builder<'_>, i: usize) {
    let op = &b.ops[i];
    let a = &b.plan.actions[op.action];
    if !matches!(a.action, ActionKind::Replace(_)) || op.step != Step::Create {
        return;
    }
    let action = op.action;
    let Some(del) = b
        .deletes_of(&a.name)
        .into_iter()
        .find(|&j| b.ops[j].action == action)
    else {
        return;
    };
    if a.creates_first() {
        b.edge(i, del);
    } else {
        b.edge(del, i);
    }
}

/// Deferred fields: a created or updated resource gets them in a second step ("finish") once
/// the new resources they name exist. The first step leaves out what names those, so that
/// nothing waits for the resources it names (a group whose tags name a group whose rules name
/// it: the tags' group is updated first, the other group created, then the rules).
fn add_finish_steps(b: &mut Builder<'_>) {
    let plan = b.plan;
    let creates: HashMap<&str, usize> = b
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.step == Step::Create)
        .map(|(i, o)| (plan.actions[o.action].name.as_str(), i))
        .collect();
    for i in 0..b.base {
        let op = b.ops[i].clone();
        let a = &plan.actions[op.action];
        let pending: Vec<usize> = a
            .soft_depends_on
            .iter()
            .filter_map(|d| creates.get(d.as_str()).copied())
            .filter(|&j| j != i)
            .collect();
        if matches!(op.step, Step::Create | Step::Update | Step::Adopt) && !pending.is_empty() {
            let f = b.push(op.action, Step::Finish);
            b.finish_of.insert(op.action, f);
            b.edge(i, f);
            for j in pending {
                b.edge(j, f);
            }
        }
    }
}

/// References to resources about to be deleted are removed first ("unlink"):
/// * from deferred fields (two security groups naming each other can then both go), unless a
///   kept resource's finish step moves them to the new copy of a resource replaced
///   create-before-destroy: then that step goes before the old copy's delete, and the rule is
///   never missing;
/// * from a kept resource that will use the new copy of a replaced resource (an internet
///   gateway attached to a replaced VPC is detached before the old VPC is deleted, and
///   attached to the new one after it exists).
///   A resource replaced with create_before_destroy is not unlinked: its new copy exists
///   before the old one goes, so the kept resource moves to it in one update (a route is
///   never missing).
fn add_unlink_steps(b: &mut Builder<'_>) {
    let plan = b.plan;
    let created_first: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| a.creates_first())
        .map(|a| a.name.as_str())
        .collect();
    for (ai, a) in plan.actions.iter().enumerate() {
        if a.id.is_none() || a.action == ActionKind::Forget {
            continue;
        }
        let kept = matches!(
            a.action,
            ActionKind::Update | ActionKind::Adopt | ActionKind::NoOp { .. }
        );
        let moving = a
            .prior_depends_on
            .iter()
            .filter(|d| kept && a.depends_on.contains(d) && !created_first.contains(d.as_str()));
        let mut targets: Vec<usize> = Vec::new();
        for d in &a.prior_soft_depends_on {
            for j in b.deletes_of(d) {
                if let Some(&f) = b.finish_of.get(&ai)
                    && kept
                    && moves_to_new_copy(a, &plan.actions[b.ops[j].action])
                    && !b.reaches(j, f)
                {
                    b.edge(f, j);
                } else {
                    targets.push(j);
                }
            }
        }
        targets.extend(moving.flat_map(|d| b.deletes_of(d)));
        if targets.is_empty() {
            continue;
        }
        let st = b.push(ai, Step::Strip);
        for j in targets {
            b.edge(st, j);
        }
        let own: Vec<usize> = (0..b.base).filter(|&j| b.ops[j].action == ai).collect();
        for j in own {
            b.edge(st, j);
        }
    }
}

/// Soft edges: an update that stops using a resource goes before that resource's delete,
/// unless that would make a cycle (then AWS allows the other order, e.g. a route left pointing
/// at a deleted NAT gateway until it is updated).
fn updates_before_deletes(b: &mut Builder<'_>) {
    for i in 0..b.ops.len() {
        let op = &b.ops[i];
        if !matches!(op.step, Step::Update | Step::Adopt) {
            continue;
        }
        let a = &b.plan.actions[op.action];
        for d in &a.prior_depends_on {
            for j in b.deletes_of(d) {
                if !b.reaches(j, i) {
                    b.edge(i, j);
                }
            }
        }
    }
}

/// Whether the update of `kept` rewrites every deferred field naming `old`'s copy, and `old` is
/// replaced create-before-destroy: then `kept` names the new copy once its finish step is done,
/// with no moment naming neither.
fn moves_to_new_copy(kept: &Action, old: &Action) -> bool {
    fn names(v: &Value, id: &str) -> bool {
        match v {
            Value::String(s) => s == id,
            Value::Array(a) => a.iter().any(|x| names(x, id)),
            Value::Object(m) => m.values().any(|x| names(x, id)),
            _ => false,
        }
    }
    let (Some(id), Some(prior)) = (old.id.as_deref(), kept.prior.as_ref()) else {
        return false;
    };
    let deferred = strata_model::kinds::find(&kept.kind).map_or(&[][..], |k| k.deferred);
    old.creates_first()
        && deferred
            .iter()
            .filter(|f| prior.get(**f).is_some_and(|v| names(v, id)))
            .all(|f| kept.changes.iter().any(|c| c.field == *f))
}
