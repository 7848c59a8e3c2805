//! Properties of the diff, the plan and the walk, over generated stacks.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use strata_engine::desired::{Desired, DesiredResource, LifecycleOpts};
use strata_engine::exec::op_graph;
use strata_engine::plan::{ActionKind, Mode, diff_fields, topo_order};
use strata_model::kinds;

use crate::fake::{Env, attrs};

/// A stack of VPC-kind resources where resource i may depend on any j < i (a DAG), each
/// dependency written as a tag holding `${name.id}` so the fake cloud checks the order.
fn stack(deps: &[Vec<usize>]) -> Desired {
    let vpc = kinds::find("ec2.vpc").expect("vpc kind");
    let mut resources = BTreeMap::new();
    for (i, ds) in deps.iter().enumerate() {
        let name = format!("r{i}");
        let mut tags = serde_json::Map::new();
        let mut dep_names: Vec<String> = ds.iter().map(|j| format!("r{j}")).collect();
        dep_names.sort();
        dep_names.dedup();
        for d in &dep_names {
            tags.insert(format!("dep-{d}"), Value::String(format!("${{{d}.id}}")));
        }
        resources.insert(
            name.clone(),
            DesiredResource {
                name,
                kind: vpc,
                attrs: attrs(json!({"cidr_block": format!("10.{i}.0.0/16"), "tags": tags})),
                deps: dep_names,
                soft_deps: Vec::new(),
                lifecycle: LifecycleOpts::default(),
            },
        );
    }
    Desired {
        stack: "prop".into(),
        region: "us-east-1".into(),
        resources,
        outputs: BTreeMap::new(),
    }
}

fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..12).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                if i == 0 {
                    Just(Vec::new()).boxed()
                } else {
                    proptest::collection::vec(0..i, 0..3).boxed()
                }
            })
            .collect::<Vec<_>>()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Any DAG applies in an order the cloud accepts, at any parallelism; re-planning is empty;
    /// destroy removes everything (the cloud refuses deletes of resources still referred to).
    #[test]
    fn apply_then_destroy_any_dag(deps in dag(), parallelism in 1usize..6) {
        let rt = runtime();
        rt.block_on(async {
            let env = Env::new();
            let d = stack(&deps);
            let p = env.plan(&d, Mode::Apply).await.expect("plan");
            prop_assert_eq!(p.summary.add, deps.len());
            let o = env.run(&p, parallelism).await;
            prop_assert!(o.success(), "{:?}", o.failed);
            prop_assert_eq!(env.cloud.count(), deps.len());
            let again = env.plan(&d, Mode::Apply).await.expect("plan");
            prop_assert!(!again.has_changes());
            let destroy = env.plan(&d, Mode::Destroy).await.expect("plan");
            let o = env.run(&destroy, parallelism).await;
            prop_assert!(o.success(), "{:?}", o.failed);
            prop_assert_eq!(env.cloud.count(), 0);
            Ok(())
        })?;
    }

    /// Replacing any one resource updates exactly the resources that name its id in an in-place
    /// field (their tags here), leaves the rest alone, and applies cleanly with
    /// create_before_destroy (the fake cloud, like AWS for some references, refuses to delete a
    /// resource that is still referred to).
    #[test]
    fn replacement_propagates_to_dependents(deps in dag(), pick in 0usize..12) {
        let rt = runtime();
        rt.block_on(async {
            let env = Env::new();
            let d = stack(&deps);
            env.apply(&d).await;
            let target = format!("r{}", pick % deps.len());
            let mut changed = d.clone();
            if let Some(r) = changed.resources.get_mut(&target) {
                r.attrs.insert("cidr_block".into(), json!("172.16.0.0/16"));
                r.lifecycle.create_before_destroy = true;
            }
            let p = env.plan(&changed, Mode::Apply).await.expect("plan");
            for a in &p.actions {
                let expect = if a.name == target {
                    ActionKind::Replace
                } else if changed.resources[&a.name].deps.contains(&target) {
                    ActionKind::Update
                } else {
                    ActionKind::NoOp
                };
                prop_assert_eq!(a.action, expect, "{}", a.name);
            }
            prop_assert!(op_graph(&p).is_ok());
            let o = env.run(&p, 3).await;
            prop_assert!(o.success(), "{:?}", o.failed);
            prop_assert!(!env.plan(&changed, Mode::Apply).await.expect("plan").has_changes());
            Ok(())
        })?;
    }

    /// The topological order puts every dependency first.
    #[test]
    fn topo_order_respects_edges(deps in dag()) {
        let names: Vec<String> = (0..deps.len()).map(|i| format!("r{i}")).collect();
        let map = deps.iter().enumerate().map(|(i, ds)| (format!("r{i}"), ds.iter().map(|j| format!("r{j}")).collect())).collect();
        let order = topo_order(&names, &map);
        prop_assert_eq!(order.len(), names.len());
        let pos: BTreeMap<&String, usize> = order.iter().enumerate().map(|(i, n)| (n, i)).collect();
        for (i, ds) in deps.iter().enumerate() {
            for j in ds {
                let (dep, me) = (pos[&format!("r{j}")], pos[&format!("r{i}")]);
                prop_assert!(dep < me);
            }
        }
    }

    /// The diff is empty exactly when the managed fields are equal (lists of a set field in
    /// any order), and every change names a field that differs.
    #[test]
    fn diff_is_empty_iff_equal(
        blocks in proptest::collection::vec(0u8..6, 0..4),
        shuffle in any::<bool>(),
        dns in any::<bool>(),
        live_dns in any::<bool>(),
        tags in proptest::collection::btree_map("[a-c]", "[x-z]", 0..3),
        live_tags in proptest::collection::btree_map("[a-c]", "[x-z]", 0..3),
    ) {
        let vpc = kinds::find("ec2.vpc").expect("vpc");
        let list: Vec<String> = blocks.iter().map(|b| format!("10.{b}.0.0/16")).collect();
        let mut live_list = list.clone();
        if shuffle { live_list.reverse(); }
        let desired = attrs(json!({"secondary_cidr_blocks": list, "enable_dns_support": dns, "tags": tags}));
        let live = attrs(json!({"secondary_cidr_blocks": live_list, "enable_dns_support": live_dns, "tags": live_tags}));
        let changes = diff_fields(vpc, &desired, &live, None, &[]);
        let equal = dns == live_dns && tags == live_tags;
        prop_assert_eq!(changes.is_empty(), equal);
        for c in &changes {
            prop_assert!(c.field == "enable_dns_support" || c.field == "tags");
        }
    }
}
