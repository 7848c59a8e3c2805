//! Plans for the situations a user meets: first apply, no-op, updates, replacements, drift,
//! adoption after a crash, orphans, destroy, failures.

use serde_json::json;
use strata_engine::exec::op_graph;
use strata_engine::plan::{Mode, Plan, Reason};
use strata_engine::render::{Style, render_json, render_text};

use crate::fake::{Env, desired};

const STACK: &str = r#"
stack: lab
default_tags: {Team: net}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {Name: lab}
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.0.0/24
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.1.0/24
    availability_zone: us-east-1b
outputs:
  vpc_id: ${vpc.id}
"#;

fn kinds_of(p: &Plan) -> Vec<(String, &'static str)> {
    p.actions
        .iter()
        .filter(|a| a.is_change())
        .map(|a| (a.name.clone(), a.action.verb()))
        .collect()
}

/// The labels of the plan's operations, in the order the executor's graph has them.
fn op_labels(p: &Plan) -> Vec<String> {
    op_graph(p)
        .expect("no cycle")
        .ops
        .iter()
        .map(|o| o.label.clone())
        .collect()
}

fn text(p: &Plan) -> String {
    // Ids differ between runs; the rest is stable.
    let re = |s: String| {
        let mut out = String::new();
        for word in s.split_inclusive(' ') {
            if word.starts_with("fake-") || word.starts_with("\"fake-") {
                out.push_str(if word.ends_with(' ') { "<id> " } else { "<id>" });
            } else {
                out.push_str(word);
            }
        }
        out
    };
    re(render_text(p, Style { color: false }))
}

#[tokio::test]
async fn first_plan_creates_in_dependency_order_and_second_is_empty() {
    let env = Env::new();
    let d = desired(STACK);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    assert_eq!(
        kinds_of(&p),
        vec![
            ("vpc".into(), "create"),
            ("a".into(), "create"),
            ("b".into(), "create")
        ]
    );
    insta::assert_snapshot!("first_plan", text(&p));
    let o = env.run(&p, 10).await;
    assert!(o.success());
    assert_eq!(env.cloud.count(), 3);
    let lf = env.lockfile().expect("lockfile written");
    assert_eq!(lf.resources.len(), 3);
    assert!(lf.pending.is_empty());
    assert_eq!(lf.resources["a"].dependencies, vec!["vpc".to_string()]);
    assert_eq!(lf.outputs["vpc_id"].value, json!(lf.resources["vpc"].id));
    let again = env.plan(&d, Mode::Apply).await.expect("plan");
    assert!(!again.has_changes(), "{}", text(&again));
    assert_eq!(
        text(&again),
        "No changes. The live resources match the documents.\n"
    );
}

#[tokio::test]
async fn a_tag_change_is_an_update_and_a_cidr_change_a_replacement() {
    let env = Env::new();
    env.apply(&desired(STACK)).await;
    let changed = STACK
        .replace("tags: {Name: lab}", "tags: {Name: lab2}")
        .replace("cidr_block: 10.0.1.0/24", "cidr_block: 10.0.2.0/24");
    let p = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect("plan");
    assert_eq!(
        kinds_of(&p),
        vec![("vpc".into(), "update"), ("b".into(), "replace")]
    );
    insta::assert_snapshot!("update_and_replace", text(&p));
    let old_b = env.cloud.find("b").expect("b").id;
    env.run_ok(&p, 10).await;
    let new_b = env.cloud.find("b").expect("b");
    assert_ne!(new_b.id, old_b);
    assert_eq!(new_b.attrs["cidr_block"], json!("10.0.2.0/24"));
    assert_eq!(
        env.cloud.find("vpc").expect("vpc").attrs["tags"]["Name"],
        json!("lab2")
    );
    assert!(env.converged(&desired(&changed)).await);
}

