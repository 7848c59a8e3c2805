//! `application_autoscaling.target`: the scalable target of an ECS service (`aws
//! application-autoscaling register-scalable-target`): the range Application Auto Scaling keeps
//! the service's desired count in (cookbook recipe 3.6).
//!
//! Its id is its resource id, `service/CLUSTER/NAME`. Its capacities change in place (a
//! `RegisterScalableTarget` again updates it); another service replaces it. Deleting it
//! deletes its scaling policies with it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttrDef, FieldDef, KindInfo, KindSpec, Policy, TypedRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::stack::Stack;
use crate::types::{Ref, Tags};

pub static INFO: KindInfo = KindInfo {
    name: "application_autoscaling.target",
    summary: "The scalable target of an ECS service's desired count (RegisterScalableTarget).",
    fields: &[
        FieldDef::replace("service").unique(),
        FieldDef::in_place("min_capacity"),
        FieldDef::in_place("max_capacity"),
        FieldDef::in_place("tags").map(),
    ],
    computed: &[AttrDef {
        name: "arn",
        doc: "The scalable target's ARN.",
    }],
    deferred: &[],
    policy: Policy {
        // DescribeScalableTargets takes 50 resource ids.
        id_chunk: 50,
        ..Policy::DEFAULT
    },
};

/// The scalable target of an ECS service: the range of its desired count.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingTargetSpec {
    /// The `ecs.service` whose desired count is scaled.
    pub service: Ref,
    /// The fewest tasks it scales in to.
    pub min_capacity: u32,
    /// The most tasks it scales out to.
    pub max_capacity: u32,
    /// Tags, besides the stack's `default_tags`.
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for AutoscalingTargetSpec {
    fn info() -> &'static KindInfo {
        &INFO
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn refs(&self) -> Vec<TypedRef<'_>> {
        vec![TypedRef::hard("service", &self.service, &["ecs.service"])]
    }

    fn check(stack: &Stack, diags: &mut Diagnostics) {
        for (r, t) in stack.of_kind::<AutoscalingTargetSpec>() {
            if t.max_capacity < t.min_capacity {
                diags.push(
                    Diagnostic::error(
                        "strata::invalid_value",
                        format!(
                            "`max_capacity` {} is below `min_capacity` {}",
                            t.max_capacity, t.min_capacity
                        ),
                    )
                    .at(r.name_span, "in this target")
                    .help("make `max_capacity` at least `min_capacity`"),
                );
            }
        }
    }
}
