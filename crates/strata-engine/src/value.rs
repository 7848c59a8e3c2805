//! Attribute values: JSON values whose strings may hold `${resource.attribute}` references.

use serde_json::{Map, Value};
use strata_model::expr::{self, Segment};

/// A resource's attributes by field name.
pub type Attrs = Map<String, Value>;

/// The result of resolving references in a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The value with every known reference substituted; strings with unknown references keep
    /// their template form (e.g. `${vpc.id}`).
    pub value: Value,
    /// `resource.attribute` references that are not known yet.
    pub unknown: Vec<String>,
}

/// Substitutes references using `lookup(resource, attribute)`.
///
/// A string that is exactly one reference takes the referenced value as it is (a list stays a
/// list); references inside longer strings are formatted as text.
pub fn resolve(value: &Value, lookup: &dyn Fn(&str, &str) -> Option<Value>) -> Resolved {
    let mut unknown = Vec::new();
    let value = resolve_inner(value, lookup, &mut unknown);
    unknown.sort();
    unknown.dedup();
    Resolved { value, unknown }
}

fn resolve_inner(
    value: &Value,
    lookup: &dyn Fn(&str, &str) -> Option<Value>,
    unknown: &mut Vec<String>,
) -> Value {
    match value {
        Value::String(s) if expr::has_template(s) => resolve_str(s, lookup, unknown),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve_inner(v, lookup, unknown))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_inner(v, lookup, unknown)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn resolve_str(
    s: &str,
    lookup: &dyn Fn(&str, &str) -> Option<Value>,
    unknown: &mut Vec<String>,
) -> Value {
    let Ok(segs) = expr::parse(s) else {
        // Validation rejects malformed templates; keep the text as it is.
        return Value::String(s.to_string());
    };
    let mut missing = false;
    let mut values = Vec::with_capacity(segs.len());
    for seg in &segs {
        match seg {
            Segment::Attr { resource, attr, .. } => match lookup(resource, attr) {
                Some(v) => values.push(Some(v)),
                None => {
                    unknown.push(format!("{resource}.{attr}"));
                    missing = true;
                    values.push(None);
                }
            },
            // A sensitive variable left in a sealed plan (see `secret`).
            Segment::Var { name, .. } => match lookup("var", name) {
                Some(v) => values.push(Some(v)),
                None => {
                    unknown.push(format!("var.{name}"));
                    missing = true;
                    values.push(None);
                }
            },
            Segment::Lit(_) => values.push(None),
        }
    }
    if missing {
        return Value::String(s.to_string());
    }
    if let ([Segment::Attr { .. } | Segment::Var { .. }], [Some(v)]) =
        (segs.as_slice(), values.as_slice())
    {
        return v.clone();
    }
    let mut out = String::new();
    for (seg, v) in segs.iter().zip(values) {
        match (seg, v) {
            (Segment::Lit(l), _) => out.push_str(l),
            (Segment::Attr { .. } | Segment::Var { .. }, Some(Value::String(v))) => {
                out.push_str(&v);
            }
            (Segment::Attr { .. } | Segment::Var { .. }, Some(v)) => out.push_str(&v.to_string()),
            _ => {}
        }
    }
    Value::String(out)
}

/// Substitutes the references `lookup` knows and keeps the value in template form: references
/// not known yet stay `${...}`, and known text holding `${` is escaped as `$${`, so that every
/// `${` left is a reference. This is how a plan shows a value known only after apply.
pub fn resolve_partly(value: &Value, lookup: &dyn Fn(&str, &str) -> Option<Value>) -> Value {
    match value {
        Value::String(s) if expr::has_template(s) => partly_str(s, lookup),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| resolve_partly(v, lookup)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_partly(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn partly_str(s: &str, lookup: &dyn Fn(&str, &str) -> Option<Value>) -> Value {
    let Ok(segs) = expr::parse(s) else {
        return Value::String(s.to_string());
    };
    let mut out = String::new();
    for seg in &segs {
        let (found, start, end) = match seg {
            Segment::Lit(l) => {
                out.push_str(&expr::escape(l));
                continue;
            }
            Segment::Attr {
                resource,
                attr,
                start,
                end,
            } => (lookup(resource, attr), *start, *end),
            Segment::Var { name, start, end } => (lookup("var", name), *start, *end),
        };
        match found {
            // A whole reference keeps the referenced value's type.
            Some(v) if segs.len() == 1 => return escaped(&v),
            Some(Value::String(v)) => out.push_str(&expr::escape(&v)),
            Some(v) => out.push_str(&expr::escape(&v.to_string())),
            None => out.push_str(&s[start..end]),
        }
    }
    Value::String(out)
}

/// A value as literal text in template form: every `${` escaped.
fn escaped(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(expr::escape(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(escaped).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), escaped(v))).collect())
        }
        other => other.clone(),
    }
}

