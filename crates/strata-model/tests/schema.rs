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
    let variants = v["properties"]["resources"]["additionalProperties"]["oneOf"]
        .as_array()
        .expect("one variant per kind");
    assert_eq!(variants.len(), strata_model::kinds::all().len());
    for (kind, variant) in strata_model::kinds::all().iter().zip(variants) {
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
    let variants = v["properties"]["resources"]["additionalProperties"]["oneOf"]
        .as_array()
        .expect("one variant per kind");
    for (kind, variant) in strata_model::kinds::all().iter().zip(variants) {
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
