//! Properties of the diff, the plan and the walk, over generated values and stacks.
//!
//! * The diff, field by field: every field of every kind, as its table (`KindInfo::fields`)
//!   lists it, gets values of its comparison (exact, set, map), equal or not, present or not
//!   (absent meaning none, or AWS's value kept, as the table says), with `ignore_changes`, a
//!   recorded value (drift) and references not known yet. A field added to a table is covered
//!   without a change here.
//! * The planner's choice: changing fields AWS changes in place is an update, changing any it
//!   cannot a replacement, for any set of fields of any kind (and, exhaustively, each field
//!   alone).
//! * The walk: generated stacks of several kinds (VPCs, subnets, internet gateways, Elastic IPs,
//!   prefix lists, security groups, route tables), whose references take every shape: typed
//!   fields that force a replacement or not, expressions in tags, deferred fields (security
//!   group rules naming other groups, cycles included, and prefix lists), and
//!   `create_before_destroy` on any of them. Any such stack applies and is destroyed at any
//!   parallelism by the fake cloud, which refuses what AWS refuses (a create or update naming a
//!   missing resource, a second copy sharing what AWS lets no two copies share, a delete of a
//!   resource still named); a replacement reaches exactly the resources the field tables say, in
//!   the order create-before-destroy asks, or is refused at plan time where AWS forbids it;
//!   removing resources unlinks what still names them (a gateway kept is detached).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use strata_engine::desired::{Desired, DesiredResource, LifecycleOpts};
use strata_engine::exec::op_graph;
use strata_engine::plan::{Mode, Plan, PlanError, ReplaceMode, Wanted, diff_fields, topo_order};
use strata_engine::value::Attrs;
use strata_model::kinds::{self, Compare, KindInfo, Omitted, Update};

use crate::fake::{Env, attrs, desired};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn kind_named(name: &str) -> &'static KindInfo {
    kinds::find(name).unwrap_or_else(|| panic!("no kind {name}"))
}

// --- the diff, field by field ------------------------------------------------------------------

/// Values for one field: desired (absent when `None`), live (absent when `None`), recorded.
type FieldValues = (Option<Value>, Option<Value>, Option<Value>);

/// A value of an exact field: order matters in lists, and any JSON may be compared.
fn exact_value() -> impl Strategy<Value = Value> {
    select(vec![
        json!("a"),
        json!("b"),
        json!(1),
        json!(2),
        json!(true),
        json!(false),
        json!({"x": true}),
        json!({"x": false}),
        json!(["a", "b"]),
        json!(["b", "a"]),
    ])
}

/// A list for a set field, with repeats, of strings or objects.
fn set_value() -> impl Strategy<Value = Value> {
    let item = select(vec![
        json!("a"),
        json!("b"),
        json!("c"),
        json!({"p": 1}),
        json!({"p": 2}),
    ]);
    proptest::collection::vec(item, 0..4).prop_map(Value::Array)
}

/// A mapping for a map field (tags).
fn map_value() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-c]", "[x-z]", 0..3)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, json!(v))).collect()))
}

/// A version, as documents give it (`16`) and AWS reports it (`16.4`).
fn version_value() -> impl Strategy<Value = Value> {
    select(vec![
        json!("16"),
        json!("16.4"),
        json!("16.10"),
        json!("160.1"),
        json!("15.4"),
    ])
}

fn value_of(compare: Compare) -> BoxedStrategy<Value> {
    match compare {
        Compare::Exact => exact_value().boxed(),
        Compare::Version => version_value().boxed(),
        Compare::Set => set_value().boxed(),
        Compare::Map => map_value().boxed(),
    }
}

/// The same value as AWS may report it: a set's items in another order, some repeated.
fn same_as_reported(v: &Value, compare: Compare, flip: bool) -> Value {
    match (compare, v) {
        (Compare::Set, Value::Array(items)) => {
            let mut items = items.clone();
            items.reverse();
            if flip && let Some(first) = items.first().cloned() {
                items.push(first);
            }
            Value::Array(items)
        }
        _ => v.clone(),
    }
}

/// A reference not known yet, inside a value of the field's shape.
fn unresolved(compare: Compare) -> Value {
    match compare {
        Compare::Exact | Compare::Version => json!("${other.id}"),
        Compare::Set => json!(["a", "${other.id}"]),
        Compare::Map => json!({"a": "${other.id}"}),
    }
}

/// Desired, live and recorded values for one field.
fn field_values(compare: Compare) -> impl Strategy<Value = FieldValues> {
    (
        value_of(compare),
        value_of(compare),
        value_of(compare),
        0u8..10,
        0u8..4,
        any::<bool>(),
    )
        .prop_map(move |(d, other, r, how, recorded, flip)| {
            let desired = match how {
                0 => None,
                1 => Some(unresolved(compare)),
                _ => Some(d.clone()),
            };
            let live = match how {
                // Absent live values (a field AWS does not report, or a new field).
                2 => None,
                // The same value, as AWS would report it.
                3..=6 => Some(same_as_reported(&d, compare, flip)),
                _ => Some(other),
            };
            let recorded = match recorded {
                0 => None,
                1 => desired.clone(),
                2 => live.clone(),
                _ => Some(r),
            };
            (desired, live, recorded)
        })
}

/// A kind and values for each of its fields, plus what `ignore_changes` lists.
fn diff_case() -> impl Strategy<Value = (usize, Vec<FieldValues>, Vec<String>, bool)> {
    (0..kinds::all().len()).prop_flat_map(|k| {
        let kind = kinds::all()[k];
        let values: Vec<_> = kind
            .fields
            .iter()
            .map(|f| field_values(f.compare))
            .collect();
        let names: Vec<String> = kind
            .fields
            .iter()
            .flat_map(|f| {
                let mut v = vec![f.name.to_string()];
                if f.compare == Compare::Map {
                    v.extend(["a", "b"].iter().map(|k| format!("{}.{k}", f.name)));
                }
                v
            })
            .collect();
        let ignore = proptest::sample::subsequence(names.clone(), 0..=names.len().min(3));
        (Just(k), values, ignore, any::<bool>())
    })
}

