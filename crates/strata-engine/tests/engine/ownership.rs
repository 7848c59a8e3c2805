//! Ownership: a lockfile acts only on the resources its own runs created. Resources carrying the
//! stack's tags that another lockfile created (a second directory on the same stack, a lost
//! lockfile) or that were tagged by hand stop the plan, until `--adopt-foreign` takes them over.

use serde_json::{Value, json};
use strata_engine::plan::{Mode, PlanError, Reason};
use strata_engine::provider::{LINEAGE_TAG, LiveResource, NAME_TAG, STACK_TAG};
use strata_engine::render::{Style, render_json, render_text};

use crate::fake::{Env, attrs, desired};

const FIRST: &str = r#"
stack: shared
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {Name: first}
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.0.0/24
    availability_zone: us-east-1a
"#;

const SECOND: &str = r#"
stack: shared
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {Name: first}
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.0.1.0/24
    availability_zone: us-east-1b
  other:
    kind: ec2.vpc
    cidr_block: 10.9.0.0/16
"#;

fn foreign(e: PlanError) -> strata_engine::plan::Foreign {
    match e {
        PlanError::Foreign(f) => f,
        other => panic!("expected resources of another lockfile, got {other}"),
    }
}

fn text(p: &strata_engine::plan::Plan, lineage: &str) -> String {
    render_text(p, Style { color: false })
        .split_inclusive(' ')
        .map(|w| {
            if w.starts_with("fake-") || w.starts_with("\"fake-") {
                if w.ends_with(' ') { "<id> " } else { "<id>" }
            } else {
                w
            }
        })
        .collect::<String>()
        .replace(lineage, "<lineage>")
}

#[tokio::test]
async fn a_second_lockfile_on_the_stack_is_refused_and_nothing_is_deleted() {
    let first = Env::new();
    first.apply(&desired(FIRST)).await;
    let lineage = first.lockfile().expect("lockfile").lineage;
    let second = first.sharing_cloud();
    let d = desired(SECOND);

    // Before its first apply, and after it (the second directory's own VPC exists then).
    let e = foreign(second.plan(&d, Mode::Apply).await.expect_err("refused"));
    assert_eq!(e.lineage, None);
    assert_eq!(e.resources.len(), 2, "{e}");
    let msg = e.to_string();
    for part in [
        "stack `shared`",
        "vpc (ec2.vpc fake-1)",
        "a (ec2.subnet fake-2)",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    assert!(msg.contains(&format!("lineage {lineage}")), "{msg}");
    let e = foreign(
        second
            .plan(&d, Mode::Destroy)
            .await
            .expect_err("destroy refused"),
    );
    assert_eq!(e.resources.len(), 2);
    assert_eq!(first.cloud.count(), 2, "nothing was deleted");

    // Taken over explicitly: adopted where the documents name them, the rest deleted, and
    // the ownership tags set to the new lockfile's lineage.
    let p = second
        .plan_with(&d, Mode::Apply, true)
        .await
        .expect("taken over");
    let act = |n: &str| {
        p.actions
            .iter()
            .find(|a| a.name == n)
            .map(|a| (a.action.verb(), a.reason))
    };
    assert_eq!(act("vpc"), Some(("adopt", Reason::FoundByTag)));
    assert_eq!(act("a"), Some(("delete", Reason::Orphan)));
    assert_eq!(act("b"), Some(("create", Reason::New)));
    assert_eq!(act("other"), Some(("create", Reason::New)));
    let vpc = p.actions.iter().find(|a| a.name == "vpc").expect("vpc");
    assert_eq!(
        vpc.changes[0]
            .after
            .as_ref()
            .map(|t| t[LINEAGE_TAG].clone()),
        Some(json!("${lockfile.lineage}")),
        "the new lockfile's lineage is known after apply"
    );
    let o = second.run(&p, 4).await;
    assert!(o.success(), "{:?}", o.failed);
    let mine = second.lockfile().expect("lockfile").lineage;
    assert_eq!(
        first.cloud.find("vpc").expect("vpc").lineage.as_deref(),
        Some(mine.as_str()),
        "retagged with the new owner's lineage"
    );
    assert!(second.converged(&d).await);

    // The first lockfile still records the VPC, but another lockfile owns it now (and the
    // second directory's own VPC is not the first's either).
    let e = foreign(
        first
            .plan(&desired(FIRST), Mode::Apply)
            .await
            .expect_err("taken over"),
    );
    assert_eq!(e.lineage.as_deref(), Some(lineage.as_str()));
    let names: Vec<&str> = e.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["vpc", "b", "other"], "{e}");
    assert!(
        e.resources
            .iter()
            .all(|r| r.lineage.as_deref() == Some(mine.as_str()))
    );
}

