//! `ec2.subnet` on AWS: CreateSubnet, ModifySubnetAttribute, DeleteSubnet.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, SubnetState};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{
    AwsKind, bool_field, create_once, created, delete_until_free, describe_blocking_interfaces,
    live, required, str_field, updated_with,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const CREATE_TIMEOUT: Duration = Duration::from_secs(300);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1200);

const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending"],
};

pub struct Subnet;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::Subnet>, ProviderError> {
    cx.ec2
        .describe_subnets()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeSubnets"))
}

fn to_live(s: &aws_sdk_ec2::types::Subnet) -> LiveResource {
    let attrs = json!({
        "vpc": s.vpc_id(),
        "cidr_block": s.cidr_block(),
        "availability_zone": s.availability_zone(),
        "availability_zone_id": s.availability_zone_id(),
        "map_public_ip_on_launch": s.map_public_ip_on_launch().unwrap_or(false),
        "owner_id": s.owner_id(),
        "arn": s.subnet_arn(),
    });
    live(
        "ec2.subnet",
        s.subnet_id().unwrap_or_default(),
        s.tags(),
        attrs,
    )
}

async fn set_public_ip(cx: &Ctx, id: &str, on: bool) -> Result<(), ProviderError> {
    cx.ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map(|_| ())
        .map_err(aws("ec2:ModifySubnetAttribute"))
}

#[async_trait]
impl AwsKind for Subnet {
    fn kind(&self) -> &'static str {
        "ec2.subnet"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:subnet"])
    }

    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let found = describe_ids_and_stack(
            cx,
            Scope {
                kind: self,
                id_filter: "subnet-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::Subnet::subnet_id,
        )
        .await?;
        Ok(found.values().map(to_live).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let (vpc, cidr) = (required(a, "vpc")?, required(a, "cidr_block")?);
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_subnet()
                    .vpc_id(vpc)
                    .cidr_block(cidr)
                    .set_availability_zone(str_field(a, "availability_zone").map(str::to_string))
                    .set_availability_zone_id(
                        str_field(a, "availability_zone_id").map(str::to_string),
                    )
                    .tag_specifications(tag_specification(ResourceType::Subnet, req))
                    .send()
                    .map_err(aws("ec2:CreateSubnet"))
            },
            |out| out.subnet().and_then(|s| s.subnet_id()).map(str::to_string),
        )
        .await?;
        progress.created(&id);
        let subnet = wait::until(
            "the subnet to be available",
            cx.timeout(CREATE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                let f = Filter::builder().name("subnet-id").values(&id).build();
                Ok(match describe(cx, f).await?.into_iter().next() {
                    Some(s) => {
                        let state = s.state().map_or("unknown", SubnetState::as_str).to_string();
                        AVAILABLE.poll(&state, s)
                    }
                    None => Poll::Missing,
                })
            },
        )
        .await?;
        let public = bool_field(a, "map_public_ip_on_launch").unwrap_or(false);
        if public {
            set_public_ip(cx, &id, true).await?;
        }
        let mut live = to_live(&subnet);
        live.attrs
            .insert("map_public_ip_on_launch".into(), json!(public));
        Ok(created(live, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let mut attrs = req.prior.clone();
        for f in req.changed {
            match f.as_str() {
                "tags" => tags::sync_tags(cx, req).await?,
                "map_public_ip_on_launch" => {
                    set_public_ip(cx, req.id, bool_field(req.attrs, f).unwrap_or(false)).await?;
                }
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("ec2.subnet cannot change `{other}` in place"),
                    ));
                }
            }
            if let Some(v) = req.attrs.get(f) {
                attrs.insert(f.clone(), v.clone());
            }
        }
        Ok(updated_with(req, attrs))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        delete_until_free(
            "the subnet to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                cx.ec2
                    .delete_subnet()
                    .subnet_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ec2:DeleteSubnet"))
            },
            || describe_blocking_interfaces(cx, "subnet-id", id),
        )
        .await
    }
}
