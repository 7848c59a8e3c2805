//! `ec2.transit_gateway` on AWS: CreateTransitGateway, ModifyTransitGateway,
//! DeleteTransitGateway, each waited on.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue,
    DefaultRouteTablePropagationValue, DnsSupportValue, Filter, ModifyTransitGatewayOptions,
    ResourceType, TransitGatewayRequestOptions, TransitGatewayState,
};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, create_once, created, delete_until_free, enable_flag, id_filter,
    live, modified_already, str_field, unless_already, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const TIMEOUT: Duration = Duration::from_secs(900);

pub struct TransitGateway;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::TransitGateway>, ProviderError> {
    cx.ec2
        .describe_transit_gateways()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeTransitGateways"))
}

/// Creating or modifying: a gateway deleted meanwhile never gets there.
const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending", "modifying"],
};
/// Deleting: right after the call a describe may still show the gateway as it was.
const DELETED: Goal<'static> = Goal {
    ready: &["deleted"],
    on_the_way: &["deleting", "available", "pending", "modifying"],
};

fn state(t: &aws_sdk_ec2::types::TransitGateway) -> String {
    t.state()
        .map_or("unknown", TransitGatewayState::as_str)
        .to_string()
}

async fn one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::TransitGateway>, ProviderError> {
    Ok(
        describe(cx, id_filter("transit-gateway-id", &[id.to_string()]))
            .await?
            .into_iter()
            .find(|t| t.transit_gateway_id() == Some(id)),
    )
}

fn is_live(t: &aws_sdk_ec2::types::TransitGateway) -> bool {
    !matches!(
        t.state(),
        Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
    )
}

fn enabled(v: Option<&str>) -> bool {
    v == Some("enable")
}

fn to_live(t: &aws_sdk_ec2::types::TransitGateway) -> LiveResource {
    let o = t.options();
    let mut attrs = json!({
        "amazon_side_asn": o.and_then(|o| o.amazon_side_asn()),
        "default_route_table_association": enabled(o.and_then(|o| o.default_route_table_association()).map(|v| v.as_str())),
        "default_route_table_propagation": enabled(o.and_then(|o| o.default_route_table_propagation()).map(|v| v.as_str())),
        "dns_support": enabled(o.and_then(|o| o.dns_support()).map(|v| v.as_str())),
        "auto_accept_shared_attachments": enabled(o.and_then(|o| o.auto_accept_shared_attachments()).map(|v| v.as_str())),
        "association_default_route_table_id": o.and_then(|o| o.association_default_route_table_id()),
        "propagation_default_route_table_id": o.and_then(|o| o.propagation_default_route_table_id()),
        "owner_id": t.owner_id(),
        "arn": t.transit_gateway_arn(),
    });
    if let (Some(d), Some(m)) = (
        t.description().filter(|d| !d.is_empty()),
        attrs.as_object_mut(),
    ) {
        m.insert("description".into(), json!(d));
    }
    live(
        "ec2.transit_gateway",
        t.transit_gateway_id().unwrap_or_default(),
        t.tags(),
        attrs,
    )
    .converging(AVAILABLE.converging(&state(t)))
}

