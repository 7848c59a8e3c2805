//! `ec2.security_group`: a security group and its rules
//! (`aws ec2 create-security-group`, `authorize-security-group-ingress/egress`).
//!
//! Rules are compared one by one: a rule added outside strata is drift and is revoked by
//! apply. Rules that name another group are applied once that group exists, so two groups may
//! name each other; before a group is deleted, rules naming it are revoked.

use ipnet::Ipv6Net;
use schemars::JsonSchema;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use serde_json::Value;

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, Policy, TypedRef, canon_field, canonical_cidr,
    canonical_ipv6, each, NAME_SUFFIX_LEN,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ipv4Cidr, Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ec2.security_group",
    summary: "A security group of a VPC with its ingress and egress rules (CreateSecurityGroup).",
    fields: &[
        FieldDef::replace("vpc").unique(),
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("description"),
        FieldDef::in_place("ingress").set(),
        FieldDef::in_place("egress").set().kept_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The group's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns it.",
        },
    ],
    deferred: &["ingress", "egress"],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        compare: &[("ingress", canon_rules), ("egress", canon_rules)],
        ..Policy::DEFAULT
    },
};

/// Rules in one form, as AWS reports them: protocol by name (`TCP`, `6` and `tcp` alike; `all`
/// and `-1` alike), no ports for all protocols, address blocks in their canonical text, no
/// empty description.
fn canon_rules(v: &Value) -> Value {
    each(v, |rule| {
        let Value::Object(m) = rule else {
            return rule.clone();
        };
        let mut m = m.clone();
        if let Some(p) = m.get("protocol").and_then(Value::as_str) {
            let p = normalize_protocol(p);
            if p == "-1" {
                m.remove("from_port");
                m.remove("to_port");
            }
            m.insert("protocol".into(), Value::String(p));
        }
        canon_field(&mut m, "cidr", canonical_cidr);
        canon_field(&mut m, "ipv6_cidr", canonical_cidr);
        if m.get("description").and_then(Value::as_str) == Some("") {
            m.remove("description");
        }
        Value::Object(m)
    })
}

/// The word for "this group itself" in `security_group:`.
pub const SELF: &str = "self";

/// A rule as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IP protocol number.
    pub protocol: Spanned<String>,
    /// One port (tcp, udp), the same as `from_port` and `to_port` both.
    #[serde(default)]
    pub port: Option<Spanned<i32>>,
    /// First port of a range (tcp, udp), or the ICMP type (-1: all).
    #[serde(default)]
    pub from_port: Option<Spanned<i32>>,
    /// Last port of a range (tcp, udp), or the ICMP code (-1: all).
    #[serde(default)]
    pub to_port: Option<Spanned<i32>>,
    /// Source (ingress) or destination (egress): an IPv4 block.
    #[serde(default)]
    pub cidr: Option<Spanned<Ipv4Cidr>>,
    /// Source or destination: an IPv6 block.
    #[serde(default)]
    pub ipv6_cidr: Option<Spanned<String>>,
    /// Source or destination: a managed prefix list (an `ec2.prefix_list`, or an AWS id).
    #[serde(default)]
    pub prefix_list: Option<Ref>,
    /// Source or destination: a security group (an `ec2.security_group`, an AWS id, or `self`).
    #[serde(default)]
    pub security_group: Option<Ref>,
    /// What the rule is for.
    #[serde(default)]
    pub description: Option<Spanned<String>>,
}

/// Protocols by name, as AWS reports them.
pub fn normalize_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".to_string(),
        "tcp" | "6" => "tcp".to_string(),
        "udp" | "17" => "udp".to_string(),
        "icmp" | "1" => "icmp".to_string(),
        "icmpv6" | "58" => "icmpv6".to_string(),
        other => other.to_string(),
    }
}

impl Rule {
    fn protocol(&self) -> String {
        normalize_protocol(&self.protocol.value)
    }

    /// `(from, to)` as AWS stores them; `None` for all protocols.
    fn ports(&self) -> Option<(i32, i32)> {
        let p = self.protocol();
        if p == "-1" {
            return None;
        }
        if let Some(port) = &self.port {
            return Some((port.value, port.value));
        }
        let default = if p == "icmp" || p == "icmpv6" { -1 } else { 0 };
        Some((
            self.from_port.as_ref().map_or(default, |f| f.value),
            self.to_port.as_ref().map_or(
                self.from_port.as_ref().map_or(default, |f| f.value),
                |t| t.value,
            ),
        ))
    }

