//! `docs/kinds.md`: every kind's fields, generated from the same types as the schema.

use std::fmt::Write;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::kinds::{self, Omitted, ReplaceOrder, Update};

fn type_of(v: &Value) -> String {
    // `Option<T>`: anyOf T or null.
    if let Some(any) = v.get("anyOf").and_then(Value::as_array)
        && let Some(t) = any
            .iter()
            .find(|x| x.get("type").and_then(Value::as_str) != Some("null"))
    {
        return type_of(t);
    }
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return match r.rsplit('/').next() {
            Some("Ipv4Cidr") => "IPv4 CIDR".to_string(),
            Some("Ref") => "resource name".to_string(),
            Some("Tags") => "tags".to_string(),
            Some("TextOrFile") => "text, or `{file: PATH}`".to_string(),
            Some(other) => other.to_string(),
            None => r.to_string(),
        };
    }
    if let Some(e) = v.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = e
            .iter()
            .filter_map(Value::as_str)
            .map(|s| format!("`{s}`"))
            .collect();
        return names.join(" or ");
    }
    if let Some(one) = v.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = one
            .iter()
            .filter_map(|o| o.get("const").and_then(Value::as_str))
            .map(|s| format!("`{s}`"))
            .collect();
        if !names.is_empty() {
            return names.join(" or ");
        }
    }
    match v.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "list of {}",
                v.get("items").map_or("values".to_string(), type_of)
            )
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) if ts.iter().any(|t| t == "array") => {
            format!(
                "list of {}",
                v.get("items").map_or("values".to_string(), type_of)
            )
        }
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "value".to_string(),
    }
}

/// The Markdown reference of every kind.
pub fn kinds_markdown() -> String {
    let mut generator = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let schemas = kinds::schemas(&mut generator);
    let defs = generator.take_definitions(true);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Resource kinds\n\n<!-- Generated from the Rust types by `STRATA_UPDATE_DOCS=1 cargo test -p strata-model --test schema`; do not edit. -->\n\n\
         Every resource has `kind:` and the kind's fields, and may have `depends_on:` (names of \
         resources that must exist first) and `lifecycle:` (`prevent_destroy`, \
         `create_before_destroy`, `ignore_changes`, `owned_elsewhere`, `sensitive`, `wait`). See [documents.md](documents.md).\n\n\
         **Update** says what a change to the field does: *in place* changes the existing \
         resource; *replace* deletes it and creates a new one (or the reverse order with \
         `create_before_destroy`). A field the documents leave out that has no default is \
         either *none* (compared with the live value, which is removed: a gateway is detached) \
         or *left as it is* (AWS's choice when the resource was made, or what was set before); \
         each such field says which.\n"
    );
    for (info, schema) in schemas {
        let v = schema.to_value();
        let required: Vec<&str> = v
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let _ = writeln!(out, "## `{}`\n\n{}\n", info.name, info.summary);
        let _ = writeln!(out, "| field | type | required | update | description |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for f in info.fields {
            let prop = v
                .pointer(&format!("/properties/{}", f.name))
                .cloned()
                .unwrap_or(Value::Null);
            let resolved = prop
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                .and_then(|n| defs.get(n))
                .filter(|d| d.get("enum").is_some() || d.get("oneOf").is_some())
                .cloned()
                .unwrap_or_else(|| prop.clone());
            let desc = prop
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .replace('\n', " ");
            let default = prop
                .get("default")
                .map(|d| format!(" Default: `{d}`."))
                .unwrap_or_default();
            let named = info.policy.name_prefix.filter(|np| np.name == f.name);
            let omitted = match f.omitted {
                _ if named.is_some() => {
                    " Omitted: made from the name prefix when the resource is created."
                }
                Omitted::Default => "",
                Omitted::Unset => " Omitted: none; a value set before is removed.",
                Omitted::Kept => " Omitted: left as it is.",
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {}{}{} |",
                f.name,
                type_of(&resolved),
                if required.contains(&f.name) {
                    "yes"
                } else {
                    "no"
                },
                match f.update {
                    Update::InPlace => "in place",
                    Update::Replace => "replace",
                },
                desc,
                if desc.contains("Default") {
                    String::new()
                } else {
                    default
                },
                omitted
            );
        }
        let unique: Vec<String> = info
            .unique_fields()
            .map(|f| format!("`{}`", f.name))
            .collect();
        if !unique.is_empty() {
            let _ = writeln!(
                out,
                "\nAWS refuses two at once with the same {}: replacing one with \
                 `create_before_destroy` needs {} to change{}.",
                unique.join(" and "),
                if unique.len() == 1 {
                    "it"
                } else {
                    "one of them"
                },
                match info.policy.name_prefix {
                    Some(np) => format!(
                        ", or `{}` instead of `{}`: each new copy then gets a name of its own",
                        np.prefix, np.name
                    ),
                    None => String::new(),
                }
            );
        }
        match info.policy.replace {
            ReplaceOrder::DeleteFirst => {}
            ReplaceOrder::CreateFirst => {
                let _ = writeln!(out, "\nA replacement always creates the new copy first.");
            }
            ReplaceOrder::NewRevision => {
                let _ = writeln!(
                    out,
                    "\nA change to a replace field registers a new revision first; the old one \
                     is removed once nothing uses it."
                );
            }
        }
        if info.policy.id_from_documents {
            let _ = writeln!(
                out,
                "\nIts id follows from the documents: strata reads it by the id the lockfile \
                 records and never looks for it by tag; created again (after a crash lost its \
                 record), it is written again, never made twice."
            );
        }
        if !info.policy.compare.is_empty() {
            let fields: Vec<String> = info
                .policy
                .compare
                .iter()
                .map(|(f, _)| format!("`{f}`"))
                .collect();
            let _ = writeln!(
                out,
                "\nCompared in the form AWS writes them back (no change is shown for a value \
                 written another way that AWS stores the same): {}.",
                fields.join(", ")
            );
        }
        // Nested structures (a route, a rule, an entry): their own field tables.
        let mut nested: Vec<String> = Vec::new();
        for f in info.fields {
            let prop = v
                .pointer(&format!("/properties/{}", f.name))
                .cloned()
                .unwrap_or(Value::Null);
            let r = prop
                .pointer("/items/$ref")
                .or_else(|| prop.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_string);
            if let Some(name) = r
                && !nested.contains(&name)
                && defs.get(&name).and_then(|d| d.get("properties")).is_some()
            {
                nested.push(name);
            }
        }
        for name in &nested {
            let Some(def) = defs.get(name) else { continue };
            let required: Vec<&str> = def
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\n`{name}`: {}\n",
                def.get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .replace('\n', " ")
            );
            let _ = writeln!(out, "| field | type | required | description |");
            let _ = writeln!(out, "|---|---|---|---|");
            if let Some(Value::Object(props)) = def.get("properties") {
                for (k, p) in props {
                    let _ = writeln!(
                        out,
                        "| `{k}` | {} | {} | {} |",
                        type_of(p),
                        if required.contains(&k.as_str()) {
                            "yes"
                        } else {
                            "no"
                        },
                        p.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .replace('\n', " ")
                    );
                }
            }
        }
        let mut attrs = vec!["`id`".to_string()];
        attrs.extend(info.fields.iter().map(|f| format!("`{}`", f.name)));
        attrs.extend(
            info.computed
                .iter()
                .map(|a| format!("`{}` ({})", a.name, a.doc.trim_end_matches('.'))),
        );
        let _ = writeln!(
            out,
            "\nOther resources can read: {}, as `${{NAME.ATTRIBUTE}}`.\n",
            attrs.join(", ")
        );
    }
    out
}
