//! Secrets on every path: a sensitive value goes to AWS and nowhere else. Not in anything
//! strata prints (plans, outputs, logs at the highest verbosity, errors from AWS, diagnostics
//! of documents that do not load, `validate --json`), nor in any file it leaves in the stack's
//! directory (the lockfile, its backup and journal, saved plans, whatever else appears there).
//! A scan looks for each secret as written, URL-encoded (both ways of encoding a space),
//! JSON-escaped and XML-escaped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use crate::support::{Scenario, Stack, TestBed, security_group, stderr, stdout, tag, vpc};

/// The forms a secret could be written down in.
fn forms(v: &str) -> Vec<String> {
    let url = |space: &str| {
        let mut out = String::new();
        for b in v.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(b));
                }
                b' ' => out.push_str(space),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    let json = serde_json::to_string(v).expect("json");
    let xml = v
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    let mut out = vec![
        v.to_string(),
        url("+"),
        url("%20"),
        json.trim_matches('"').to_string(),
        xml,
    ];
    out.sort();
    out.dedup();
    out
}

/// Everything a test saw: what each run printed, and every file in the stack directory after
/// each run.
#[derive(Default)]
struct Seen {
    text: String,
    runs: usize,
    files: BTreeSet<String>,
}

impl Seen {
    fn output(&mut self, out: &Output) -> String {
        let text = format!("{}{}", stdout(out), stderr(out));
        self.text.push_str(&text);
        self.runs += 1;
        text
    }

    /// Reads every file under `dir` (recursively) but the document the test wrote
    /// (`stack.yaml`, which holds the literal of the field marked sensitive).
    fn files_in(&mut self, dir: &Path) {
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).expect("list the stack directory") {
                let path = entry.expect("entry").path();
                if path == dir.join("certs") || path == dir.join("stack.yaml") {
                    // The user's own inputs: the documents and the certificate's files.
                    continue;
                } else if path.is_dir() {
                    todo.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    self.text.push_str(&String::from_utf8_lossy(&bytes));
                    let name = path.strip_prefix(dir).unwrap_or(&path);
                    self.files.insert(name.display().to_string());
                }
            }
        }
    }

    /// Every occurrence of any form of any of `secrets`, and the text around the first.
    fn leaks(&self, secrets: &[&str]) -> (Vec<String>, Option<String>) {
        let mut found = Vec::new();
        let mut first = None;
        for s in secrets {
            for f in forms(s) {
                let n = self.text.matches(f.as_str()).count();
                if n > 0 {
                    found.push(format!("{f:?}: {n}"));
                    let i = self.text.find(f.as_str()).unwrap_or(0);
                    let from = (0..=i.saturating_sub(300))
                        .rev()
                        .find(|j| self.text.is_char_boundary(*j))
                        .unwrap_or(0);
                    first.get_or_insert_with(|| self.text[from..i].to_string());
                }
            }
        }
        (found, first)
    }

    fn assert_clean(&self, secrets: &[&str]) {
        let (found, context) = self.leaks(secrets);
        assert!(
            found.is_empty(),
            "secrets written down: {found:?}, first after: {context:?}"
        );
        assert!(self.text.contains("(sensitive)"), "nothing was masked?");
    }
}

const SECRET: &str = "Canary-S3cret/p@ss w0rd";
const ROTATED: &str = "Rotated-Canary/2nd p@ss";
/// A literal value in a field marked sensitive, not a variable.
const FIELD: &str = "Field-Canary/t0ken 3";

