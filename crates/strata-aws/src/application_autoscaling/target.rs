//! `application_autoscaling.target` on AWS: RegisterScalableTarget (tagged in the call; a
//! repeat updates the target and keeps its ARN), DescribeScalableTargets (namespace `ecs`),
//! DeregisterScalableTarget; tags by ARN (`ListTagsForResource`: the describe does not answer
//! them).
//!
//! Its id is its resource id, `service/CLUSTER/NAME`, derived from the service's ARN
//! (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use futures_util::future::try_join_all;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags;
use super::{AwsKind, client, created, gone, gone_between, i32_field, required, updated};
use crate::Ctx;
use crate::error::aws;

pub struct TargetKind;

const KIND: &str = "application_autoscaling.target";

/// The resource id of an ECS service's ARN: `service/CLUSTER/NAME`.
pub fn resource_id(service_arn: &str) -> Result<String, ProviderError> {
    service_arn
        .split_once(":service/")
        .filter(|(_, rest)| rest.contains('/'))
        .map(|(_, rest)| format!("service/{rest}"))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorClass::Invalid,
                format!(
                    "`{service_arn}` is not an ECS service ARN of the form …:service/CLUSTER/NAME"
                ),
            )
        })
}

/// The ECS service's ARN of a target, in the region and account of the target's ARN.
fn service_arn(t: &ScalableTarget) -> Option<String> {
    let arn = t.scalable_target_arn()?;
    let mut parts = arn.splitn(6, ':');
    let (_, partition, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some(format!(
        "arn:{partition}:ecs:{region}:{account}:{}",
        t.resource_id()
    ))
}

/// The `ecs` scalable targets of these resource ids (every one when `ids` is `None`).
async fn describe(cx: &Ctx, ids: Option<&[String]>) -> Result<Vec<ScalableTarget>, ProviderError> {
    let mut out = Vec::new();
    let chunks: Vec<Option<Vec<String>>> = match ids {
        Some(ids) => ids.chunks(50).map(|c| Some(c.to_vec())).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut pages = client(cx)
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_resource_ids(chunk)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws("application-autoscaling:DescribeScalableTargets"))?;
            out.extend(page.scalable_targets().iter().cloned());
        }
    }
    Ok(out)
}

/// One target by resource id; `None` when there is none.
pub async fn one(cx: &Ctx, id: &str) -> Result<Option<ScalableTarget>, ProviderError> {
    Ok(describe(cx, Some(&[id.to_string()]))
        .await?
        .into_iter()
        .next())
}

fn to_live(t: &ScalableTarget, tags: &HashMap<String, String>) -> LiveResource {
    let mut m = json!({
        "service": service_arn(t),
        "min_capacity": t.min_capacity(),
        "max_capacity": t.max_capacity(),
        "arn": t.scalable_target_arn(),
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    tags::live(KIND, t.resource_id(), tags, m)
}

/// The target with its tags; `None` when it was deregistered since it was described.
async fn with_tags(cx: &Ctx, t: ScalableTarget) -> Result<Option<LiveResource>, ProviderError> {
    let arn = t.scalable_target_arn().unwrap_or_default().to_string();
    let found = gone_between(tags::of(cx, &arn).await)?;
    Ok(found.map(|tags| to_live(&t, &tags)))
}

/// RegisterScalableTarget with the attributes' capacities (and tags on a create).
async fn register(
    cx: &Ctx,
    id: &str,
    a: &Attrs,
    tags: Option<HashMap<String, String>>,
) -> Result<(), ProviderError> {
    client(cx)
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(id)
        .set_min_capacity(i32_field(a, "min_capacity"))
        .set_max_capacity(i32_field(a, "max_capacity"))
        .set_tags(tags)
        .send()
        .await
        .map(|_| ())
        .map_err(aws("application-autoscaling:RegisterScalableTarget"))
}

#[async_trait]
impl AwsKind for TargetKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// Every `ecs` target (`DescribeScalableTargets`, paginated) with its tags; kept: those of
    /// the lockfile's ids and those carrying the stack's tag.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let targets = describe(cx, None).await?;
        let live = try_join_all(targets.into_iter().map(|t| with_tags(cx, t))).await?;
        Ok(live
            .into_iter()
            .flatten()
            .filter(|l| req.wants(l))
            .collect())
    }

    /// RegisterScalableTarget, tagged in the call. A repeat (after a lost answer) registers
    /// the same target again: its id follows from the service.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let id = resource_id(required(req.attrs, "service")?)?;
        register(cx, &id, req.attrs, Some(tags::create_tags(req))).await?;
        progress.created(&id);
        let t = one(cx, &id).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("the scalable target {id} is not there after its register"),
            )
        })?;
        Ok(created(to_live(&t, &Default::default()), req))
    }

    /// RegisterScalableTarget again for new capacities (the same ARN); tags by ARN.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        if changed("min_capacity") || changed("max_capacity") {
            register(cx, req.id, req.attrs, None).await?;
        }
        if changed("tags") {
            let arn = super::str_field(req.prior, "arn").unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        Ok(updated(req))
    }

    /// DeregisterScalableTarget (its policies go with it); one already gone is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        match client(cx)
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(req.id)
            .send()
            .await
            .map_err(aws("application-autoscaling:DeregisterScalableTarget"))
        {
            Err(e) if !gone(&e) => Err(e),
            _ => Ok(()),
        }
    }
}
