//! `strata generate`: stack documents in strata's form, written from resources as they were
//! read from AWS. Each resource gets a logical name (from its `Name` tag, else its kind's), a
//! reference to another generated resource names it by that name instead of its id, and a
//! field whose value is the schema's default (or nothing: an empty list, no value) is left out.
//! What the kind's field table marks as strata's own (`local`) or secret (AWS never returns it)
//! cannot be read back, and is left for the user to write.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;
use strata_model::kinds;
use strata_model::schema::FieldDefaults;

use crate::provider::LiveResource;

/// Where the documents come from, for their first lines.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub stack: &'a str,
    pub region: &'a str,
    /// What was read: `VPC vpc-0abc… and what is in it`.
    pub what: &'a str,
}

/// A generated resource: the name the documents give it, its kind and its id in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub kind: String,
    pub id: String,
}

/// The documents and the resources they name.
#[derive(Debug, Clone)]
pub struct Generated {
    pub text: String,
    pub resources: Vec<Named>,
    /// Fields the documents need that AWS does not return (`KIND NAME: FIELD`), to write by
    /// hand.
    pub to_write: Vec<String>,
}

/// Fields of which the documents take one only: the first is kept when AWS reports both (a
/// subnet's zone by name and by id).
const ALTERNATIVES: &[(&str, &str, &str)] =
    &[("ec2.subnet", "availability_zone", "availability_zone_id")];

/// Writes the documents.
pub fn documents(origin: &Origin<'_>, live: &[LiveResource]) -> Generated {
    let defaults = strata_model::schema::field_defaults();
    let ordered = in_kind_order(live);
    let names = logical_names(&ordered);
    // Written in the kinds' order, then by name (ids differ from one run to the next).
    let mut pairs: Vec<(&LiveResource, String)> = ordered.into_iter().zip(names).collect();
    pairs.sort_by(|(a, x), (b, y)| (rank(&a.kind), x).cmp(&(rank(&b.kind), y)));
    let (ordered, names): (Vec<&LiveResource>, Vec<String>) = pairs.into_iter().unzip();
    let by_id: BTreeMap<&str, &str> = ordered
        .iter()
        .zip(&names)
        .map(|(l, n)| (l.id.as_str(), n.as_str()))
        .collect();
    let mut text = header(origin);
    let mut resources = Vec::new();
    let mut to_write = Vec::new();
    for (l, name) in ordered.iter().zip(&names) {
        let Some(info) = kinds::find(&l.kind) else {
            continue;
        };
        let none = FieldDefaults::default();
        let d = defaults.get(info.name).unwrap_or(&none);
        let _ = writeln!(text, "\n  {name}: # {}\n    kind: {}", l.id, info.name);
        for (field, value) in fields(info, l, d, &by_id) {
            write_field(&mut text, 4, &field, &value);
        }
        for f in info.fields.iter().filter(|f| f.secret || f.local) {
            if d.required.iter().any(|r| r == f.name) {
                let _ = writeln!(
                    text,
                    "    # {0}: AWS does not return it: write it here ({0}: {{file: PATH}} reads \
                     a file)",
                    f.name
                );
                to_write.push(format!("{name} ({}): {}", info.name, f.name));
            }
        }
        resources.push(Named {
            name: name.clone(),
            kind: l.kind.clone(),
            id: l.id.clone(),
        });
    }
    Generated {
        text,
        resources,
        to_write,
    }
}

fn header(o: &Origin<'_>) -> String {
    format!(
        "# Written by `strata generate` from {}, in {}.\n\
         # Fields at AWS's defaults are left out; references name the resources below.\n\
         stack: {}\nregion: {}\n\nresources:",
        o.what,
        o.region,
        scalar(&Value::String(o.stack.to_string())),
        scalar(&Value::String(o.region.to_string())),
    )
}