#[tokio::test]
async fn replacing_a_vpc_replaces_its_subnets_in_a_safe_order() {
    let env = Env::new();
    env.apply(&desired(STACK)).await;
    let changed = STACK.replace("10.0.0.0/16", "10.0.0.0/20");
    let p = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect("plan");
    let a = p.actions.iter().find(|a| a.name == "a").expect("a");
    assert_eq!(a.action.verb(), "replace");
    assert_eq!(a.reason, Reason::DependencyReplaced);
    env.run_ok(&p, 10).await;
    assert_eq!(env.cloud.count(), 3);
    assert!(env.converged(&desired(&changed)).await);
}

#[tokio::test]
async fn create_before_destroy_keeps_the_old_copy_until_the_new_one_exists() {
    let env = Env::new();
    let with_cbd = STACK.replace(
        "    availability_zone: us-east-1b\n",
        "    availability_zone: us-east-1b\n    lifecycle: {create_before_destroy: true}\n",
    );
    env.apply(&desired(&with_cbd)).await;
    let changed = with_cbd.replace("10.0.1.0/24", "10.0.3.0/24");
    let p = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect("plan");
    let labels = op_labels(&p);
    assert!(labels.contains(&"create b".to_string()) && labels.contains(&"delete b".to_string()));
    env.run_ok(&p, 1).await;
    let calls = env.cloud.state().calls.clone();
    let create = calls.iter().position(|c| c == "create b").expect("created");
    let delete = calls.iter().position(|c| c == "delete b").expect("deleted");
    assert!(create < delete, "{calls:?}");
    let lf = env.lockfile().expect("lockfile");
    assert!(
        lf.deposed.is_empty(),
        "the old copy is gone: {:?}",
        lf.deposed
    );
}

#[tokio::test]
async fn deleted_outside_strata_is_drift_and_is_recreated() {
    let env = Env::new();
    let d = desired(STACK);
    env.apply(&d).await;
    let a = env.cloud.find("a").expect("a");
    env.cloud.state().resources.remove(&a.id);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let act = p.actions.iter().find(|x| x.name == "a").expect("a");
    assert_eq!(
        (act.action.verb(), act.reason),
        ("create", Reason::DeletedOutside)
    );
    assert!(text(&p).contains("was deleted outside strata and will be created again"));
    env.run(&p, 10).await;
    assert!(env.cloud.find("a").is_some());
    assert!(env.converged(&d).await);
}

#[tokio::test]
async fn a_live_change_is_drift_and_apply_reverts_it() {
    let env = Env::new();
    let d = desired(STACK);
    env.apply(&d).await;
    let id = env.cloud.find("vpc").expect("vpc").id;
    env.cloud
        .state()
        .resources
        .get_mut(&id)
        .expect("vpc")
        .attrs
        .insert("tags".into(), json!({"Name": "hacked", "Team": "net"}));
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let act = p.actions.iter().find(|x| x.name == "vpc").expect("vpc");
    assert_eq!((act.action.verb(), act.reason), ("update", Reason::Drift));
    assert!(act.changes[0].drift);
    insta::assert_snapshot!("drift", text(&p));
    env.run(&p, 10).await;
    assert_eq!(
        env.cloud.find("vpc").expect("vpc").attrs["tags"]["Name"],
        json!("lab")
    );
}

#[tokio::test]
async fn ignore_changes_hides_a_field() {
    let env = Env::new();
    let src = STACK.replace(
        "    tags: {Name: lab}\n",
        "    tags: {Name: lab}\n    lifecycle: {ignore_changes: [tags.Owner]}\n",
    );
    let d = desired(&src);
    env.apply(&d).await;
    let id = env.cloud.find("vpc").expect("vpc").id;
    env.cloud
        .state()
        .resources
        .get_mut(&id)
        .expect("vpc")
        .attrs
        .insert(
            "tags".into(),
            json!({"Name": "lab", "Team": "net", "Owner": "finance"}),
        );
    assert!(env.converged(&d).await);
}

#[tokio::test]
async fn resources_found_by_tag_are_adopted_not_created_twice() {
    let env = Env::new();
    let d = desired(STACK);
    env.apply(&d).await;
    // Lose the records (as after a crash between the calls and their records).
    env.lose_records();
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    assert!(
        p.actions.iter().all(|a| a.action.verb() == "adopt"),
        "{}",
        text(&p)
    );
    assert_eq!(p.summary.adopt, 3);
    env.run(&p, 10).await;
    assert_eq!(env.cloud.count(), 3);
    assert_eq!(env.lockfile().expect("lockfile").resources.len(), 3);
    assert!(env.converged(&d).await);
}

