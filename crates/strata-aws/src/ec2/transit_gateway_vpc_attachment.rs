//! `ec2.transit_gateway_vpc_attachment` on AWS: CreateTransitGatewayVpcAttachment,
//! ModifyTransitGatewayVpcAttachment, DeleteTransitGatewayVpcAttachment, each waited on.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ApplianceModeSupportValue, CreateTransitGatewayVpcAttachmentRequestOptions, DnsSupportValue,
    Filter, Ipv6SupportValue, ModifyTransitGatewayVpcAttachmentRequestOptions, ResourceType,
    TransitGatewayAttachmentState,
};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, create_once, created, enable_flag, id_filter, live,
    modified_already, required, str_list, unless_already, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const TIMEOUT: Duration = Duration::from_secs(900);

pub struct TransitGatewayVpcAttachment;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::TransitGatewayVpcAttachment>, ProviderError> {
    cx.ec2
        .describe_transit_gateway_vpc_attachments()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeTransitGatewayVpcAttachments"))
}

/// Creating or modifying: an attachment deleted, failed or rejected meanwhile never gets there.
const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &[
        "pending",
        "modifying",
        "initiating",
        "initiatingRequest",
        "pendingAcceptance",
    ],
};
/// Deleting: a failed or rejected attachment is not a live copy either; right after the call a
/// describe may still show the attachment as it was.
const DELETED: Goal<'static> = Goal {
    ready: &["deleted", "failed", "rejected"],
    on_the_way: &[
        "deleting",
        "available",
        "pending",
        "modifying",
        "initiating",
        "initiatingRequest",
        "pendingAcceptance",
        "rejecting",
        "failing",
        "rollingBack",
    ],
};

fn state(a: &aws_sdk_ec2::types::TransitGatewayVpcAttachment) -> String {
    a.state()
        .map_or("unknown", TransitGatewayAttachmentState::as_str)
        .to_string()
}

async fn one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::TransitGatewayVpcAttachment>, ProviderError> {
    Ok(describe(
        cx,
        id_filter("transit-gateway-attachment-id", &[id.to_string()]),
    )
    .await?
    .into_iter()
    .find(|a| a.transit_gateway_attachment_id() == Some(id)))
}

pub(crate) fn is_live(a: &aws_sdk_ec2::types::TransitGatewayVpcAttachment) -> bool {
    !matches!(
        a.state(),
        Some(
            TransitGatewayAttachmentState::Deleted
                | TransitGatewayAttachmentState::Deleting
                | TransitGatewayAttachmentState::Failed
                | TransitGatewayAttachmentState::Rejected
        )
    )
}

fn to_live(a: &aws_sdk_ec2::types::TransitGatewayVpcAttachment) -> LiveResource {
    let o = a.options();
    let on = |v: Option<&str>| v == Some("enable");
    live(
        "ec2.transit_gateway_vpc_attachment",
        a.transit_gateway_attachment_id().unwrap_or_default(),
        a.tags(),
        json!({
            "transit_gateway": a.transit_gateway_id(),
            "vpc": a.vpc_id(),
            "subnets": a.subnet_ids(),
            "dns_support": on(o.and_then(|o| o.dns_support()).map(|v| v.as_str())),
            "ipv6_support": on(o.and_then(|o| o.ipv6_support()).map(|v| v.as_str())),
            "appliance_mode_support": on(o.and_then(|o| o.appliance_mode_support()).map(|v| v.as_str())),
        }),
    )
    .converging(AVAILABLE.converging(&state(a)))
}

