//! Per-kind policies against the emulator: a security group's name is unique in its VPC, so a
//! `create_before_destroy` replacement that keeps its `name` is refused at plan time with what
//! to do, and one named by `name_prefix` is replaced new copy first under a name made from the
//! prefix and a suffix taken from the create's journaled token: a run killed right after the
//! create and the run after it make one group, under one name.

use aws_sdk_ec2::types::{Filter, SecurityGroup};
use strata_model::kinds::{NAME_SUFFIX_LEN, has_name_prefix};

use crate::support::{destroy_leaves_nothing, ec2, snapshot, stderr, stdout, tag};

const NAMED: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.81.0.0/24
  web:
    kind: ec2.security_group
    vpc: vpc
    name: web
    description: web servers
    ingress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0}
    lifecycle: {create_before_destroy: true}
";

/// The groups of a VPC besides its default group.
async fn groups_in(vpc: &str) -> Vec<SecurityGroup> {
    ec2()
        .await
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .expect("describe security groups")
        .security_groups()
        .iter()
        .filter(|g| g.group_name() != Some("default"))
        .cloned()
        .collect()
}

fn names(groups: &[SecurityGroup]) -> Vec<String> {
    groups
        .iter()
        .map(|g| g.group_name().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_create_before_destroy_replacement_keeping_a_unique_name_is_refused_at_plan_time() {
    let s = crate::support::Stack::new("policy-named", NAMED);
    s.apply_clean();
    let vpc = s.id_of("vpc");
    let id = s.id_of("web");

    s.edit(|d| {
        d.replace(
            "description: web servers",
            "description: web and api servers",
        )
    });
    let out = s.expect(1, &["plan"]);
    let err = stderr(&out).replace(&s.name, "STACK");
    assert!(
        err.contains("name_prefix") && err.contains("create_before_destroy"),
        "the refusal says why and what to do: {err}"
    );
    snapshot!("refused_replacement", err);
    assert!(
        stdout(&out).is_empty(),
        "no plan is shown: {}",
        stdout(&out)
    );

    // Apply plans first, and stops there: the group is as it was.
    s.expect(1, &["apply", "--auto-approve"]);
    let groups = groups_in(&vpc).await;
    assert_eq!(names(&groups), ["web"]);
    assert_eq!(groups[0].group_id(), Some(id.as_str()));
    assert_eq!(groups[0].description(), Some("web servers"));
    destroy_leaves_nothing(&s).await;
}

#[tokio::test]
async fn a_name_prefix_lets_the_new_copy_come_first_under_a_name_chosen_once() {
    let s = crate::support::Stack::new(
        "policy-prefix",
        &NAMED.replace("    name: web\n", "    name_prefix: web-\n"),
    );
    s.apply_clean();
    let vpc = s.id_of("vpc");
    let first = groups_in(&vpc).await;
    assert_eq!(first.len(), 1);
    let first_name = first[0].group_name().unwrap_or_default().to_string();
    assert!(has_name_prefix(&first_name, "web-"), "{first_name}");
    assert_eq!(first_name.len(), "web-".len() + NAME_SUFFIX_LEN);
    assert_eq!(
        s.lockfile()["resources"]["web"]["attributes"]["name"],
        first_name.as_str()
    );

    // A replace field changes: the plan creates the new copy first.
    s.edit(|d| {
        d.replace(
            "description: web servers",
            "description: web and api servers",
        )
    });
    let plan = s.plan_json(&[]);
    let web = plan["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "web"))
        .expect("web");
    assert_eq!(web["action"], "replace");
    assert_eq!(web["replace_mode"], "create_before_delete");

    // Killed right after the new copy's create (the first mutating call of the run): both
    // copies exist, the new one under a name of its own.
    let out = s
        .command(&["apply", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), None, "killed: {}", stderr(&out));
    let both = groups_in(&vpc).await;
    assert_eq!(both.len(), 2, "{:?}", names(&both));
    let new_name = names(&both)
        .into_iter()
        .find(|n| *n != first_name)
        .expect("the new copy");
    assert!(has_name_prefix(&new_name, "web-"), "{new_name}");

    // The next run finishes the replacement with the copy the killed run made: one group, under
    // the name chosen before the crash, with the new description and the rule.
    s.apply_clean();
    let after = groups_in(&vpc).await;
    assert_eq!(names(&after), std::slice::from_ref(&new_name));
    let g = &after[0];
    assert_eq!(g.description(), Some("web and api servers"));
    assert_eq!(g.ip_permissions().len(), 1);
    assert_eq!(tag(g.tags(), "strata:name"), Some("web"));
    assert_eq!(s.id_of("web"), g.group_id().unwrap_or_default());

    // Runs without changes make no second group.
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(names(&groups_in(&vpc).await), [new_name]);
    destroy_leaves_nothing(&s).await;
}
