//! The checked-in JSON Schema must match the Rust types.

use std::path::PathBuf;

#[test]
fn checked_in_schema_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/strata.schema.json");
    let fresh = strata_model::schema::document_schema();
    if std::env::var_os("STRATA_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).expect("write the schema");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "schemas/strata.schema.json is stale: regenerate it with\n  \
         STRATA_UPDATE_SCHEMA=1 cargo test -p strata-model --test schema\n\
         (or `strata schema > schemas/strata.schema.json`) and commit it"
    );
}

#[test]
fn schema_lists_every_kind_with_its_fields() {
    let v: serde_json::Value =
        serde_json::from_str(&strata_model::schema::document_schema()).expect("valid JSON");
    let variants = v["properties"]["resources"]["additionalProperties"]["allOf"]
        .as_array()
        .expect("one variant per kind");
    assert_eq!(variants.len(), strata_model::kinds::all().len());
    for (kind, selected) in strata_model::kinds::all().iter().zip(variants) {
        assert_eq!(selected["if"]["properties"]["kind"]["const"], kind.name);
        let variant = &selected["then"];
        assert_eq!(variant["properties"]["kind"]["const"], kind.name);
        for f in kind.fields {
            assert!(
                variant["properties"].get(f.name).is_some(),
                "{} field {} is in the schema",
                kind.name,
                f.name
            );
        }
        assert_eq!(variant["additionalProperties"], false);
    }
}

#[test]
fn checked_in_kind_reference_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/kinds.md");
    let fresh = strata_model::kinds_doc::kinds_markdown();
    if std::env::var_os("STRATA_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).expect("write docs/kinds.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/kinds.md is stale: regenerate it with\n  \
         STRATA_UPDATE_DOCS=1 cargo test -p strata-model --test schema\nand commit it"
    );
}

/// What leaving a field out means is stated once, in the field table, and agrees with the
/// documents' types: a field the schema requires or gives a default is always in the
/// documents (`Omitted::Default`); every other field says whether leaving it out means none
/// or leaves the live value as it is.
#[test]
fn each_optional_field_says_what_leaving_it_out_means() {
    use strata_model::kinds::Omitted;
    let v: serde_json::Value =
        serde_json::from_str(&strata_model::schema::document_schema()).expect("valid JSON");
    let variants = v["properties"]["resources"]["additionalProperties"]["allOf"]
        .as_array()
        .expect("one variant per kind");
    for (kind, selected) in strata_model::kinds::all().iter().zip(variants) {
        let variant = &selected["then"];
        let required: Vec<&str> = variant["required"]
            .as_array()
            .map(|r| r.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        for f in kind.fields {
            let always = required.contains(&f.name)
                || variant["properties"][f.name].get("default").is_some();
            assert_eq!(
                f.omitted == Omitted::Default,
                always,
                "{}.{}: required or defaulted in the schema: {always}; the field table says {:?}",
                kind.name,
                f.name,
                f.omitted
            );
        }
    }
}

/// The virtualenv's `check-jsonschema` (tests/emulator/requirements.txt pins it); the test
/// fails, saying how to install it, when it is missing.
fn check_jsonschema() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("STRATA_VENV").map_or_else(|| repo.join(".venv"), PathBuf::from);
    let exe = venv.join("bin/check-jsonschema");
    assert!(
        exe.is_file(),
        "check-jsonschema is not installed in {}: run `scripts/emulator install` (with \
         STRATA_VENV set to the virtualenv the tests use), which installs \
         tests/emulator/requirements.txt, or `{}/bin/pip install -r \
         tests/emulator/requirements.txt`",
        venv.display(),
        venv.display()
    );
    exe
}

/// Runs check-jsonschema with the checked-in schema over `files`: (exit code, its output).
fn validate_with_check_jsonschema(files: &[PathBuf]) -> (Option<i32>, String) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(repo.join("schemas/strata.schema.json"))
        .args(files)
        .output()
        .expect("run check-jsonschema");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A generic validator (check-jsonschema, as editors' yaml-language-server) accepts every
/// example with the checked-in schema, and answers a mistyped field name with one error naming
/// it, against the resource's own kind (the schema selects a kind's fields by its `kind`).
#[test]
fn a_generic_validator_accepts_the_examples_and_names_a_typo_once() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo.join("examples"))
        .expect("the examples")
        .flatten()
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .map(|f| f.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && !p.to_string_lossy().ends_with(".vars.yaml")
        })
        .collect();
    examples.push(repo.join("tests/crash/every-kind.yaml"));
    examples.sort();
    assert!(examples.len() > 10, "{examples:?}");
    let (code, out) = validate_with_check_jsonschema(&examples);
    assert_eq!(code, Some(0), "{out}");

    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n    enable_dns_hostname: true\n",
            "'enable_dns_hostname' was unexpected",
        ),
        (
            "sub:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.0.1.0/24\n    availabilty_zone: us-east-1a\n",
            "'availabilty_zone' was unexpected",
        ),
        (
            "vpc:\n    kind: ec2.vcp\n    cidr_block: 10.0.0.0/16\n",
            "'ec2.vcp' is not one of",
        ),
    ];
    for (i, (resource, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("broken-{i}.yaml"));
        std::fs::write(&path, format!("stack: lab\nresources:\n  {resource}"))
            .expect("write a document");
        let (code, out) = validate_with_check_jsonschema(&[path]);
        assert_eq!(code, Some(1), "{out}");
        let errors: Vec<&str> = out.lines().filter(|l| l.contains("::$")).collect();
        assert_eq!(errors.len(), 1, "one error, not one per kind:\n{out}");
        assert!(errors[0].contains(expected), "{out}");
        assert!(!out.contains("other errors"), "{out}");
    }
}
