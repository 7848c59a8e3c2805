//! What the command line narrows or forces in a plan: `--target` (only some resources and what
//! they depend on, or for a destroy what depends on them), `--replace` (decided by the
//! planner, [`super::plan_replacing`]) and `--refresh-only` (record the live values, change
//! nothing in AWS). Each is a step on a plan the planner made, so the planner's rules stay in
//! one place, and the [`Scope`] travels with the plan into a saved plan.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Action, ActionKind, FieldChange, Mode, Reason};
use crate::desired::Desired;
use crate::lockfile::Lockfile;

/// What narrowed or forced a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// `--target`: the names given. The plan holds only them and what they depend on (for a
    /// destroy: what depends on them): it is partial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// How many changes of other resources the targets left out (shown with the warning that
    /// the plan is partial).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub left_out: usize,
    /// `--replace`: the names given, replaced whether or not a field forces it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
    /// `--refresh-only`: the plan records the live values of the resources the lockfile
    /// records (and forgets those that are gone), and changes nothing in AWS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.replace.is_empty() && !self.refresh_only
    }
}

/// A name given on the command line that names no resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option} {name}: no resource is named `{name}` {where_}")]
pub struct UnknownName {
    /// `--target`, `--replace`.
    pub option: &'static str,
    pub name: String,
    /// Where it was looked for: "in the documents or the lockfile".
    pub where_: &'static str,
    /// The closest known name.
    pub close: Option<String>,
}

impl UnknownName {
    pub fn help(&self) -> String {
        match &self.close {
            Some(c) => format!("did you mean `{c}`?"),
            None => "`strata state list` lists the recorded names; the documents give the others"
                .to_string(),
        }
    }
}

/// Checks every name of `names` is among `known`.
pub fn check_names(
    option: &'static str,
    names: &[String],
    known: &BTreeSet<&str>,
    where_: &'static str,
) -> Result<(), UnknownName> {
    for n in names {
        if !known.contains(n.as_str()) {
            return Err(UnknownName {
                option,
                name: n.clone(),
                where_,
                close: strata_model::diag::did_you_mean(n, known.iter().copied())
                    .map(str::to_string),
            });
        }
    }
    Ok(())
}

/// The names a `--target` may give: the documents' resources and the lockfile's.
pub fn target_names<'a>(desired: &'a Desired, lf: Option<&'a Lockfile>) -> BTreeSet<&'a str> {
    let mut out: BTreeSet<&str> = desired.resources.keys().map(String::as_str).collect();
    if let Some(l) = lf {
        out.extend(l.resources.keys().map(String::as_str));
    }
    out
}