const DOCS: &str = r#"stack: STACK
region: us-east-1
variables:
  db_password:
    description: Must never be written down.
    sensitive: true
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.70.0.0/16
    tags: {Name: secret-lab, Owner: "team-${var.db_password}"}
  sg:
    kind: ec2.security_group
    vpc: vpc
    name: secret-sg
    description: "group for ${var.db_password}"
    ingress:
      - {protocol: tcp, port: 22, cidr: 10.0.0.0/8, description: "ssh ${var.db_password}"}
    tags: {Token: "Field-Canary/t0ken 3", Name: secret-sg}
    lifecycle: {sensitive: [tags.Token]}
  cert:
    kind: iam.server_certificate
    name_prefix: secret-
    certificate_body: {file: certs/server.crt}
    private_key: {file: certs/server.key}
  db_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.70.0.0/24
    availability_zone: us-east-1a
  db_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.70.1.0/24
    availability_zone: us-east-1b
  db_subnets:
    kind: rds.db_subnet_group
    name_prefix: secret-
    subnets: [db_a, db_b]
  db:
    kind: rds.db_cluster
    identifier_prefix: secret-
    engine: aurora-postgresql
    serverless_v2: {min_capacity: 0.5, max_capacity: 1}
    subnet_group: db_subnets
    manage_master_user_password: false
    master_password: ${var.db_password}
    skip_final_snapshot: true
outputs:
  vpc_id: ${vpc.id}
  group_description: ${sg.description}
"#;

