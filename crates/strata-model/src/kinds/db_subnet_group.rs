//! `rds.db_subnet_group`: the subnets a database may use (`aws rds create-db-subnet-group`).
//!
//! Its id is its name (RDS keeps it lower-case). Its description and subnets change in place
//! (`ModifyDBSubnetGroup`); the subnets must span at least two availability zones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, TypedRef,
    check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "rds.db_subnet_group",
    summary: "The subnets an RDS database may use, in two or more availability zones (CreateDBSubnetGroup).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::in_place("description"),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The subnet group's ARN.",
        },
        AttrDef {
            name: "vpc",
            doc: "The VPC of its subnets.",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        desired: Some(super::lower_case_name),
        // DescribeDBSubnetGroups reads one name at a time (or all).
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// A DB subnet group's name: 255 characters at most, letters, digits, periods, underscores,
/// spaces and hyphens; RDS keeps it lower-case.
const NAME: NameRule = NameRule {
    what: "DB subnet group",
    max: 255,
    valid: |n| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-".contains(c))
            && !n.eq_ignore_ascii_case("default")
    },
    allowed: "letters, digits, periods, underscores, spaces and hyphens, not `default`",
};

/// A DB subnet group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbSubnetGroupSpec {
    /// Its name, unique in the region (RDS keeps it lower-case). Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// A description (RDS requires one; default `Managed by strata`).
    #[serde(default = "default_description")]
    pub description: String,
    /// Its subnets (`ec2.subnet`s or ids), in at least two availability zones.
    pub subnets: Vec<Ref>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

pub(crate) fn default_description() -> String {
    "Managed by strata".to_string()
}

impl KindSpec for DbSubnetGroupSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        self.subnets
            .iter()
            .map(|s| TypedRef::hard("subnets", s, &["ec2.subnet"]))
            .collect()
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, g) in stack.of_kind::<DbSubnetGroupSpec>() {
            check_name_or_prefix(
                r.name_span,
                g.name.as_ref(),
                g.name_prefix.as_ref(),
                NAME,
                diags,
            );
            let zones = super::zones_of(stack, &g.subnets);
            let known: std::collections::BTreeSet<&str> = zones.iter().flatten().copied().collect();
            let all_known = zones.iter().all(Option::is_some);
            if g.subnets.len() < 2 || (all_known && known.len() < 2) {
                let at = g.subnets.first().map_or(r.name_span, |s| s.0.span);
                diags.push(
                    Diagnostic::error(
                        "strata::too_few_subnets",
                        "a DB subnet group needs subnets in at least two availability zones",
                    )
                    .at(at, "one availability zone")
                    .help("list a subnet in another availability zone too"),
                );
            }
        }
    }
}
