//! `ecs.service`: a Fargate service (`aws ecs create-service`): a number of tasks of a task
//! definition kept running in a cluster, in the VPC's subnets, behind load balancer target
//! groups (cookbook recipes 3.5 to 3.8).
//!
//! Its id is its ARN. Its task definition, desired count, network, load balancers and
//! deployment settings change in place (`UpdateService`); a new name, cluster or capacity
//! provider strategy replaces it. strata waits for a deployment to complete (its steady state)
//! unless `apply --no-wait` or `lifecycle.wait: false`. Deleting it scales it in and waits
//! until it is `INACTIVE`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ecs_cluster::StrategyItem;
use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "ecs.service",
    summary: "A Fargate service keeping tasks of a task definition running (CreateService).",
    fields: &[
        FieldDef::replace("name").unique(),
        FieldDef::replace("cluster").unique(),
        FieldDef::in_place("task_definition"),
        FieldDef::in_place("desired_count"),
        FieldDef::replace("capacity_provider_strategy").unset_when_omitted(),
        FieldDef::in_place("subnets").set(),
        FieldDef::in_place("security_groups").set().kept_when_omitted(),
        FieldDef::in_place("assign_public_ip"),
        FieldDef::in_place("load_balancers").unset_when_omitted(),
        FieldDef::in_place("health_check_grace_period").kept_when_omitted(),
        FieldDef::in_place("deployment").kept_when_omitted(),
        FieldDef::in_place("enable_execute_command"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The service's ARN (also its `id`).",
    }],
    deferred: &[],
    policy: Policy {
        // DescribeServices takes 10 services of one cluster.
        id_chunk: 10,
        compare: &[(
            "capacity_provider_strategy",
            super::ecs_cluster::strategy_canon,
        )],
        takes: Some("a deployment takes minutes on AWS"),
        ..Policy::DEFAULT
    },
};

/// A target group the service registers its tasks in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceLoadBalancer {
    /// The target group (an `elbv2.target_group` with `target_type: ip`).
    pub target_group: Ref,
    /// The container that receives the traffic.
    pub container_name: String,
    /// Its port.
    pub container_port: Spanned<u32>,
}

/// How a deployment replaces tasks.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The share of `desired_count` kept running during a deployment (AWS's default 100).
    #[serde(default = "hundred")]
    pub minimum_healthy_percent: u32,
    /// The share of `desired_count` that may run during a deployment (AWS's default 200).
    #[serde(default = "two_hundred")]
    pub maximum_percent: u32,
    /// Stops a deployment whose tasks keep failing to start, and with `rollback`, goes back
    /// to the last one that completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreaker>,
}

fn hundred() -> u32 {
    100
}

fn two_hundred() -> u32 {
    200
}

/// The deployment circuit breaker.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    pub enable: bool,
    #[serde(default)]
    pub rollback: bool,
}

/// An ECS service on Fargate (network mode `awsvpc`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsServiceSpec {
    /// Its name, unique in its cluster (`web`).
    pub name: Spanned<String>,
    /// The `ecs.cluster` it runs in.
    pub cluster: Ref,
    /// The `ecs.task_definition` its tasks run.
    pub task_definition: Ref,
    /// How many tasks it keeps running.
    #[serde(default = "one")]
    pub desired_count: u32,
    /// Instead of the `FARGATE` launch type: how its tasks spread over the cluster's capacity
    /// providers (`FARGATE`, `FARGATE_SPOT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<StrategyItem>,
    /// The subnets its tasks get their interfaces in.
    pub subnets: Vec<Ref>,
    /// The security groups of its tasks' interfaces; left out, the VPC's default group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<Ref>,
    /// Whether its tasks get a public address (in public subnets without a NAT gateway).
    #[serde(default)]
    pub assign_public_ip: bool,
    /// The target groups its tasks are registered in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<ServiceLoadBalancer>,
    /// Seconds after a task starts during which failed load balancer health checks are
    /// ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period: Option<u32>,
    /// How a deployment replaces its tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    /// Whether `aws ecs execute-command` may open a shell in its containers.
    #[serde(default)]
    pub enable_execute_command: bool,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

fn one() -> u32 {
    1
}

impl KindSpec for EcsServiceSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        let mut v = vec![
            TypedRef::hard("cluster", &self.cluster, &["ecs.cluster"]),
            TypedRef::hard("task_definition", &self.task_definition, &["ecs.task_definition"]),
        ];
        v.extend(
            self.subnets
                .iter()
                .map(|s| TypedRef::hard("subnets", s, &["ec2.subnet"])),
        );
        v.extend(
            self.security_groups
                .iter()
                .map(|g| TypedRef::hard("security_groups", g, &["ec2.security_group"])),
        );
        v.extend(self.load_balancers.iter().map(|l| {
            TypedRef::hard("load_balancers", &l.target_group, &["elbv2.target_group"])
        }));
        v
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, s) in stack.of_kind::<EcsServiceSpec>() {
            let n = &s.name.value;
            if n.is_empty()
                || n.len() > 255
                || !n.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`{n}` is not a valid service name"),
                    )
                    .at(s.name.span, "invalid name")
                    .help("1 to 255 characters: letters, digits, `-` and `_`"),
                );
            }
            if s.subnets.is_empty() {
                diags.push(
                    Diagnostic::error("strata::missing_field", "a Fargate service needs subnets")
                        .at(r.name_span, "no `subnets`")
                        .help("add `subnets: [private_a, private_b]`: its tasks' interfaces go there"),
                );
            }
            if let Some(d) = &s.deployment
                && d.maximum_percent < d.minimum_healthy_percent.max(100)
            {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "`maximum_percent` must be at least 100 and `minimum_healthy_percent`",
                    )
                    .at(r.name_span, "in its `deployment`")
                    .help("a deployment runs the new tasks beside the old: `maximum_percent: 200`"),
                );
            }
        }
    }
}