#[tokio::test]
async fn removed_and_orphaned_resources_are_deleted_dependents_first() {
    let env = Env::new();
    env.apply(&desired(STACK)).await;
    let only_vpc = "stack: lab\ndefault_tags: {Team: net}\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {Name: lab}\n";
    // Subnet `a` loses its lockfile entry: it is now an orphan carrying the stack tag.
    let mut lf = env.lockfile().expect("lockfile");
    lf.resources.remove("a");
    strata_engine::lockfile::write(&env.lock_path(), &mut lf).expect("write");
    let p = env
        .plan(&desired(only_vpc), Mode::Apply)
        .await
        .expect("plan");
    let reasons: Vec<(String, Reason)> = p
        .actions
        .iter()
        .filter(|a| a.is_change())
        .map(|a| (a.name.clone(), a.reason))
        .collect();
    assert!(
        reasons.contains(&("a".into(), Reason::Orphan)),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("b".into(), Reason::Removed)),
        "{reasons:?}"
    );
    env.run_ok(&p, 10).await;
    assert_eq!(env.cloud.count(), 1);
}

#[tokio::test]
async fn destroy_removes_everything_in_reverse_order() {
    let env = Env::new();
    let d = desired(STACK);
    env.apply(&d).await;
    let p = env.plan(&d, Mode::Destroy).await.expect("plan");
    assert_eq!(p.summary.destroy, 3);
    insta::assert_snapshot!("destroy", text(&p));
    env.run_ok(&p, 10).await;
    assert_eq!(env.cloud.count(), 0);
    assert!(env.lockfile().expect("lockfile").resources.is_empty());
}

#[tokio::test]
async fn prevent_destroy_refuses_plans_that_would_delete() {
    let env = Env::new();
    let src = STACK.replace(
        "    tags: {Name: lab}\n",
        "    tags: {Name: lab}\n    lifecycle: {prevent_destroy: true}\n",
    );
    env.apply(&desired(&src)).await;
    let err = env
        .plan(&desired(&src), Mode::Destroy)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("prevent_destroy"), "{err}");
    let replaced = src.replace("10.0.0.0/16", "10.0.0.0/20");
    assert!(env.plan(&desired(&replaced), Mode::Apply).await.is_err());
    // Removing the resource from the documents does not remove the protection.
    let gone = "stack: lab\nresources: {}\n";
    assert!(env.plan(&desired(gone), Mode::Apply).await.is_err());
}

#[tokio::test]
async fn a_failure_skips_dependents_and_finishes_independent_branches() {
    let env = Env::new();
    let src = STACK.replace(
        "outputs:\n  vpc_id: ${vpc.id}\n",
        "  other:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n",
    );
    env.cloud.state().fail_create.push("vpc".into());
    let d = desired(&src);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let o = env.run(&p, 2).await;
    assert_eq!(o.failed.len(), 1, "only the root cause is a failure");
    assert_eq!(o.failed[0].0, "create vpc");
    assert_eq!(o.skipped.len(), 2);
    assert!(
        env.cloud.find("other").is_some(),
        "the independent VPC was created"
    );
    let lf = env.lockfile().expect("saved");
    assert!(lf.resources.contains_key("other"));
    assert!(
        lf.pending.is_empty(),
        "a refused create leaves no pending record"
    );
}

#[tokio::test]
async fn plans_round_trip_through_json() {
    let env = Env::new();
    let p = env.plan(&desired(STACK), Mode::Apply).await.expect("plan");
    let back: Plan = serde_json::from_str(&render_json(&p)).expect("parse");
    assert_eq!(back, p);
}