/// A value as the diff compares it, computed here independently of the planner.
fn compared(v: Option<&Value>, compare: Compare, ignored_keys: &[&str]) -> Value {
    match (compare, v) {
        (Compare::Set, None | Some(Value::Null)) => json!([]),
        (Compare::Set, Some(Value::Array(items))) => {
            let set: BTreeSet<String> = items.iter().map(Value::to_string).collect();
            json!(set)
        }
        (Compare::Map, None | Some(Value::Null)) => json!({}),
        (Compare::Map, Some(Value::Object(m))) => Value::Object(
            m.iter()
                .filter(|(k, _)| !ignored_keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        (_, v) => v.cloned().unwrap_or(Value::Null),
    }
}

/// Whether the diff sees desired and live values as different: versions by their leading
/// dot-separated parts (`16` names `16.4`), the rest as [`compared`] gives them.
fn differs(d: Option<&Value>, l: Option<&Value>, compare: Compare, ignored_keys: &[&str]) -> bool {
    let (d, l) = (
        compared(d, compare, ignored_keys),
        compared(l, compare, ignored_keys),
    );
    if let (Compare::Version, Some(d), Some(l)) = (compare, d.as_str(), l.as_str()) {
        let (d, l): (Vec<&str>, Vec<&str>) = (d.split('.').collect(), l.split('.').collect());
        return !l.starts_with(&d);
    }
    d != l
}

fn has_reference(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_reference),
        Value::Object(m) => m.values().any(has_reference),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// For every field of a kind: a change is reported exactly when the field is not ignored,
    /// is set or its table says leaving it out means none (not "left as it is"), and its value
    /// differs from the live one by the field's comparison (or holds a reference not known
    /// yet); it forces a replacement exactly when the field table says AWS cannot change the
    /// field in place; it is drift exactly when the recorded value is the desired one and the
    /// live value moved away from it.
    #[test]
    fn diff_reports_exactly_the_fields_that_differ(
        (k, values, ignore, with_record) in diff_case(),
    ) {
        let kind = kinds::all()[k];
        let (mut desired, mut live, mut recorded) = (Wanted::default(), Attrs::new(), Attrs::new());
        for (f, (d, l, r)) in kind.fields.iter().zip(&values) {
            if let Some(d) = d {
                desired.attrs.insert(f.name.into(), d.clone());
                if has_reference(d) { desired.unknown.insert(f.name.into()); }
            }
            if let Some(l) = l { live.insert(f.name.into(), l.clone()); }
            if let Some(r) = r { recorded.insert(f.name.into(), r.clone()); }
        }
        // Documents give a name or its prefix, never both (validation refuses that).
        let prefix = kind.policy.name_prefix;
        if let Some(np) = prefix {
            prop_assume!(!(desired.attrs.contains_key(np.name) && desired.attrs.contains_key(np.prefix)));
        }
        // Given a prefix, the documents read a live (or recorded) name made from it as that
        // prefix, and any other name as itself.
        let as_seen = |mut attrs: Attrs| -> Attrs {
            if let Some(np) = prefix
                && let Some(Value::String(p)) = desired.attrs.get(np.prefix)
                && let Some(Value::String(n)) = attrs.get(np.name).cloned()
            {
                let made = n.strip_prefix(p.as_str()).is_some_and(|rest| {
                    rest.len() == kinds::NAME_SUFFIX_LEN && rest.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                });
                attrs.insert(np.prefix.into(), Value::String(if made { p.clone() } else { n }));
            }
            attrs
        };
        let (live, recorded) = (as_seen(live), as_seen(recorded));
        let recorded = with_record.then_some(&recorded);
        let changes = diff_fields(kind, &desired, &live, recorded, &ignore);
        for f in kind.fields {
            let change = changes.iter().find(|c| c.field == f.name);
            let prefix = format!("{}.", f.name);
            let ignored_keys: Vec<&str> = ignore.iter().filter_map(|i| i.strip_prefix(prefix.as_str())).collect();
            let d = desired.attrs.get(f.name);
            let l = live.get(f.name);
            let unknown = d.is_some_and(has_reference);
            // A secret AWS never returns is compared only with a recorded verifier (none here).
            let expected = !f.secret
                && !ignore.iter().any(|i| i == f.name)
                && (d.is_some() || f.omitted != Omitted::Kept)
                && (unknown || differs(d, l, f.compare, &ignored_keys));
            prop_assert_eq!(change.is_some(), expected, "{}.{}: desired {:?}, live {:?}, ignore {:?}", kind.name, f.name, d, l, ignore);
            let Some(c) = change else { continue };
            prop_assert_eq!(c.forces_replacement, f.update == Update::Replace, "{}.{}", kind.name, f.name);
            prop_assert_eq!(c.unknown, unknown);
            prop_assert_eq!(c.after.as_ref(), d);
            prop_assert_eq!(c.before.as_ref(), l.filter(|v| !v.is_null()));
            let drift = recorded
                .and_then(|r| r.get(f.name))
                .is_some_and(|r| {
                    let r = compared(Some(r), f.compare, &ignored_keys);
                    r != compared(l, f.compare, &ignored_keys) && r == compared(d, f.compare, &ignored_keys)
                });
            prop_assert_eq!(c.drift, drift, "{}.{}", kind.name, f.name);
        }
        prop_assert!(changes.iter().all(|c| kind.field(&c.field).is_some()));
    }
}

// --- the planner's choice: update or replace ---------------------------------------------------

/// Two different values for a field of the given comparison: (before, after).
fn two_values(compare: Compare, salt: usize) -> (Value, Value) {
    match compare {
        Compare::Exact => (json!(format!("v{salt}")), json!(format!("w{salt}"))),
        Compare::Version => (json!(format!("15.{salt}")), json!(format!("16.{salt}"))),
        Compare::Set => (json!(["a", "b"]), json!(["b", "c"])),
        Compare::Map => (json!({"k": "x"}), json!({"k": "y", "l": "z"})),
    }
}

/// The fields `single` sets: all of them, but of a name and its prefix only one (the prefix
/// when it changes, and for a kind that creates its new copy first unless the name changes:
/// a fixed name would make its replacement impossible, which the planner refuses).
fn written(kind: &KindInfo, changed: &[&str]) -> Vec<&'static str> {
    let creates_first = kind.policy.replace != strata_model::kinds::ReplaceOrder::DeleteFirst;
    let left_out = kind.policy.name_prefix.map(|np| {
        if changed.contains(&np.prefix) || (creates_first && !changed.contains(&np.name)) {
            np.name
        } else {
            np.prefix
        }
    });
    kind.fields
        .iter()
        .map(|f| f.name)
        .filter(|n| Some(*n) != left_out)
        .collect()
}

