//! The JSON Schema of stack documents, generated from the Rust types.
//!
//! `schemas/strata.schema.json` is this output, checked in; a test fails when it is stale.
//! A resource's fields are chosen by its `kind` (`allOf` of `if` kind / `then` fields), so that
//! generic validators (check-jsonschema, yaml-language-server) report a mistyped field as one
//! error against that kind, not as "valid under none of" every kind.
//! Editors pick it up from `# yaml-language-server: $schema=...` for completion.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::kinds;
use crate::stack::Lifecycle;
use crate::types::Tags;

/// The document schema as pretty-printed JSON with a trailing newline.
pub fn document_schema() -> String {
    let mut generator = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let tags = generator.subschema_for::<Tags>();
    let lifecycle = generator.subschema_for::<Lifecycle>();

    let mut variants = Vec::new();
    for (info, schema) in kinds::schemas(&mut generator) {
        let mut v = schema.to_value();
        let obj = v.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut obj: Map<String, Value> = obj;
        let mut props = obj
            .remove("properties")
            .and_then(|p| match p {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        props.insert(
            "kind".into(),
            json!({ "const": info.name, "description": info.summary }),
        );
        props.insert(
            "depends_on".into(),
            json!({
                "type": "array",
                "items": { "type": "string" },
                "description": "Resources that must exist first, where no reference says so."
            }),
        );
        props.insert("lifecycle".into(), lifecycle.clone().to_value());
        let mut required = vec![Value::String("kind".into())];
        if let Some(Value::Array(r)) = obj.remove("required") {
            required.extend(r);
        }
        obj.insert("title".into(), Value::String(info.name.into()));
        obj.insert("description".into(), Value::String(info.summary.into()));
        obj.insert("type".into(), Value::String("object".into()));
        obj.insert("properties".into(), Value::Object(props));
        obj.insert("required".into(), Value::Array(required));
        obj.insert("additionalProperties".into(), Value::Bool(false));
        // Selected by its `kind`, not tried against every kind (`oneOf`): a validator then
        // reports a mistake against the kind's own fields only.
        variants.push(json!({
            "if": {
                "properties": { "kind": { "const": info.name } },
                "required": ["kind"]
            },
            "then": Value::Object(obj)
        }));
    }
    let kind_names: Vec<&str> = kinds::all().iter().map(|k| k.name).collect();

    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/strata-iac/strata/schemas/strata.schema.json",
        "title": "strata stack document",
        "description": "A strata stack: AWS resources described in YAML. One file, or several in one directory, merged.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "stack": {
                "type": "string",
                "description": "The stack's name: the ownership scope. Every resource strata creates is tagged strata:stack=<name>.",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
            },
            "region": {
                "type": "string",
                "description": "The AWS region, e.g. us-east-1. Defaults to --region, then AWS_REGION."
            },
            "state": {
                "type": "string",
                "description": "Where the stack's state is kept: s3://BUCKET/PREFIX (docs/state.md). --state and STRATA_STATE win over it. Left out: the local lockfile strata.lock.",
                "pattern": "^s3://[a-z0-9.-]{3,63}(/.*)?$"
            },
            "lifetime": {
                "type": "string",
                "description": "A lab's lifetime, e.g. 8h: each apply tags the stack's resources to expire that long after it (strata:expires); strata sweep --expired finds the stack after that. A number and s, m, h or d.",
                "pattern": "^\\s*[0-9]+\\s*[smhd]\\s*$"
            },
            "default_tags": tags.to_value(),
            "variables": {
                "type": "object",
                "description": "Inputs, set with --var NAME=VALUE, --var-file FILE, STRATA_VAR_NAME or a default. Use them as ${var.NAME}.",
                "additionalProperties": {
                    "type": ["object", "null"],
                    "additionalProperties": false,
                    "properties": {
                        "default": { "description": "The value used when none is given." },
                        "description": { "type": "string" },
                        "sensitive": { "type": "boolean", "description": "Never print or store the value." }
                    }
                }
            },
            "resources": {
                "type": "object",
                "description": "Resources by logical name. Each has a kind and the kind's fields.",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,63}$" },
                "additionalProperties": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": { "kind": { "enum": kind_names } },
                    "allOf": variants
                }
            },
            "outputs": {
                "type": "object",
                "description": "Values shown after apply and kept in the lockfile, e.g. ${vpc.id}.",
                "additionalProperties": {
                    "oneOf": [
                        { "type": "string" },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["value"],
                            "properties": {
                                "value": { "type": "string" },
                                "description": { "type": "string" },
                                "sensitive": { "type": "boolean" }
                            }
                        }
                    ]
                }
            }
        },
        "$defs": Value::Object(generator.take_definitions(true))
    });
    let mut out = serde_json::to_string_pretty(&root).unwrap_or_default();
    out.push('\n');
    out
}

/// What the documents' fields of a kind are when left out, from the schema: the fields it
/// requires, and the defaults of those that have one (`strata generate` leaves out a value
/// equal to its default).
#[derive(Debug, Clone, Default)]
pub struct FieldDefaults {
    pub required: Vec<String>,
    pub defaults: Map<String, Value>,
}

/// [`FieldDefaults`] of every kind, by kind name.
pub fn field_defaults() -> std::collections::BTreeMap<&'static str, FieldDefaults> {
    let mut generator = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    kinds::schemas(&mut generator)
        .into_iter()
        .map(|(info, schema)| {
            let v = schema.to_value();
            let required = v["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|f| f.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let defaults = v["properties"]
                .as_object()
                .map(|props| {
                    props
                        .iter()
                        .filter_map(|(f, p)| p.get("default").map(|d| (f.clone(), d.clone())))
                        .collect()
                })
                .unwrap_or_default();
            (info.name, FieldDefaults { required, defaults })
        })
        .collect()
}

#[cfg(test)]
mod defaults_tests {
    #[test]
    fn the_defaults_of_a_vpc_are_the_schemas() {
        let all = super::field_defaults();
        let vpc = &all["ec2.vpc"];
        assert_eq!(vpc.required, vec!["cidr_block".to_string()]);
        assert_eq!(vpc.defaults["enable_dns_support"], serde_json::json!(true));
        assert_eq!(
            vpc.defaults["instance_tenancy"],
            serde_json::json!("default")
        );
    }
}
