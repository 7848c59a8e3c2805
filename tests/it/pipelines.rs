//! What a pipeline reads: the Markdown plan it posts as a comment, the saved plan it shows and
//! applies, the JSON plan and the `--json` event stream, each checked against its schema.

use std::path::{Path, PathBuf};

use crate::support::{Stack, failure, repo, stderr, stdout};

const SMALL: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.30.0.0/16
  a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.30.1.0/24
outputs:
  vpc_id: ${vpc.id}
";

/// The virtualenv's `check-jsonschema` (tests/emulator/requirements.txt pins it); the test
/// fails, saying how to install it, when it is missing.
fn check_jsonschema() -> PathBuf {
    let venv = std::env::var_os("STRATA_VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
    let exe = venv.join("bin/check-jsonschema");
    assert!(
        exe.is_file(),
        "check-jsonschema is not installed in {}: run `scripts/emulator install` (with \
         STRATA_VENV set to the virtualenv the tests use), which installs \
         tests/emulator/requirements.txt",
        venv.display()
    );
    exe
}

/// Fails the test unless every file is valid under `schemas/SCHEMA`.
fn assert_valid(schema: &str, files: &[PathBuf]) {
    let out = std::process::Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(repo().join("schemas").join(schema))
        .args(files)
        .output()
        .expect("run check-jsonschema");
    assert_eq!(
        out.status.code(),
        Some(0),
        "not valid under schemas/{schema}:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Each line of `text` as a JSON file in `dir`, for the validator.
fn lines_as_files(dir: &Path, prefix: &str, text: &str) -> Vec<PathBuf> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let path = dir.join(format!("{prefix}-{i:03}.json"));
            std::fs::write(&path, line).expect("write an event");
            path
        })
        .collect()
}

