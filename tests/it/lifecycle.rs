//! The life of a stack on the emulator: apply, check the emulator, re-plan, update, replace,
//! drift, destroy.

use aws_sdk_ec2::types::{AttributeBooleanValue, VpcAttributeName};

use crate::support::{Stack, changes, ec2, stdout, subnets_of, tag, vpcs_of};

#[tokio::test]
async fn cookbook_1_2_builds_changes_and_tears_down() {
    let s = Stack::example("cookbook-1.2-subnets");

    // First plan: four creates; apply; the emulator holds exactly what the documents say.
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![
            ("vpc".to_string(), "create".to_string()),
            ("subnet_a".to_string(), "create".to_string()),
            ("subnet_b".to_string(), "create".to_string()),
            ("route_table".to_string(), "create".to_string()),
        ]
    );
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(stdout(&out).contains("vpc_id = \"vpc-"), "{}", stdout(&out));

    let vpcs = vpcs_of(&s.name).await;
    assert_eq!(vpcs.len(), 1);
    let vpc = &vpcs[0];
    assert_eq!(vpc.cidr_block(), Some("10.10.0.0/23"));
    assert_eq!(tag(vpc.tags(), "Name"), Some("AWSCookbook202"));
    assert_eq!(
        tag(vpc.tags(), "Project"),
        Some("aws-cookbook"),
        "default tags are applied"
    );
    assert_eq!(tag(vpc.tags(), "strata:stack"), Some(s.name.as_str()));
    assert_eq!(tag(vpc.tags(), "strata:name"), Some("vpc"));
    let mut subnets = subnets_of(&s.name).await;
    subnets.sort_by_key(|x| x.cidr_block().map(str::to_string));
    assert_eq!(subnets.len(), 2);
    assert_eq!(subnets[0].cidr_block(), Some("10.10.0.0/24"));
    assert_eq!(subnets[0].availability_zone(), Some("us-east-1a"));
    assert_eq!(subnets[0].vpc_id(), vpc.vpc_id());
    assert_eq!(tag(subnets[0].tags(), "Name"), Some("AWSCookbook202a"));
    assert_eq!(subnets[1].cidr_block(), Some("10.10.1.0/24"));
    assert_eq!(subnets[1].availability_zone(), Some("us-east-1b"));
    assert_eq!(tag(subnets[1].tags(), "strata:name"), Some("subnet_b"));

    // The route table serves both subnets.
    let table = crate::support::ec2()
        .await
        .describe_route_tables()
        .route_table_ids(s.id_of("route_table"))
        .send()
        .await
        .expect("route table");
    let mut served: Vec<&str> = table.route_tables()[0]
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    served.sort();
    let mut expected: Vec<&str> = subnets.iter().filter_map(|x| x.subnet_id()).collect();
    expected.sort();
    assert_eq!(served, expected);

    // The lockfile records all four, and a second plan has nothing to do.
    let lock = s.lockfile();
    assert_eq!(lock["resources"].as_object().map(|m| m.len()), Some(4));
    assert_eq!(lock["resources"]["vpc"]["id"].as_str(), vpc.vpc_id());
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // A tag change is an in-place update; a CIDR change is a replacement.
    let a_before = s.id_of("subnet_a");
    let b_before = s.id_of("subnet_b");
    let docs = std::fs::read_to_string(s.path().join("stack.yaml")).expect("read");
    s.write(
        &docs
            .replace("Name: AWSCookbook202a", "Name: AWSCookbook202a-web")
            .replace("cidr_block: 10.10.1.0/24", "cidr_block: 10.10.1.0/25")
            .replace(&s.name, "STACK"),
    );
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![
            ("subnet_a".to_string(), "update".to_string()),
            ("subnet_b".to_string(), "replace".to_string()),
            ("route_table".to_string(), "update".to_string()),
        ]
    );
    let text = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(text.contains("~ subnet_a (ec2.subnet)"), "{text}");
    assert!(text.contains("-/+ subnet_b (ec2.subnet)"), "{text}");
    assert!(text.contains("# forces replacement"), "{text}");
    assert!(
        text.contains("Plan: 1 to add, 2 to change, 1 to destroy."),
        "{text}"
    );
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(s.id_of("subnet_a"), a_before, "an update keeps the subnet");
    assert_ne!(
        s.id_of("subnet_b"),
        b_before,
        "a replacement makes a new subnet"
    );
    let subnets = subnets_of(&s.name).await;
    assert_eq!(subnets.len(), 2, "the old subnet is gone");
    let a = subnets
        .iter()
        .find(|x| x.subnet_id() == Some(a_before.as_str()))
        .expect("a");
    assert_eq!(tag(a.tags(), "Name"), Some("AWSCookbook202a-web"));
    assert!(
        subnets
            .iter()
            .any(|x| x.cidr_block() == Some("10.10.1.0/25"))
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // A subnet deleted behind strata's back is drift; apply puts it back.
    ec2()
        .await
        .delete_subnet()
        .subnet_id(&a_before)
        .send()
        .await
        .expect("delete outside strata");
    let plan = s.plan_json(&[]);
    let a = plan["actions"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["name"] == "subnet_a"))
        .expect("subnet_a action");
    assert_eq!(a["action"], "create");
    assert_eq!(a["reason"], "deleted_outside");
    let text = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(text.contains("was deleted outside strata"), "{text}");
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(subnets_of(&s.name).await.len(), 2);
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // Destroy leaves nothing carrying the stack's tag.
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(stdout(&out).contains("4 to destroy"), "{}", stdout(&out));
    assert!(vpcs_of(&s.name).await.is_empty());
    assert!(subnets_of(&s.name).await.is_empty());
    assert_eq!(
        s.lockfile()["resources"].as_object().map(|m| m.len()),
        Some(0)
    );
}

