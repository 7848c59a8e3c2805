//! Value types shared by resource kinds: CIDR blocks, tags, references.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ipnet::Ipv4Net;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::spanned::Spanned;

/// An IPv4 CIDR block such as `10.10.0.0/16`. The host bits must be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Cidr(pub Ipv4Net);

impl Ipv4Cidr {
    pub fn net(&self) -> Ipv4Net {
        self.0
    }

    /// True when the two blocks share at least one address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }

    /// True when `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        self.0.contains(&other.0)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if !s.contains('/') {
            return Err(if s.parse::<std::net::Ipv4Addr>().is_ok() {
                format!("`{s}` is not a CIDR block: the prefix length is missing (e.g. `{s}/24`)")
            } else {
                format!("`{s}` is not an IPv4 CIDR block")
            });
        }
        let net: Ipv4Net = s.parse().map_err(|_| {
            format!("`{s}` is not a valid IPv4 CIDR block (expected a.b.c.d/n, n from 0 to 32)")
        })?;
        if net.addr() != net.network() {
            return Err(format!(
                "`{s}` has host bits set; the block starts at `{}`",
                net.trunc()
            ));
        }
        Ok(Ipv4Cidr(net))
    }
}

impl Serialize for Ipv4Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ipv4Cidr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IPv4 CIDR block such as 10.0.0.0/16")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ipv4Cidr, E> {
                let text = literal(v);
                let v = text.as_deref().unwrap_or(v);
                if text.is_none() && crate::expr::has_template(v) {
                    return Err(E::custom(template_error(
                        v,
                        "a CIDR block is written out, as it is checked before anything exists\nhelp: write the block, e.g. 10.10.0.0/16 (a `${var.NAME}` may give it)",
                    )));
                }
                v.parse().map_err(|m: String| {
                    E::custom(if text.is_some() {
                        format!(
                            "{m}\nhelp: a variable's value is used as written (a `${{...}}` in it \
                             is not replaced); give an IPv4 block such as 10.10.0.0/16"
                        )
                    } else {
                        format!(
                            "{m}\nhelp: write an IPv4 block as address/prefix, e.g. 10.10.0.0/16"
                        )
                    })
                })
            }
        }
        d.deserialize_str(V)
    }
}

impl JsonSchema for Ipv4Cidr {
    fn schema_name() -> Cow<'static, str> {
        "Ipv4Cidr".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An IPv4 CIDR block, e.g. 10.0.0.0/16, or a ${var.NAME} that gives one.",
            "pattern": "^(([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}|.*\\$\\{var\\.[^}]+\\}.*)$"
        })
    }
}

/// The text of a value whose `${` are all escaped (`$${`): literal text, such as a variable's
/// value (variables' values are data, never expanded), which is read as written.
fn literal(v: &str) -> Option<String> {
    if !v.contains("$${") {
        return None;
    }
    let segs = crate::expr::parse(v).ok()?;
    let mut out = String::new();
    for s in segs {
        match s {
            crate::expr::Segment::Lit(l) => out.push_str(&l),
            _ => return None,
        }
    }
    Some(out)
}

/// Why a value holding `${...}` cannot be read where a plain value is needed. Variables are
/// substituted before values are read, so a `${var.NAME}` left is one without a value, or one
/// written inside another variable's value (which is not a template); anything else is an
/// expression, which such a field does not take.
fn template_error(v: &str, expression: &str) -> String {
    let Ok(segs) = crate::expr::parse(v) else {
        return format!(
            "`{v}` holds a malformed `${{...}}`\nhelp: write `${{var.NAME}}`, or escape a literal `${{` as `$${{`"
        );
    };
    let unset = segs.iter().find_map(|s| match s {
        crate::expr::Segment::Var { name, .. } => Some(*name),
        _ => None,
    });
    match unset {
        Some(name) => format!(
            "`{v}` holds variable `{name}`, which has no value in this run\nhelp: give `{name}` a value (--var, --var-file, STRATA_VAR_{name} or a `default:`)"
        ),
        None => format!("`{v}` is an expression; {expression}"),
    }
}

/// Resource tags as written, in document order, each key and value with its location.
/// Serializes as a mapping sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<(Spanned<String>, Spanned<String>)>);

