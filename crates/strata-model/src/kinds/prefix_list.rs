//! `ec2.prefix_list`: a customer-managed prefix list (`aws ec2 create-managed-prefix-list`).

use ipnet::{Ipv4Net, Ipv6Net};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{canon_field, canonical_cidr, each, Policy, AttrDef, FieldDef, KindInfo, KindSpec};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "ec2.prefix_list",
    summary: "A managed prefix list: named CIDR blocks for routes and security group rules (CreateManagedPrefixList).",
    fields: &[
        FieldDef::in_place("name"),
        FieldDef::replace("address_family"),
        FieldDef::in_place("max_entries"),
        FieldDef::in_place("entries").set(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The prefix list's ARN.",
        },
        AttrDef {
            name: "owner_id",
            doc: "The AWS account that owns it.",
        },
        AttrDef {
            name: "version",
            doc: "The current version; it grows with each change.",
        },
    ],
    deferred: &[],
    policy: Policy {
        compare: &[("entries", canon_entries)],
        ..Policy::DEFAULT
    },
};

/// Entries in AWS's form: blocks as AWS writes them back (`2001:DB8::/32` is
/// `2001:db8::/32`), no empty description.
fn canon_entries(v: &serde_json::Value) -> serde_json::Value {
    each(v, |e| {
        let serde_json::Value::Object(m) = e else {
            return e.clone();
        };
        let mut m = m.clone();
        canon_field(&mut m, "cidr", canonical_cidr);
        if m.get("description").and_then(serde_json::Value::as_str) == Some("") {
            m.remove("description");
        }
        serde_json::Value::Object(m)
    })
}

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AddressFamily {
    #[default]
    IPv4,
    IPv6,
}

/// One entry.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A CIDR block of the list's address family.
    pub cidr: Spanned<String>,
    /// What the block is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A managed prefix list. Changes to its entries are made against its current version, so a
/// change made elsewhere in the meantime is not overwritten blindly.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixListSpec {
    /// The list's name.
    pub name: Spanned<String>,
    /// `IPv4` (the default) or `IPv6`. Changing it replaces the list.
    #[serde(default)]
    pub address_family: AddressFamily,
    /// How many entries the list may hold (each counts against rule quotas where it is used).
    pub max_entries: Spanned<u32>,
    /// The entries.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for PrefixListSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (_, pl) in stack.of_kind::<PrefixListSpec>() {
            if pl.name.value.is_empty() || pl.name.value.len() > 255 || pl.name.value.starts_with("com.amazonaws") {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("`{}` is not a valid prefix list name", pl.name.value))
                        .at(pl.name.span, "invalid name")
                        .help("1 to 255 characters, not starting with com.amazonaws"),
                );
            }
            if pl.max_entries.value == 0 || pl.max_entries.value > 1000 {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "max_entries must be 1 to 1000")
                        .at(pl.max_entries.span, "out of range")
                        .help("pick how many entries the list may ever hold"),
                );
            }
            if pl.entries.len() > pl.max_entries.value as usize {
                diags.push(
                    Diagnostic::error(
                        "strata::too_many_entries",
                        format!("{} entries, but max_entries is {}", pl.entries.len(), pl.max_entries.value),
                    )
                    .at(pl.max_entries.span, "too small")
                    .help("raise max_entries or remove entries"),
                );
            }
            let mut seen: Vec<(String, Span)> = Vec::new();
            for e in &pl.entries {
                let ok = match pl.address_family {
                    AddressFamily::IPv4 => e.cidr.value.parse::<Ipv4Net>().map(|n| n.trunc().to_string()),
                    AddressFamily::IPv6 => e.cidr.value.parse::<Ipv6Net>().map(|n| n.trunc().to_string()),
                };
                match ok {
                    Ok(norm) if norm == e.cidr.value => {}
                    Ok(norm) => diags.push(
                        Diagnostic::error("strata::invalid_cidr", format!("`{}` has host bits set", e.cidr.value))
                            .at(e.cidr.span, format!("the block starts at {norm}"))
                            .help(format!("write {norm}")),
                    ),
                    Err(_) => diags.push(
                        Diagnostic::error(
                            "strata::invalid_cidr",
                            format!("`{}` is not an {:?} CIDR block", e.cidr.value, pl.address_family),
                        )
                        .at(e.cidr.span, "not a CIDR block of this family")
                        .help("write address/prefix, e.g. 44.234.54.0/23"),
                    ),
                }
                if let Some((_, first)) = seen.iter().find(|(c, _)| *c == e.cidr.value) {
                    diags.push(
                        Diagnostic::error("strata::duplicate_entry", format!("`{}` is listed twice", e.cidr.value))
                            .at(e.cidr.span, "second entry")
                            .also(*first, "first entry")
                            .help("remove one of them"),
                    );
                } else {
                    seen.push((e.cidr.value.clone(), e.cidr.span));
                }
            }
        }
    }
}
