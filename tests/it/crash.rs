//! A process killed with SIGKILL right after a create call never leads to a second copy.

use crate::support::{Stack, changes, stderr, subnets_of, vpcs_of};

#[tokio::test]
async fn killed_right_after_creating_the_vpc_then_reapplied_creates_no_second_vpc() {
    let s = Stack::example("cookbook-1.2-subnets");
    // The first mutating call is CreateVpc; die the moment it returns.
    let out = s
        .command(&["apply", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        None,
        "killed by a signal: {}",
        stderr(&out)
    );
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "the VPC was created");
    let lock = s.lockfile();
    assert!(
        lock["resources"].get("vpc").is_none(),
        "the kill came before strata recorded it"
    );
    assert_eq!(
        lock["pending"][0]["name"], "vpc",
        "the create was journaled: {lock}"
    );

    // The next plan finds it by its tags and adopts it.
    let plan = s.plan_json(&[]);
    let c = changes(&plan);
    assert!(
        c.contains(&("vpc".to_string(), "adopt".to_string())),
        "{c:?}"
    );
    let vpc = plan["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "vpc"))
        .expect("vpc");
    assert_eq!(vpc["reason"], "interrupted_create");

    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "still exactly one VPC");
    assert_eq!(subnets_of(&s.name).await.len(), 2);
    assert!(s.lockfile()["pending"].is_null());
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(vpcs_of(&s.name).await.is_empty());
}
