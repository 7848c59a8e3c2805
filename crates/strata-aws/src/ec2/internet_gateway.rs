//! `ec2.internet_gateway` on AWS: CreateInternetGateway, Attach/DetachInternetGateway,
//! DeleteInternetGateway.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, Sent, create_once, created, delete_until_free, ec2_arn, id_filter,
    live, str_field, unless_already, until_visible, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;

const DELETE_TIMEOUT: Duration = Duration::from_secs(900);

pub struct InternetGateway;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::InternetGateway>, ProviderError> {
    cx.ec2
        .describe_internet_gateways()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeInternetGateways"))
}

fn to_live(cx: &Ctx, g: &aws_sdk_ec2::types::InternetGateway) -> LiveResource {
    let id = g.internet_gateway_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let vpc = attached_vpcs(g).first().copied();
    let mut attrs = json!({
        "owner_id": owner,
        "arn": ec2_arn(cx, owner, "internet-gateway", id),
    });
    if let (Some(v), Some(m)) = (vpc, attrs.as_object_mut()) {
        m.insert("vpc".into(), json!(v));
    }
    live("ec2.internet_gateway", id, g.tags(), attrs)
}

/// The VPCs a gateway is attached (or attaching) to.
fn attached_vpcs(g: &aws_sdk_ec2::types::InternetGateway) -> Vec<&str> {
    g.attachments()
        .iter()
        .filter(|a| {
            a.state()
                .is_some_and(|s| matches!(s.as_str(), "available" | "attached" | "attaching"))
        })
        .filter_map(|a| a.vpc_id())
        .collect()
}

/// Attaches the gateway to `vpc`. A repeat of an attach that acted is refused with
/// `Resource.AlreadyAssociated`: done if the gateway is attached to that VPC; a gateway attached
/// to another VPC is an error naming it (a gateway has one VPC).
async fn attach(cx: &Ctx, id: &str, vpc: &str) -> Result<(), ProviderError> {
    let sent = cx
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(aws("ec2:AttachInternetGateway"));
    unless_already(
        sent,
        Refusal::Codes(&["Resource.AlreadyAssociated"]),
        async || {
            // A gateway created a moment ago may not show yet.
            let now = until_visible("the internet gateway", cx, &Progress::none(), || async {
                Ok(
                    describe(cx, id_filter("internet-gateway-id", &[id.to_string()]))
                        .await?
                        .into_iter()
                        .next(),
                )
            })
            .await?;
            let vpcs = attached_vpcs(&now);
            Ok(if vpcs.contains(&vpc) {
                Already::Done
            } else if let Some(other) = vpcs.first() {
                Already::Else(format!(
                    "internet gateway {id} is attached to {other}, not to {vpc}"
                ))
            } else {
                Already::Not
            })
        },
    )
    .await
}

/// Detaches, waiting out `DependencyViolation`: AWS refuses while public addresses in the VPC
/// (Elastic IPs of NAT gateways or instances) are still mapped.
async fn detach(cx: &Ctx, id: &str, vpc: &str, progress: &Progress) -> Result<(), ProviderError> {
    delete_until_free(
        "the internet gateway to detach",
        cx.timeout(DELETE_TIMEOUT),
        progress,
        || async move {
            match cx
                .ec2
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(aws("ec2:DetachInternetGateway"))
            {
                Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
                other => other.map(|_| ()),
            }
        },
        || async move {
            Some(format!(
                "public addresses still mapped in {vpc} (release Elastic IPs, delete NAT gateways first)"
            ))
        },
    )
    .await
}

#[async_trait]
impl AwsKind for InternetGateway {
    fn kind(&self) -> &'static str {
        "ec2.internet_gateway"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:internet-gateway"])
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
                id_filter: "internet-gateway-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::InternetGateway::internet_gateway_id,
        )
        .await?;
        Ok(found.values().map(|g| to_live(cx, g)).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_internet_gateway()
                    .tag_specifications(tag_specification(ResourceType::InternetGateway, req))
                    .send()
                    .map_err(aws("ec2:CreateInternetGateway"))
            },
            |out| {
                out.internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        let mut l = match sent {
            Sent::Answer(out) => match out.internet_gateway() {
                Some(g) => to_live(cx, g),
                None => {
                    return Err(ProviderError::new(
                        ErrorClass::Other,
                        "CreateInternetGateway returned no gateway",
                    ));
                }
            },
            Sent::Found(l) => l,
        };
        if let Some(vpc) = str_field(req.attrs, "vpc") {
            attach(cx, &id, vpc).await?;
            l.attrs.insert("vpc".into(), json!(vpc));
        }
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        for f in req.changed {
            match f.as_str() {
                "tags" => tags::sync_tags(cx, req).await?,
                "vpc" => {
                    if let Some(old) = str_field(req.prior, "vpc") {
                        detach(cx, req.id, old, progress).await?;
                    }
                    if let Some(new) = str_field(req.attrs, "vpc") {
                        attach(cx, req.id, new).await?;
                    }
                }
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("ec2.internet_gateway cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        // Detach from whatever VPC it is attached to now.
        let current = describe(cx, id_filter("internet-gateway-id", &[id.to_string()])).await?;
        let Some(g) = current.first() else {
            return Ok(());
        };
        for a in g.attachments() {
            if let Some(vpc) = a.vpc_id() {
                detach(cx, id, vpc, progress).await?;
            }
        }
        delete_until_free(
            "the internet gateway to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                cx.ec2
                    .delete_internet_gateway()
                    .internet_gateway_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ec2:DeleteInternetGateway"))
            },
            || async { None },
        )
        .await
    }
}