/// Secrets: a sensitive variable's value goes to AWS and nowhere else. Not in the lockfile or
/// its backup, the text and JSON plans, a saved plan, the outputs, the logs at the highest
/// verbosity (trace; strata never logs the SDK's request and response dumps), an error from
/// AWS, or a document error on the way to applying a saved plan, even after it is rotated.
#[tokio::test]
async fn a_secret_reaches_aws_and_is_written_nowhere() {
    let sc = Scenario::start(
        "secrets",
        "a sensitive variable used in a tag, a group description and a rule description, \
         a tag value marked sensitive (`lifecycle.sensitive`), a server certificate's \
         private key read from a file (a secret of its kind), and an Aurora cluster's master \
         password from the variable; validate, plan (text, JSON, \
         saved), a saved plan applied with a document error, then applied, plan, state, \
         outputs, then the value rotated and applied, then destroy, with -vvv (trace logs, \
         which never hold the SDK's request and response dumps); a create denied by a service \
         control policy, with -vvv; everything printed and every file in the stack directory \
         (but the document) after every run scanned for the three values as written, \
         URL-encoded, JSON- and XML-escaped",
    );
    let s = Stack::new("secret", DOCS);
    // A saved plan is private even where a public file of that name was.
    std::fs::write(s.path().join("plan.json"), "").expect("write");
    set_mode(&s.path().join("plan.json"), 0o644);
    let mut seen = Seen::default();
    let mut run = |secret: &str, args: &[&str], code: i32| {
        let out = s
            .command(args)
            .env("STRATA_VAR_db_password", secret)
            .output()
            .expect("run strata");
        let text = seen.output(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}:\n{text}");
        seen.files_in(s.path());
        text
    };
    run(SECRET, &["validate"], 0);
    let plan = run(SECRET, &["plan"], 0);
    assert!(plan.contains("(sensitive)"), "{plan}");
    run(SECRET, &["plan", "--json"], 0);
    run(SECRET, &["plan", "--out", "plan.json"], 0);
    assert_eq!(
        mode(&s.path().join("plan.json")),
        0o600,
        "a saved plan is private"
    );
    // A saved plan leaves the value out: applying it needs the variable again.
    let out = s
        .command(&["apply", "plan.json"])
        .env_remove("STRATA_VAR_db_password")
        .output()
        .expect("run strata");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("db_password"), "{}", stderr(&out));
    // The documents read to fill the saved plan in have a mistake where the value is used.
    s.write(&DOCS.replace("cidr_block: 10.70.0.0/16", "cidr_block: ${var.db_password}"));
    let err = run(SECRET, &["apply", "plan.json", "-vvv"], 1);
    assert!(err.contains("IPv4 CIDR block"), "{err}");
    s.write(DOCS);
    run(SECRET, &["apply", "plan.json", "-vvv"], 0);
    run(SECRET, &["plan", "--detailed-exitcode", "-vvv"], 0);
    run(SECRET, &["state", "list"], 0);
    run(SECRET, &["state", "show", "vpc"], 0);
    run(SECRET, &["output"], 0);
    run(SECRET, &["output", "--json"], 0);
    run(SECRET, &["apply", "--auto-approve", "-vvv"], 0);

    let owner = async || tag(vpc(&s.id_of("vpc")).await.tags(), "Owner").map(str::to_string);
    assert_eq!(
        owner().await.as_deref(),
        Some(format!("team-{SECRET}").as_str()),
        "the value reached AWS"
    );
    assert_eq!(
        tag(security_group(&s.id_of("sg")).await.tags(), "Token"),
        Some(FIELD),
        "the sensitive field's value reached AWS"
    );

    // The password AWS never returns is recorded as a verifier, which tells a rotation.
    let lock = std::fs::read_to_string(s.path().join("strata.lock")).expect("the lockfile");
    assert!(
        lock.contains("\"master_password\": \"(sensitive) verifier pbkdf2-sha256 "),
        "{lock}"
    );

    // Rotated: the plan shows a sensitive change, the password's among them, apply makes it.
    let plan = run(ROTATED, &["plan", "--detailed-exitcode"], 2);
    assert!(plan.contains("(sensitive"), "{plan}");
    let json = run(ROTATED, &["plan", "--json"], 0);
    let json: serde_json::Value = serde_json::from_str(&json).expect("a JSON plan");
    let db = json["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "db"))
        .expect("the cluster's action");
    assert_eq!(db["action"], "update", "{db}");
    let password = db["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["field"] == "master_password"))
        .expect("the password changes");
    assert_eq!(password["after"], "(sensitive), changed", "{password}");
    run(ROTATED, &["apply", "--auto-approve", "-vvv"], 0);
    run(ROTATED, &["plan", "--detailed-exitcode"], 0);
    assert_eq!(
        owner().await.as_deref(),
        Some(format!("team-{ROTATED}").as_str())
    );
    assert_eq!(
        mode(&s.path().join("strata.lock")),
        0o600,
        "the lockfile is private"
    );
    run(ROTATED, &["destroy", "--auto-approve", "-vvv"], 0);

    // A create AWS refuses, at the highest verbosity: the error names the call, not the value.
    let tb = TestBed::start(json!({"faults": {
        "rate": 1.0, "operations": ["CreateVpc"], "kinds": ["denied"],
    }}));
    let denied = tb.stack("secret-denied", DOCS);
    let out = denied
        .command(&["apply", "--auto-approve", "-vvv"])
        .env("STRATA_VAR_db_password", SECRET)
        .output()
        .expect("run strata");
    let text = seen.output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ec2:CreateVpc"), "{text}");
    seen.files_in(denied.path());

    // The certificates' private keys (the file strata reads, a secret of its kind): whole,
    // and each line of them.
    let keys: Vec<String> = [s.path(), denied.path()]
        .iter()
        .map(|d| std::fs::read_to_string(d.join("certs/server.key")).expect("the key"))
        .collect();
    let mut secrets: Vec<&str> = vec![SECRET, ROTATED, FIELD];
    for key in &keys {
        secrets.push(key.trim());
        secrets.extend(key.lines().filter(|l| !l.starts_with("-----")));
    }
    seen.assert_clean(&secrets);
    sc.pass(format!(
        "0 occurrences of any of the three values, nor of the certificate's private key or \
         any line of it (as written, URL-encoded, JSON- or \
         XML-escaped) in {} KiB scanned: the output of {} runs and, after each, every file in \
         the stack directory but the documents and the certificate's files ({} files: {}); the values reached AWS; the lockfile and the \
         saved plan are mode 0600; a saved plan needs the variable again; the cluster's \
         password was recorded as a PBKDF2 verifier, its rotation planned as a sensitive \
         change of `master_password` and applied, and the plan after it was empty",
        seen.text.len() / 1024,
        seen.runs,
        seen.files.len(),
        seen.files.iter().cloned().collect::<Vec<_>>().join(", "),
    ));
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("the file is there")
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A canary with characters that JSON escapes, so that its escaped form differs.
const CANARY: &str = r#"Diag-Canary"q\x/p@ss w0rd"#;

/// A sensitive variable used as a whole value where it is wrong (the diagnostic points at the
/// value's source), next to a mistake of its own.
const BROKEN: &str = r#"stack: STACK
region: us-east-1
variables:
  db_password: {sensitive: true}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: ${var.db_password}
    tags: {Owner: "team-${var.db_password}"}
  other:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/33
"#;

/// One way of giving the canary to a stack whose documents do not load.
struct DiagCase {
    name: &'static str,
    documents: String,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// (file name, text) written outside the stack directory, passed as --var-file.
    var_file: Option<String>,
    /// What the diagnostics must say.
    expect: &'static str,
}

fn diag_cases() -> Vec<DiagCase> {
    // Single-quoted YAML keeps the quote and the backslash as they are.
    let yaml = format!("'{CANARY}'");
    let case = |name, args: Vec<String>, env, var_file, expect| DiagCase {
        name,
        documents: BROKEN.to_string(),
        args,
        env,
        var_file,
        expect,
    };
    vec![
        case(
            "environment",
            vec![],
            vec![("STRATA_VAR_db_password", CANARY.to_string())],
            None,
            "environment STRATA_VAR_db_password",
        ),
        case(
            "--var",
            vec!["--var".into(), format!("db_password={CANARY}")],
            vec![],
            None,
            "--var db_password",
        ),
        case(
            "--var-file",
            vec![],
            vec![],
            Some(format!("db_password: {yaml}\n")),
            "IPv4 CIDR block",
        ),
        case(
            "misspelt --var",
            vec!["--var".into(), format!("db_pasword={CANARY}")],
            vec![],
            None,
            "variable `db_pasword` is not declared",
        ),
        case(
            "misspelt in a --var-file",
            vec![],
            vec![],
            Some(format!("db_password: 10.0.0.0/16\ndb_pasword: {yaml}\n")),
            "variable `db_pasword` is not declared",
        ),
        case(
            "misspelt in the environment",
            vec![],
            vec![("STRATA_VAR_db_pasword", CANARY.to_string())],
            None,
            "variable `db_password` has no value",
        ),
        case(
            "a --var-file that does not parse",
            vec![],
            vec![],
            Some(format!("db_password: {yaml}\nother: [x\n")),
            "YAML syntax error",
        ),
        DiagCase {
            name: "lifecycle.sensitive next to a mistake",
            documents: format!(
                "stack: STACK
region: us-east-1
resources:
  sg:
    kind: ec2.security_group
    vpc: vpc-0123456789abcdef0
    name: web
    description: web
    tags: {{Token: {yaml}, Name: web}}
    ingress: [{{protocol: tcpp, cidr: 10.0.0.0/8}}]
    lifecycle: {{sensitive: [tags.Token]}}
"
            ),
            args: vec![],
            env: vec![],
            var_file: None,
            expect: "`tcpp` is not a protocol",
        },
        DiagCase {
            name: "a sensitive default next to a mistake",
            documents: BROKEN.replace(
                "db_password: {sensitive: true}",
                &format!("db_password: {{sensitive: true, default: {yaml}}}"),
            ),
            args: vec![],
            env: vec![],
            var_file: None,
            expect: "IPv4 CIDR block",
        },
    ]
}

/// Every file name in a directory (not recursive).
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Secrets in diagnostics: documents that do not load are reported before strata knows which
/// values are secrets; whichever way a secret was given, and next to whatever mistake, no
/// diagnostic shows it, in the terminal or as JSON.
#[test]
fn diagnostics_never_show_a_secret() {
    let sc = Scenario::start(
        "secrets in diagnostics",
        "a canary (with a quote and a backslash) as a sensitive variable's value from the \
         environment, --var and --var-file, as the value of a misspelt variable (--var, \
         --var-file, environment), in a --var-file that does not parse, in a field marked \
         `lifecycle.sensitive` and as a sensitive default, each next to mistakes in the \
         documents; validate, validate --json and plan -vvv on each; the output scanned for \
         the canary as written, URL-encoded, JSON- and XML-escaped",
    );
    let inputs = tempfile::tempdir().expect("tempdir");
    let cases = diag_cases();
    let mut seen = Seen::default();
    let mut masked = 0;
    for (i, case) in cases.iter().enumerate() {
        let s = Stack::new("secret-diag", &case.documents);
        let before = listing(s.path());
        let mut extra: Vec<String> = case.args.clone();
        if let Some(text) = &case.var_file {
            let path: PathBuf = inputs.path().join(format!("{i}.vars.yaml"));
            std::fs::write(&path, text).expect("write the variable file");
            extra.push("--var-file".into());
            extra.push(path.display().to_string());
        }
        for cmd in [
            &["validate"][..],
            &["validate", "--json"],
            &["plan", "-vvv"],
        ] {
            let mut args: Vec<&str> = cmd.to_vec();
            args.extend(extra.iter().map(String::as_str));
            let mut c: Command = s.command(&args);
            c.env_remove("STRATA_VAR_db_password");
            for (k, v) in &case.env {
                c.env(k, v);
            }
            let out = c.output().expect("run strata");
            let text = seen.output(&out);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}: {args:?}\n{text}",
                case.name
            );
            assert!(
                text.contains(case.expect),
                "{}: {args:?} should say {:?}:\n{text}",
                case.name,
                case.expect
            );
            if args.contains(&"--json") {
                let v: serde_json::Value =
                    serde_json::from_str(&stdout(&out)).expect("validate --json is JSON");
                assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{v}");
            }
            masked += text.matches("(sensitive)").count();
        }
        assert_eq!(listing(s.path()), before, "{}: nothing written", case.name);
    }
    seen.assert_clean(&[CANARY]);
    sc.pass(format!(
        "{} cases × validate, validate --json, plan -vvv: exit 1 with the expected diagnostic, \
         0 occurrences of the canary (as written, URL-encoded, JSON- or XML-escaped) in {} KiB \
         of output, `(sensitive)` shown {masked} times in its place; nothing written in the \
         stack directory",
        cases.len(),
        seen.text.len() / 1024,
    ));
}