    /// `(field, value)` of each source given.
    fn sources(&self) -> Vec<(&'static str, String, Span)> {
        let mut v = Vec::new();
        if let Some(c) = &self.cidr {
            v.push(("cidr", c.value.to_string(), c.span));
        }
        if let Some(c) = &self.ipv6_cidr {
            v.push(("ipv6_cidr", canonical_ipv6(&c.value), c.span));
        }
        if let Some(p) = &self.prefix_list {
            v.push(("prefix_list", p.expression(), p.0.span));
        }
        if let Some(g) = &self.security_group {
            let value = if g.name() == SELF {
                SELF.to_string()
            } else {
                g.expression()
            };
            v.push(("security_group", value, g.0.span));
        }
        v
    }

    fn span(&self) -> Span {
        self.protocol.span
    }
}

/// Serialized in AWS's terms: protocol by name, explicit ports, one source.
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(d) = &self.description {
            m.serialize_entry("description", &d.value)?;
        }
        if let Some((from, to)) = self.ports() {
            m.serialize_entry("from_port", &from)?;
            m.serialize_entry("to_port", &to)?;
        }
        m.serialize_entry("protocol", &self.protocol())?;
        for (field, value, _) in self.sources() {
            m.serialize_entry(field, &value)?;
        }
        m.end()
    }
}

/// A security group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    /// The VPC. Changing it replaces the group.
    pub vpc: Ref,
    /// The group name, unique in the VPC. Changing it replaces the group. Give this or
    /// `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start, to which strata adds 8 characters of its own,
    /// chosen once for each new copy (kept when a create is repeated after a crash). A group
    /// named so can be replaced with `lifecycle.create_before_destroy` in the same VPC, which
    /// a fixed name cannot (AWS refuses two groups of one name in a VPC). Changing it replaces
    /// the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// What the group is for (AWS cannot change it: changing it replaces the group).
    pub description: Spanned<String>,
    /// Inbound rules. A rule added outside strata is revoked by apply.
    #[serde(default)]
    pub ingress: Vec<Rule>,
    /// Outbound rules. Omit this to leave egress as AWS sets it (all traffic allowed); give it,
    /// even as `[]`, and strata manages egress exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<Rule>>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl SecurityGroupSpec {
    fn rules(&self) -> impl Iterator<Item = (&'static str, &Rule)> {
        self.ingress
            .iter()
            .map(|r| ("ingress", r))
            .chain(self.egress.iter().flatten().map(|r| ("egress", r)))
    }
}

fn check_rule(rule: &Rule, diags: &mut Diagnostics) {
    let protocol = rule.protocol();
    let known = ["-1", "tcp", "udp", "icmp", "icmpv6"];
    if !known.contains(&protocol.as_str()) && protocol.parse::<u8>().is_err() {
        diags.push(
            Diagnostic::error(
                "strata::invalid_rule",
                format!("`{}` is not a protocol", rule.protocol.value),
            )
            .at(rule.protocol.span, "unknown protocol")
            .help("write tcp, udp, icmp, icmpv6, all, or a protocol number 0-255"),
        );
    }
    let sources = rule.sources();
    if sources.len() != 1 {
        diags.push(
            Diagnostic::error(
                "strata::invalid_rule",
                format!("a rule needs exactly one source or destination; this one has {}", sources.len()),
            )
            .at(rule.span(), "in this rule")
            .help("give one of cidr, ipv6_cidr, prefix_list, security_group (one rule each)"),
        );
    }
    if let Some(c) = &rule.ipv6_cidr
        && c.value.parse::<Ipv6Net>().is_err()
    {
        diags.push(
            Diagnostic::error("strata::invalid_cidr", format!("`{}` is not an IPv6 CIDR block", c.value))
                .at(c.span, "not an IPv6 block")
                .help("write it as address/prefix, e.g. ::/0"),
        );
    }
    if rule.port.is_some() && (rule.from_port.is_some() || rule.to_port.is_some()) {
        diags.push(
            Diagnostic::error("strata::conflicting_fields", "give `port`, or `from_port` and `to_port`, not both")
                .at(rule.span(), "in this rule")
                .help("`port: 22` is short for `from_port: 22` and `to_port: 22`"),
        );
    }
    match protocol.as_str() {
        "-1" => {
            if let Some(p) = rule.port.as_ref().or(rule.from_port.as_ref()).or(rule.to_port.as_ref()) {
                diags.push(
                    Diagnostic::error("strata::invalid_rule", "a rule for all protocols has no ports")
                        .at(p.span, "not allowed with protocol all")
                        .help("remove the ports, or name a protocol such as tcp"),
                );
            }
        }
        "tcp" | "udp" => {
            if rule.port.is_none() && rule.from_port.is_none() {
                diags.push(
                    Diagnostic::error("strata::invalid_rule", format!("a {protocol} rule needs ports"))
                        .at(rule.span(), "no ports")
                        .help("add `port: 443`, or `from_port` and `to_port` for a range (0 and 65535 for all)"),
                );
            }
            for p in [&rule.port, &rule.from_port, &rule.to_port].into_iter().flatten() {
                if !(0..=65535).contains(&p.value) {
                    diags.push(
                        Diagnostic::error("strata::invalid_rule", format!("port {} is out of range", p.value))
                            .at(p.span, "not a port")
                            .help("ports go from 0 to 65535"),
                    );
                }
            }
            if let Some((from, to)) = rule.ports()
                && from > to
                && let Some(t) = &rule.to_port
            {
                diags.push(
                    Diagnostic::error("strata::invalid_rule", format!("the range {from}-{to} is backwards"))
                        .at(t.span, "smaller than from_port")
                        .help("put the lower port in from_port"),
                );
            }
        }
        _ => {}
    }
}