impl Tags {
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of tag keys to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<Spanned<String>>()?;
                    out.push((k, v));
                }
                Ok(Tags(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl JsonSchema for Tags {
    fn schema_name() -> Cow<'static, str> {
        "Tags".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Tags: at most 50; keys 1-128 characters, not starting with `aws:`; values 0-256 characters.",
            "maxProperties": 50,
            "propertyNames": { "minLength": 1, "maxLength": 128, "not": { "pattern": "^aws:" } },
            "additionalProperties": { "type": "string", "maxLength": 256 }
        })
    }
}

/// A typed reference to another resource: the logical name of a resource in the stack, or the
/// AWS id of a resource strata does not manage (`vpc-0abc…`, `pl-63a5400a`).
/// In the desired state a name becomes `${name.id}`, resolved when the target exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref(pub Spanned<String>);

/// Does this look like an AWS resource id (`prefix-hex`), rather than a logical name?
pub fn is_aws_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.rsplit_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && rest.len() >= 8
        && rest.len() <= 17
        && rest
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

impl Ref {
    pub fn name(&self) -> &str {
        &self.0.value
    }

    /// A resource outside the stack, named by its AWS id or its ARN.
    pub fn is_external(&self) -> bool {
        is_aws_id(&self.0.value) || self.0.value.starts_with("arn:")
    }

    /// The expression this reference stands for: `${name.id}`, or the external id itself.
    pub fn expression(&self) -> String {
        if self.is_external() {
            self.0.value.clone()
        } else {
            format!("${{{}.id}}", self.0.value)
        }
    }
}

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expression())
    }
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = Spanned::<RefName>::deserialize(d)?;
        Ok(Ref(Spanned::new(name.span, name.value.0)))
    }
}

/// The text of a reference: a string (a plain `1` or `true` is a number or a boolean, never a
/// resource's name), and a name rather than a `${...}` expression.
struct RefName(String);

impl<'de> Deserialize<'de> for RefName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RefName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the name of a resource (or the AWS id of one outside the stack)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RefName, E> {
                if let Some(text) = literal(v) {
                    return Ok(RefName(text));
                }
                if !crate::expr::has_template(v) {
                    return Ok(RefName(v.to_string()));
                }
                let help = match crate::expr::parse(v).as_deref() {
                    Ok([crate::expr::Segment::Attr { resource, .. }]) => {
                        format!("write the name alone: `{resource}`")
                    }
                    _ => "write the resource's name alone, e.g. `vpc`".to_string(),
                };
                Err(E::custom(template_error(
                    v,
                    &format!("a reference field takes the name of a resource\nhelp: {help}"),
                )))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Ref {
    fn schema_name() -> Cow<'static, str> {
        "Ref".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "The logical name of another resource in this stack (not a ${...} expression), or the AWS id of a resource outside it; a ${var.NAME} may give either.",
            "pattern": "^([A-Za-z][A-Za-z0-9_-]*|.*\\$\\{var\\.[^}]+\\}.*)$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing_explains_mistakes() {
        assert!("10.0.0.0/16".parse::<Ipv4Cidr>().is_ok());
        let e = "10.0.0.1/16".parse::<Ipv4Cidr>().expect_err("host bits");
        assert!(e.contains("10.0.0.0/16"), "{e}");
        let e = "10.0.0.0".parse::<Ipv4Cidr>().expect_err("no prefix");
        assert!(e.contains("prefix length"), "{e}");
        assert!("10.0.0.0/33".parse::<Ipv4Cidr>().is_err());
        assert!("300.0.0.0/8".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn aws_ids_are_told_from_names() {
        assert!(is_aws_id("vpc-0abc1234"));
        assert!(is_aws_id("pl-63a5400a"));
        assert!(is_aws_id("tgw-attach-0123456789abcdef0"));
        assert!(!is_aws_id("web-sg"));
        assert!(!is_aws_id("subnet_a"));
        assert!(!is_aws_id("vpc"));
        assert!(!is_aws_id("app-deadbeefX"));
    }

    #[test]
    fn overlap_and_containment() {
        let a: Ipv4Cidr = "10.0.0.0/16".parse().expect("a");
        let b: Ipv4Cidr = "10.0.1.0/24".parse().expect("b");
        let c: Ipv4Cidr = "10.1.0.0/24".parse().expect("c");
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!(a.contains(&b) && !b.contains(&a));
    }
}

/// The schema of a field whose text may be read from a file next to the document
/// ([`crate::kinds::FieldDef::from_file`]): the text itself, or `{file: PATH}`. The loader
/// puts the file's text in the field's place before the field is read.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TextOrFile {
    Text(String),
    File {
        /// A path relative to the document's directory.
        file: String,
    },
}