#[tokio::test]
async fn cookbook_1_1_secondary_cidr_and_dns_settings() {
    let s = Stack::example("cookbook-1.1-vpc");
    s.expect(0, &["apply", "--auto-approve"]);
    let vpcs = vpcs_of(&s.name).await;
    assert_eq!(vpcs.len(), 1);
    let vpc = &vpcs[0];
    let id = vpc.vpc_id().expect("id");
    let blocks: Vec<&str> = vpc
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.cidr_block_state()
                .and_then(|s| s.state())
                .map(|s| s.as_str())
                == Some("associated")
        })
        .filter_map(|a| a.cidr_block())
        .collect();
    assert!(blocks.contains(&"10.11.0.0/16"), "{blocks:?}");
    let client = ec2().await;
    let hostnames = client
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .expect("attribute");
    assert_eq!(
        hostnames
            .enable_dns_hostnames()
            .and_then(AttributeBooleanValue::value),
        Some(true)
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // Dropping the secondary block and DNS host names is an in-place update.
    let docs = std::fs::read_to_string(s.path().join("stack.yaml")).expect("read");
    s.write(
        &docs
            .replace(
                "secondary_cidr_blocks: [10.11.0.0/16]",
                "secondary_cidr_blocks: []",
            )
            .replace("enable_dns_hostnames: true", "enable_dns_hostnames: false")
            .replace(&s.name, "STACK"),
    );
    let plan = s.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![("vpc".to_string(), "update".to_string())]
    );
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(s.id_of("vpc"), id);
    let vpc = &vpcs_of(&s.name).await[0];
    assert!(!vpc.cidr_block_association_set().iter().any(|a| {
        a.cidr_block() == Some("10.11.0.0/16")
            && a.cidr_block_state()
                .and_then(|s| s.state())
                .map(|s| s.as_str())
                == Some("associated")
    }));
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(vpcs_of(&s.name).await.is_empty());
}

#[tokio::test]
async fn a_live_tag_change_is_drift_and_apply_reverts_it() {
    let s = Stack::example("cookbook-1.2-subnets");
    s.expect(0, &["apply", "--auto-approve"]);
    let vpc = s.id_of("vpc");
    ec2()
        .await
        .create_tags()
        .resources(&vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("hand-edited")
                .build(),
        )
        .send()
        .await
        .expect("tag outside strata");
    let text = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(
        text.contains("was changed outside strata and will be put back"),
        "{text}"
    );
    assert!(
        text.contains("\"hand-edited\" -> \"AWSCookbook202\""),
        "{text}"
    );
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(
        tag(vpcs_of(&s.name).await[0].tags(), "Name"),
        Some("AWSCookbook202")
    );
    s.expect(0, &["destroy", "--auto-approve"]);
}
