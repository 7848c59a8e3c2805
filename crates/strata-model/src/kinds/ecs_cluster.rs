//! `ecs.cluster`: an ECS cluster (`aws ecs create-cluster`), where the Fargate services of
//! chapter 3 of the cookbook run.
//!
//! Its id is its name. Container Insights, the capacity providers and the default strategy
//! change in place (`UpdateCluster`, `PutClusterCapacityProviders`); a new name
//! replaces it. Deleting it waits out the services still draining from it.

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
    name: "ecs.cluster",
    summary: "An ECS cluster for Fargate services (CreateCluster).",
    fields: &[
        FieldDef::replace("name").unique().kept_when_omitted(),
        FieldDef::replace("name_prefix").unset_when_omitted(),
        FieldDef::in_place("container_insights").kept_when_omitted(),
        FieldDef::in_place("capacity_providers")
            .set()
            .unset_when_omitted(),
        FieldDef::in_place("default_capacity_provider_strategy").unset_when_omitted(),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The cluster's ARN.",
    }],
    deferred: &[],
    policy: Policy {
        name_prefix: Some(NamePrefix {
            name: "name",
            prefix: "name_prefix",
        }),
        // DescribeClusters takes 100 names.
        id_chunk: 100,
        compare: &[("default_capacity_provider_strategy", strategy_canon)],
        ..Policy::DEFAULT
    },
};

/// A strategy with AWS's defaults left out: a weight or base of 0 is what leaving it out means,
/// and an empty strategy is none.
pub(crate) fn strategy_canon(v: &serde_json::Value) -> serde_json::Value {
    let Some(items) = v.as_array().filter(|i| !i.is_empty()) else {
        return if v.as_array().is_some() {
            serde_json::Value::Null
        } else {
            v.clone()
        };
    };
    items
        .iter()
        .map(|i| {
            let mut i = i.clone();
            if let Some(o) = i.as_object_mut() {
                o.retain(|k, v| !(v.is_null() || (k != "capacity_provider" && v == 0)));
            }
            i
        })
        .collect()
}

/// The capacity providers a Fargate cluster can use.
pub const FARGATE_PROVIDERS: &[&str] = &["FARGATE", "FARGATE_SPOT"];

/// A cluster's name: 255 characters at most, letters, digits, `-` and `_`.
const NAME: NameRule = NameRule {
    what: "cluster",
    max: 255,
    valid: |n| n.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
    allowed: "letters, digits, `-` and `_`",
};

/// Container Insights: CloudWatch metrics of the cluster's tasks and services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContainerInsights {
    Enabled,
    /// Container Insights with enhanced observability (per-container metrics).
    Enhanced,
    Disabled,
}

/// One capacity provider of a strategy: how tasks are spread over the providers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyItem {
    /// `FARGATE` or `FARGATE_SPOT`, one of the cluster's `capacity_providers`.
    pub capacity_provider: Spanned<String>,
    /// Its share of the tasks beyond the base, relative to the others' (0 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Spanned<u32>>,
    /// Tasks it runs first, before the weights apply (0 to 100000; one provider at most has
    /// one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Spanned<u32>>,
}

/// An ECS cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsClusterSpec {
    /// Its name, unique in the region (`web`). Give this or `name_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Instead of `name`: the name's start, to which strata adds 8 characters of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<Spanned<String>>,
    /// Container Insights: `enabled`, `enhanced` or `disabled`; left out, the account's
    /// default (`containerInsights` account setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_insights: Option<ContainerInsights>,
    /// The capacity providers its services may use: `FARGATE`, `FARGATE_SPOT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<Spanned<String>>,
    /// How a service without a strategy or launch type of its own spreads its tasks over the
    /// capacity providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_capacity_provider_strategy: Vec<StrategyItem>,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for EcsClusterSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, c) in stack.of_kind::<EcsClusterSpec>() {
            check_name_or_prefix(
                r.name_span,
                c.name.as_ref(),
                c.name_prefix.as_ref(),
                NAME,
                diags,
            );
            check_providers(c, diags);
            check_strategy(c, diags);
        }
    }
}

/// Each capacity provider is Fargate's, and named once.
fn check_providers(c: &EcsClusterSpec, diags: &mut Diagnostics) {
    for (i, p) in c.capacity_providers.iter().enumerate() {
        if !FARGATE_PROVIDERS.contains(&p.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_value",
                    format!("`{}` is not a Fargate capacity provider", p.value),
                )
                .at(p.span, "not FARGATE or FARGATE_SPOT")
                .help(
                    "use `FARGATE` or `FARGATE_SPOT` (strata runs services on Fargate; clusters \
                     of EC2 instances are not supported)",
                ),
            );
        } else if c.capacity_providers[..i].iter().any(|q| q.value == p.value) {
            diags.push(
                Diagnostic::error(
                    "strata::duplicate_value",
                    format!("`{}` is listed twice", p.value),
                )
                .at(p.span, "listed again here")
                .help("list each capacity provider once"),
            );
        }
    }
}

/// The strategy names only the cluster's providers, with weights and bases AWS accepts.
fn check_strategy(c: &EcsClusterSpec, diags: &mut Diagnostics) {
    let mut with_base = 0;
    for item in &c.default_capacity_provider_strategy {
        let p = &item.capacity_provider;
        if !c.capacity_providers.iter().any(|q| q.value == p.value) {
            diags.push(
                Diagnostic::error(
                    "strata::invalid_reference",
                    format!("the strategy names `{}`, which the cluster does not list", p.value),
                )
                .at(p.span, "not in `capacity_providers`")
                .help(format!("add `{}` to the cluster's `capacity_providers`", p.value)),
            );
        }
        if let Some(w) = &item.weight
            && w.value > 1000
        {
            diags.push(
                Diagnostic::error("strata::invalid_value", "a weight is 0 to 1000")
                    .at(w.span, "too large")
                    .help("give a weight from 0 to 1000"),
            );
        }
        if let Some(b) = &item.base {
            if b.value > 100_000 {
                diags.push(
                    Diagnostic::error("strata::invalid_value", "a base is 0 to 100000")
                        .at(b.span, "too large")
                        .help("give a base from 0 to 100000"),
                );
            }
            if b.value > 0 {
                with_base += 1;
                if with_base == 2 {
                    diags.push(
                        Diagnostic::error(
                            "strata::invalid_value",
                            "only one capacity provider of a strategy can have a base",
                        )
                        .at(b.span, "a second base")
                        .help("keep the base on one provider and give the others weights"),
                    );
                }
            }
        }
    }
}
