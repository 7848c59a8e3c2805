//! `rds.db_cluster_parameter_group`: parameters for Aurora clusters
//! (`aws rds create-db-cluster-parameter-group`).
//!
//! Its id is its name (RDS keeps it lower-case). Its family and description are fixed at
//! creation; its parameters change in place (`ModifyDBClusterParameterGroup`; a parameter the
//! documents no longer give is reset to the family's default with
//! `ResetDBClusterParameterGroup`). Only the documents' parameters are compared, never the
//! family's hundreds of defaults: the read asks for the parameters set by the user only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, check_name_or_prefix,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "rds.db_cluster_parameter_group",
    summary: "Parameters for Aurora DB clusters of one engine family (CreateDBClusterParameterGroup).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("family"),
        FieldDef::replace("description"),
        FieldDef::in_place("parameters").set(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The parameter group's ARN.",
    }],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        desired: Some(super::lower_case_name),
        compare: &[("parameters", names_and_values)],
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// Parameters as compared: without their apply method (RDS may answer one of its own for a
/// parameter set with another; the name and the value are what the parameter is).
fn names_and_values(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Array(ps) => ps
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let serde_json::Value::Object(m) = &mut p {
                    m.remove("apply_method");
                }
                p
            })
            .collect(),
        other => other.clone(),
    }
}

/// A parameter group's name: 255 characters at most, letters, digits and hyphens, starting
/// with a letter, not ending with a hyphen nor holding two in a row.
const NAME: NameRule = NameRule {
    what: "DB cluster parameter group",
    max: 255,
    valid: |n| {
        n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && n.starts_with(|c: char| c.is_ascii_alphabetic())
            && !n.ends_with('-')
            && !n.contains("--")
    },
    allowed: "letters, digits and hyphens, starting with a letter, no `--`, not ending with `-`",
};

/// When a parameter's new value takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyMethod {
    /// At once (dynamic parameters).
    Immediate,
    /// At the next reboot (static parameters; RDS refuses `immediate` for them).
    PendingReboot,
}

/// One parameter set by the documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The parameter's name (`log_min_duration_statement`).
    pub name: String,
    /// Its value, as text (`"1000"`).
    pub value: String,
    /// `pending-reboot` (the default: accepted for every parameter) or `immediate`.
    #[serde(default = "pending_reboot")]
    pub apply_method: ApplyMethod,
}

fn pending_reboot() -> ApplyMethod {
    ApplyMethod::PendingReboot
}

/// A DB cluster parameter group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbClusterParameterGroupSpec {
    /// Its name, unique in the region (RDS keeps it lower-case). Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// The engine family (`aurora-postgresql16`, `aurora-mysql8.0`). Changing it replaces the
    /// group.
    pub family: Spanned<String>,
    /// A description (RDS requires one; default `Managed by strata`). Changing it replaces the
    /// group.
    #[serde(default = "super::db_subnet_group::default_description")]
    pub description: String,
    /// The parameters the documents set; every other one keeps the family's default.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for DbClusterParameterGroupSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, g) in stack.of_kind::<DbClusterParameterGroupSpec>() {
            check_name_or_prefix(
                r.name_span,
                g.name.as_ref(),
                g.name_prefix.as_ref(),
                NAME,
                diags,
            );
            let f = &g.family.value;
            if !f.starts_with("aurora-") {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`{f}` is not an Aurora engine family"),
                    )
                    .at(g.family.span, "not an Aurora family")
                    .help("give the family of the cluster's engine and major version, e.g. `aurora-postgresql16` or `aurora-mysql8.0`"),
                );
            }
            let mut seen = std::collections::BTreeSet::new();
            for p in &g.parameters {
                if !seen.insert(p.name.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            "strata::duplicate_parameter",
                            format!("parameter `{}` is set twice", p.name),
                        )
                        .at(r.name_span, "in this group")
                        .help("keep one value per parameter"),
                    );
                }
            }
        }
    }
}
