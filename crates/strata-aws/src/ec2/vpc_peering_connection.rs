//! `ec2.vpc_peering_connection` on AWS: CreateVpcPeeringConnection, AcceptVpcPeeringConnection
//! (in the accepter's region), ModifyVpcPeeringConnectionOptions, DeleteVpcPeeringConnection.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, PeeringConnectionOptionsRequest, ResourceType};
use futures_util::TryFutureExt;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, create_once, created, id_filter, live, required, str_field,
    unless_already, updated,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const TIMEOUT: Duration = Duration::from_secs(600);

pub struct VpcPeeringConnection;

async fn describe(
    client: &aws_sdk_ec2::Client,
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::VpcPeeringConnection>, ProviderError> {
    client
        .describe_vpc_peering_connections()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeVpcPeeringConnections"))
}

fn status(p: &aws_sdk_ec2::types::VpcPeeringConnection) -> String {
    p.status()
        .and_then(|s| s.code())
        .map_or("unknown", |c| c.as_str())
        .to_string()
}

pub(crate) fn is_live(p: &aws_sdk_ec2::types::VpcPeeringConnection) -> bool {
    !matches!(
        status(p).as_str(),
        "deleted" | "deleting" | "rejected" | "failed" | "expired"
    )
}

fn options(info: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>) -> Value {
    json!({
        "allow_dns_resolution_from_remote_vpc": info
            .and_then(|i| i.peering_options())
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
            .unwrap_or(false)
    })
}

fn to_live(cx: &Ctx, p: &aws_sdk_ec2::types::VpcPeeringConnection) -> LiveResource {
    let requester = p.requester_vpc_info();
    let accepter = p.accepter_vpc_info();
    let mut attrs = json!({
        "vpc": requester.and_then(|i| i.vpc_id()),
        "peer_vpc": accepter.and_then(|i| i.vpc_id()),
        "requester_options": options(requester),
        "accepter_options": options(accepter),
        "status": status(p),
    });
    if let (Some(region), Some(m)) = (accepter.and_then(|i| i.region()), attrs.as_object_mut())
        && region != cx.region
    {
        m.insert("peer_region".into(), json!(region));
    }
    live(
        "ec2.vpc_peering_connection",
        p.vpc_peering_connection_id().unwrap_or_default(),
        p.tags(),
        attrs,
    )
}

async fn one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::VpcPeeringConnection>, ProviderError> {
    // Checked here too: some implementations ignore the filter.
    Ok(describe(
        &cx.ec2,
        cx,
        id_filter("vpc-peering-connection-id", &[id.to_string()]),
    )
    .await?
    .into_iter()
    .find(|p| p.vpc_peering_connection_id() == Some(id)))
}

/// A new request, until the accepter can accept it.
const REQUESTED: Goal<'static> = Goal {
    ready: &["pending-acceptance", "active"],
    on_the_way: &["initiating-request", "provisioning"],
};
/// An accepted request, until traffic flows.
const ACTIVE: Goal<'static> = Goal {
    ready: &["active"],
    on_the_way: &["pending-acceptance", "provisioning", "initiating-request"],
};
/// A delete. A rejected, failed or expired request is not a live copy either; right after the
/// call a describe may still show the connection as it was.
const DELETED: Goal<'static> = Goal {
    ready: &["deleted", "rejected", "failed", "expired"],
    on_the_way: &[
        "deleting",
        "active",
        "pending-acceptance",
        "provisioning",
        "initiating-request",
    ],
};

/// Waits for one of `goal`'s states. `failed`, `rejected`, `expired` (and `deleted` unless it
/// is the goal) end the wait at once, with AWS's reason.
async fn wait_status(
    cx: &Ctx,
    id: &str,
    goal: Goal<'_>,
    progress: &Progress,
) -> Result<(), ProviderError> {
    let what = format!("the peering connection to be {}", goal.ready[0]);
    wait::until(
        &what,
        cx.timeout(TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match one(cx, id).await? {
                Some(p) if status(&p) == "failed" && !goal.ready.contains(&"failed") => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!(
                            "peering connection {id} failed: {}",
                            p.status()
                                .and_then(|s| s.message())
                                .unwrap_or("AWS gave no reason")
                        ),
                    )
                    .with_help(
                        "check that the VPCs' CIDR blocks do not overlap and the accepter exists",
                    ));
                }
                Some(p) => match goal.poll(&status(&p), ()) {
                    Poll::Never(s) => Poll::Never(format!(
                        "{s} ({})",
                        p.status()
                            .and_then(|s| s.message())
                            .unwrap_or("AWS gave no reason")
                    )),
                    other => other,
                },
                None if goal.ready.contains(&"deleted") => Poll::Ready(()),
                None => Poll::Missing,
            })
        },
    )
    .await
}

fn dns_option(attrs: &Attrs, side: &str) -> Option<bool> {
    attrs
        .get(side)
        .and_then(|o| o.get("allow_dns_resolution_from_remote_vpc"))
        .and_then(Value::as_bool)
}

