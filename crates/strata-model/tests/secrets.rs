//! Secrets in diagnostics: a load that fails shows no secret, on any path, whoever renders it
//! (the terminal form and `validate --json`). A canary value is given by every source and
//! next to every kind of mistake; the rendered text and the JSON are searched for it in the
//! forms it could be printed in. And variable values are data: never expanded again.

use std::path::PathBuf;

use strata_model::diag::{render, to_json};
use strata_model::load::{LoadError, VarInputs, load_sources};
use strata_model::source::SourceFile;

const CANARY: &str = "Canary-S3cret/p@ss w0rd";

/// Every form of the canary that would count as printing it.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).expect("json");
    vec![
        secret.to_string(),
        json.trim_matches('"').to_string(),
        secret
            .replace('/', "%2F")
            .replace('@', "%40")
            .replace(' ', "+"),
        "S3cret".to_string(),
    ]
}

struct Case {
    dir: tempfile::TempDir,
    inputs: VarInputs,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("tempdir"),
            inputs: VarInputs::default(),
        }
    }

    fn var_file(mut self, name: &str, text: &[u8]) -> Case {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the variable file");
        self.inputs.files.push(path);
        self
    }

    fn cli(mut self, name: &str, value: &str) -> Case {
        self.inputs.cli.push((name.into(), value.into()));
        self
    }

    fn env(mut self, name: &str, value: &str) -> Case {
        self.inputs.env.push((name.into(), value.into()));
        self
    }

    /// What a user sees: the rendered diagnostics, then the JSON, with the temporary
    /// directory's path replaced.
    fn shown(&self, doc: &str) -> String {
        let e = self.fail(doc);
        let json =
            serde_json::to_string_pretty(&to_json(&e.diagnostics, &e.sources)).expect("json");
        let dir = self.dir.path().display().to_string();
        format!("{}\n{json}", render(&e.diagnostics, &e.sources, false, 100)).replace(&dir, "[dir]")
    }

    fn fail(&self, doc: &str) -> LoadError {
        match load_sources(vec![SourceFile::new("stack.yaml", doc)], &self.inputs) {
            Ok(_) => panic!("the load should fail"),
            Err(e) => e,
        }
    }
}

/// Panics if the canary shows in any form.
fn assert_no_secret(shown: &str) {
    for f in forms(CANARY) {
        assert!(!shown.contains(&f), "`{f}` is shown:\n{shown}");
    }
    assert!(shown.contains("(sensitive)"), "{shown}");
}