/// The resources in the registry's order of kinds (a VPC before its subnets), then by name tag
/// and id.
fn in_kind_order(live: &[LiveResource]) -> Vec<&LiveResource> {
    let mut v: Vec<&LiveResource> = live.iter().collect();
    // Ids differ from one run to the next: resources alike but for them are ordered by what
    // they hold.
    v.sort_by_cached_key(|l| {
        let held = Value::Object(l.attrs.clone()).to_string();
        (
            rank(&l.kind),
            given_name(l).map(str::to_string),
            held,
            l.id.clone(),
        )
    });
    v
}

/// The name the resource carries: its `Name` tag, else its own `name` field (a security
/// group's, a load balancer's).
fn given_name(l: &LiveResource) -> Option<&str> {
    name_tag(l).or_else(|| l.attrs.get("name")?.as_str())
}

/// The kind's place in the registry.
fn rank(kind: &str) -> usize {
    kinds::all()
        .iter()
        .position(|i| i.name == kind)
        .unwrap_or(usize::MAX)
}

fn name_tag(l: &LiveResource) -> Option<&str> {
    l.attrs.get("tags")?.get("Name")?.as_str()
}

/// A logical name for each resource: its `Name` tag (or its own `name`) made into a name
/// (`AWSCookbook204-a` → `awscookbook204-a`; `private-a_route_table` when a resource of another
/// kind has it), else
/// its kind's (`internet_gateway`), or, where several of a kind have no `Name` tag, the name of
/// the one resource using it and its kind's (`awscookbook204-a_eip`, a NAT gateway's address);
/// `_2`, `_3`… where two would still meet.
fn logical_names(live: &[&LiveResource]) -> Vec<String> {
    let short = |l: &LiveResource| l.kind.rsplit('.').next().unwrap_or(&l.kind).to_string();
    let tagged = |l: &LiveResource| {
        given_name(l)
            .map(slug)
            .filter(|n| strata_model::load::valid_name(n))
    };
    let mut taken = BTreeSet::new();
    let mut names: Vec<Option<String>> = vec![None; live.len()];
    for (i, l) in live.iter().enumerate() {
        if let Some(base) = tagged(l) {
            let name = if taken.contains(&base) {
                free(&taken, &format!("{base}_{}", short(l)))
            } else {
                base
            };
            taken.insert(name.clone());
            names[i] = Some(name);
        }
    }
    let named_by_itself: Vec<bool> = names.iter().map(Option::is_some).collect();
    for (i, l) in live.iter().enumerate() {
        if named_by_itself[i] {
            continue;
        }
        let alike = (0..live.len())
            .filter(|&j| live[j].kind == l.kind && !named_by_itself[j])
            .count();
        let users: Vec<usize> = (0..live.len())
            .filter(|&j| j != i && live[j].attrs.values().any(|v| mentions(v, &l.id)))
            .collect();
        let base = match (
            alike,
            users.as_slice(),
            users.first().and_then(|&j| names[j].as_ref()),
        ) {
            (2.., [_], Some(user)) => format!("{user}_{}", short(l)),
            _ => short(l),
        };
        let name = free(&taken, &base);
        taken.insert(name.clone());
        names[i] = Some(name);
    }
    names.into_iter().map(Option::unwrap_or_default).collect()
}

/// `base`, or `base_2`, `base_3`… the first not taken.
fn free(taken: &BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Whether the value holds the string `id` anywhere.
fn mentions(v: &Value, id: &str) -> bool {
    match v {
        Value::String(s) => s == id,
        Value::Array(a) => a.iter().any(|x| mentions(x, id)),
        Value::Object(m) => m.values().any(|x| mentions(x, id)),
        _ => false,
    }
}

/// Lower case letters, digits, `-` and `_`, starting with a letter, at most 64 characters.
fn slug(tag: &str) -> String {
    let mut out = String::new();
    for c in tag.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches(|c| c == '_' || c == '-');
    let out = match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out.to_string(),
        _ => format!("r_{out}"),
    };
    out.chars().take(64).collect()
}