/// One resource of `kind` with every field set to its first value.
fn single(kind: &'static KindInfo, changed: &[&str]) -> Desired {
    let fields = written(kind, changed);
    let a = attrs(Value::Object(
        kind.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| fields.contains(&f.name))
            .map(|(i, f)| {
                let (before, after) = two_values(f.compare, i);
                let v = if changed.contains(&f.name) {
                    after
                } else {
                    before
                };
                (f.name.to_string(), v)
            })
            .collect(),
    ));
    let mut resources = BTreeMap::new();
    resources.insert(
        "it".to_string(),
        DesiredResource {
            name: "it".into(),
            kind,
            attrs: a,
            deps: Vec::new(),
            soft_deps: Vec::new(),
            lifecycle: LifecycleOpts::default(),
        },
    );
    Desired {
        stack: "prop".into(),
        region: "us-east-1".into(),
        resources,
        outputs: BTreeMap::new(),
    }
}

/// Applies `kind` with every field at its first value, then changes `changed`: the plan must
/// replace the resource exactly when one of those fields cannot change in place, and the cloud
/// must end up with the new values.
async fn change_fields(kind: &'static KindInfo, changed: &[&str]) -> Result<(), TestCaseError> {
    // A secret AWS never returns (a private key, a password) is compared with the verifier
    // recorded when it was sent: changed, it plans as any other field.
    let env = Env::new();
    env.apply(&single(kind, &[])).await;
    let before = env.cloud.find("it").expect("created").id;
    let d = single(kind, changed);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let replace = kind
        .fields
        .iter()
        .any(|f| changed.contains(&f.name) && f.update == Update::Replace);
    let expect = if changed.is_empty() {
        "no_op"
    } else if replace {
        "replace"
    } else {
        "update"
    };
    let a = &p.actions[0];
    prop_assert_eq!(
        a.action.verb(),
        expect,
        "{} changing {:?}",
        kind.name,
        changed
    );
    let fields: BTreeSet<&str> = a.changes.iter().map(|c| c.field.as_str()).collect();
    // A name left out for its prefix is not compared.
    let compared: BTreeSet<&str> = changed
        .iter()
        .copied()
        .filter(|f| written(kind, changed).contains(f))
        .collect();
    prop_assert_eq!(fields, compared);
    let o = env.run(&p, 2).await;
    prop_assert!(o.success(), "{:?}", o.failed);
    let now = env.cloud.find("it").expect("still there");
    prop_assert_eq!(now.id != before, replace, "{}", kind.name);
    let want = &d.resources["it"].attrs;
    for f in kind.fields {
        match kind.policy.name_prefix {
            // Named from its prefix: the name is the prefix and a suffix.
            Some(np) if want.contains_key(np.prefix) && [np.name, np.prefix].contains(&f.name) => {
                let (Some(Value::String(name)), Some(Value::String(prefix))) =
                    (now.attrs.get(np.name), want.get(np.prefix))
                else {
                    return Err(TestCaseError::fail(format!(
                        "{}: no name made from the prefix",
                        kind.name
                    )));
                };
                prop_assert!(kinds::has_name_prefix(name, prefix), "{} {}", name, prefix);
            }
            _ if f.secret => {}
            _ => prop_assert_eq!(now.attrs.get(f.name), want.get(f.name)),
        }
    }
    prop_assert!(!env.plan(&d, Mode::Apply).await.expect("plan").has_changes());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any set of fields of any kind, changed together.
    #[test]
    fn a_change_is_an_update_or_a_replacement_as_the_field_table_says(
        (k, changed) in (0..kinds::all().len()).prop_flat_map(|k| {
            let names: Vec<&'static str> = kinds::all()[k].fields.iter().map(|f| f.name).collect();
            let n = names.len();
            (Just(k), proptest::sample::subsequence(names, 0..=n))
        }),
    ) {
        runtime().block_on(change_fields(kinds::all()[k], &changed))?;
    }
}

/// Every field of every kind, changed alone.
#[test]
fn each_field_alone_is_an_update_or_a_replacement_as_the_field_table_says() {
    let rt = runtime();
    for kind in kinds::all() {
        for f in kind.fields {
            rt.block_on(change_fields(kind, &[f.name]))
                .unwrap_or_else(|e| panic!("{}.{}: {e}", kind.name, f.name));
        }
    }
}

// --- generated stacks of several kinds ---------------------------------------------------------

/// What a generated resource is, and what it names.
#[derive(Debug, Clone)]
enum Shape {
    Vpc,
    Eip,
    PrefixList,
    /// The `nth` subnet of its VPC.
    Subnet {
        vpc: usize,
        nth: usize,
    },
    Gateway {
        vpc: usize,
    },
    /// Rules naming groups (any of them, itself included: references that wait for creation)
    /// and prefix lists (made before it).
    Group {
        vpc: usize,
        groups: Vec<usize>,
        lists: Vec<usize>,
    },
    Table {
        vpc: usize,
        subnets: Vec<usize>,
    },
}

#[derive(Debug, Clone)]
struct Res {
    shape: Shape,
    /// Earlier resources whose ids its tags hold.
    tags: BTreeSet<usize>,
    create_before_destroy: bool,
}

/// A generated stack: `Res` i is named `r{i}`.
///
/// Every shape of these kinds is generated. One change AWS forbids is refused by the planner
/// instead of applied: replacing a subnet or a security group with its new copy created first
/// (its own `create_before_destroy`, or one reaching it from a resource depending on it) while
/// the new copy keeps the old one's VPC and block or name, since AWS refuses two such copies
/// at once. [`Edit::unique_too`] changes those as well, so that both outcomes are covered.
#[derive(Debug, Clone)]
struct Gen(Vec<Res>);

/// A change made to one resource.
#[derive(Debug, Clone, Copy)]
struct Edit {
    target: usize,
    change: Change,
    /// A replacement also changes the fields two copies cannot share (a group's name, a
    /// subnet's block), so that the new copy may be created before the old one is deleted.
    unique_too: bool,
}

/// How a resource is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// A field AWS changes in place.
    InPlace,
    /// A field AWS cannot change in place.
    Replace,
}

type Raw = (u8, usize, Vec<usize>, Vec<usize>, bool);

fn raw() -> impl Strategy<Value = Vec<Raw>> {
    proptest::collection::vec(
        (
            0u8..7,
            any::<usize>(),
            proptest::collection::vec(any::<usize>(), 0..3),
            proptest::collection::vec(any::<usize>(), 0..4),
            any::<bool>(),
        ),
        1..11,
    )
}

