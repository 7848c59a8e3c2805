//! IAM roles against the emulator: a role for ECS tasks created with its trust policy, an
//! inline policy naming a log group's ARN and an AWS managed policy, checked with the SDK; its
//! trust policy, inline and managed policies, longest session, description and tags changed in
//! place; a new path replaces it; destroy leaves nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::{Stack, destroy_leaves_nothing, iam, stdout};

const EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// A role for ECS tasks, with a log group its inline policy names, as the ownership test
/// applies it too.
pub const ROLE: &str = "stack: STACK
region: us-east-1
resources:
  logs:
    kind: logs.log_group
    name_prefix: /strata-it/role-
  task_role:
    kind: iam.role
    name_prefix: strata-it-
    path: /strata/
    assume_role_policy:
      Version: \"2012-10-17\"
      Statement:
        - Effect: Allow
          Principal: {Service: ecs-tasks.amazonaws.com}
          Action: sts:AssumeRole
    inline_policies:
      write-logs:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: \"${logs.arn}:*\"
    managed_policy_arns:
      - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
    tags: {Team: web}
";

/// What the SDK reads of a role.
#[derive(Debug, PartialEq)]
struct Seen {
    path: String,
    trust: Value,
    inline: BTreeMap<String, Value>,
    managed: BTreeSet<String>,
    max_session: Option<i32>,
    description: Option<String>,
    team: Option<String>,
}

/// A policy document as IAM answers it (URL-encoded JSON).
fn doc(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded).expect("a JSON policy")
}

async fn role(name: &str) -> Seen {
    let c = iam().await;
    let r = c
        .get_role()
        .role_name(name)
        .send()
        .await
        .expect("the role")
        .role
        .expect("its description");
    let mut inline = BTreeMap::new();
    for p in c
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("its inline policies")
        .policy_names()
    {
        let got = c
            .get_role_policy()
            .role_name(name)
            .policy_name(p)
            .send()
            .await
            .expect("an inline policy");
        inline.insert(p.clone(), doc(got.policy_document()));
    }
    let managed = c
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("its managed policies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    Seen {
        path: r.path().to_string(),
        trust: doc(r.assume_role_policy_document().expect("its trust policy")),
        inline,
        managed,
        max_session: r.max_session_duration(),
        description: r.description().map(str::to_string),
        team: r
            .tags()
            .iter()
            .find(|t| t.key() == "Team")
            .map(|t| t.value().to_string()),
    }
}

fn trust(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }],
    })
}

fn write_logs(log_group_arn: &str, actions: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": actions,
            "Resource": format!("{log_group_arn}:*"),
        }],
    })
}