#[tokio::test]
async fn a_resource_tagged_by_hand_is_foreign_and_not_deleted() {
    let env = Env::new();
    let d = desired(FIRST);
    env.apply(&d).await;
    // Someone copies a strata resource's stack and name tags onto another VPC.
    let mut hand = LiveResource::new("ec2.vpc", "vpc-by-hand", attrs(json!({"tags": {}})));
    hand.stack = Some("shared".into());
    hand.name = Some("copied".into());
    env.cloud
        .state()
        .resources
        .insert(hand.id.clone(), hand.clone());
    let e = foreign(env.plan(&d, Mode::Apply).await.expect_err("refused"));
    assert_eq!(e.resources.len(), 1);
    assert_eq!(e.resources[0].id, "vpc-by-hand");
    assert_eq!(e.resources[0].lineage, None);
    assert!(
        e.to_string()
            .contains("no lineage tag: copied (ec2.vpc vpc-by-hand)"),
        "{e}"
    );
    assert!(env.plan(&d, Mode::Destroy).await.is_err());
    assert_eq!(env.cloud.count(), 3);
}

#[tokio::test]
async fn a_crash_of_this_lockfile_is_still_recovered_by_the_tags() {
    let env = Env::new();
    let d = desired(FIRST);
    env.apply(&d).await;
    env.lose_records();
    let p = env
        .plan(&d, Mode::Apply)
        .await
        .expect("this lockfile's own");
    assert!(
        p.actions
            .iter()
            .all(|a| a.action.verb() == "adopt" && a.changes.is_empty()),
        "{p:?}"
    );
}

#[tokio::test]
async fn a_lost_lockfile_makes_its_resources_foreign_and_adopt_foreign_takes_them_back() {
    let env = Env::new();
    let d = desired(FIRST);
    env.apply(&d).await;
    std::fs::remove_file(env.lock_path()).expect("lose the lockfile");
    let e = foreign(env.plan(&d, Mode::Apply).await.expect_err("refused"));
    assert_eq!((e.lineage, e.resources.len()), (None, 2));
    let p = env
        .plan_with(&d, Mode::Apply, true)
        .await
        .expect("taken back");
    assert_eq!(p.summary.adopt, 2);
    assert_eq!(p.summary.destroy, 0);
    env.run_ok(&p, 4).await;
    assert_eq!(env.cloud.count(), 2, "adopted, not created again");
    assert!(env.converged(&d).await);
}

/// Ownership tags removed outside strata from a resource the lockfile records: it stays its
/// own, and the plan shows the tags it puts back (before, only an empty `tags = { }` showed,
/// and the JSON had equal before and after).
#[tokio::test]
async fn removed_ownership_tags_are_shown_put_back() {
    let env = Env::new();
    let d = desired(FIRST);
    env.apply(&d).await;
    let lineage = env.lockfile().expect("lockfile").lineage;
    let id = env.cloud.find("vpc").expect("vpc").id;
    {
        let mut s = env.cloud.state();
        let r = s.resources.get_mut(&id).expect("vpc");
        r.stack = None;
        r.name = None;
        r.lineage = None;
    }
    let p = env.plan(&d, Mode::Apply).await.expect("still ours");
    let vpc = p.actions.iter().find(|a| a.name == "vpc").expect("vpc");
    assert_eq!((vpc.action.verb(), vpc.reason), ("update", Reason::Drift));
    let tags = &vpc.changes[0];
    assert_eq!(tags.field, "tags");
    assert_ne!(tags.before, tags.after);
    let after = tags.after.as_ref().expect("after");
    assert_eq!(after[STACK_TAG], json!("shared"));
    assert_eq!(after[NAME_TAG], json!("vpc"));
    assert_eq!(after[LINEAGE_TAG], json!(lineage));
    let plan_json: Value = serde_json::from_str(&render_json(&p)).expect("json");
    let change = &plan_json["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "vpc"))
        .expect("vpc")["changes"][0];
    assert_ne!(change["before"], change["after"], "{change}");
    insta::assert_snapshot!("ownership_tags_put_back", text(&p, &lineage));
    env.run_ok(&p, 4).await;
    let vpc = env.cloud.find("vpc").expect("retagged");
    assert_eq!(vpc.lineage.as_deref(), Some(lineage.as_str()));
    assert!(env.converged(&d).await);
}