const GROUPS: &str = r#"
stack: lab
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
  web:
    kind: ec2.security_group
    vpc: vpc
    name: web
    description: web servers
    ingress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0}
      - {protocol: tcp, port: 8080, security_group: app}
      - {protocol: tcp, port: 22, security_group: self}
  app:
    kind: ec2.security_group
    vpc: vpc
    name: app
    description: app servers
    ingress:
      - {protocol: tcp, port: 8080, security_group: web}
"#;

#[tokio::test]
async fn groups_naming_each_other_are_created_and_destroyed() {
    let env = Env::new();
    let d = desired(GROUPS);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let labels = op_labels(&p);
    assert!(labels.contains(&"finish web".to_string()), "{labels:?}");
    assert!(labels.contains(&"finish app".to_string()), "{labels:?}");
    env.run_ok(&p, 4).await;
    let web = env.cloud.find("web").expect("web");
    let app = env.cloud.find("app").expect("app");
    let rules = web.attrs["ingress"].as_array().expect("rules").clone();
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(rules.iter().any(|r| r["security_group"] == json!(app.id)));
    assert!(rules.iter().any(|r| r["security_group"] == "self"));
    let lf = env.lockfile().expect("lockfile");
    assert_eq!(
        lf.resources["web"].soft_dependencies,
        vec!["app".to_string()]
    );
    assert_eq!(
        lf.resources["web"].attributes["ingress"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let again = env.plan(&d, Mode::Apply).await.expect("plan");
    assert!(!again.has_changes(), "{}", text(&again));

    // Both can be destroyed: the rules naming the other group go first.
    let p = env.plan(&d, Mode::Destroy).await.expect("plan");
    let labels = op_labels(&p);
    assert!(
        labels.contains(&"unlink web".to_string()) && labels.contains(&"unlink app".to_string()),
        "{labels:?}"
    );
    env.run_ok(&p, 4).await;
    assert_eq!(env.cloud.count(), 0);
}

#[tokio::test]
async fn replacing_a_group_another_group_names_rewires_the_rule() {
    let env = Env::new();
    env.apply(&desired(GROUPS)).await;
    let old_app = env.cloud.find("app").expect("app").id;
    let changed = GROUPS.replace(
        "description: app servers",
        "description: application servers",
    );
    let d = desired(&changed);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let kinds: Vec<(String, &'static str)> = p
        .actions
        .iter()
        .filter(|a| a.is_change())
        .map(|a| (a.name.clone(), a.action.verb()))
        .collect();
    assert!(kinds.contains(&("app".into(), "replace")), "{kinds:?}");
    assert!(kinds.contains(&("web".into(), "update")), "{kinds:?}");
    env.run_ok(&p, 4).await;
    let app = env.cloud.find("app").expect("app");
    assert_ne!(app.id, old_app);
    let web = env.cloud.find("web").expect("web");
    assert!(
        web.attrs["ingress"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|r| r["security_group"] == json!(app.id))
    );
    assert!(env.converged(&d).await);
}

#[tokio::test]
async fn a_failed_apply_resumes_without_repeating_what_it_did() {
    let env = Env::new();
    let src = STACK.replace(
        "outputs:\n  vpc_id: ${vpc.id}\n",
        "  other:\n    kind: ec2.vpc\n    cidr_block: 10.1.0.0/16\n",
    );
    env.cloud.state().fail_create.push("a".into());
    let d = desired(&src);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let o = env.run(&p, 2).await;
    assert_eq!(o.failed.len(), 1);

    // The cause is fixed; the same plan resumes.
    env.cloud.state().fail_create.clear();
    let lf = env.lockfile().expect("saved");
    assert!(strata_engine::resume::is_resumable(&p, &lf));
    let live = live_of(&env, &p, &lf).await;
    strata_engine::resume::check(&p, &lf, &live).expect("resumable");
    env.cloud.state().calls.clear();
    env.run_ok(&p, 2).await;
    let creates: Vec<String> = env
        .cloud
        .state()
        .calls
        .iter()
        .filter(|c| c.starts_with("create"))
        .cloned()
        .collect();
    assert_eq!(creates, ["create a"], "only what was not done runs");
    let lf = env.lockfile().expect("saved");
    assert_eq!(
        strata_engine::resume::check(&p, &lf, &live_of(&env, &p, &lf).await),
        Err(strata_engine::resume::ResumeError::Finished)
    );
    assert!(env.converged(&d).await);
}

#[tokio::test]
async fn a_resume_is_refused_when_the_live_state_changed() {
    let env = Env::new();
    env.cloud.state().fail_create.push("b".into());
    let d = desired(STACK);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    env.run(&p, 1).await;
    env.cloud.state().fail_create.clear();
    // Someone retags the VPC strata made.
    let vpc = env.cloud.find("vpc").expect("vpc").id;
    env.cloud
        .state()
        .resources
        .get_mut(&vpc)
        .expect("vpc")
        .attrs
        .insert("tags".into(), json!({"Name": "changed"}));
    let lf = env.lockfile().expect("saved");
    let err =
        strata_engine::resume::check(&p, &lf, &live_of(&env, &p, &lf).await).expect_err("refused");
    assert!(err.to_string().contains("vpc"), "{err}");
    assert!(err.to_string().contains("tags"), "{err}");
}

async fn live_of(
    env: &Env,
    p: &Plan,
    lf: &strata_engine::lockfile::Lockfile,
) -> Vec<strata_engine::provider::LiveResource> {
    let reqs = strata_engine::read::plan_requests(p, lf);
    strata_engine::read::read_live(&env.cloud, &p.stack, &reqs, Some(lf))
        .await
        .expect("read")
}

/// Found in the crash-at-every-point test: after a crash that lost both records, two groups
/// that name each other are adopted; each adoption needs the other's id before the other's
/// adoption is recorded.
#[tokio::test]
async fn groups_naming_each_other_are_adopted_after_a_crash() {
    let env = Env::new();
    let d = desired(GROUPS);
    env.apply(&d).await;
    env.lose_records();
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    assert_eq!(
        kinds_of(&p),
        [
            ("vpc".to_string(), "adopt"),
            ("app".to_string(), "adopt"),
            ("web".to_string(), "adopt")
        ],
        "{}",
        text(&p)
    );
    env.run_ok(&p, 4).await;
    assert!(env.converged(&d).await);
}

/// Create-before-destroy on a subnet reaches its VPC when both are replaced (the VPC deleted
/// first would make a cycle: the old subnet goes before the old VPC, the new VPC before the new
/// subnet, the new subnet before the old one's delete). The plan says so, and AWS's order
/// holds: new VPC, new subnet, old subnet, old VPC.
#[tokio::test]
async fn create_before_destroy_reaches_the_resources_it_depends_on() {
    let env = Env::new();
    let with_cbd = STACK.replace(
        "    availability_zone: us-east-1b\n",
        "    availability_zone: us-east-1b\n    lifecycle: {create_before_destroy: true}\n",
    );
    env.apply(&desired(&with_cbd)).await;
    let changed = with_cbd.replace("10.0.0.0/16", "10.0.0.0/20");
    let p = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect("plan");
    let mode = |n: &str| {
        let a = p.actions.iter().find(|a| a.name == n).expect("action");
        (
            a.action.verb(),
            a.replace_mode(),
            a.replacement().and_then(|r| r.replace_mode_from.clone()),
        )
    };
    use strata_engine::plan::ReplaceMode::{CreateBeforeDelete, DeleteBeforeCreate};
    assert_eq!(
        mode("vpc"),
        ("replace", Some(CreateBeforeDelete), Some("b".into()))
    );
    assert_eq!(mode("b"), ("replace", Some(CreateBeforeDelete), None));
    assert_eq!(mode("a"), ("replace", Some(DeleteBeforeCreate), None));
    insta::assert_snapshot!("create_before_destroy_reaches_dependencies", text(&p));
    env.run_ok(&p, 1).await;
    let calls = env.cloud.state().calls.clone();
    let at = |c: &str| calls.iter().position(|x| x == c).expect(c);
    assert!(at("create vpc") < at("create b"), "{calls:?}");
    assert!(at("create b") < at("delete b"), "{calls:?}");
    assert!(at("delete b") < at("delete vpc"), "{calls:?}");
    assert_eq!(env.cloud.count(), 3);
    assert!(env.lockfile().expect("lockfile").deposed.is_empty());
    assert!(env.converged(&desired(&changed)).await);
}

/// A security group whose new copy would keep the old one's VPC and name cannot be created
/// first: AWS refuses two groups of one name in a VPC. The plan is refused, naming whose
/// create_before_destroy asked for it and what to change; renaming the group lets it through.
#[tokio::test]
async fn create_before_destroy_that_aws_refuses_is_refused_by_the_plan() {
    let env = Env::new();
    let src = GROUPS.replace(
        "    description: app servers\n",
        "    description: app servers\n    lifecycle: {create_before_destroy: true}\n",
    );
    env.apply(&desired(&src)).await;
    let changed = src.replace("app servers", "application servers");
    let err = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "`app` must be replaced with the new copy created first (lifecycle.create_before_destroy), \
         but the new copy keeps the old one's `vpc` and `name`, and AWS refuses two \
         ec2.security_group with the same `vpc` and `name` at once"
    );
    assert_eq!(
        err.help().as_deref(),
        Some(
            "give `app` a `name_prefix` instead of its `name` (strata completes it with a suffix \
             of its own, new for each copy), or change `vpc` or `name` of `app` so that both \
             copies can exist for a while, or remove lifecycle.create_before_destroy from `app`"
        )
    );
    // Renamed, it is replaced new copy first; `web`, which names it, moves its rule to the new
    // copy before the old one goes, and is never without it (no unlink).
    let renamed = changed.replace("name: app\n", "name: app-2\n");
    let p = env
        .plan(&desired(&renamed), Mode::Apply)
        .await
        .expect("plan");
    let labels = op_labels(&p);
    assert!(labels.contains(&"finish web".to_string()), "{labels:?}");
    assert!(!labels.contains(&"unlink web".to_string()), "{labels:?}");
    env.cloud.state().calls.clear();
    env.run_ok(&p, 4).await;
    assert!(
        env.cloud.dangling().is_empty(),
        "{:?}",
        env.cloud.dangling()
    );
    let calls = env.cloud.state().calls.clone();
    let at = |c: &str| calls.iter().position(|x| x == c).expect(c);
    assert!(at("create app") < at("update web"), "{calls:?}");
    assert!(at("update web") < at("delete app"), "{calls:?}");

    // Create-before-destroy reaching the group from a subnet whose tags name it.
    let env = Env::new();
    let src = format!(
        "{GROUPS}  sub:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.9.0/24\n    \
         tags: {{App: \"${{app.id}}\"}}\n    lifecycle: {{create_before_destroy: true}}\n"
    );
    env.apply(&desired(&src)).await;
    let changed = src
        .replace("app servers", "application servers")
        .replace("10.0.9.0/24", "10.0.8.0/24");
    let err = env
        .plan(&desired(&changed), Mode::Apply)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("(create_before_destroy of `sub`, which depends on it)"),
        "{err}"
    );
    assert!(
        err.help()
            .is_some_and(|h| h.ends_with("remove lifecycle.create_before_destroy from `sub`")),
        "{err:?}"
    );
}

/// A field the documents stop giving: an internet gateway's `vpc` means "detached" when left
/// out, so the gateway is detached (before its VPC's delete, which AWS refuses while it is
/// attached); a security group's `egress` left out is AWS's, and is left as it is.
#[tokio::test]
async fn a_field_left_out_is_unset_or_kept_as_its_table_says() {
    let env = Env::new();
    let src = "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n  \
               gw:\n    kind: ec2.internet_gateway\n    vpc: vpc\n  \
               sg:\n    kind: ec2.security_group\n    vpc: vpc\n    name: sg\n    description: sg\n    \
               egress: [{protocol: all, cidr: 0.0.0.0/0}]\n";
    env.apply(&desired(src)).await;
    // Without egress: nothing to do.
    let no_egress = src.replace("    egress: [{protocol: all, cidr: 0.0.0.0/0}]\n", "");
    let p = env
        .plan(&desired(&no_egress), Mode::Apply)
        .await
        .expect("plan");
    assert!(!p.has_changes(), "{}", text(&p));
    // Without the VPC (and the group in it): the gateway is detached, then the VPC deleted.
    let gw_only = "stack: lab\nresources:\n  gw:\n    kind: ec2.internet_gateway\n";
    let p = env
        .plan(&desired(gw_only), Mode::Apply)
        .await
        .expect("plan");
    let gw = p.actions.iter().find(|a| a.name == "gw").expect("gw");
    assert_eq!(gw.action.verb(), "update");
    assert_eq!(gw.changes.len(), 1);
    assert_eq!(gw.changes[0].field, "vpc");
    assert_eq!(gw.changes[0].after, None);
    insta::assert_snapshot!("a_field_left_out_is_unset", text(&p));
    env.run_ok(&p, 4).await;
    let gw = env.cloud.find("gw").expect("kept");
    assert!(!gw.attrs.contains_key("vpc"), "{:?}", gw.attrs);
    assert_eq!(env.cloud.count(), 1);
    assert!(env.converged(&desired(gw_only)).await);
}

/// A literal `${…}` (written `$${…}` in a document, or a variable's value, which is data) is
/// known text in a plan, not "known after apply"; in a value that also holds a reference
/// known only after apply, it is still shown as text, and not as a change when it is not one.
#[tokio::test]
async fn literal_templates_are_known_text_in_plans() {
    let env = Env::new();
    // The subnet's note comes from a variable, whose value is data.
    let src = "stack: lab\nvariables:\n  note: {default: \"${x.y}\"}\nresources:\n  vpc:\n    \
               kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {Note: \"$${vpc.id}\"}\n  \
               a:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.0.0/24\n    \
               tags: {Of: \"${vpc.id}\", Note: \"cost ${var.note}\"}\n";
    let d = desired(src);
    let p = env.plan(&d, Mode::Apply).await.expect("plan");
    let change = |name: &str, field: &str| {
        p.actions
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.changes.iter().find(|c| c.field == field))
            .cloned()
            .expect("change")
    };
    let tags = change("vpc", "tags");
    assert!(!tags.unknown);
    assert_eq!(tags.after, Some(json!({"Note": "${vpc.id}"})));
    let tags = change("a", "tags");
    assert!(tags.unknown);
    assert_eq!(
        tags.after,
        Some(json!({"Of": "${vpc.id}", "Note": "cost $${x.y}"}))
    );
    let shown = text(&p);
    assert!(shown.contains(r#"Note = "${vpc.id}""#), "{shown}");
    assert!(shown.contains(r#"Note = "cost ${x.y}""#), "{shown}");
    assert!(
        shown.contains("Of   = (known after apply: vpc.id)"),
        "{shown}"
    );
    env.run(&p, 2).await;
    let vpc = env.cloud.find("vpc").expect("vpc");
    assert_eq!(vpc.attrs["tags"]["Note"], json!("${vpc.id}"));
    assert!(env.converged(&d).await);
    // The VPC replaced: the subnet's tags are known only after apply, and the literal among
    // them, unchanged, is not shown as a change.
    let p = env
        .plan(
            &desired(&src.replace("10.0.0.0/16", "10.0.0.0/20")),
            Mode::Apply,
        )
        .await
        .expect("plan");
    let shown = text(&p);
    assert!(
        shown.contains("~ Of   = <id> (vpc) -> (known after apply: vpc.id)"),
        "{shown}"
    );
    assert!(!shown.contains("Note = \"cost"), "{shown}");
    // Changed to another literal: an update whose value is known.
    let p = env
        .plan(&desired(&src.replace("$${vpc.id}", "$${a.b}")), Mode::Apply)
        .await
        .expect("plan");
    let c = &p
        .actions
        .iter()
        .find(|a| a.name == "vpc")
        .expect("vpc")
        .changes[0];
    assert!(!c.unknown);
    let shown = text(&p);
    assert!(
        shown.contains(r#"Note = "${vpc.id}" -> "${a.b}""#),
        "{shown}"
    );
}