fn events(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn types(events: &[serde_json::Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .collect()
}

/// Every example's plan onto nothing: saved, valid under the plan's schema, carrying strata's
/// version, and shown as the Markdown a pull request's comment gets (a snapshot each).
#[test]
fn every_examples_plan_is_valid_json_and_its_markdown_is_a_snapshot() {
    let mut examples: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .expect("examples/")
        .flatten()
        .filter(|e| e.path().join("stack.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    examples.sort();
    let plans = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for example in &examples {
        let s = Stack::example(example);
        let file = plans.path().join(format!("{example}.json"));
        let file_arg = file.to_string_lossy().into_owned();
        s.expect(0, &["plan", "--out", &file_arg]);
        let plan: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).expect("the saved plan")).expect("JSON");
        assert_eq!(
            plan["strata_version"],
            env!("CARGO_PKG_VERSION"),
            "{example}"
        );
        files.push(file);
        let markdown = stdout(&s.expect(0, &["show", &file_arg, "--format", "markdown"]));
        assert!(
            markdown.len() < strata_engine::render::COMMENT_LIMIT,
            "{example}"
        );
        insta::with_settings!({
            snapshot_suffix => example.as_str(),
            filters => vec![
                (regex_escape(&s.name).as_str(), "STACK"),
                // A new self-signed certificate each run (`support::make_certificate`).
                ("-----BEGIN CERTIFICATE-----[^\"]*-----END CERTIFICATE-----", "(certificate)"),
            ],
        }, {
            insta::assert_snapshot!("markdown_plan", markdown);
        });
    }
    assert!(files.len() >= 10, "{examples:?}");
    assert_valid("plan.schema.json", &files);
    // `plan --format markdown` (a plan made now, not a saved one) closes with the cost.
    let s = Stack::example("cookbook-1.4-nat-gateway");
    let markdown = stdout(&s.expect(0, &["plan", "--format", "markdown"]));
    let last = markdown.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Cost: about $2.40/day of fixed charges after this plan (+ $2.40/day:"),
        "{markdown}"
    );
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// `apply --json` and `destroy --json`: stdout is one event per line, each valid under
/// schemas/events.schema.json; a failing apply's stream names the failure with its class and
/// resource, and its summary says it failed.
#[tokio::test]
async fn the_event_streams_of_an_apply_a_failing_apply_and_a_destroy_follow_their_schema() {
    let s = Stack::new("events", SMALL);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();

    let out = s.expect(0, &["apply", "--json", "--auto-approve"]);
    let ok = events(&stdout(&out));
    // `waiting` events come where AWS makes a resource over time (the strict test bed).
    let mut seen = types(&ok);
    seen.retain(|t| *t != "waiting");
    assert_eq!(
        seen,
        [
            "start",
            "plan",
            "operation_started",
            "operation_finished",
            "operation_started",
            "operation_finished",
            "summary"
        ],
        "{}",
        stdout(&out)
    );
    let summary = &ok[ok.len() - 1];
    assert_eq!(summary["outcome"], "success");
    assert_eq!(summary["outputs"]["vpc_id"], s.id_of("vpc"));
    files.extend(lines_as_files(dir.path(), "apply", &stdout(&out)));

    // A subnet made outside strata holds the block the documents now give `a`: AWS refuses
    // the new copy.
    let ec2 = crate::support::ec2_at(&s.endpoint).await;
    let squatter = ec2
        .create_subnet()
        .vpc_id(s.id_of("vpc"))
        .cidr_block("10.30.2.0/24")
        .send()
        .await
        .expect("a subnet outside strata")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("its id");
    s.write(&SMALL.replace("10.30.1.0/24", "10.30.2.0/24"));
    let out = s.run(&["apply", "--json", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", failure(&out));
    let failed = events(&stdout(&out));
    let error = failed
        .iter()
        .find(|e| e["type"] == "error")
        .unwrap_or_else(|| panic!("an error event: {}", stdout(&out)));
    assert_eq!(error["resource"], "a");
    assert_eq!(error["class"], "invalid", "{error}");
    assert!(!error["message"].as_str().unwrap_or("").is_empty());
    assert_eq!(failed[failed.len() - 1]["type"], "summary");
    assert_eq!(failed[failed.len() - 1]["outcome"], "failed");
    assert_eq!(failed[failed.len() - 1]["failed"], serde_json::json!(["a"]));
    files.extend(lines_as_files(dir.path(), "failed", &stdout(&out)));

    // Refused before any change (no confirmation asked for): one error event of class run.
    let out = s.run(&["destroy", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", failure(&out));
    let refused = events(&stdout(&out));
    assert_eq!(types(&refused).last(), Some(&"error"), "{}", stdout(&out));
    assert_eq!(refused[refused.len() - 1]["class"], "run");
    files.extend(lines_as_files(dir.path(), "refused", &stdout(&out)));

    ec2.delete_subnet()
        .subnet_id(&squatter)
        .send()
        .await
        .expect("delete the subnet made outside strata");
    let out = s.expect(0, &["destroy", "--json", "--auto-approve"]);
    let gone = events(&stdout(&out));
    assert_eq!(gone[gone.len() - 1]["outcome"], "success");
    assert_eq!(gone[gone.len() - 1]["mode"], "destroy");
    files.extend(lines_as_files(dir.path(), "destroy", &stdout(&out)));

    assert_valid("events.schema.json", &files);
}

/// examples/ci/github-actions.yml's jobs, played step by step by tests/ci/github_actions.py
/// against the emulator with the state on its S3: the plan job comments the Markdown plan and
/// uploads the saved plan; of two apply jobs started at once on that artifact, exactly one
/// applies it and the other is refused (locked, or its plan stale).
#[test]
fn the_github_actions_example_comments_its_plan_and_applies_exactly_the_artifact() {
    let s = Stack::new("gha", SMALL);
    let venv = std::env::var_os("STRATA_VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "no virtualenv at {}: run `scripts/emulator install`",
        venv.display()
    );
    let state = format!("s3://strata-ci-{}/stacks", s.name);
    let out = std::process::Command::new(&python)
        .arg(repo().join("tests/ci/github_actions.py"))
        .args(["--strata", env!("CARGO_BIN_EXE_strata")])
        .args(["--endpoint", &s.endpoint, "--state", &state])
        .arg("--stack")
        .arg(s.path())
        .env("STRATA_LOCK_LEASE", "10s")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run tests/ci/github_actions.py");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("the concurrent apply refused"),
        "{}",
        stdout(&out)
    );
    let created = crate::support::stdout(&s.expect(0, &["--state", &state, "state", "list"]));
    assert!(
        created.contains("vpc") && created.contains('a'),
        "{created}"
    );
    s.expect(0, &["--state", &state, "destroy", "--auto-approve"]);
}
