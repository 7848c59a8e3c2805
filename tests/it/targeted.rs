//! Targeted and forced changes (issue 18): `--target`, `--replace`, `--refresh-only`,
//! `import`, `state rm` and `state mv`, each applied on the emulator and checked there with the
//! SDK and in the lockfile. Small stacks (VPCs and a subnet): a few seconds each.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::support::{
    Stack, TestBed, changes, ec2, ec2_at, mutations, pairs, reasons, stderr, stdout, subnets_of,
    tag, vpc, vpcs_of,
};

const STACK: &str = "stack: STACK
region: us-east-1
resources:
  net:
    kind: ec2.vpc
    cidr_block: 10.70.0.0/24
    tags: {Env: test}
  a:
    kind: ec2.subnet
    vpc: net
    cidr_block: 10.70.0.0/26
    availability_zone: us-east-1a
  other:
    kind: ec2.vpc
    cidr_block: 10.71.0.0/24
";

/// The names the lockfile records, sorted.
fn recorded(s: &Stack) -> Vec<String> {
    let lf = s.lockfile();
    lf["resources"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Whether the emulator holds a subnet with this id.
async fn subnet_exists(id: &str) -> bool {
    ec2()
        .await
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .is_ok_and(|o| !o.subnets().is_empty())
}

#[tokio::test]
async fn target_applies_the_target_and_what_it_depends_on_and_destroys_what_depends_on_it() {
    let s = Stack::new("target", STACK);
    let out = s.run(&["plan", "--target", "aa"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean `a`?"),
        "an unknown target names the close one: {}",
        stderr(&out)
    );

    let out = s.expect(0, &["apply", "--auto-approve", "--target", "a"]);
    assert!(
        stderr(&out).contains("this plan is partial")
            && stderr(&out).contains("1 change to another resource is left out"),
        "a targeted plan warns that it is partial: {}",
        stderr(&out)
    );
    assert_eq!(
        recorded(&s),
        ["a", "net"],
        "the target and its VPC, not `other`"
    );
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "one VPC made");
    assert_eq!(subnets_of(&s.name).await.len(), 1);

    // A saved targeted plan applies only its targets.
    s.expect(0, &["plan", "--target", "other", "--out", "p.json"]);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path().join("p.json")).expect("saved plan"))
            .expect("JSON");
    assert_eq!(saved["scope"]["targets"], serde_json::json!(["other"]));
    s.expect(0, &["apply", "p.json"]);
    assert_eq!(recorded(&s), ["a", "net", "other"]);
    assert_eq!(vpcs_of(&s.name).await.len(), 2);

    // Destroying a target destroys what depends on it first, and nothing else.
    s.expect(0, &["destroy", "--auto-approve", "--target", "net"]);
    assert_eq!(recorded(&s), ["other"]);
    assert_eq!(subnets_of(&s.name).await.len(), 0);
    let left = vpcs_of(&s.name).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].vpc_id(), Some(s.id_of("other").as_str()));
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[tokio::test]
async fn replace_makes_a_new_copy_without_a_diff() {
    let s = Stack::new("replace", STACK);
    s.expect(0, &["apply", "--auto-approve"]);
    let (net, a) = (s.id_of("net"), s.id_of("a"));

    let plan = s.plan_json(&["--replace", "a"]);
    assert_eq!(changes(&plan), pairs(&[("a", "replace")]));
    assert_eq!(reasons(&plan), pairs(&[("a", "replace_requested")]));
    s.expect(0, &["apply", "--auto-approve", "--replace", "a"]);
    let new = s.id_of("a");
    assert_ne!(new, a, "a new subnet is recorded");
    assert!(subnet_exists(&new).await, "the new subnet exists");
    assert!(!subnet_exists(&a).await, "the old subnet is gone");
    assert_eq!(s.id_of("net"), net, "what it depends on is kept");
    s.expect(0, &["plan", "--detailed-exitcode"]);

    let out = s.run(&["plan", "--replace", "nett"]);
    assert!(
        stderr(&out).contains("did you mean `net`?"),
        "{}",
        stderr(&out)
    );
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// A VPC's tag, on the test bed at `url`.
async fn vpc_tag(url: &str, id: &str, key: &str) -> Option<String> {
    let out = ec2_at(url)
        .await
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .expect("describe the VPC");
    out.vpcs()
        .first()
        .and_then(|v| tag(v.tags(), key).map(str::to_string))
}

#[tokio::test]
async fn refresh_only_records_live_values_and_changes_nothing_in_aws() {
    // A test bed of its own, for its call log.
    let bed = TestBed::like_this_run(serde_json::json!({}));
    let s = bed.stack("refresh", STACK);
    s.expect(0, &["apply", "--auto-approve", "--target", "net"]);
    let net = s.id_of("net");
    ec2_at(bed.url())
        .await
        .create_tags()
        .resources(&net)
        .tags(Tag::builder().key("Env").value("by-hand").build())
        .send()
        .await
        .expect("tag the VPC");

    let out = s.expect(0, &["plan", "--refresh-only"]);
    let text = stdout(&out);
    assert!(
        text.contains("net (ec2.vpc") && text.contains("by-hand"),
        "the refresh shows the live value: {text}"
    );
    bed.clear_log();
    s.expect(0, &["apply", "--auto-approve", "--refresh-only"]);
    let log = bed.log();
    assert!(!log.is_empty(), "the apply read the stack");
    assert_eq!(mutations(&log), 0, "no call changed AWS: {log:?}");
    assert_eq!(
        s.lockfile()["resources"]["net"]["attributes"]["tags"]["Env"],
        "by-hand",
        "the lockfile records the live value"
    );
    assert_eq!(
        vpc_tag(bed.url(), &net, "Env").await.as_deref(),
        Some("by-hand"),
        "AWS was not changed"
    );
    assert_eq!(s.id_of("net"), net);
    // The documents now differ from a record that matches AWS: a change, no longer drift.
    let plan = s.plan_json(&["--target", "net"]);
    assert_eq!(reasons(&plan), pairs(&[("net", "changed")]));
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[tokio::test]
async fn state_rm_forgets_without_deleting_and_says_the_tags_remain() {
    let s = Stack::new("staterm", STACK);
    s.expect(0, &["apply", "--auto-approve", "--target", "a"]);
    let a = s.id_of("a");

    let out = s.expect(0, &["state", "rm", "a"]);
    let err = stderr(&out);
    assert!(
        err.contains(&a) && err.contains("AWS still holds it") && err.contains("ownership tags"),
        "{err}"
    );
    assert_eq!(recorded(&s), ["net"]);
    assert!(subnet_exists(&a).await, "the subnet is still in AWS");
    // As it says: the documents still name it, so the next plan adopts it.
    let plan = s.plan_json(&["--target", "a"]);
    assert_eq!(changes(&plan), pairs(&[("a", "adopt")]));

    let out = s.run(&["state", "rm", "b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no resource `b`"), "{}", stderr(&out));
    s.expect(0, &["apply", "--auto-approve", "--target", "a"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(!subnet_exists(&a).await);
}

#[tokio::test]
async fn state_mv_renames_the_record_its_dependents_and_the_name_tag() {
    let s = Stack::new("statemv", STACK);
    s.expect(0, &["apply", "--auto-approve", "--target", "a"]);
    let net = s.id_of("net");

    let out = s.run(&["state", "mv", "net", "vpc-0abc1234"]);
    assert!(
        stderr(&out).contains("not a valid resource name"),
        "{}",
        stderr(&out)
    );
    s.expect(0, &["state", "mv", "net", "main"]);
    assert_eq!(recorded(&s), ["a", "main"]);
    assert_eq!(s.id_of("main"), net);
    assert_eq!(
        s.lockfile()["resources"]["a"]["dependencies"],
        serde_json::json!(["main"])
    );
    assert_eq!(tag(vpc(&net).await.tags(), "strata:name"), Some("main"));

    // With the documents renamed too, nothing is left to do.
    s.edit(|d| {
        d.replace("  net:", "  main:")
            .replace("vpc: net", "vpc: main")
    });
    s.expect(0, &["plan", "--detailed-exitcode", "--target", "a"]);
    let out = s.run(&["state", "mv", "main", "a"]);
    assert!(
        stderr(&out).contains("already records `a`"),
        "{}",
        stderr(&out)
    );
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[tokio::test]
async fn import_tags_and_records_an_existing_resource() {
    let s = Stack::new("import", STACK);
    let client = ec2().await;
    let made = client
        .create_vpc()
        .cidr_block("10.71.0.0/24")
        .send()
        .await
        .expect("create a VPC by hand");
    let id = made
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("its id")
        .to_string();
    // Another stack's VPC is not taken.
    let foreign = client
        .create_vpc()
        .cidr_block("10.72.0.0/24")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(
                    Tag::builder()
                        .key("strata:stack")
                        .value("someone-else")
                        .build(),
                )
                .tags(Tag::builder().key("strata:name").value("theirs").build())
                .build(),
        )
        .send()
        .await
        .expect("create another stack's VPC");
    let foreign = foreign
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("its id")
        .to_string();
    let out = s.run(&["import", "other", &foreign]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("someone-else") && stderr(&out).contains("another stack"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        tag(vpc(&foreign).await.tags(), "strata:stack"),
        Some("someone-else")
    );

    let out = s.expect(0, &["import", "other", &id]);
    assert!(stdout(&out).contains("The next plan"), "{}", stdout(&out));
    assert_eq!(recorded(&s), ["other"]);
    assert_eq!(s.id_of("other"), id);
    let tags = vpc(&id).await.tags().to_vec();
    assert_eq!(tag(&tags, "strata:stack"), Some(s.name.as_str()));
    assert_eq!(tag(&tags, "strata:name"), Some("other"));
    assert_eq!(
        tag(&tags, "strata:lineage"),
        s.lockfile()["lineage"].as_str()
    );
    // The next plan keeps it: no create of `other`.
    let plan = s.plan_json(&[]);
    assert!(
        !changes(&plan).contains(&("other".to_string(), "create".to_string())),
        "{plan}"
    );
    s.expect(0, &["destroy", "--auto-approve"]);
    client
        .delete_vpc()
        .vpc_id(&foreign)
        .send()
        .await
        .expect("delete the other stack's VPC");
}