impl Gen {
    /// Turns picks into a stack the documents' checks accept: subnets inside their VPC's
    /// block, one internet gateway per VPC, each subnet in one route table of its VPC.
    fn build(raw: &[Raw]) -> Gen {
        let mut out: Vec<Res> = Vec::new();
        let mut subnets_of: BTreeMap<usize, usize> = BTreeMap::new();
        let mut gateway_of: BTreeSet<usize> = BTreeSet::new();
        let mut in_table: BTreeSet<usize> = BTreeSet::new();
        for (i, (kind, pick, tag_picks, more, cbd)) in raw.iter().enumerate() {
            let vpcs: Vec<usize> = (0..i)
                .filter(|j| matches!(out[*j].shape, Shape::Vpc))
                .collect();
            let vpc = (!vpcs.is_empty()).then(|| vpcs[pick % vpcs.len()]);
            let shape = match (kind, vpc) {
                (1, _) => Shape::Eip,
                (2, _) => Shape::PrefixList,
                (3, Some(v)) => {
                    let nth = subnets_of.entry(v).or_default();
                    *nth += 1;
                    Shape::Subnet { vpc: v, nth: *nth }
                }
                (4, Some(_)) => match vpcs.iter().find(|v| !gateway_of.contains(v)) {
                    Some(&v) => {
                        gateway_of.insert(v);
                        Shape::Gateway { vpc: v }
                    }
                    None => Shape::Eip,
                },
                (5, Some(v)) => Shape::Group {
                    vpc: v,
                    groups: Vec::new(),
                    lists: Vec::new(),
                },
                (6, Some(v)) => {
                    let free: Vec<usize> = (0..i)
                        .filter(|j| matches!(out[*j].shape, Shape::Subnet { vpc, .. } if vpc == v))
                        .filter(|j| !in_table.contains(j))
                        .collect();
                    let mut subnets: BTreeSet<usize> = BTreeSet::new();
                    if !free.is_empty() {
                        subnets.extend(more.iter().map(|m| free[m % free.len()]));
                    }
                    in_table.extend(subnets.iter().copied());
                    Shape::Table {
                        vpc: v,
                        subnets: subnets.into_iter().collect(),
                    }
                }
                _ => Shape::Vpc,
            };
            let tags = if i == 0 {
                BTreeSet::new()
            } else {
                tag_picks.iter().map(|p| p % i).collect()
            };
            out.push(Res {
                shape,
                tags,
                create_before_destroy: *cbd,
            });
        }
        // Rules: groups in any direction (soft: two groups may name each other), prefix lists
        // made earlier (the rule waits for the list to exist).
        let groups: Vec<usize> = (0..out.len())
            .filter(|j| matches!(out[*j].shape, Shape::Group { .. }))
            .collect();
        for &g in &groups {
            let lists_before: Vec<usize> = (0..g)
                .filter(|j| matches!(out[*j].shape, Shape::PrefixList))
                .collect();
            let picks = &raw[g].3;
            let (mut to_groups, mut to_lists) = (BTreeSet::new(), BTreeSet::new());
            for p in picks {
                if p % 3 != 0 || lists_before.is_empty() {
                    to_groups.insert(groups[p % groups.len()]);
                } else {
                    to_lists.insert(lists_before[p % lists_before.len()]);
                }
            }
            if let Shape::Group { groups, lists, .. } = &mut out[g].shape {
                *groups = to_groups.into_iter().collect();
                *lists = to_lists.into_iter().collect();
            }
        }
        Gen(out)
    }

    /// What resource `i` must be created after: every reference but a rule naming a group.
    fn hard_targets(&self, i: usize) -> BTreeSet<usize> {
        self.refs(i)
            .into_iter()
            .filter(|(f, t)| !(*f == "ingress" && matches!(self.0[*t].shape, Shape::Group { .. })))
            .map(|(_, t)| t)
            .collect()
    }

