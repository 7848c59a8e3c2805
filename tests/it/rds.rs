//! Aurora Serverless v2 (cookbook 2.1 and 2.8): the recipe's cluster as today's Serverless v2,
//! checked with the SDK; its scaling range and a parameter changed in place; an engine change
//! planned as a replacement that says what happens to the data; the final snapshot a delete
//! takes unless the documents skip it; deletion protection; the Data API.

use serde_json::json;

use crate::support::{Stack, TestBed, destroy_leaves_nothing, observer_conf, rds, stderr, stdout};

async fn cluster(id: &str) -> aws_sdk_rds::types::DbCluster {
    rds()
        .await
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .expect("the cluster")
        .db_clusters()
        .first()
        .cloned()
        .expect("a cluster")
}

#[tokio::test]
async fn cookbook_2_1_aurora_serverless_v2() {
    let s = Stack::example("cookbook-2.1-aurora-serverless");
    s.apply_clean();
    let id = s.id_of("db");
    assert!(id.starts_with("awscookbook401dbcluster-"), "{id}");
    let c = cluster(&id).await;
    assert_eq!(c.engine(), Some("aurora-postgresql"));
    assert_eq!(c.engine_mode(), Some("provisioned"));
    let scaling = c
        .serverless_v2_scaling_configuration()
        .expect("a Serverless v2 range");
    assert_eq!(scaling.min_capacity(), Some(0.0));
    assert_eq!(scaling.max_capacity(), Some(4.0));
    assert_eq!(scaling.seconds_until_auto_pause(), Some(300));
    assert_eq!(c.db_subnet_group(), Some(s.id_of("subnets").as_str()));
    assert_eq!(
        c.db_cluster_parameter_group(),
        Some(s.id_of("params").as_str())
    );

    // The managed master password: its secret's ARN is recorded, and no password anywhere.
    let secret = c
        .master_user_secret()
        .and_then(|m| m.secret_arn())
        .expect("RDS manages the password");
    let lock = s.lockfile();
    assert_eq!(
        lock["resources"]["db"]["attributes"]["master_user_secret_arn"],
        json!(secret)
    );
    assert!(
        lock["resources"]["db"]["attributes"]
            .get("master_password")
            .is_none(),
        "{lock}"
    );

    // One db.serverless writer.
    let writer = s.id_of("writer");
    let member = c
        .db_cluster_members()
        .iter()
        .find(|m| m.db_instance_identifier() == Some(writer.as_str()))
        .expect("the instance is a member");
    assert_eq!(member.is_cluster_writer(), Some(true));
    let instance = rds()
        .await
        .describe_db_instances()
        .db_instance_identifier(&writer)
        .send()
        .await
        .expect("the instance");
    assert_eq!(
        instance.db_instances()[0].db_instance_class(),
        Some("db.serverless")
    );

    // The group's parameter, set by the user.
    let params = rds()
        .await
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(s.id_of("params"))
        .source("user")
        .send()
        .await
        .expect("the parameters");
    let set: Vec<(Option<&str>, Option<&str>)> = params
        .parameters()
        .iter()
        .map(|p| (p.parameter_name(), p.parameter_value()))
        .collect();
    assert_eq!(set, [(Some("log_min_duration_statement"), Some("1000"))]);

    // In place: the scaling range and the parameter.
    s.edit(|d| {
        d.replace("max_capacity: 4,", "max_capacity: 8,")
            .replace("value: \"1000\"", "value: \"2000\"")
    });
    let plan = s.plan_text();
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("db"), id, "changed in place");
    let c = cluster(&id).await;
    assert_eq!(
        c.serverless_v2_scaling_configuration()
            .and_then(|s| s.max_capacity()),
        Some(8.0)
    );

    // Another engine: a replacement, and the plan says what becomes of the data.
    s.edit(|d| {
        d.replace("engine: aurora-postgresql", "engine: aurora-mysql")
            .replace(
                "engine_version: \"16.4\"",
                "engine_version: \"8.0.mysql_aurora.3.05.2\"",
            )
            .replace("skip_final_snapshot: true", "skip_final_snapshot: false")
    });
    let plan = s.plan_text();
    assert!(
        plan.contains("db (rds.db_cluster)") && plan.contains("must be replaced"),
        "{plan}"
    );
    assert!(
        plan.contains("no final snapshot is taken (skip_final_snapshot)"),
        "the plan says the data goes, as applied so far:\n{plan}"
    );

    // Back to the engine, without skipping the final snapshot: a destroy then keeps one.
    s.edit(|d| {
        d.replace("engine: aurora-mysql", "engine: aurora-postgresql")
            .replace(
                "engine_version: \"8.0.mysql_aurora.3.05.2\"",
                "engine_version: \"16.4\"",
            )
    });
    s.apply_clean();
    let plan = s.run(&["plan", "--destroy"]);
    let text = stdout(&plan);
    assert!(
        text.contains(&format!(
            "its data is kept in a final snapshot, {id}-final-"
        )),
        "{text}{}",
        stderr(&plan)
    );
    destroy_leaves_nothing(&s).await;
    let snapshots = rds()
        .await
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(&id)
        .send()
        .await
        .expect("snapshots");
    let finals: Vec<&str> = snapshots
        .db_cluster_snapshots()
        .iter()
        .filter_map(|s| s.db_cluster_snapshot_identifier())
        .filter(|n| n.starts_with(&format!("{id}-final-")))
        .collect();
    assert_eq!(finals.len(), 1, "one final snapshot: {finals:?}");
}

