//! `logs.log_group`: a CloudWatch Logs log group (`aws logs create-log-group`), where containers
//! send their logs (cookbook recipe 3.8).
//!
//! Its id is its name. The retention and the KMS key change in place (`PutRetentionPolicy` /
//! `DeleteRetentionPolicy`, `AssociateKmsKey` / `DisassociateKmsKey`); a new name replaces it,
//! and deleting it deletes its logs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, check_name_or_prefix};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "logs.log_group",
    summary: "A CloudWatch Logs log group, with its retention (CreateLogGroup).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::in_place("retention_in_days").unset_when_omitted(),
        FieldDef::in_place("kms_key").unset_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The log group's ARN, without the `:*` IAM policies add for its streams.",
    }],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        // DescribeLogGroups reads one name (as a prefix) at a time, or all.
        id_chunk: 1,
        on_delete: Some(logs_on_delete),
        ..Policy::DEFAULT
    },
};

/// The days CloudWatch Logs can keep events for (`PutRetentionPolicy`).
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// What deleting the group does to the logs it holds, as the plan says it.
fn logs_on_delete(_: &str, _: &serde_json::Map<String, serde_json::Value>) -> String {
    "the log events it holds are deleted with it".to_string()
}

/// A log group's name: 512 characters at most, letters, digits and `._-/#`.
const NAME: NameRule = NameRule {
    what: "log group",
    max: 512,
    valid: |n| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
    },
    allowed: "letters, digits, `.`, `_`, `-`, `/` and `#`",
};

/// A CloudWatch Logs log group.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroupSpec {
    /// Its name, unique in the region (`/ecs/web`). Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// Days its events are kept: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    /// 1096, 1827, 2192, 2557, 2922, 3288 or 3653; left out, for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<Spanned<u32>>,
    /// The KMS key (an ARN) that encrypts its events; left out, CloudWatch Logs' own
    /// encryption. The key's policy must let CloudWatch Logs use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for LogGroupSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, g) in stack.of_kind::<LogGroupSpec>() {
            check_name_or_prefix(
                r.name_span,
                g.name.as_ref(),
                g.name_prefix.as_ref(),
                NAME,
                diags,
            );
            if let Some(days) = &g.retention_in_days
                && !RETENTION_DAYS.contains(&days.value)
            {
                let near = RETENTION_DAYS
                    .iter()
                    .min_by_key(|d| d.abs_diff(days.value))
                    .copied()
                    .unwrap_or(1);
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!(
                            "CloudWatch Logs cannot keep events for {} days",
                            days.value
                        ),
                    )
                    .at(days.span, "not a retention CloudWatch Logs offers")
                    .help(format!(
                        "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, \
                         731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the nearest: {near}), \
                         or leave it out to keep events for ever"
                    )),
                );
            }
        }
    }
}