    fn kind(&self, i: usize) -> &'static KindInfo {
        kind_named(match self.0[i].shape {
            Shape::Vpc => "ec2.vpc",
            Shape::Eip => "ec2.eip",
            Shape::PrefixList => "ec2.prefix_list",
            Shape::Subnet { .. } => "ec2.subnet",
            Shape::Gateway { .. } => "ec2.internet_gateway",
            Shape::Group { .. } => "ec2.security_group",
            Shape::Table { .. } => "ec2.route_table",
        })
    }

    /// The references resource `i` writes: `(field, target)`; a group naming itself is not one.
    fn refs(&self, i: usize) -> Vec<(&'static str, usize)> {
        let mut v: Vec<(&'static str, usize)> =
            self.0[i].tags.iter().map(|t| ("tags", *t)).collect();
        match &self.0[i].shape {
            Shape::Vpc | Shape::Eip | Shape::PrefixList => {}
            Shape::Subnet { vpc, .. } | Shape::Gateway { vpc } => v.push(("vpc", *vpc)),
            Shape::Group { vpc, groups, lists } => {
                v.push(("vpc", *vpc));
                v.extend(groups.iter().filter(|g| **g != i).map(|g| ("ingress", *g)));
                v.extend(lists.iter().map(|l| ("ingress", *l)));
            }
            Shape::Table { vpc, subnets } => {
                v.push(("vpc", *vpc));
                v.extend(subnets.iter().map(|s| ("subnets", *s)));
            }
        }
        v
    }

    /// References a resource cannot exist without: removing their target removes it. An
    /// internet gateway stays, detached.
    fn required(&self, i: usize) -> Option<usize> {
        match &self.0[i].shape {
            Shape::Subnet { vpc, .. } | Shape::Group { vpc, .. } | Shape::Table { vpc, .. } => {
                Some(*vpc)
            }
            _ => None,
        }
    }

    /// The change of resource `i`'s kind, and the field it changes.
    fn change_field(&self, i: usize, change: Change) -> Option<&'static str> {
        match (change, &self.0[i].shape) {
            (Change::Replace, Shape::Vpc) => Some("instance_tenancy"),
            (Change::Replace, Shape::Eip) => Some("domain"),
            (Change::Replace, Shape::PrefixList) => Some("address_family"),
            (Change::Replace, Shape::Subnet { .. }) => Some("availability_zone"),
            (Change::Replace, Shape::Group { .. }) => Some("description"),
            (Change::Replace, Shape::Gateway { .. } | Shape::Table { .. }) => None,
            (Change::InPlace, Shape::Vpc) => Some("enable_dns_hostnames"),
            (Change::InPlace, Shape::PrefixList) => Some("max_entries"),
            (Change::InPlace, Shape::Subnet { .. }) => Some("map_public_ip_on_launch"),
            (Change::InPlace, _) => Some("tags"),
        }
    }

    /// The documents, without the `removed` resources (and references to them), with `edit`
    /// made to one resource.
    fn yaml(&self, removed: &BTreeSet<usize>, edit: Option<Edit>) -> String {
        let mut out = String::from("stack: prop\nresources:\n");
        for (i, r) in self.0.iter().enumerate() {
            if removed.contains(&i) {
                continue;
            }
            let changed = edit.filter(|e| e.target == i).map(|e| e.change);
            let unique_too = changed == Some(Change::Replace) && edit.is_some_and(|e| e.unique_too);
            let kind = self.kind(i);
            out.push_str(&format!("  r{i}:\n    kind: {}\n", kind.name));
            let mut fields: Vec<String> = Vec::new();
            match &r.shape {
                Shape::Vpc => {
                    fields.push(format!("cidr_block: 10.{i}.0.0/16"));
                    match changed {
                        Some(Change::Replace) => fields.push("instance_tenancy: dedicated".into()),
                        Some(Change::InPlace) => fields.push("enable_dns_hostnames: true".into()),
                        None => {}
                    }
                }
                Shape::Eip => {
                    if changed == Some(Change::Replace) {
                        fields.push("domain: standard".into());
                    }
                }
                Shape::PrefixList => {
                    fields.push(format!("name: list-{i}"));
                    fields.push(
                        if changed == Some(Change::InPlace) {
                            "max_entries: 6"
                        } else {
                            "max_entries: 5"
                        }
                        .into(),
                    );
                    if changed == Some(Change::Replace) {
                        fields.push("address_family: IPv6".into());
                    }
                }
                Shape::Subnet { vpc, nth } => {
                    fields.push(format!("vpc: r{vpc}"));
                    let block = if unique_too { nth + 128 } else { *nth };
                    fields.push(format!("cidr_block: 10.{vpc}.{block}.0/24"));
                    match changed {
                        Some(Change::Replace) => {
                            fields.push("availability_zone: us-east-1b".into())
                        }
                        Some(Change::InPlace) => {
                            fields.push("map_public_ip_on_launch: true".into())
                        }
                        None => {}
                    }
                }
                Shape::Gateway { vpc } => {
                    if !removed.contains(vpc) {
                        fields.push(format!("vpc: r{vpc}"));
                    }
                }
                Shape::Group { vpc, groups, lists } => {
                    fields.push(format!("vpc: r{vpc}"));
                    fields.push(if unique_too {
                        format!("name: group-{i}-b")
                    } else {
                        format!("name: group-{i}")
                    });
                    fields.push(if changed == Some(Change::Replace) {
                        format!("description: group {i}, changed")
                    } else {
                        format!("description: group {i}")
                    });
                    let mut rules = Vec::new();
                    for g in groups.iter().filter(|g| !removed.contains(g)) {
                        let source = if *g == i {
                            "self".into()
                        } else {
                            format!("r{g}")
                        };
                        rules.push(format!(
                            "{{protocol: tcp, port: {}, security_group: {source}}}",
                            1000 + g
                        ));
                    }
                    for l in lists.iter().filter(|l| !removed.contains(l)) {
                        rules.push(format!(
                            "{{protocol: tcp, port: {}, prefix_list: r{l}}}",
                            2000 + l
                        ));
                    }
                    fields.push(format!("ingress: [{}]", rules.join(", ")));
                }
                Shape::Table { vpc, subnets } => {
                    fields.push(format!("vpc: r{vpc}"));
                    let subnets: Vec<String> = subnets
                        .iter()
                        .filter(|s| !removed.contains(s))
                        .map(|s| format!("r{s}"))
                        .collect();
                    fields.push(format!("subnets: [{}]", subnets.join(", ")));
                }
            }
            let mut tags: Vec<String> = r
                .tags
                .iter()
                .filter(|t| !removed.contains(t))
                .map(|t| format!("dep-r{t}: \"${{r{t}.id}}\""))
                .collect();
            if changed == Some(Change::InPlace)
                && self.change_field(i, Change::InPlace) == Some("tags")
            {
                tags.push("changed: \"yes\"".into());
            }
            fields.push(format!("tags: {{{}}}", tags.join(", ")));
            if r.create_before_destroy {
                fields.push("lifecycle: {create_before_destroy: true}".into());
            }
            for f in fields {
                out.push_str(&format!("    {f}\n"));
            }
        }
        out
    }

    fn desired(&self, removed: &BTreeSet<usize>, edit: Option<Edit>) -> Desired {
        desired(&self.yaml(removed, edit))
    }

    /// `removed`, and every resource that cannot exist without one of them.
    fn cascade(&self, mut removed: BTreeSet<usize>) -> BTreeSet<usize> {
        loop {
            let more: Vec<usize> = (0..self.0.len())
                .filter(|i| !removed.contains(i))
                .filter(|i| self.required(*i).is_some_and(|r| removed.contains(&r)))
                .collect();
            if more.is_empty() {
                return removed;
            }
            removed.extend(more);
        }
    }
}

fn stack() -> impl Strategy<Value = Gen> {
    raw().prop_map(|r| Gen::build(&r))
}

/// Every action of the plan by resource name.
fn actions(p: &Plan) -> BTreeMap<String, &'static str> {
    p.actions
        .iter()
        .map(|a| (a.name.clone(), a.action.verb()))
        .collect()
}

/// Planning again after an apply finds nothing to do.
async fn nothing_left(env: &Env, d: &Desired) -> Result<(), TestCaseError> {
    let again = env.plan(d, Mode::Apply).await.expect("plan");
    prop_assert!(!again.has_changes(), "{:?}", actions(&again));
    Ok(())
}

fn env() -> Env {
    let env = Env::new();
    env.cloud.state().tags_hold_no_references = true;
    env
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any stack applies in an order the cloud accepts, at any parallelism: every resource
    /// exists, with its deferred fields filled in; planning again finds nothing to do; destroying
    /// removes everything.
    #[test]
    fn any_stack_applies_and_is_destroyed_at_any_parallelism(g in stack(), parallelism in 1usize..6) {
        runtime().block_on(async {
            let env = Env::new();
            let d = g.desired(&BTreeSet::new(), None);
            let p = env.plan(&d, Mode::Apply).await.expect("plan");
            prop_assert_eq!(p.summary.add, g.0.len());
            prop_assert!(op_graph(&p).is_ok());
            let o = env.run(&p, parallelism).await;
            prop_assert!(o.success(), "{:?}\n{}", o.failed, g.yaml(&BTreeSet::new(), None));
            prop_assert_eq!(env.cloud.count(), g.0.len());
            for (i, r) in g.0.iter().enumerate() {
                if let Shape::Group { groups, lists, .. } = &r.shape {
                    let live = env.cloud.find(&format!("r{i}")).expect("group");
                    let rules = live.attrs.get("ingress").and_then(Value::as_array).map_or(0, Vec::len);
                    prop_assert_eq!(rules, groups.len() + lists.len(), "r{}", i);
                }
            }
            nothing_left(&env, &d).await?;
            let destroy = env.plan(&d, Mode::Destroy).await.expect("plan");
            let o = env.run(&destroy, parallelism).await;
            prop_assert!(o.success(), "{:?}\n{}", o.failed, g.yaml(&BTreeSet::new(), None));
            prop_assert_eq!(env.cloud.count(), 0);
            Ok(())
        })?;
    }

}

