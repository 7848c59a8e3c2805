//! `application_autoscaling.policy` on AWS: PutScalingPolicy (`TargetTrackingScaling`; a
//! repeat updates the policy and keeps its ARN), DescribeScalingPolicies (by resource id and
//! name), DeleteScalingPolicy.
//!
//! Its id is `RESOURCE_ID:NAME` (`service/web/app:cpu50`): it follows from the documents, so
//! a create repeated after a lost answer puts the same policy again.

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalingPolicy,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::{AwsKind, bool_field, client, gone, i32_field, required, str_field};
use crate::Ctx;
use crate::error::aws;

pub struct PolicyKind;

const KIND: &str = "application_autoscaling.policy";

/// The resource id and the name of a policy's id.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once(':')
}

/// The policy of this id; `None` when there is none.
async fn one(cx: &Ctx, id: &str) -> Result<Option<ScalingPolicy>, ProviderError> {
    let Some((resource, name)) = split_id(id) else {
        return Ok(None);
    };
    let answer = client(cx)
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_names(name)
        .send()
        .await
        .map_err(aws("application-autoscaling:DescribeScalingPolicies"));
    match answer {
        Ok(a) => Ok(a
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name)
            .cloned()),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn to_live(p: &ScalingPolicy) -> LiveResource {
    let id = format!("{}:{}", p.resource_id(), p.policy_name());
    let c = p.target_tracking_scaling_policy_configuration();
    let metric = c.and_then(|c| c.predefined_metric_specification());
    let mut m = json!({
        "name": p.policy_name(),
        "target": p.resource_id(),
        "metric": metric.map(|s| s.predefined_metric_type().as_str()),
        "resource_label": metric.and_then(|s| s.resource_label()),
        "target_value": c.map(|c| c.target_value()),
        "scale_in_cooldown": c.and_then(|c| c.scale_in_cooldown()),
        "scale_out_cooldown": c.and_then(|c| c.scale_out_cooldown()),
        "disable_scale_in": c.and_then(|c| c.disable_scale_in()).unwrap_or(false),
        "arn": p.policy_arn(),
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    LiveResource::new(KIND, &id, m.as_object().cloned().unwrap_or_default())
}

/// The target-tracking configuration of the attributes.
fn configuration(a: &Attrs) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
    let invalid = |e: aws_smithy_types::error::operation::BuildError| {
        ProviderError::new(ErrorClass::Invalid, e.to_string())
    };
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(required(a, "metric")?))
        .set_resource_label(str_field(a, "resource_label").map(str::to_string))
        .build()
        .map_err(invalid)?;
    TargetTrackingScalingPolicyConfiguration::builder()
        .predefined_metric_specification(metric)
        .set_target_value(a.get("target_value").and_then(Value::as_f64))
        .set_scale_in_cooldown(i32_field(a, "scale_in_cooldown"))
        .set_scale_out_cooldown(i32_field(a, "scale_out_cooldown"))
        .disable_scale_in(bool_field(a, "disable_scale_in").unwrap_or(false))
        .build()
        .map_err(invalid)
}

/// PutScalingPolicy of the attributes, then the policy as it reads back.
async fn put(cx: &Ctx, a: &Attrs) -> Result<LiveResource, ProviderError> {
    let resource = required(a, "target")?;
    let name = required(a, "name")?;
    client(cx)
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(configuration(a)?)
        .send()
        .await
        .map_err(aws("application-autoscaling:PutScalingPolicy"))?;
    let id = format!("{resource}:{name}");
    let p = one(cx, &id).await?.ok_or_else(|| {
        ProviderError::new(
            ErrorClass::NotFound,
            format!("the scaling policy {id} is not there after its put"),
        )
    })?;
    Ok(to_live(&p))
}

#[async_trait]
impl AwsKind for PolicyKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// `DescribeScalingPolicies` for each id the lockfile gives (a policy has no tags).
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = try_join_all(req.ids.iter().map(|id| one(cx, id))).await?;
        Ok(found.into_iter().flatten().map(|p| to_live(&p)).collect())
    }

    /// PutScalingPolicy: a repeat puts the same policy again.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let live = put(cx, req.attrs).await?;
        progress.created(&live.id);
        Ok(live.owned_by(req.owner()))
    }

    /// PutScalingPolicy again (the same ARN).
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let live = put(cx, req.attrs).await?;
        Ok(live.owned_by(req.owner()))
    }

    /// DeleteScalingPolicy; one already gone (or its target's) is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        let Some((resource, name)) = split_id(req.id) else {
            return Ok(());
        };
        match client(cx)
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .send()
            .await
            .map_err(aws("application-autoscaling:DeleteScalingPolicy"))
        {
            Err(e) if !gone(&e) => Err(e),
            _ => Ok(()),
        }
    }
}