/// What a value in template form without references stands for: its escapes removed.
pub fn unescape(value: &Value) -> Value {
    resolve(value, &|_, _| None).value
}

/// True when a value in template form still holds a `${...}` reference (a resolved value is
/// data: its text is never read as references again).
pub fn has_unresolved(value: &Value) -> bool {
    match value {
        Value::String(s) => !expr::attr_refs(s).is_empty(),
        Value::Array(items) => items.iter().any(has_unresolved),
        Value::Object(map) => map.values().any(has_unresolved),
        _ => false,
    }
}

/// A short one-line rendering of a value, for plans and messages.
pub fn short(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lookup(res: &str, attr: &str) -> Option<Value> {
        match (res, attr) {
            ("vpc", "id") => Some(json!("vpc-123")),
            ("vpc", "blocks") => Some(json!(["10.0.0.0/16"])),
            _ => None,
        }
    }

    #[test]
    fn known_references_are_substituted() {
        let r = resolve(
            &json!({"vpc": "${vpc.id}", "name": "in-${vpc.id}", "x": 1}),
            &lookup,
        );
        assert_eq!(
            r.value,
            json!({"vpc": "vpc-123", "name": "in-vpc-123", "x": 1})
        );
        assert!(r.unknown.is_empty());
    }

    #[test]
    fn whole_references_keep_their_type() {
        let r = resolve(&json!("${vpc.blocks}"), &lookup);
        assert_eq!(r.value, json!(["10.0.0.0/16"]));
    }

    #[test]
    fn unknown_references_stay_as_templates() {
        let r = resolve(
            &json!({"a": "${subnet.id}", "b": "x-${vpc.id}-${nat.id}"}),
            &lookup,
        );
        assert_eq!(
            r.value,
            json!({"a": "${subnet.id}", "b": "x-${vpc.id}-${nat.id}"})
        );
        assert_eq!(
            r.unknown,
            vec!["nat.id".to_string(), "subnet.id".to_string()]
        );
        assert!(has_unresolved(&r.value));
    }

    /// In template form, what is known is substituted and escaped, and what is not stays a
    /// reference: a literal `${x.y}` written `$${x.y}` is never taken for one.
    #[test]
    fn partly_resolved_values_keep_only_unknown_references() {
        let v = json!({
            "a": "${vpc.id}/${nat.id}",
            "b": "$${vpc.id}",
            "c": ["${vpc.blocks}", "${subnet.id}", "lit $${x.y}"],
            "d": "${vpc.blocks}",
        });
        let r = resolve_partly(&v, &lookup);
        assert_eq!(
            r,
            json!({
                "a": "vpc-123/${nat.id}",
                "b": "$${vpc.id}",
                "c": [["10.0.0.0/16"], "${subnet.id}", "lit $${x.y}"],
                "d": ["10.0.0.0/16"],
            })
        );
        assert!(has_unresolved(&r["a"]) && has_unresolved(&r["c"][1]));
        assert!(!has_unresolved(&r["b"]) && !has_unresolved(&r["c"][2]));
        assert_eq!(unescape(&r["b"]), json!("${vpc.id}"));
        assert_eq!(
            resolve_partly(&json!("${vpc.id}"), &|_, _| Some(json!("has ${x.y}"))),
            json!("has $${x.y}")
        );
    }

    #[test]
    fn escapes_are_removed() {
        let r = resolve(&json!("cost $${x}"), &lookup);
        assert_eq!(r.value, json!("cost ${x}"));
    }
}