/// Changes one resource of `g` (picked from `pick`; replaced or changed in place) and checks
/// the plan and its apply: see the property below.
fn change_reaches(
    g: &Gen,
    pick: usize,
    replace: bool,
    unique_too: bool,
    parallelism: usize,
) -> Result<(), TestCaseError> {
    let change = if replace {
        Change::Replace
    } else {
        Change::InPlace
    };
    let n = g.0.len();
    let Some(target) = (0..n)
        .map(|k| (pick + k) % n)
        .find(|i| g.change_field(*i, change).is_some())
    else {
        return Ok(());
    };
    let edit = Edit {
        target,
        change,
        unique_too,
    };
    let field = g.change_field(target, change).expect("a field");
    let policy = g.kind(target).field(field).expect("in the table").update;
    prop_assert_eq!(
        policy == Update::Replace,
        change == Change::Replace,
        "{}.{}",
        g.kind(target).name,
        field
    );
    // What the field tables say.
    let mut replaced: BTreeSet<usize> = BTreeSet::new();
    if change == Change::Replace {
        replaced.insert(target);
        loop {
            let more: Vec<usize> = (0..n)
                .filter(|i| !replaced.contains(i))
                .filter(|i| {
                    g.refs(*i).iter().any(|(f, t)| {
                        replaced.contains(t)
                            && g.kind(*i)
                                .field(f)
                                .is_some_and(|d| d.update == Update::Replace)
                    })
                })
                .collect();
            if more.is_empty() {
                break;
            }
            replaced.extend(more);
        }
    }
    // Create-before-destroy: its own, or reaching it from a replaced resource that depends
    // on it.
    let mut first: BTreeSet<usize> = replaced
        .iter()
        .copied()
        .filter(|i| g.0[*i].create_before_destroy)
        .collect();
    loop {
        let more: Vec<usize> = replaced
            .iter()
            .copied()
            .filter(|i| !first.contains(i))
            .filter(|i| first.iter().any(|j| g.hard_targets(*j).contains(i)))
            .collect();
        if more.is_empty() {
            break;
        }
        first.extend(more);
    }
    // A subnet's or group's new copy keeps its VPC (and block or name) unless they change.
    let keeps_unique = |i: usize| {
        matches!(g.0[i].shape, Shape::Subnet { .. } | Shape::Group { .. })
            && g.required(i).is_some_and(|v| !replaced.contains(&v))
            && !(i == target && unique_too)
    };
    let refused = first.iter().any(|i| keeps_unique(*i));
    let expected = |i: usize| -> &'static str {
        if replaced.contains(&i) {
            "replace"
        } else if i == target || g.refs(i).iter().any(|(_, t)| replaced.contains(t)) {
            "update"
        } else {
            "no_op"
        }
    };
    runtime().block_on(async {
        let env = env();
        let none = BTreeSet::new();
        env.apply(&g.desired(&none, None)).await;
        let d = g.desired(&none, Some(edit));
        let yaml = g.yaml(&none, Some(edit));
        let p = match env.plan(&d, Mode::Apply).await {
            Err(PlanError::ReplaceConflict { name, .. }) if refused => {
                let i: usize = name[1..].parse().expect("a generated name");
                prop_assert!(
                    first.contains(&i) && keeps_unique(i),
                    "{} refused\n{}",
                    name,
                    yaml
                );
                return Ok(());
            }
            other => other.expect("plan"),
        };
        prop_assert!(!refused, "not refused: {:?}\n{}", first, yaml);
        let got = actions(&p);
        for i in 0..n {
            prop_assert_eq!(
                got[&format!("r{}", i)],
                expected(i),
                "r{} after changing r{}.{}\n{}",
                i,
                target,
                field,
                yaml
            );
        }
        for a in p.actions.iter().filter(|a| a.action.verb() == "replace") {
            let i: usize = a.name[1..].parse().expect("a generated name");
            let mode = if first.contains(&i) {
                ReplaceMode::CreateBeforeDelete
            } else {
                ReplaceMode::DeleteBeforeCreate
            };
            prop_assert_eq!(a.replace_mode(), Some(mode), "{}\n{}", a.name, yaml);
        }
        if let Err(e) = op_graph(&p) {
            prop_assert!(
                false,
                "{}: {:?}\n{}",
                e,
                p.actions
                    .iter()
                    .map(|a| (&a.name, a.action.verb(), a.replace_mode()))
                    .collect::<Vec<_>>(),
                yaml
            );
        }
        let o = env.run(&p, parallelism).await;
        prop_assert!(o.success(), "{:?}\n{}", o.failed, yaml);
        prop_assert_eq!(env.cloud.count(), n);
        // Nothing names an old copy.
        let dangling = env.cloud.dangling();
        prop_assert!(dangling.is_empty(), "{:?}\n{}", dangling, yaml);
        nothing_left(&env, &d).await?;
        Ok(())
    })?;
    Ok(())
}

proptest! {
    // More cases: each draws one change among many shapes (a create-before-destroy replacement
    // AWS refuses is about one case in thirty).
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Changing one resource: a field AWS cannot change in place replaces it, and the
    /// replacement reaches every resource naming it in such a field, and so on; resources naming
    /// a replaced one in any other field (tags, deferred rules, in-place references) are
    /// updated; the rest are left alone. An in-place change updates that one resource only. A
    /// replacement creates its new copy first when it or a replaced resource depending on it,
    /// directly or not, has `create_before_destroy`. The plan applies at any parallelism, and
    /// then there is nothing left to do; unless a new copy made first would keep what AWS does
    /// not let two copies share, which the planner refuses.
    #[test]
    fn a_change_reaches_exactly_the_resources_the_field_tables_say(
        g in stack(),
        pick in any::<usize>(),
        replace in any::<bool>(),
        unique_too in any::<bool>(),
        parallelism in 1usize..6,
    ) {
        change_reaches(&g, pick, replace, unique_too, parallelism)?;
    }
}