/// Sets each side's options; the accepter's are set from the accepter's region.
async fn set_options(
    cx: &Ctx,
    id: &str,
    attrs: &Attrs,
    requester: bool,
    accepter: bool,
) -> Result<(), ProviderError> {
    let opts = |v: bool| {
        PeeringConnectionOptionsRequest::builder()
            .allow_dns_resolution_from_remote_vpc(v)
            .build()
    };
    if requester && let Some(v) = dns_option(attrs, "requester_options") {
        cx.ec2
            .modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(id)
            .requester_peering_connection_options(opts(v))
            .send()
            .await
            .map_err(aws("ec2:ModifyVpcPeeringConnectionOptions"))?;
    }
    if accepter && let Some(v) = dns_option(attrs, "accepter_options") {
        let client = cx.ec2_in(str_field(attrs, "peer_region").unwrap_or(&cx.region));
        client
            .modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(id)
            .accepter_peering_connection_options(opts(v))
            .send()
            .await
            .map_err(aws("ec2:ModifyVpcPeeringConnectionOptions"))?;
    }
    Ok(())
}

#[async_trait]
impl AwsKind for VpcPeeringConnection {
    fn kind(&self) -> &'static str {
        "ec2.vpc_peering_connection"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:vpc-peering-connection"])
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
                id_filter: "vpc-peering-connection-id",
                ids,
                stack,
            },
            |f| describe(&cx.ec2, cx, f),
            aws_sdk_ec2::types::VpcPeeringConnection::vpc_peering_connection_id,
        )
        .await?;
        Ok(found
            .values()
            .filter(|p| is_live(p))
            .map(|p| to_live(cx, p))
            .collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let (vpc, peer_vpc) = (required(a, "vpc")?, required(a, "peer_vpc")?);
        let peer_region = str_field(a, "peer_region");
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_vpc_peering_connection()
                    .vpc_id(vpc)
                    .peer_vpc_id(peer_vpc)
                    .set_peer_region(peer_region.map(str::to_string))
                    .tag_specifications(tag_specification(ResourceType::VpcPeeringConnection, req))
                    .send()
                    .map_err(aws("ec2:CreateVpcPeeringConnection"))
            },
            |out| {
                out.vpc_peering_connection()
                    .and_then(|p| p.vpc_peering_connection_id())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        wait_status(cx, &id, REQUESTED, progress).await?;
        // Accept it on the accepter's side (its region, when that is another one).
        let accepter = cx.ec2_in(peer_region.unwrap_or(&cx.region));
        wait::until(
            "the peer region to see the request",
            cx.timeout(TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                match accepter
                    .accept_vpc_peering_connection()
                    .vpc_peering_connection_id(&id)
                    .send()
                    .await
                    .map_err(aws("ec2:AcceptVpcPeeringConnection"))
                {
                    Ok(_) => Ok(Poll::Ready(())),
                    // Cross-region requests take a moment to reach the accepter's region.
                    Err(e) if e.class == ErrorClass::NotFound => {
                        Ok(Poll::NotYet("not there yet".to_string()))
                    }
                    // A repeat of an accept that acted (or someone else accepted it): done if
                    // it is accepted; anything else is no longer acceptable.
                    Err(e) if e.code.as_deref() == Some("InvalidStateTransition") => {
                        match one(cx, &id).await?.map(|p| status(&p)) {
                            Some(s) if matches!(s.as_str(), "active" | "provisioning") => {
                                Ok(Poll::Ready(()))
                            }
                            Some(s) => Ok(Poll::Never(s)),
                            None => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            },
        )
        .await?;
        wait_status(cx, &id, ACTIVE, progress).await?;
        set_options(cx, &id, a, true, true).await?;
        let p = one(cx, &id).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("peering connection {id} vanished"),
            )
        })?;
        let mut l = to_live(cx, &p);
        for side in ["requester_options", "accepter_options"] {
            if let Some(v) = a.get(side) {
                l.attrs.insert(side.into(), v.clone());
            }
        }
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        if changed("requester_options") || changed("accepter_options") {
            let mut attrs = req.attrs.clone();
            if let Some(r) = req.prior.get("peer_region") {
                attrs.insert("peer_region".into(), r.clone());
            }
            set_options(
                cx,
                req.id,
                &attrs,
                changed("requester_options"),
                changed("accepter_options"),
            )
            .await?;
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
            .delete_vpc_peering_connection()
            .vpc_peering_connection_id(req.id)
            .send()
            .await
            .map_err(aws("ec2:DeleteVpcPeeringConnection"))
        {
            Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
            // A repeat of a delete that acted: done if it is going or gone.
            sent => {
                unless_already(
                    sent,
                    Refusal::Codes(&["InvalidStateTransition"]),
                    async || {
                        Ok(match one(cx, req.id).await? {
                            Some(p) if is_live(&p) => Already::Not,
                            _ => Already::Done,
                        })
                    },
                )
                .await?;
            }
        }
        wait_status(cx, req.id, DELETED, progress).await
    }
}