#[tokio::test]
async fn a_role_is_created_with_its_policies_changed_in_place_and_replaced() {
    let s = Stack::new("role", ROLE);
    s.apply_clean();
    let name = s.id_of("task_role");
    assert!(name.starts_with("strata-it-"), "{name}");
    let lock = s.lockfile();
    let attr = |r: &str, a: &str| {
        lock["resources"][r]["attributes"][a]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let logs_arn = attr("logs", "arn");
    let arn = attr("task_role", "arn");
    assert!(
        arn.starts_with("arn:aws:iam::") && arn.ends_with(&format!(":role/strata/{name}")),
        "{arn}"
    );
    let both = &["logs:CreateLogStream", "logs:PutLogEvents"];
    assert_eq!(
        role(&name).await,
        Seen {
            path: "/strata/".into(),
            trust: trust("ecs-tasks.amazonaws.com"),
            inline: BTreeMap::from([("write-logs".into(), write_logs(&logs_arn, both))]),
            managed: BTreeSet::from([EXECUTION.to_string()]),
            max_session: Some(3600),
            description: None,
            team: Some("web".into()),
        }
    );

    // Every setting but the name and path changes in place: the trust policy, the inline
    // policies (one changed, one added), the managed policies (one detached, one attached),
    // the longest session, the description and the tags.
    s.edit(|d| {
        d.replace("ecs-tasks.amazonaws.com", "ecs.amazonaws.com")
            .replace(
                "[logs:CreateLogStream, logs:PutLogEvents]",
                "[logs:PutLogEvents]",
            )
            .replace(
                "    managed_policy_arns:\n",
                "      read-tags:\n        Version: \"2012-10-17\"\n        Statement:\n          - {Effect: Allow, Action: \"tag:GetResources\", Resource: \"*\"}\n    managed_policy_arns:\n",
            )
            .replace(EXECUTION, READ_ONLY)
            .replace(
                "    tags: {Team: web}\n",
                "    max_session_duration: 7200\n    description: Tasks of the web service\n    tags: {Team: data}\n",
            )
    });
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(!plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    assert_eq!(s.id_of("task_role"), name, "changed in place");
    let read_tags = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "tag:GetResources", "Resource": "*"}],
    });
    assert_eq!(
        role(&name).await,
        Seen {
            path: "/strata/".into(),
            trust: trust("ecs.amazonaws.com"),
            inline: BTreeMap::from([
                ("read-tags".into(), read_tags),
                (
                    "write-logs".into(),
                    write_logs(&logs_arn, &["logs:PutLogEvents"])
                ),
            ]),
            managed: BTreeSet::from([READ_ONLY.to_string()]),
            max_session: Some(7200),
            description: Some("Tasks of the web service".into()),
            team: Some("data".into()),
        }
    );

    // Left out, the inline policies, the managed policies and the description are removed.
    s.edit(|d| {
        let start = d
            .find("    inline_policies:\n")
            .expect("the inline policies");
        let end = d
            .find("    max_session_duration")
            .expect("the longest session");
        format!("{}{}", &d[..start], &d[end..])
            .replace("    description: Tasks of the web service\n", "")
    });
    s.apply_clean();
    let seen = role(&name).await;
    assert_eq!(
        (
            seen.inline,
            seen.managed,
            seen.description.filter(|d| !d.is_empty())
        ),
        (BTreeMap::new(), BTreeSet::new(), None)
    );

    // A new path is a new role (its policies written again); the old one goes with its
    // policies.
    s.edit(|d| d.replace("path: /strata/", "path: /strata2/"));
    let plan = stdout(&s.expect(2, &["plan", "--detailed-exitcode"]));
    assert!(plan.contains("must be replaced"), "{plan}");
    s.apply_clean();
    let renamed = s.id_of("task_role");
    assert!(
        renamed != name && renamed.starts_with("strata-it-"),
        "{renamed}"
    );
    assert_eq!(role(&renamed).await.path, "/strata2/");
    assert!(!exists(&name).await, "the old role is deleted");
    destroy_leaves_nothing(&s).await;
    assert!(!exists(&renamed).await, "the role is deleted");
}

/// Whether IAM knows a role of this name (`NoSuchEntity`: not).
async fn exists(name: &str) -> bool {
    match iam().await.get_role().role_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            false
        }
        Err(e) => panic!("GetRole: {e:?}"),
    }
}

/// A plan reads the roles whose names the documents give (and the lockfile's), not every role
/// of the account: IAM roles are not in the tagging API's listing, and reading each one's tags
/// would cost a call per role of the account.
#[tokio::test]
async fn a_plan_reads_only_the_roles_the_documents_name() {
    let iam = iam().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for i in 0..3 {
        iam.create_role()
            .role_name(format!("not-the-stack-s-{nanos}-{i}"))
            .assume_role_policy_document(trust("ecs-tasks.amazonaws.com").to_string())
            .send()
            .await
            .expect("a role of someone else");
    }
    // Its own prefix: another test's role of the same prefix could be this stack's by its
    // name, and is read.
    let s = Stack::new(
        "role-reads",
        &ROLE.replace("name_prefix: strata-it-", "name_prefix: strata-reads-"),
    );
    s.apply_clean();
    let out = s.expect(0, &["plan", "-v", "--detailed-exitcode"]);
    let err = crate::support::stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("AWS calls: "))
        .unwrap_or_else(|| panic!("no call counts:\n{err}"));
    assert!(line.contains("IAM.GetRole 1,"), "{line}");
    assert!(line.contains("IAM.ListRoles "), "{line}");
    destroy_leaves_nothing(&s).await;
}