/// The document fields of a resource, in the field table's order: read values with ids of
/// generated resources replaced by their names, defaults and empty values left out.
fn fields(
    info: &kinds::KindInfo,
    l: &LiveResource,
    d: &FieldDefaults,
    by_id: &BTreeMap<&str, &str>,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in info.fields.iter().filter(|f| !f.secret && !f.local) {
        let Some(v) = l.attrs.get(f.name) else {
            continue;
        };
        let v = named(v, by_id, &l.id);
        let required = d.required.iter().any(|r| r == f.name);
        let is_default = d.defaults.get(f.name) == Some(&v);
        if !required && (is_default || is_empty(&v)) {
            continue;
        }
        let replaced = ALTERNATIVES.iter().any(|(k, keep, drop)| {
            *k == info.name && *drop == f.name && l.attrs.get(*keep).is_some_and(|v| !v.is_null())
        });
        if replaced {
            continue;
        }
        out.push((f.name.to_string(), v));
    }
    out
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The value with every string that is a generated resource's id (not the resource's own)
/// replaced by that resource's name, and empty entries of its maps left out.
fn named(v: &Value, by_id: &BTreeMap<&str, &str>, own: &str) -> Value {
    match v {
        Value::String(s) if s != own => match by_id.get(s.as_str()) {
            Some(n) => Value::String((*n).to_string()),
            None => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| named(x, by_id, own)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), named(x, by_id, own)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// `FIELD: VALUE` at `indent` spaces: scalars and lists of scalars on the line, maps and lists
/// of maps below it.
fn write_field(out: &mut String, indent: usize, field: &str, v: &Value) {
    let pad = " ".repeat(indent);
    let key = scalar(&Value::String(field.to_string()));
    match v {
        Value::Object(m) if !m.is_empty() => {
            let _ = writeln!(out, "{pad}{key}:");
            for (k, x) in m {
                write_field(out, indent + 2, k, x);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object() || x.is_array()) => {
            let _ = writeln!(out, "{pad}{key}:");
            for x in a {
                write_item(out, indent + 2, x);
            }
        }
        Value::String(text) if block(text) => {
            let chomp = if text.ends_with('\n') { "" } else { "-" };
            let _ = writeln!(out, "{pad}{key}: |{chomp}");
            for line in text.lines() {
                let _ = writeln!(out, "{pad}  {line}");
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{key}: {}", flow(v));
        }
    }
}

/// Whether a text of several lines reads back the same as a literal block (`|`): no line
/// starts or ends with blanks, none is empty, and it ends with at most one line break.
fn block(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.contains('\n')
        && body.lines().all(|l| {
            !l.is_empty()
                && !l.starts_with([' ', '\t'])
                && !l.ends_with([' ', '\t', '\r'])
                && !l.contains('\t')
        })
}

/// One entry of a block list: `- {a: b}` when it fits on a line, else a block map.
fn write_item(out: &mut String, indent: usize, v: &Value) {
    let pad = " ".repeat(indent);
    let line = flow(v);
    if line.len() + indent + 2 <= 100 {
        let _ = writeln!(out, "{pad}- {line}");
        return;
    }
    match v {
        Value::Object(m) => {
            let mut first = true;
            for (k, x) in m {
                let mut one = String::new();
                write_field(&mut one, indent + 2, k, x);
                if first {
                    one.replace_range(indent..indent + 2, "- ");
                    first = false;
                }
                out.push_str(&one);
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}- {line}");
        }
    }
}

/// A value on one line, in YAML's flow style.
fn flow(v: &Value) -> String {
    match v {
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{}: {}", scalar(&Value::String(k.clone())), flow(x)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => scalar(v),
    }
}

/// A scalar: plain when YAML reads it back as the same string, else double-quoted (JSON's
/// escapes are YAML's).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain(s) => s.clone(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Null => "null".to_string(),
        _ => v.to_string(),
    }
}

/// Whether a string can be written unquoted: letters, digits, spaces and `-_./@` only,
/// starting and ending with a letter or a digit, and not read as another type (a number, a
/// boolean, null).
fn plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_./@".contains(c))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '/')
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
        && !s.starts_with("0x")
        && !s.starts_with("0o")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(kind: &str, id: &str, attrs: Value) -> LiveResource {
        let Value::Object(m) = attrs else {
            unreachable!("attributes are an object")
        };
        LiveResource::new(kind, id, m)
    }

    #[test]
    fn references_name_the_generated_resources_and_defaults_are_left_out() {
        let res = [
            live(
                "ec2.subnet",
                "subnet-0aaa1111",
                json!({"vpc": "vpc-0bbb2222", "cidr_block": "10.0.0.0/24",
                       "availability_zone": "us-east-1a", "availability_zone_id": "use1-az1",
                       "map_public_ip_on_launch": false, "tags": {"Name": "Public A"}}),
            ),
            live(
                "ec2.vpc",
                "vpc-0bbb2222",
                json!({"cidr_block": "10.0.0.0/16", "enable_dns_support": true,
                       "enable_dns_hostnames": false, "instance_tenancy": "default",
                       "secondary_cidr_blocks": [], "tags": {"Name": "lab"}, "arn": "arn:x"}),
            ),
        ];
        let g = documents(
            &Origin {
                stack: "lab",
                region: "us-east-1",
                what: "VPC vpc-0bbb2222 and what is in it",
            },
            &res,
        );
        insta::assert_snapshot!(g.text, @r"
        # Written by `strata generate` from VPC vpc-0bbb2222 and what is in it, in us-east-1.
        # Fields at AWS's defaults are left out; references name the resources below.
        stack: lab
        region: us-east-1

        resources:
          lab: # vpc-0bbb2222
            kind: ec2.vpc
            cidr_block: 10.0.0.0/16
            tags:
              Name: lab

          public_a: # subnet-0aaa1111
            kind: ec2.subnet
            vpc: lab
            cidr_block: 10.0.0.0/24
            availability_zone: us-east-1a
            tags:
              Name: Public A
        ");
        assert_eq!(g.resources[0].name, "lab");
        assert_eq!(g.resources[1].id, "subnet-0aaa1111");
    }

    #[test]
    fn names_are_valid_and_distinct() {
        assert_eq!(slug("AWSCookbook204-a"), "awscookbook204-a");
        assert_eq!(slug("1st net"), "r_1st_net");
        let a = live("ec2.eip", "eipalloc-01234567", json!({}));
        let b = live("ec2.eip", "eipalloc-89abcdef", json!({}));
        assert_eq!(logical_names(&[&a, &b]), vec!["eip", "eip_2"]);
        let nat = live(
            "ec2.nat_gateway",
            "nat-0123456789",
            json!({"eip": "eipalloc-89abcdef", "tags": {"Name": "NAT A"}}),
        );
        let subnet = live(
            "ec2.subnet",
            "subnet-01234567",
            json!({"tags": {"Name": "nat-a"}}),
        );
        let igw = live("ec2.internet_gateway", "igw-01234567", json!({}));
        assert_eq!(
            logical_names(&[&a, &b, &nat, &subnet, &igw]),
            vec!["eip", "nat_a_eip", "nat_a", "nat-a", "internet_gateway"]
        );
    }

    #[test]
    fn scalars_that_yaml_would_read_otherwise_are_quoted() {
        assert_eq!(scalar(&json!("yes")), "\"yes\"");
        assert_eq!(scalar(&json!("10")), "\"10\"");
        assert_eq!(scalar(&json!("0.0.0.0/0")), "0.0.0.0/0");
        assert_eq!(scalar(&json!("a: b")), "\"a: b\"");
        assert_eq!(scalar(&json!(80)), "80");
    }

    #[test]
    fn texts_of_several_lines_are_literal_blocks_when_they_read_back_the_same() {
        let mut out = String::new();
        write_field(
            &mut out,
            0,
            "body",
            &json!("-----BEGIN-----\nAB+/=\n-----END-----"),
        );
        assert_eq!(
            out,
            "body: |-\n  -----BEGIN-----\n  AB+/=\n  -----END-----\n"
        );
        let mut out = String::new();
        write_field(&mut out, 0, "body", &json!("a\n  b\n"));
        assert_eq!(out, "body: \"a\\n  b\\n\"\n");
    }
}