/// A protected cluster: the destroy is refused before anything is deleted, saying how to lift
/// the protection; once the documents lift it, the destroy goes through.
const PROTECTED: &str = r#"stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.11.0.0/23
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.11.0.0/24
    availability_zone: us-east-1a
  b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.11.1.0/24
    availability_zone: us-east-1b
  subnets:
    kind: rds.db_subnet_group
    name_prefix: protected-
    subnets: [a, b]
  db:
    kind: rds.db_cluster
    identifier_prefix: protected-
    engine: aurora-postgresql
    serverless_v2: {min_capacity: 0.5, max_capacity: 2}
    subnet_group: subnets
    deletion_protection: true
    enable_http_endpoint: true
    skip_final_snapshot: true
"#;

#[tokio::test]
async fn deletion_protection_and_the_data_api() {
    let s = Stack::new("rds-protected", PROTECTED);
    s.apply_clean();
    let id = s.id_of("db");
    let c = cluster(&id).await;
    assert_eq!(c.deletion_protection(), Some(true));
    assert_eq!(c.http_endpoint_enabled(), Some(true), "the Data API is on");

    let out = s.run(&["destroy", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("deletion_protection"), "{err}");
    assert_eq!(
        crate::support::tagged_ids(&s).await.len(),
        5,
        "nothing was deleted"
    );

    s.edit(|d| {
        d.replace("deletion_protection: true", "deletion_protection: false")
            .replace("enable_http_endpoint: true", "enable_http_endpoint: false")
    });
    s.apply_clean();
    let c = cluster(&id).await;
    assert_eq!(c.deletion_protection(), Some(false));
    assert_eq!(
        c.http_endpoint_enabled(),
        Some(false),
        "the Data API is off"
    );
    destroy_leaves_nothing(&s).await;
}

/// Recipe 2.8: the Data API on, and the two ARNs `aws rds-data execute-statement` needs as
/// outputs.
#[tokio::test]
async fn cookbook_2_8_data_api() {
    let s = Stack::example("cookbook-2.8-data-api");
    s.apply_clean();
    let c = cluster(&s.id_of("db")).await;
    assert_eq!(c.http_endpoint_enabled(), Some(true));
    let out = s.run(&["output", "--json"]);
    let outputs: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON outputs");
    assert_eq!(
        outputs["cluster_arn"],
        json!(c.db_cluster_arn()),
        "{outputs}"
    );
    assert_eq!(
        outputs["secret_arn"],
        json!(c.master_user_secret().and_then(|m| m.secret_arn())),
        "{outputs}"
    );
    destroy_leaves_nothing(&s).await;
}

/// `--no-wait`: apply records the cluster and its instance while RDS still creates them and
/// says so; a plan shows them converging, not as changes; `strata wait` is the gate.
#[tokio::test]
async fn no_wait_then_strata_wait_for_a_cluster() {
    let tb = TestBed::start(json!({"pending": {"rds_cluster": 3600.0, "rds_instance": 3600.0}}));
    let s = tb.example("cookbook-2.1-aurora-serverless");
    let out = s.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    let err = stderr(&out);
    assert!(
        err.contains("Still converging:") && err.contains("db (creating)"),
        "apply names what RDS still creates:\n{err}"
    );
    let plan = s.expect(0, &["plan", "--detailed-exitcode"]);
    assert!(stdout(&plan).contains("No changes."), "{}", stdout(&plan));
    let out = s.expect(1, &["wait", "--timeout", "3s"]);
    assert!(
        stderr(&out).contains("still converging after 3s:")
            && stderr(&out).contains("db (creating)"),
        "{}",
        stderr(&out)
    );
    tb.settle();
    s.expect(0, &["wait", "--timeout", "60s"]);
    let rds = aws_sdk_rds::Client::new(&observer_conf(tb.url(), "us-east-1").await);
    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier(s.id_of("db"))
        .send()
        .await
        .expect("the cluster");
    assert_eq!(c.db_clusters()[0].status(), Some("available"));
    tb.configure(json!({"pending": {"rds_cluster": 0.0, "rds_instance": 0.0}}));
    s.expect(0, &["destroy", "--auto-approve"]);
}