/// Exactly one of `name` and `name_prefix`, each a valid start of a group name.
fn check_name(resource: Span, g: &SecurityGroupSpec, diags: &mut Diagnostics) {
    let room = 255 - NAME_SUFFIX_LEN;
    match (&g.name, &g.name_prefix) {
        (Some(n), Some(p)) => diags.push(
            Diagnostic::error("strata::conflicting_fields", "give `name` or `name_prefix`, not both")
                .at(p.span, "`name_prefix` here")
                .also(n.span, "`name` here")
                .help("keep `name` for a fixed name, or `name_prefix` for a name strata completes with a suffix of its own"),
        ),
        (None, None) => diags.push(
            Diagnostic::error("strata::missing_field", "a security group needs `name` or `name_prefix`")
                .at(resource, "no `name`")
                .help("add `name: web`, or `name_prefix: web-` for a name strata completes with a suffix of its own"),
        ),
        (Some(n), None) => {
            let name = &n.value;
            if name.is_empty() || name.len() > 255 || name.starts_with("sg-") {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{name}` is not a valid group name"))
                        .at(n.span, "invalid name")
                        .help("1 to 255 characters, not starting with `sg-`"),
                );
            }
        }
        (None, Some(p)) => {
            let prefix = &p.value;
            if prefix.len() > room || prefix.starts_with("sg-") || !prefix.is_ascii() {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{prefix}` is not a valid group name prefix"))
                        .at(p.span, "invalid name prefix")
                        .help(format!(
                            "at most {room} ASCII characters (strata adds {NAME_SUFFIX_LEN}), not starting with `sg-`"
                        )),
                );
            }
        }
    }
}

impl KindSpec for SecurityGroupSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard("vpc", &self.vpc, &["ec2.vpc"])];
        for (field, rule) in self.rules() {
            if let Some(g) = &rule.security_group
                && g.name() != SELF
            {
                v.push(TypedRef {
                    field,
                    target: g,
                    kinds: &["ec2.security_group"],
                    soft: true,
                });
            }
            if let Some(p) = &rule.prefix_list {
                v.push(TypedRef::hard(field, p, &["ec2.prefix_list"]));
            }
        }
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let groups: Vec<_> = stack.of_kind::<SecurityGroupSpec>().collect();
        for (i, (r, g)) in groups.iter().enumerate() {
            check_name(r.name_span, g, diags);
            if g.description.value.len() > 255 || !g.description.value.is_ascii() {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "the description must be at most 255 ASCII characters")
                        .at(g.description.span, "invalid description")
                        .help("shorten it, and use plain ASCII"),
                );
            }
            if let Some(name) = &g.name
                && let Some(other) = groups[..i].iter().find_map(|(_, o)| {
                    o.name
                        .as_ref()
                        .filter(|n| n.value == name.value && o.vpc.name() == g.vpc.name())
                })
            {
                let (name, span) = (&name.value, name.span);
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_name",
                        format!("two security groups named `{name}` in VPC `{}`", g.vpc.name()),
                    )
                    .at(span, "second group with this name")
                    .also(other.span, "first group")
                    .help("group names are unique within a VPC"),
                );
            }
            for list in [&g.ingress, g.egress.as_ref().unwrap_or(&Vec::new())] {
                let mut seen: Vec<(serde_json::Value, Span)> = Vec::new();
                for rule in list {
                    check_rule(rule, diags);
                    let mut key = serde_json::to_value(rule).unwrap_or_default();
                    if let Some(m) = key.as_object_mut() {
                        m.remove("description");
                    }
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        diags.push(
                            Diagnostic::error("strata::duplicate_rule", "the same rule is written twice")
                                .at(rule.span(), "second copy")
                                .also(*first, "first copy")
                                .help("remove one of them"),
                        );
                    } else {
                        seen.push((key, rule.span()));
                    }
                }
            }
        }
    }
}