/// A variable's value is data: `--var 'name=${var.pw}'` puts that text in AWS, not the
/// password; and the documented escape `$${var.pw}` in a document is the text `${var.pw}`,
/// applied directly or from a saved plan, with the sensitive variable given.
#[tokio::test]
async fn a_variable_value_is_data_and_an_escape_is_text() {
    const PW: &str = "Escape-Canary/p@ss";
    let s = Stack::new(
        "secret-data",
        r#"stack: STACK
region: us-east-1
variables:
  pw: {sensitive: true}
  name: {}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.71.0.0/16
    tags: {Name: "${var.name}", Lit: "$${var.pw}", Pw: "${var.pw}"}
"#,
    );
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--var", "pw=Escape-Canary/p@ss", "--var", "name=${var.pw}"]);
        s.expect(0, &all)
    };
    let plan = stdout(&run(&["plan", "--out", "plan.json"]));
    assert!(plan.contains(r#"Name = "${var.pw}""#), "{plan}");
    assert!(plan.contains(r#"Lit  = "${var.pw}""#), "{plan}");
    let out = run(&["apply", "plan.json"]);
    let c = crate::support::ec2().await;
    let vpc = c
        .describe_vpcs()
        .vpc_ids(s.id_of("vpc"))
        .send()
        .await
        .expect("vpc");
    let tags = vpc.vpcs()[0].tags();
    assert_eq!(crate::support::tag(tags, "Name"), Some("${var.pw}"));
    assert_eq!(crate::support::tag(tags, "Lit"), Some("${var.pw}"));
    assert_eq!(crate::support::tag(tags, "Pw"), Some(PW));
    run(&["plan", "--detailed-exitcode"]);
    let gone = run(&["destroy", "--auto-approve"]);
    for o in [&out, &gone] {
        let text = format!("{}{}", stdout(o), stderr(o));
        assert!(!text.contains(PW), "{text}");
    }
}