/// Removes the resources `picks` name (and what cannot exist without them) from `g`'s
/// documents and checks the plan and its apply: see the property below.
fn removing(g: &Gen, picks: &[usize], parallelism: usize) -> Result<(), TestCaseError> {
    let n = g.0.len();
    let removed = g.cascade(picks.iter().map(|p| p % n).collect());
    let expected = |i: usize| -> &'static str {
        if removed.contains(&i) {
            "delete"
        } else if g.refs(i).iter().any(|(_, t)| removed.contains(t)) {
            "update"
        } else {
            "no_op"
        }
    };
    runtime().block_on(async {
        let env = env();
        env.apply(&g.desired(&BTreeSet::new(), None)).await;
        let d = g.desired(&removed, None);
        let p = env.plan(&d, Mode::Apply).await.expect("plan");
        let got = actions(&p);
        for i in 0..n {
            prop_assert_eq!(
                got[&format!("r{}", i)],
                expected(i),
                "r{} after removing {:?}\n{}",
                i,
                removed,
                g.yaml(&BTreeSet::new(), None)
            );
        }
        let o = env.run(&p, parallelism).await;
        prop_assert!(
            o.success(),
            "{:?}\n{}",
            o.failed,
            g.yaml(&BTreeSet::new(), None)
        );
        prop_assert_eq!(env.cloud.count(), n - removed.len());
        // A gateway whose VPC went is kept, detached.
        for (i, r) in g.0.iter().enumerate() {
            if let Shape::Gateway { vpc } = r.shape
                && !removed.contains(&i)
            {
                let live = env.cloud.find(&format!("r{i}")).expect("gateway");
                prop_assert_eq!(
                    live.attrs.contains_key("vpc"),
                    !removed.contains(&vpc),
                    "r{}",
                    i
                );
            }
        }
        nothing_left(&env, &d).await?;
        Ok(())
    })?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Removing resources from the documents (and with them what cannot exist without them,
    /// and every reference to them): they are deleted, what named them is updated first (its
    /// rules, subnets and tags unlinked, a gateway detached from its VPC: the field the
    /// documents no longer give is unset), the rest is left alone; the cloud accepts it at any
    /// parallelism.
    #[test]
    fn removed_resources_are_unlinked_and_deleted(
        g in stack(),
        picks in proptest::collection::vec(any::<usize>(), 1..4),
        parallelism in 1usize..6,
    ) {
        removing(&g, &picks, parallelism)?;
    }

    /// The topological order puts every dependency first, for generated stacks' dependencies
    /// (as the documents' loader computes them) and for arbitrary DAGs.
    #[test]
    fn topo_order_respects_edges(g in stack(), extra in proptest::collection::vec((any::<usize>(), any::<usize>()), 0..8)) {
        let d = g.desired(&BTreeSet::new(), None);
        let names: Vec<String> = d.resources.keys().cloned().collect();
        let mut deps: HashMap<String, Vec<String>> = d.resources.iter().map(|(n, r)| (n.clone(), r.deps.clone())).collect();
        // Further edges from later to earlier resources keep it a DAG.
        let n = names.len();
        for (a, b) in extra {
            let (a, b) = (a % n, b % n);
            if a > b {
                deps.entry(format!("r{a}")).or_default().push(format!("r{b}"));
            }
        }
        // The loader orders every reference but a rule naming a group (which waits for the
        // group instead).
        for i in 0..n {
            let refs = g.refs(i);
            let hard = g.hard_targets(i);
            let all: BTreeSet<usize> = refs.iter().map(|(_, t)| *t).collect();
            let r = &d.resources[&format!("r{i}")];
            let listed: BTreeSet<String> = r.deps.iter().cloned().collect();
            prop_assert_eq!(listed, hard.iter().map(|t| format!("r{t}")).collect::<BTreeSet<_>>(), "r{}", i);
            let soft: BTreeSet<String> = r.soft_deps.iter().cloned().collect();
            prop_assert_eq!(soft, all.difference(&hard).map(|t| format!("r{t}")).collect::<BTreeSet<_>>(), "r{}", i);
        }
        let order = topo_order(&names, &deps);
        prop_assert_eq!(order.len(), names.len());
        let pos: BTreeMap<&String, usize> = order.iter().enumerate().map(|(i, n)| (n, i)).collect();
        for (n, ds) in &deps {
            for dep in ds {
                prop_assert!(pos[dep] < pos[n], "{} before {}", dep, n);
            }
        }
    }
}

// --- the failures these properties found, kept as cases ---------------------------------------

fn res(shape: Shape, tags: &[usize], create_before_destroy: bool) -> Res {
    Res {
        shape,
        tags: tags.iter().copied().collect(),
        create_before_destroy,
    }
}

fn group(vpc: usize, groups: &[usize], lists: &[usize]) -> Shape {
    Shape::Group {
        vpc,
        groups: groups.to_vec(),
        lists: lists.to_vec(),
    }
}

/// A route table with no subnets.
fn table(vpc: usize) -> Shape {
    Shape::Table {
        vpc,
        subnets: vec![],
    }
}

/// A VPC replaced delete-before-create whose subnet has `create_before_destroy`: the old
/// subnet had to go before the old VPC, which went before the new VPC, which came before the
/// new subnet, which came before the old subnet's delete (a cycle). The VPC takes
/// create-before-destroy from its subnet.
#[test]
fn create_before_destroy_reaches_a_replaced_dependency() {
    let g = Gen(vec![
        res(Shape::Vpc, &[], false),
        res(Shape::Subnet { vpc: 0, nth: 1 }, &[], true),
    ]);
    for parallelism in [1, 4] {
        change_reaches(&g, 0, true, false, parallelism).expect("applies");
    }
}

/// Create-before-destroy in a chain of security groups naming each other (on a VPC, on a
/// group): a new group's rules took the id of an old group about to be deleted, or kept an old
/// group the walk then deleted while it was still named.
#[test]
fn groups_naming_each_other_are_replaced_with_create_before_destroy() {
    let g = Gen(vec![
        res(Shape::Vpc, &[], true),
        res(Shape::Vpc, &[], true),
        res(group(0, &[2, 6], &[]), &[0], true),
        res(Shape::PrefixList, &[0, 2], true),
        res(table(1), &[], true),
        res(table(0), &[3], true),
        res(group(1, &[6], &[3]), &[2], true),
    ]);
    for pick in 0..7 {
        for unique_too in [false, true] {
            change_reaches(&g, pick, true, unique_too, 1).expect("applies or is refused");
        }
    }
    let g = Gen(vec![
        res(Shape::Vpc, &[], true),
        res(group(0, &[], &[]), &[], false),
        res(Shape::Eip, &[0], false),
        res(group(0, &[1, 3], &[]), &[], true),
        res(Shape::Gateway { vpc: 0 }, &[], true),
    ]);
    for parallelism in [1, 4] {
        change_reaches(&g, 0, true, false, parallelism).expect("applies");
    }
}

