//! `application_autoscaling.policy`: a target-tracking scaling policy on a scalable target
//! (`aws application-autoscaling put-scaling-policy`): keeps a metric of an ECS service near a
//! value by changing its desired count (cookbook recipe 3.6).
//!
//! Its id is `RESOURCE_ID:NAME` (`service/web/app:cpu50`). Everything but its name and target
//! changes in place (a `PutScalingPolicy` again updates it, its ARN kept). A policy has no
//! tags: it is found through its target's id only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::spanned::Spanned;
use crate::stack::Stack;
use crate::types::Ref;

pub static INFO: KindInfo = KindInfo {
    name: "application_autoscaling.policy",
    summary: "A target-tracking scaling policy of an ECS service (PutScalingPolicy).",
    fields: &[
        FieldDef::replace("name"),
        FieldDef::replace("target"),
        FieldDef::in_place("metric"),
        FieldDef::in_place("resource_label").unset_when_omitted(),
        FieldDef::in_place("target_value"),
        FieldDef::in_place("scale_in_cooldown").unset_when_omitted(),
        FieldDef::in_place("scale_out_cooldown").unset_when_omitted(),
        FieldDef::in_place("disable_scale_in"),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The scaling policy's ARN.",
    }],
    deferred: &[],
    policy: Policy {
        id_chunk: 1,
        id_from_documents: true,
        ..Policy::DEFAULT
    },
};

/// The predefined metrics of an ECS service a policy can track.
pub const METRICS: &[&str] = &[
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageMemoryUtilization",
    "ALBRequestCountPerTarget",
];

/// A target-tracking scaling policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingPolicySpec {
    /// Its name, unique on its target (`cpu50`).
    pub name: Spanned<String>,
    /// The `application_autoscaling.target` it scales.
    pub target: Ref,
    /// The metric tracked: `ECSServiceAverageCPUUtilization`,
    /// `ECSServiceAverageMemoryUtilization`, or `ALBRequestCountPerTarget` (with
    /// `resource_label`).
    pub metric: Spanned<String>,
    /// For `ALBRequestCountPerTarget`: `app/LB/ID/targetgroup/TG/ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<String>,
    /// The value the metric is kept near (a percentage for CPU and memory).
    pub target_value: f64,
    /// Seconds after a scale-in before another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<u32>,
    /// Seconds after a scale-out before another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<u32>,
    /// Whether the policy only scales out.
    #[serde(default)]
    pub disable_scale_in: bool,
}

impl KindSpec for AutoscalingPolicySpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard(
            "target",
            &self.target,
            &["application_autoscaling.target"],
        )]
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, p) in stack.of_kind::<AutoscalingPolicySpec>() {
            let m = p.metric.value.as_str();
            if !METRICS.contains(&m) {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`{m}` is not a metric an ECS service's policy can track"),
                    )
                    .at(p.metric.span, "unknown metric")
                    .help(
                        "use `ECSServiceAverageCPUUtilization`, \
                         `ECSServiceAverageMemoryUtilization` or `ALBRequestCountPerTarget`",
                    ),
                );
            } else if (m == "ALBRequestCountPerTarget") != p.resource_label.is_some() {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        "`resource_label` goes with `ALBRequestCountPerTarget`, and only with it",
                    )
                    .at(r.name_span, "in this policy")
                    .help("give `resource_label: app/LB/ID/targetgroup/TG/ID` with that metric"),
                );
            }
            let n = &p.name.value;
            if n.is_empty() || n.len() > 256 || n.contains(':') {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!("`{n}` is not a valid scaling policy name"),
                    )
                    .at(p.name.span, "invalid name")
                    .help("1 to 256 characters, without `:`"),
                );
            }
        }
    }
}
