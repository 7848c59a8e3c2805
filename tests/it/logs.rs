//! CloudWatch Logs log groups against the emulator: created tagged with their retention and
//! checked with the SDK; the retention and tags changed in place, the retention removed; a new
//! name replaces the group; destroy leaves nothing.

use crate::support::{Stack, destroy_leaves_nothing, logs, stdout};

/// A log group, as the ownership test applies it too.
pub const LOG_GROUP: &str = "stack: STACK
region: us-east-1
resources:
  app_logs:
    kind: logs.log_group
    name_prefix: /strata-it/app-
    retention_in_days: 7
    tags: {Team: web}
";

/// (retention, the user's Team tag) of the group, read with the SDK.
async fn group(name: &str) -> (Option<i32>, Option<String>) {
    let c = logs().await;
    let out = c
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .expect("the log groups");
    let g = out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .expect("the log group")
        .clone();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(g.log_group_arn().expect("its ARN"))
        .send()
        .await
        .expect("its tags");
    let team = tags.tags().and_then(|t| t.get("Team")).cloned();
    (g.retention_in_days(), team)
}

#[tokio::test]
async fn a_log_group_is_created_changed_in_place_and_replaced() {
    let s = Stack::new("logs", LOG_GROUP);
    s.apply_clean();
    let name = s.id_of("app_logs");
    assert!(name.starts_with("/strata-it/app-"), "{name}");
    assert_eq!(group(&name).await, (Some(7), Some("web".into())));
    let lock = s.lockfile();
    let arn = lock["resources"]["app_logs"]["attributes"]["arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        arn.starts_with("arn:aws:logs:us-east-1:") && arn.ends_with(&format!(":log-group:{name}")),
        "{arn}"
    );

    // The retention and a tag change in place.
    s.edit(|d| {
        d.replace("retention_in_days: 7", "retention_in_days: 30")
            .replace("{Team: web}", "{Team: data}")
    });
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("app_logs"), name, "changed in place");
    assert_eq!(group(&name).await, (Some(30), Some("data".into())));

    // Left out, the retention is removed: events are kept for ever.
    s.edit(|d| d.replace("    retention_in_days: 30\n", ""));
    s.apply_clean();
    assert_eq!(group(&name).await, (None, Some("data".into())));

    // A new name is a new group; the plan says the old one's events go with it.
    s.edit(|d| {
        d.replace(
            "name_prefix: /strata-it/app-",
            "name_prefix: /strata-it/web-",
        )
    });
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(
        plan.contains("must be replaced") && plan.contains("the log events it holds are deleted"),
        "{plan}"
    );
    s.apply_clean();
    let renamed = s.id_of("app_logs");
    assert!(renamed.starts_with("/strata-it/web-"), "{renamed}");
    let old = logs()
        .await
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .expect("the log groups");
    assert!(
        old.log_groups()
            .iter()
            .all(|g| g.log_group_name() != Some(name.as_str())),
        "the old group is gone"
    );
    destroy_leaves_nothing(&s).await;
}