/// A group whose tags name a group whose rules name it, replaced: the update of the rules
/// waited for the new group, whose create waited for that update (a cycle). The rules are now
/// applied in a finish step after the new group exists.
#[test]
fn a_group_tagging_a_group_that_names_it_is_replaced() {
    for create_before_destroy in [false, true] {
        let g = Gen(vec![
            res(Shape::Vpc, &[], false),
            res(group(0, &[2], &[]), &[], false),
            res(group(0, &[], &[]), &[1], create_before_destroy),
        ]);
        for parallelism in [1, 4] {
            change_reaches(&g, 2, true, true, parallelism).expect("applies");
        }
    }
}

/// An internet gateway kept while its VPC is removed: the `vpc:` the documents no longer give
/// is unset (detached) before the VPC's delete, which AWS refuses while it is attached.
#[test]
fn a_gateway_kept_while_its_vpc_is_removed_is_detached() {
    let g = Gen(vec![
        res(Shape::Vpc, &[], false),
        res(Shape::Gateway { vpc: 0 }, &[], false),
        res(Shape::Vpc, &[], false),
    ]);
    for parallelism in [1, 4] {
        removing(&g, &[0], parallelism).expect("applies");
    }
}

// --- fields AWS writes its own way -------------------------------------------------------------

/// `field` of `kind` written as `desired` and reported by AWS as `live`: the changes the diff
/// reports.
fn diff_one(kind: &str, field: &str, desired: Value, live: Value) -> Vec<String> {
    let kind = kind_named(kind);
    let d = Wanted::known(attrs(json!({ field: desired })));
    let l = attrs(json!({ field: live }));
    diff_fields(kind, &d, &l, None, &[])
        .into_iter()
        .map(|c| c.field)
        .collect()
}

/// Values AWS stores the same but writes back its own way show no change; values that differ
/// still do (the last rows).
#[test]
fn values_aws_writes_its_own_way_show_no_change() {
    let same = [
        (
            "ec2.security_group",
            "ingress",
            json!([{"protocol": "TCP", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/8"}]),
            json!([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/8"}]),
        ),
        (
            "ec2.security_group",
            "ingress",
            json!([{"protocol": "6", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8", "description": ""}]),
            json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}]),
        ),
        (
            "ec2.security_group",
            "egress",
            json!([{"protocol": "all", "cidr": "0.0.0.0/0"}]),
            json!([{"protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "0.0.0.0/0"}]),
        ),
        (
            "ec2.security_group",
            "ingress",
            json!([{"protocol": "icmpv6", "from_port": -1, "to_port": -1, "ipv6_cidr": "2001:DB8:0:0:0:0:0:0/64"}]),
            json!([{"protocol": "58", "from_port": -1, "to_port": -1, "ipv6_cidr": "2001:db8::/64"}]),
        ),
        (
            "ec2.route_table",
            "routes",
            json!([{"destination_ipv6_cidr_block": "2001:0DB8::/56", "gateway": "igw-1"}]),
            json!([{"destination_ipv6_cidr_block": "2001:db8::/56", "gateway": "igw-1"}]),
        ),
        (
            "ec2.prefix_list",
            "entries",
            json!([{"cidr": "2001:DB8:00AA::/48", "description": ""}, {"cidr": "10.1.0.0/16"}]),
            json!([{"cidr": "10.1.0.0/16"}, {"cidr": "2001:db8:aa::/48"}]),
        ),
        (
            "ec2.vpc_endpoint",
            "policy",
            json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"]}}),
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}]}),
        ),
    ];
    for (kind, field, d, l) in same {
        assert_eq!(
            diff_one(kind, field, d.clone(), l.clone()),
            Vec::<String>::new(),
            "{kind}.{field}: {d} vs {l}"
        );
    }
    let differ = [
        (
            "ec2.security_group",
            "ingress",
            json!([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/8"}]),
            json!([{"protocol": "udp", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/8"}]),
        ),
        (
            "ec2.prefix_list",
            "entries",
            json!([{"cidr": "2001:db8:aa::/48"}]),
            json!([{"cidr": "2001:db8:ab::/48"}]),
        ),
        (
            "ec2.vpc_endpoint",
            "policy",
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}),
            json!({"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["*"]}]}),
        ),
    ];
    for (kind, field, d, l) in differ {
        assert_eq!(
            diff_one(kind, field, d.clone(), l.clone()),
            [field],
            "{kind}.{field}: {d} vs {l}"
        );
    }
}

/// A protocol written in any case or as its number, and an IPv6 block written in any of its
/// forms, compare equal to the rule AWS reports; another port does not.
fn ipv6_written() -> impl Strategy<Value = (String, String)> {
    (any::<[u16; 8]>(), 0u8..=128, any::<bool>(), any::<bool>()).prop_map(
        |(groups, len, upper, zeros)| {
            let addr = std::net::Ipv6Addr::from(groups);
            let net = ipnet::Ipv6Net::new(addr, len)
                .expect("a prefix length up to 128")
                .trunc();
            let written: Vec<String> = net
                .addr()
                .segments()
                .iter()
                .map(|g| match (upper, zeros) {
                    (true, true) => format!("{g:04X}"),
                    (true, false) => format!("{g:X}"),
                    (false, true) => format!("{g:04x}"),
                    (false, false) => format!("{g:x}"),
                })
                .collect();
            (
                format!("{}/{}", written.join(":"), net.prefix_len()),
                net.to_string(),
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rules_compare_in_awss_form(
        (protocol, reported) in select(vec![("tcp", "tcp"), ("TCP", "tcp"), ("6", "tcp"), ("Udp", "udp"), ("17", "udp")]),
        port in 0i32..=65535,
        (written, canonical) in ipv6_written(),
        egress in any::<bool>(),
    ) {
        let field = if egress { "egress" } else { "ingress" };
        let rule = |p: &str, port: i32, block: &str| json!([{"protocol": p, "from_port": port, "to_port": port, "ipv6_cidr": block}]);
        prop_assert!(diff_one("ec2.security_group", field, rule(protocol, port, &written), rule(reported, port, &canonical)).is_empty());
        let other = if port == 0 { 1 } else { port - 1 };
        prop_assert_eq!(
            diff_one("ec2.security_group", field, rule(protocol, port, &written), rule(reported, other, &canonical)),
            vec![field.to_string()]
        );
    }
}