/// A document with a sensitive variable used as a whole value where it is wrong (so the
/// diagnostic points at the variable's source) and a mistake elsewhere.
const USES_PW: &str = "stack: lab
variables:
  pw: {sensitive: true}
  name: {default: lab}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: ${var.pw}
    tags: {Owner: \"team-${var.pw}\", Name: \"${var.name}\"}
  other:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/33
";

#[test]
fn a_secret_from_the_environment_is_not_shown() {
    let shown = Case::new().env("pw", CANARY).shown(USES_PW);
    assert_no_secret(&shown);
    insta::assert_snapshot!(shown);
}

#[test]
fn a_secret_from_the_command_line_is_not_shown_nor_named_with_its_source() {
    let shown = Case::new().cli("pw", CANARY).shown(USES_PW);
    assert_no_secret(&shown);
    assert!(shown.contains("--var pw:1:4"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn a_secret_from_a_variable_file_is_not_shown() {
    let text = format!("name: lab\npw: \"{CANARY}\"\nother: 1\n");
    let shown = Case::new()
        .var_file("a.vars.yaml", text.as_bytes())
        .shown(&USES_PW.replace("  name: {default: lab}\n", "  name: {}\n  other: {}\n"));
    assert_no_secret(&shown);
    insta::assert_snapshot!(shown);
}

#[test]
fn every_value_a_sensitive_variable_is_given_is_masked_also_the_overridden_ones() {
    let doc = USES_PW.replace(
        "pw: {sensitive: true}",
        &format!("pw: {{sensitive: true, default: \"{CANARY}-default\"}}"),
    );
    let shown = Case::new()
        .env("pw", &format!("{CANARY}-env"))
        .var_file("a.vars.yaml", format!("pw: {CANARY}-file\n").as_bytes())
        .cli("pw", CANARY)
        .shown(&doc);
    assert_no_secret(&shown);
}

#[test]
fn a_value_for_an_undeclared_variable_is_never_shown() {
    let text = format!("name: lab\np: \"{CANARY}\"\n");
    let shown = Case::new()
        .cli("pw", "10.0.0.0/16")
        .cli("pww", CANARY)
        .var_file("a.vars.yaml", text.as_bytes())
        .shown(USES_PW);
    assert_no_secret(&shown);
    assert!(shown.contains("variable `pww` is not declared"), "{shown}");
    assert!(shown.contains("variable `p` is not declared"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn a_variable_file_that_does_not_read_shows_no_value() {
    let doc = USES_PW.replace("  name: {default: lab}\n", "  name: {}\n");
    // A syntax error on the line after the secret (shown as context).
    let text = format!("pw: \"{CANARY}\"\nname: [lab\n");
    let shown = Case::new()
        .var_file("a.vars.yaml", text.as_bytes())
        .shown(&doc);
    assert_no_secret(&shown);
    insta::assert_snapshot!("syntax", shown);
    // A list, not a mapping of names to values.
    let text = format!("- {CANARY}\n");
    let shown = Case::new()
        .var_file("a.vars.yaml", text.as_bytes())
        .shown(&doc);
    assert_no_secret(&shown);
    // Not UTF-8: the text around the bad byte is shown.
    let mut bytes = format!("pw: {CANARY}\nname: lab").into_bytes();
    bytes.extend_from_slice(b"\xff\n");
    let shown = Case::new().var_file("a.vars.yaml", &bytes).shown(&doc);
    assert_no_secret(&shown);
    insta::assert_snapshot!("not_utf8", shown);
}

#[test]
fn a_sensitive_field_next_to_a_mistake_is_not_shown() {
    let doc = format!(
        "stack: lab
resources:
  sg:
    kind: ec2.security_group
    vpc: vpc-0123456789abcdef0
    name: web
    description: web
    tags: {{Token: \"{CANARY}\", Name: web}}
    ingress: [{{protocol: tcpp, cidr: 10.0.0.0/8}}]
    lifecycle: {{sensitive: [tags.Token]}}
  other:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {{Note: \"{CANARY}\"}}
    enable_dns_suport: true
"
    );
    let shown = Case::new().shown(&doc);
    assert_no_secret(&shown);
    insta::assert_snapshot!(shown);
}

#[test]
fn a_sensitive_field_is_masked_even_when_its_lifecycle_does_not_read() {
    let doc = format!(
        "stack: lab
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {{Token: \"{CANARY}\"}}
    lifecycle: {{sensitive: [tags.Token], prevent_destory: true}}
"
    );
    assert_no_secret(&Case::new().shown(&doc));
}

// Variable values are data.

fn tags_of(doc: &str, inputs: &VarInputs) -> serde_json::Value {
    let loaded = load_sources(vec![SourceFile::new("stack.yaml", doc)], inputs)
        .unwrap_or_else(|e| panic!("{}", render(&e.diagnostics, &e.sources, false, 100)));
    loaded.stack.resources["vpc"].spec.to_attrs()["tags"].clone()
}

/// `--var 'name=${var.pw}'` is that text: it stays escaped in template form (`$${`), so no
/// later step expands it, into the secret or anything else. The same for values from a file,
/// in lists and mappings, and for defaults.
#[test]
fn a_variable_value_is_never_expanded_again() {
    let doc = "stack: lab
variables:
  pw: {sensitive: true}
  name: {}
  tags: {}
  fixed: {default: \"${vpc.id}\"}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {Name: \"${var.name}\", In: \"x-${var.name}\", Fixed: \"${var.fixed}\", Pw: \"${var.pw}\"}
  other:
    kind: ec2.vpc
    cidr_block: 10.1.0.0/16
    tags: ${var.tags}
";
    let dir = tempfile::tempdir().expect("tempdir");
    let file: PathBuf = dir.path().join("t.vars.yaml");
    std::fs::write(&file, "tags: {A: \"${var.pw}\", B: \"$${x}\"}\n").expect("write");
    let inputs = VarInputs {
        cli: vec![
            ("pw".into(), "hunter22".into()),
            ("name".into(), "${var.pw}".into()),
        ],
        files: vec![file],
        env: Vec::new(),
    };
    assert_eq!(
        tags_of(doc, &inputs),
        serde_json::json!({
            "Name": "$${var.pw}",
            "In": "x-$${var.pw}",
            "Fixed": "$${vpc.id}",
            "Pw": "hunter22",
        })
    );
    let loaded = load_sources(vec![SourceFile::new("stack.yaml", doc)], &inputs)
        .unwrap_or_else(|e| panic!("{}", render(&e.diagnostics, &e.sources, false, 100)));
    assert_eq!(
        loaded.stack.resources["other"].spec.to_attrs()["tags"],
        serde_json::json!({"A": "$${var.pw}", "B": "$$${x}"})
    );
    // Nothing reads `vpc` through the default's text.
    assert!(loaded.stack.resources["vpc"].refs.is_empty());
}

/// The documented escape in a document: `$${var.pw}` is the text `${var.pw}`, kept escaped.
#[test]
fn an_escaped_reference_in_a_document_stays_escaped() {
    let doc = "stack: lab
variables:
  pw: {sensitive: true}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.0.0.0/16
    tags: {Lit: \"$${var.pw}\", Pw: \"${var.pw}\"}
";
    let inputs = VarInputs {
        cli: vec![("pw".into(), "hunter22".into())],
        ..Default::default()
    };
    assert_eq!(
        tags_of(doc, &inputs),
        serde_json::json!({"Lit": "$${var.pw}", "Pw": "hunter22"})
    );
}
