//! `ec2.nat_gateway` on AWS: CreateNatGateway (with the journaled idempotency token), waiting
//! for `available`; DeleteNatGateway, waiting for `deleted`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, Filter, NatGatewayState, ResourceType};
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{AwsKind, created, id_filter, live, required, str_field, updated};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1800);

pub struct NatGateway;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::NatGateway>, ProviderError> {
    cx.ec2
        .describe_nat_gateways()
        .filter(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeNatGateways"))
}

/// Creating: `deleting`, `deleted` (someone else deleted it) and `failed` never lead here.
const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending"],
};
/// Deleting: a failed NAT gateway is not a live copy either (AWS removes it later).
const DELETED: Goal<'static> = Goal {
    ready: &["deleted", "failed"],
    on_the_way: &["deleting", "pending", "available"],
};

fn state(n: &aws_sdk_ec2::types::NatGateway) -> String {
    n.state()
        .map_or("unknown", NatGatewayState::as_str)
        .to_string()
}

/// A NAT gateway that is deleted, being deleted, or failed is not a live copy.
pub(crate) fn is_live(n: &aws_sdk_ec2::types::NatGateway) -> bool {
    !matches!(
        n.state(),
        Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed)
    )
}

fn to_live(n: &aws_sdk_ec2::types::NatGateway) -> LiveResource {
    let id = n.nat_gateway_id().unwrap_or_default();
    let connectivity = n.connectivity_type().map_or("public", |c| c.as_str());
    let primary = n
        .nat_gateway_addresses()
        .iter()
        .find(|a| a.is_primary().unwrap_or(true))
        .or_else(|| n.nat_gateway_addresses().first());
    let mut attrs = json!({
        "subnet": n.subnet_id(),
        "connectivity_type": connectivity,
        "public_ip": primary.and_then(|a| a.public_ip()),
        "private_ip": primary.and_then(|a| a.private_ip()),
        "network_interface_id": primary.and_then(|a| a.network_interface_id()),
    });
    if connectivity == "public"
        && let (Some(alloc), Some(m)) = (
            primary.and_then(|a| a.allocation_id()),
            attrs.as_object_mut(),
        )
    {
        m.insert("eip".into(), json!(alloc));
    }
    live("ec2.nat_gateway", id, n.tags(), attrs).converging(AVAILABLE.converging(&state(n)))
}

async fn one(cx: &Ctx, id: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, ProviderError> {
    Ok(describe(cx, id_filter("nat-gateway-id", &[id.to_string()]))
        .await?
        .into_iter()
        .find(|n| n.nat_gateway_id() == Some(id)))
}

#[async_trait]
impl AwsKind for NatGateway {
    fn kind(&self) -> &'static str {
        "ec2.nat_gateway"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:natgateway"])
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
                id_filter: "nat-gateway-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::NatGateway::nat_gateway_id,
        )
        .await?;
        Ok(found.values().filter(|n| is_live(n)).map(to_live).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let connectivity = str_field(a, "connectivity_type").unwrap_or("public");
        let mut call = cx
            .ec2
            .create_nat_gateway()
            .subnet_id(required(a, "subnet")?)
            .connectivity_type(ConnectivityType::from(connectivity))
            .client_token(req.token)
            .tag_specifications(tag_specification(ResourceType::Natgateway, req));
        if let Some(eip) = str_field(a, "eip") {
            call = call.allocation_id(eip);
        }
        let out = call.send().await.map_err(aws("ec2:CreateNatGateway"))?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .ok_or_else(|| {
                ProviderError::new(ErrorClass::Other, "CreateNatGateway returned no id")
            })?
            .to_string();
        progress.created(&id);
        if !req.wait
            && let Some(n) = out.nat_gateway()
        {
            return Ok(created(to_live(n), req));
        }
        let nat = wait::until(
            "the NAT gateway to be available",
            cx.timeout(CREATE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match one(cx, &id).await? {
                    Some(n) if n.state() == Some(&NatGatewayState::Failed) => {
                        return Err(ProviderError::new(
                            ErrorClass::Invalid,
                            format!(
                                "NAT gateway {id} failed: {}",
                                n.failure_message().unwrap_or("AWS gave no reason")
                            ),
                        )
                        .with_help(
                            "check that the subnet is public (routed to an attached internet \
                             gateway) and the Elastic IP is free",
                        ));
                    }
                    Some(n) => AVAILABLE.poll(&state(&n), n),
                    None => Poll::Missing,
                })
            },
        )
        .await?;
        Ok(created(to_live(&nat), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        for f in req.changed {
            match f.as_str() {
                "tags" => tags::sync_tags(cx, req).await?,
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("ec2.nat_gateway cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// Deletes and waits for `deleted`: until then the Elastic IP cannot be released and the
    /// subnet cannot be deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        match cx
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(id)
            .send()
            .await
            .map_err(aws("ec2:DeleteNatGateway"))
        {
            Ok(_) => {}
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        wait::until(
            "the NAT gateway to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match one(cx, id).await? {
                    None => Poll::Ready(()),
                    Some(n) => DELETED.poll(&state(&n), ()),
                })
            },
        )
        .await
    }
}
