//! `iam.role`: an IAM role (`aws iam create-role`), which a service assumes (ECS tasks and their
//! execution, cookbook chapter 6), with its trust policy, its inline policies and the managed
//! policies attached to it.
//!
//! Its id is its name. The policies are written as YAML mappings with references
//! (`${logs.arn}`) and compared as JSON documents (IAM answers them URL-encoded text). The trust
//! policy, the inline and managed policies, the longest session, the description and the tags
//! change in place; a new name or path replaces it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AttrDef, FieldDef, KindInfo, KindSpec, NamePrefix, NameRule, Policy, check_iam_path,
    check_name_or_prefix, json_document, json_documents,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Tags;

pub static INFO: KindInfo = KindInfo {
    name: "iam.role",
    summary: "An IAM role with its trust policy, inline policies and managed policies (CreateRole).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::replace("path"),
        FieldDef::in_place("description").unset_when_omitted(),
        FieldDef::in_place("assume_role_policy"),
        FieldDef::in_place("inline_policies"),
        FieldDef::in_place("managed_policy_arns").set(),
        FieldDef::in_place("max_session_duration"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[
        AttrDef {
            name: "arn",
            doc: "The role's ARN, as ECS task definitions and policies name it.",
        },
        AttrDef {
            name: "unique_id",
            doc: "IAM's own id of the role (`AROA…`).",
        },
    ],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        compare: &[
            ("assume_role_policy", json_document),
            ("inline_policies", json_documents),
        ],
        // GetRole reads one name a call.
        id_chunk: 1,
        ..Policy::DEFAULT
    },
};

/// A role's name: 64 characters at most, letters, digits and `+=,.@_-`.
const NAME: NameRule = NameRule {
    what: "role",
    max: 64,
    valid: |n| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    },
    allowed: "letters, digits and `+=,.@_-`",
};

/// The shortest and longest session IAM lets a role's be (seconds).
pub const SESSION_SECONDS: std::ops::RangeInclusive<u32> = 3600..=43200;

fn default_path() -> Spanned<String> {
    Spanned::new(Default::default(), "/".to_string())
}

fn default_session() -> Spanned<u32> {
    Spanned::new(Default::default(), 3600)
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Its name, unique in the account (`web-task-execution`). Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start (56 characters at most), to which strata adds 8 of
    /// its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// The IAM path, starting and ending with `/` (default `/`). Changing it replaces the role.
    #[serde(default = "default_path")]
    pub path: Spanned<String>,
    /// What the role is for, as IAM shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The trust policy: who may assume the role (`Principal: {Service:
    /// ecs-tasks.amazonaws.com}`), as AWS's JSON written in YAML.
    pub assume_role_policy: Value,
    /// Policies embedded in the role, by name: each a document (`Version`, `Statement`) in
    /// YAML, with references (`Resource: "${logs.arn}:*"`).
    #[serde(default)]
    pub inline_policies: BTreeMap<String, Value>,
    /// ARNs of managed policies attached to it
    /// (`arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`).
    #[serde(default)]
    pub managed_policy_arns: Vec<String>,
    /// The longest session of whoever assumes it, in seconds: 3600 (the default) to 43200.
    #[serde(default = "default_session")]
    pub max_session_duration: Spanned<u32>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

/// Reports a policy that is not a mapping with a `Statement`.
fn check_document(at: Span, what: &str, doc: &Value, diags: &mut Diagnostics) {
    if !doc.is_object() || doc.get("Statement").is_none() {
        diags.push(
            Diagnostic::error(
                "strata::invalid_value",
                format!("{what} is a mapping with a `Statement`"),
            )
            .at(at, "no `Statement`")
            .help("write `{Version: \"2012-10-17\", Statement: [...]}`"),
        );
    }
}

impl KindSpec for RoleSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, role) in stack.of_kind::<RoleSpec>() {
            check_name_or_prefix(
                r.name_span,
                role.name.as_ref(),
                role.name_prefix.as_ref(),
                NAME,
                diags,
            );
            check_iam_path(&role.path, diags);
            check_document(
                r.name_span,
                "a role's `assume_role_policy`",
                &role.assume_role_policy,
                diags,
            );
            for (name, doc) in &role.inline_policies {
                check_document(
                    r.name_span,
                    &format!("the inline policy `{name}`"),
                    doc,
                    diags,
                );
            }
            let s = role.max_session_duration.value;
            if !SESSION_SECONDS.contains(&s) {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("a role's session cannot last {s} seconds"),
                    )
                    .at(role.max_session_duration.span, "out of range")
                    .help("give 3600 (one hour, the default) to 43200 (twelve hours)"),
                );
            }
        }
    }
}