async fn wait_state(
    cx: &Ctx,
    id: &str,
    gone: bool,
    progress: &Progress,
) -> Result<Option<aws_sdk_ec2::types::TransitGatewayVpcAttachment>, ProviderError> {
    let what = if gone {
        "the attachment to be deleted"
    } else {
        "the attachment to be available"
    };
    wait::until(
        what,
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match (gone, one(cx, id).await?) {
                (true, None) => Poll::Ready(None),
                (true, Some(a)) => DELETED.poll(&state(&a), None),
                (false, Some(a)) => AVAILABLE.poll(&state(&a), Some(a)),
                (false, None) => Poll::Missing,
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for TransitGatewayVpcAttachment {
    fn kind(&self) -> &'static str {
        "ec2.transit_gateway_vpc_attachment"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:transit-gateway-attachment"])
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
                id_filter: "transit-gateway-attachment-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::TransitGatewayVpcAttachment::transit_gateway_attachment_id,
        )
        .await?;
        Ok(found.values().filter(|a| is_live(a)).map(to_live).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let options = CreateTransitGatewayVpcAttachmentRequestOptions::builder()
            .dns_support(DnsSupportValue::from(enable_flag(a, "dns_support", true)))
            .ipv6_support(Ipv6SupportValue::from(enable_flag(
                a,
                "ipv6_support",
                false,
            )))
            .appliance_mode_support(ApplianceModeSupportValue::from(enable_flag(
                a,
                "appliance_mode_support",
                false,
            )))
            .build();
        let (tgw, vpc) = (required(a, "transit_gateway")?, required(a, "vpc")?);
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_transit_gateway_vpc_attachment()
                    .transit_gateway_id(tgw)
                    .vpc_id(vpc)
                    .set_subnet_ids(Some(str_list(a, "subnets")))
                    .options(options.clone())
                    .tag_specifications(tag_specification(
                        ResourceType::TransitGatewayAttachment,
                        req,
                    ))
                    .send()
                    .map_err(aws("ec2:CreateTransitGatewayVpcAttachment"))
            },
            |out| {
                out.transit_gateway_vpc_attachment()
                    .and_then(|x| x.transit_gateway_attachment_id())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        if !req.wait
            && let Some(att) = sent
                .answer()
                .and_then(|o| o.transit_gateway_vpc_attachment().cloned())
        {
            return Ok(created(to_live(&att), req));
        }
        let att = wait_state(cx, &id, false, progress).await?.ok_or_else(|| {
            ProviderError::new(ErrorClass::NotFound, format!("attachment {id} vanished"))
        })?;
        Ok(created(to_live(&att), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let a = req.attrs;
        let mut call = cx
            .ec2
            .modify_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(req.id);
        let mut any = false;
        if changed("subnets") {
            let old = str_list(req.prior, "subnets");
            let new = str_list(a, "subnets");
            let add: Vec<String> = new.iter().filter(|s| !old.contains(s)).cloned().collect();
            let remove: Vec<String> = old.iter().filter(|s| !new.contains(s)).cloned().collect();
            call = call
                .set_add_subnet_ids(Some(add).filter(|v| !v.is_empty()))
                .set_remove_subnet_ids(Some(remove).filter(|v| !v.is_empty()));
            any = true;
        }
        if changed("dns_support") || changed("ipv6_support") || changed("appliance_mode_support") {
            call = call.options(
                ModifyTransitGatewayVpcAttachmentRequestOptions::builder()
                    .dns_support(DnsSupportValue::from(enable_flag(a, "dns_support", true)))
                    .ipv6_support(Ipv6SupportValue::from(enable_flag(
                        a,
                        "ipv6_support",
                        false,
                    )))
                    .appliance_mode_support(ApplianceModeSupportValue::from(enable_flag(
                        a,
                        "appliance_mode_support",
                        false,
                    )))
                    .build(),
            );
            any = true;
        }
        if any {
            // AWS refuses a change while the last one (strata's or anyone's) is in progress.
            wait_state(cx, req.id, false, progress).await?;
            let sent = call
                .send()
                .await
                .map_err(aws("ec2:ModifyTransitGatewayVpcAttachment"));
            // A repeat of a change that acted (subnets added or removed already): done if the
            // attachment has the subnets and options asked for.
            unless_already(sent, Refusal::Any, async || {
                let Some(now) = one(cx, req.id).await? else {
                    return Ok(Already::Not);
                };
                let now = to_live(&now);
                let same = |f: &str| match f {
                    "subnets" => {
                        let mut have = str_list(&now.attrs, f);
                        let mut want = str_list(a, f);
                        have.sort();
                        want.sort();
                        have == want
                    }
                    _ => {
                        now.attrs.get(f)
                            == Some(&json!(enable_flag(a, f, f == "dns_support") == "enable"))
                    }
                };
                Ok(modified_already(req, same))
            })
            .await?;
            wait_state(cx, req.id, false, progress).await?;
        }
        if changed("tags") {
            tags::sync_tags(cx, req).await?;
        }
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        match cx
            .ec2
            .delete_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(req.id)
            .send()
            .await
            .map_err(aws("ec2:DeleteTransitGatewayVpcAttachment"))
        {
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            // A repeat of a delete that acted: done if the attachment is going or gone.
            sent => {
                unless_already(sent, Refusal::Codes(&["IncorrectState"]), async || {
                    Ok(match one(cx, req.id).await? {
                        Some(a) if is_live(&a) => Already::Not,
                        _ => Already::Done,
                    })
                })
                .await?;
            }
        }
        wait_state(cx, req.id, true, progress).await.map(|_| ())
    }
}