async fn wait_state(
    cx: &Ctx,
    id: &str,
    gone: bool,
    progress: &Progress,
) -> Result<Option<aws_sdk_ec2::types::TransitGateway>, ProviderError> {
    let what = if gone {
        "the transit gateway to be deleted"
    } else {
        "the transit gateway to be available"
    };
    wait::until(
        what,
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match (gone, one(cx, id).await?) {
                (true, None) => Poll::Ready(None),
                (true, Some(t)) => DELETED.poll(&state(&t), None),
                (false, Some(t)) => AVAILABLE.poll(&state(&t), Some(t)),
                (false, None) => Poll::Missing,
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for TransitGateway {
    fn kind(&self) -> &'static str {
        "ec2.transit_gateway"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:transit-gateway"])
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
                id_filter: "transit-gateway-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::TransitGateway::transit_gateway_id,
        )
        .await?;
        Ok(found.values().filter(|t| is_live(t)).map(to_live).collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let options =
            TransitGatewayRequestOptions::builder()
                .amazon_side_asn(
                    a.get("amazon_side_asn")
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(64512),
                )
                .default_route_table_association(DefaultRouteTableAssociationValue::from(
                    enable_flag(a, "default_route_table_association", true),
                ))
                .default_route_table_propagation(DefaultRouteTablePropagationValue::from(
                    enable_flag(a, "default_route_table_propagation", true),
                ))
                .dns_support(DnsSupportValue::from(enable_flag(a, "dns_support", true)))
                .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(
                    enable_flag(a, "auto_accept_shared_attachments", false),
                ))
                .build();
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_transit_gateway()
                    .options(options.clone())
                    .set_description(str_field(a, "description").map(str::to_string))
                    .tag_specifications(tag_specification(ResourceType::TransitGateway, req))
                    .send()
                    .map_err(aws("ec2:CreateTransitGateway"))
            },
            |out| {
                out.transit_gateway()
                    .and_then(|t| t.transit_gateway_id())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        if !req.wait
            && let Some(t) = sent.answer().and_then(|o| o.transit_gateway().cloned())
        {
            return Ok(created(to_live(&t), req));
        }
        let t = wait_state(cx, &id, false, progress).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("transit gateway {id} vanished"),
            )
        })?;
        Ok(created(to_live(&t), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let a = req.attrs;
        let mut opts = ModifyTransitGatewayOptions::builder();
        let mut any = false;
        if changed("default_route_table_association") {
            opts = opts.default_route_table_association(DefaultRouteTableAssociationValue::from(
                enable_flag(a, "default_route_table_association", true),
            ));
            any = true;
        }
        if changed("default_route_table_propagation") {
            opts = opts.default_route_table_propagation(DefaultRouteTablePropagationValue::from(
                enable_flag(a, "default_route_table_propagation", true),
            ));
            any = true;
        }
        if changed("dns_support") {
            opts = opts.dns_support(DnsSupportValue::from(enable_flag(a, "dns_support", true)));
            any = true;
        }
        if changed("auto_accept_shared_attachments") {
            opts = opts.auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(
                enable_flag(a, "auto_accept_shared_attachments", false),
            ));
            any = true;
        }
        if any || changed("description") {
            // AWS refuses a change while the last one (strata's or anyone's) is in progress.
            wait_state(cx, req.id, false, progress).await?;
            let mut call = cx
                .ec2
                .modify_transit_gateway()
                .transit_gateway_id(req.id)
                .options(opts.build());
            if changed("description") {
                call = call.description(str_field(a, "description").unwrap_or(""));
            }
            let sent = call.send().await.map_err(aws("ec2:ModifyTransitGateway"));
            // The repeat of a change that acted (its answer lost) is refused while the change
            // is in progress: done once the gateway settles with the options asked for.
            unless_already(sent, Refusal::Codes(&["IncorrectState"]), async || {
                wait_state(cx, req.id, false, progress).await?;
                let Some(t) = one(cx, req.id).await? else {
                    return Ok(Already::Not);
                };
                let now = to_live(&t);
                let same = |f: &str| match f {
                    "description" => {
                        now.attrs.get(f).and_then(serde_json::Value::as_str)
                            == str_field(a, f).filter(|d| !d.is_empty())
                    }
                    _ => {
                        let default = f != "auto_accept_shared_attachments";
                        now.attrs.get(f) == Some(&json!(enable_flag(a, f, default) == "enable"))
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

    /// AWS refuses (IncorrectState) while attachments remain: those are deleted first (they
    /// depend on the gateway); the refusal is retried while they finish deleting.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        delete_until_free(
            "the transit gateway to accept deletion",
            cx.timeout(TIMEOUT),
            progress,
            || async move {
                match cx
                    .ec2
                    .delete_transit_gateway()
                    .transit_gateway_id(id)
                    .send()
                    .await
                    .map_err(aws("ec2:DeleteTransitGateway"))
                {
                    Ok(_) => Ok(()),
                    // Attachments remain (retried), or this is the repeat of a delete that acted:
                    // done if the gateway is going or gone.
                    Err(mut e) if e.code.as_deref() == Some("IncorrectState") => {
                        match one(cx, id).await? {
                            Some(t) if is_live(&t) => {
                                e.class = ErrorClass::DependencyViolation;
                                Err(e)
                            }
                            _ => Ok(()),
                        }
                    }
                    Err(e) => Err(e),
                }
            },
            || async move {
                let atts = cx
                    .ec2
                    .describe_transit_gateway_attachments()
                    .filters(
                        Filter::builder()
                            .name("transit-gateway-id")
                            .values(id)
                            .build(),
                    )
                    .send()
                    .await
                    .ok()?;
                let list: Vec<String> = atts
                    .transit_gateway_attachments()
                    .iter()
                    .filter(|a| a.state().is_none_or(|s| s.as_str() != "deleted"))
                    .filter_map(|a| a.transit_gateway_attachment_id().map(str::to_string))
                    .collect();
                (!list.is_empty()).then(|| format!("attachments {}", list.join(", ")))
            },
        )
        .await?;
        wait_state(cx, id, true, progress).await.map(|_| ())
    }
}
