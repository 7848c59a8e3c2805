//! `elbv2.listener_rule`: a rule of a listener (`aws elbv2 create-rule`): conditions, actions
//! and a priority, all changed in place (`ModifyRule`, `SetRulePriorities`; two rules may swap
//! their priorities).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::listener::{Action, action_refs, check_actions};
use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "elbv2.listener_rule",
    summary: "A rule of a listener: conditions, actions and a priority (CreateRule).",
    fields: &[
        FieldDef::replace("listener"),
        FieldDef::in_place("priority"),
        FieldDef::in_place("conditions").set(),
        FieldDef::in_place("actions"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The rule's ARN (also its `id`).",
    }],
    deferred: &[],
    policy: Policy {
        // DescribeRules takes at most 20 ARNs.
        id_chunk: 20,
        ..Policy::DEFAULT
    },
};

/// One condition of a rule: exactly one of its fields. A rule matches when all its conditions
/// do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Path patterns, e.g. `/api/*` (case-sensitive, `*` and `?` wildcards).
    PathPattern(Vec<String>),
    /// Host names, e.g. `*.example.com`.
    HostHeader(Vec<String>),
    /// HTTP methods, e.g. `GET`.
    HttpRequestMethod(Vec<String>),
    /// Client address blocks, e.g. `203.0.113.0/24`.
    SourceIp(Vec<String>),
    /// A header and the values it may have.
    HttpHeader(HeaderCondition),
    /// Query parameters (`key` left out: any key).
    QueryString(Vec<QueryPair>),
}

/// A header condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderCondition {
    pub name: String,
    pub values: Vec<String>,
}

/// One query parameter of a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryPair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub value: String,
}

/// A listener rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListenerRuleSpec {
    /// Its listener (an `elbv2.listener`). Changing it replaces the rule.
    pub listener: Ref,
    /// Its priority (1 to 50000, lowest first), unique on its listener.
    pub priority: Spanned<u32>,
    /// When it applies: at least one condition.
    pub conditions: Vec<Condition>,
    /// What it does.
    pub actions: Vec<Action>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for ListenerRuleSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![TypedRef::hard(
            "listener",
            &self.listener,
            &["elbv2.listener"],
        )];
        v.extend(action_refs("actions", &self.actions));
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        let rules: Vec<_> = stack.of_kind::<ListenerRuleSpec>().collect();
        for (i, (r, rule)) in rules.iter().enumerate() {
            check_actions(&rule.actions, r.name_span, diags);
            let p = rule.priority.value;
            if !(1..=50_000).contains(&p) {
                diags.push(
                    Diagnostic::error("strata::invalid_value", format!("priority {p} is out of range"))
                        .at(rule.priority.span, "out of range")
                        .help("give 1 to 50000 (lowest first)"),
                );
            }
            if rule.conditions.is_empty() {
                diags.push(
                    Diagnostic::error("strata::missing_field", "a rule needs at least one condition")
                        .at(r.name_span, "no conditions")
                        .help("add e.g. `conditions: [{path_pattern: [\"/*\"]}]`"),
                );
            }
            if let Some((_, other)) = rules[..i].iter().find(|(_, o)| {
                o.listener.name() == rule.listener.name() && o.priority.value == p
            }) {
                diags.push(
                    Diagnostic::error(
                        "strata::duplicate_priority",
                        format!("two rules of `{}` with priority {p}", rule.listener.name()),
                    )
                    .at(rule.priority.span, "second rule")
                    .also(other.priority.span, "first rule")
                    .help("each rule of a listener has its own priority"),
                );
            }
        }
    }
}