/// The names `targets` reach: themselves and, transitively, what they depend on (the
/// documents' references, else what the lockfile records); for a destroy, what depends on
/// them instead (what must go before they can).
pub fn reach(
    targets: &[String],
    mode: Mode,
    desired: &Desired,
    lf: Option<&Lockfile>,
) -> BTreeSet<String> {
    let recorded = lf.map(|l| &l.resources);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if mode == Mode::Apply {
        for (n, r) in &desired.resources {
            deps.entry(n.clone())
                .or_default()
                .extend(r.deps.iter().chain(&r.soft_deps).cloned());
        }
    }
    for (n, r) in recorded.into_iter().flatten() {
        if mode == Mode::Apply && desired.resources.contains_key(n) {
            continue;
        }
        for d in r.dependencies.iter().chain(&r.soft_dependencies) {
            match mode {
                Mode::Apply => deps.entry(n.clone()).or_default().insert(d.clone()),
                // Reversed: a destroy follows dependents.
                Mode::Destroy => deps.entry(d.clone()).or_default().insert(n.clone()),
            };
        }
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = targets.to_vec();
    while let Some(n) = todo.pop() {
        if out.insert(n.clone()) {
            todo.extend(deps.get(&n).into_iter().flatten().cloned());
        }
    }
    out
}

/// The names whose `prevent_destroy` may refuse the plan: those the targets reach (`None`
/// when there are none: every name), none for a refresh (it deletes nothing).
pub(super) fn guarded(
    sc: &Scope,
    mode: Mode,
    desired: &Desired,
    lf: Option<&Lockfile>,
) -> Option<BTreeSet<String>> {
    if sc.refresh_only {
        return Some(BTreeSet::new());
    }
    (!sc.targets.is_empty()).then(|| reach(&sc.targets, mode, desired, lf))
}

/// Narrows the planner's actions as `sc` says: a refresh ([`refresh_only`]), then the
/// actions of the resources the targets reach ([`reach`]). Returns how many changes of other
/// resources the targets left out.
pub(super) fn narrow(
    actions: &mut Vec<Action>,
    sc: &Scope,
    mode: Mode,
    desired: &Desired,
    lf: Option<&Lockfile>,
) -> usize {
    if sc.refresh_only {
        refresh_only(actions, lf);
    }
    if sc.targets.is_empty() {
        return 0;
    }
    let keep = reach(&sc.targets, mode, desired, lf);
    let (kept, left): (Vec<Action>, Vec<Action>) = std::mem::take(actions)
        .into_iter()
        .partition(|a| keep.contains(&a.name));
    *actions = kept;
    left.iter().filter(|a| a.is_change()).count()
}

/// Turns the planner's actions into a refresh: each resource the lockfile records and that
/// still exists becomes a no-op whose changes are the live values that differ from the
/// recorded ones (`before` recorded, `after` live), so that the apply records them; one that
/// is gone is forgotten. Nothing else is kept: no create, update, replacement or delete
/// reaches AWS.
fn refresh_only(actions: &mut Vec<Action>, lf: Option<&Lockfile>) {
    let all = std::mem::take(actions);
    if let Some(lf) = lf {
        *actions = all.into_iter().filter_map(|a| refreshed(a, lf)).collect();
    }
}

/// One action of a refresh, if it is about a recorded resource (see [`refresh_only`]).
fn refreshed(a: Action, lf: &Lockfile) -> Option<Action> {
    if matches!(a.action, ActionKind::Forget) {
        return Some(a);
    }
    let rec = lf.resources.get(&a.name)?;
    if a.reason == Reason::DeletedOutside {
        // Recorded, gone, and still in the documents: the plan would create it again.
        return Some(super::forget_action(&a.name, rec));
    }
    if a.id.as_deref() != Some(rec.id.as_str()) || a.kind != rec.kind {
        return None;
    }
    let live = a.prior.clone()?;
    let changes = differences(&a.kind, &rec.attributes, &live);
    Some(Action {
        action: ActionKind::NoOp { converging: None },
        reason: if changes.is_empty() {
            Reason::UpToDate
        } else {
            Reason::Drift
        },
        changes,
        set_elsewhere: Vec::new(),
        elsewhere_why: BTreeMap::new(),
        desired: None,
        depends_on: rec.dependencies.clone(),
        soft_depends_on: rec.soft_dependencies.clone(),
        prevent_destroy: rec.prevent_destroy,
        ..a
    })
}

/// The fields whose live value differs from the recorded one. A secret field (recorded as a
/// verifier, never read back) is left out: the refresh keeps its verifier.
fn differences(
    kind: &str,
    recorded: &crate::value::Attrs,
    live: &crate::value::Attrs,
) -> Vec<FieldChange> {
    let secret = |f: &str| {
        strata_model::kinds::find(kind)
            .and_then(|k| k.field(f))
            .is_some_and(|d| d.secret)
    };
    let keys: BTreeSet<&String> = recorded.keys().chain(live.keys()).collect();
    keys.into_iter()
        .filter(|k| !secret(k))
        .filter_map(|k| {
            let (r, l) = (recorded.get(k), live.get(k));
            let null = |v: Option<&Value>| v.is_none_or(Value::is_null);
            if r == l || (null(r) && null(l)) {
                return None;
            }
            Some(FieldChange {
                field: k.clone(),
                before: r.cloned(),
                after: l.cloned(),
                unknown: false,
                forces_replacement: false,
                drift: true,
                sensitive: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::desired::{DesiredResource, LifecycleOpts};
    use crate::lockfile::LockedResource;
    use crate::plan::{Plan, PlanError, PlanInput, plan_scoped};
    use crate::provider::{LiveResource, Owner};
    use crate::value::Attrs;

    fn attrs(v: Value) -> Attrs {
        match v {
            Value::Object(m) => m,
            _ => Attrs::new(),
        }
    }

    fn resource(name: &str, kind: &str, a: Value, deps: &[&str]) -> DesiredResource {
        DesiredResource {
            name: name.into(),
            kind: strata_model::kinds::find(kind).expect("a kind strata knows"),
            attrs: attrs(a),
            deps: deps.iter().map(|d| d.to_string()).collect(),
            soft_deps: vec![],
            lifecycle: LifecycleOpts::default(),
        }
    }

    /// A VPC `net`, a subnet `a` in it and a VPC `other`, all applied: the lockfile and the
    /// live state as the documents say.
    fn applied() -> (Desired, Lockfile, Vec<LiveResource>) {
        let vpc = json!({"cidr_block": "10.0.0.0/16"});
        let subnet = json!({"vpc": "${net.id}", "cidr_block": "10.0.0.0/24",
                            "availability_zone": "us-east-1a"});
        let desired = Desired {
            stack: "lab".into(),
            region: "us-east-1".into(),
            resources: [
                ("net", resource("net", "ec2.vpc", vpc.clone(), &[])),
                ("a", resource("a", "ec2.subnet", subnet, &["net"])),
                ("other", resource("other", "ec2.vpc", vpc, &[])),
            ]
            .into_iter()
            .map(|(n, r)| (n.to_string(), r))
            .collect(),
            outputs: BTreeMap::new(),
        };
        let mut lf = Lockfile::new("lab", "us-east-1");
        let mut live = Vec::new();
        for (name, kind, id, a, deps) in [
            (
                "net",
                "ec2.vpc",
                "vpc-1",
                json!({"cidr_block": "10.0.0.0/16"}),
                vec![],
            ),
            (
                "a",
                "ec2.subnet",
                "subnet-1",
                json!({"vpc": "vpc-1", "cidr_block": "10.0.0.0/24", "availability_zone": "us-east-1a"}),
                vec!["net".to_string()],
            ),
            (
                "other",
                "ec2.vpc",
                "vpc-2",
                json!({"cidr_block": "10.0.0.0/16"}),
                vec![],
            ),
        ] {
            lf.resources.insert(
                name.into(),
                LockedResource {
                    kind: kind.into(),
                    id: id.into(),
                    attributes: attrs(a.clone()),
                    dependencies: deps,
                    soft_dependencies: vec![],
                    prevent_destroy: false,
                    created_at: None,
                    seen_at: None,
                },
            );
            let owner = Owner {
                stack: "lab",
                name,
                lineage: &lf.lineage,
                expires: None,
            };
            live.push(LiveResource::new(kind, id, attrs(a)).owned_by(owner));
        }
        (desired, lf, live)
    }

    fn plan_in(
        d: &Desired,
        lf: &Lockfile,
        live: &[LiveResource],
        mode: Mode,
        sc: &Scope,
    ) -> Result<Plan, PlanError> {
        let input = PlanInput {
            desired: d,
            lockfile: Some(lf),
            live,
            mode,
            plan_id: "p",
            adopt_foreign: false,
        };
        plan_scoped(input, sc)
    }

    fn plan_of(
        d: &Desired,
        lf: &Lockfile,
        live: &[LiveResource],
        mode: Mode,
        replace: &[&str],
    ) -> Plan {
        let sc = Scope {
            replace: replace.iter().map(|r| r.to_string()).collect(),
            ..Scope::default()
        };
        plan_in(d, lf, live, mode, &sc).expect("a plan")
    }

    fn verbs(p: &Plan) -> Vec<(String, &'static str, Reason)> {
        p.actions
            .iter()
            .filter(|a| a.is_change())
            .map(|a| (a.name.clone(), a.action.verb(), a.reason))
            .collect()
    }

    #[test]
    fn a_target_reaches_what_it_depends_on_and_a_destroyed_one_what_depends_on_it() {
        let (d, lf, _) = applied();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let t = |n: &str| vec![n.to_string()];
        assert_eq!(
            reach(&t("a"), Mode::Apply, &d, Some(&lf)),
            names(&["a", "net"])
        );
        assert_eq!(
            reach(&t("net"), Mode::Apply, &d, Some(&lf)),
            names(&["net"])
        );
        assert_eq!(
            reach(&t("net"), Mode::Destroy, &d, Some(&lf)),
            names(&["a", "net"])
        );
        assert_eq!(reach(&t("a"), Mode::Destroy, &d, Some(&lf)), names(&["a"]));
    }

    #[test]
    fn a_targeted_destroy_holds_only_the_target_and_its_dependents() {
        let (d, mut lf, live) = applied();
        // What the targets do not reach cannot refuse the plan.
        if let Some(r) = lf.resources.get_mut("other") {
            r.prevent_destroy = true;
        }
        let sc = Scope {
            targets: vec!["net".to_string()],
            ..Scope::default()
        };
        let p = plan_in(&d, &lf, &live, Mode::Destroy, &sc).expect("a plan");
        let mut got: Vec<String> = p.actions.iter().map(|a| a.name.clone()).collect();
        got.sort();
        assert_eq!(got, ["a", "net"]);
        assert_eq!(p.summary.destroy, 2);
        assert_eq!(p.scope.targets, ["net"]);
        assert_eq!(p.scope.left_out, 1, "the destroy of `other`");
        let all = plan_in(&d, &lf, &live, Mode::Destroy, &Scope::default());
        assert!(matches!(all, Err(PlanError::PreventDestroy { .. })));
    }

    #[test]
    fn replace_requested_replaces_an_unchanged_resource_and_what_reads_it() {
        let (d, lf, live) = applied();
        assert!(verbs(&plan_of(&d, &lf, &live, Mode::Apply, &[])).is_empty());
        let p = plan_of(&d, &lf, &live, Mode::Apply, &["net"]);
        assert_eq!(
            verbs(&p),
            [
                ("net".to_string(), "replace", Reason::ReplaceRequested),
                ("a".to_string(), "replace", Reason::DependencyReplaced),
            ]
        );
        assert_eq!(p.scope.replace, ["net"]);
    }

    #[test]
    fn a_refresh_records_live_values_and_forgets_what_is_gone_and_nothing_else() {
        let (d, lf, mut live) = applied();
        live.retain(|l| l.id != "vpc-2");
        live[0]
            .attrs
            .insert("cidr_block".into(), json!("10.9.0.0/16"));
        let full = plan_of(&d, &lf, &live, Mode::Apply, &[]);
        assert!(full.actions.iter().any(|a| a.action.verb() == "create"));
        let sc = Scope {
            refresh_only: true,
            ..Scope::default()
        };
        let p = plan_in(&d, &lf, &live, Mode::Apply, &sc).expect("a plan");
        let net = p.actions.iter().find(|a| a.name == "net").expect("net");
        assert_eq!(net.action, ActionKind::NoOp { converging: None });
        assert_eq!(net.changes.len(), 1);
        assert_eq!(net.changes[0].before, Some(json!("10.0.0.0/16")));
        assert_eq!(net.changes[0].after, Some(json!("10.9.0.0/16")));
        let verbs: Vec<&str> = p.actions.iter().map(|a| a.action.verb()).collect();
        assert!(
            verbs.iter().all(|v| *v == "no_op" || *v == "forget"),
            "{verbs:?}"
        );
        assert!(
            p.actions
                .iter()
                .any(|a| a.name == "other" && a.action == ActionKind::Forget)
        );
        assert!(p.has_changes());
    }

    #[test]
    fn an_unknown_name_names_the_closest() {
        let known: BTreeSet<&str> = ["net", "other"].into_iter().collect();
        let e = check_names(
            "--target",
            &["nett".to_string()],
            &known,
            "in the documents",
        )
        .expect_err("unknown");
        assert_eq!(e.close.as_deref(), Some("net"));
        assert!(check_names("--target", &["net".to_string()], &known, "x").is_ok());
    }
}
