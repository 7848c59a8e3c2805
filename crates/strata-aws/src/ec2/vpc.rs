//! `ec2.vpc` on AWS: CreateVpc, ModifyVpcAttribute, AssociateVpcCidrBlock, DeleteVpc.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType, Tenancy, VpcAttributeName, VpcCidrBlockStateCode,
    VpcState,
};
use futures_util::{StreamExt, TryFutureExt, TryStreamExt};
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::tags::{self, tag_specification};
use super::{
    Already, AwsKind, Refusal, asked_for, bool_field, create_once, created, delete_until_free,
    describe_blocking_interfaces, live, required, unless_already, updated_with,
};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const CREATE_TIMEOUT: Duration = Duration::from_secs(300);

const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending"],
};
const CIDR_ASSOCIATED: Goal<'static> = Goal {
    ready: &["associated"],
    on_the_way: &["associating"],
};
/// Right after the call a describe may still show the block associated.
const CIDR_DISASSOCIATED: Goal<'static> = Goal {
    ready: &["disassociated"],
    on_the_way: &["disassociating", "associated"],
};
const DELETE_TIMEOUT: Duration = Duration::from_secs(900);

pub struct Vpc;

async fn describe(cx: &Ctx, filter: Filter) -> Result<Vec<aws_sdk_ec2::types::Vpc>, ProviderError> {
    cx.ec2
        .describe_vpcs()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeVpcs"))
}

async fn describe_one(
    cx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::Vpc>, ProviderError> {
    let f = Filter::builder().name("vpc-id").values(id).build();
    Ok(describe(cx, f).await?.into_iter().next())
}

/// `enable_dns_support` and `enable_dns_hostnames`. EC2 has no batched form of these reads:
/// they cost two DescribeVpcAttribute calls per VPC (run concurrently).
async fn dns_attributes(cx: &Ctx, id: &str) -> Result<(bool, bool), ProviderError> {
    let get = |attr: VpcAttributeName| async move {
        cx.ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(attr)
            .send()
            .await
            .map_err(aws("ec2:DescribeVpcAttribute"))
    };
    let (support, hostnames) = tokio::try_join!(
        get(VpcAttributeName::EnableDnsSupport),
        get(VpcAttributeName::EnableDnsHostnames)
    )?;
    Ok((
        support
            .enable_dns_support()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(true),
        hostnames
            .enable_dns_hostnames()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false),
    ))
}

fn secondary_blocks(
    v: &aws_sdk_ec2::types::Vpc,
) -> BTreeMap<String, (String, VpcCidrBlockStateCode)> {
    v.cidr_block_association_set()
        .iter()
        .filter(|a| a.cidr_block() != v.cidr_block())
        .filter_map(|a| {
            let state = a.cidr_block_state()?.state()?.clone();
            Some((
                a.cidr_block()?.to_string(),
                (a.association_id()?.to_string(), state),
            ))
        })
        .collect()
}

fn to_live(cx: &Ctx, v: &aws_sdk_ec2::types::Vpc, dns: (bool, bool)) -> LiveResource {
    let id = v.vpc_id().unwrap_or_default().to_string();
    let secondary: Vec<Value> = secondary_blocks(v)
        .into_iter()
        .filter(|(_, (_, s))| {
            matches!(
                s,
                VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating
            )
        })
        .map(|(c, _)| Value::String(c))
        .collect();
    let owner = v.owner_id().unwrap_or_default();
    let attrs = json!({
        "cidr_block": v.cidr_block(),
        "secondary_cidr_blocks": secondary,
        "enable_dns_support": dns.0,
        "enable_dns_hostnames": dns.1,
        "instance_tenancy": v.instance_tenancy().map_or("default", |t| t.as_str()),
        "owner_id": owner,
        "arn": format!("arn:{}:ec2:{}:{owner}:vpc/{id}", cx.partition(), cx.region),
    });
    live("ec2.vpc", &id, v.tags(), attrs)
}

async fn set_dns(
    cx: &Ctx,
    id: &str,
    support: Option<bool>,
    hostnames: Option<bool>,
) -> Result<(), ProviderError> {
    let modify = |support: Option<bool>, hostnames: Option<bool>| async move {
        let mut req = cx.ec2.modify_vpc_attribute().vpc_id(id);
        if let Some(s) = support {
            req = req.enable_dns_support(AttributeBooleanValue::builder().value(s).build());
        }
        if let Some(h) = hostnames {
            req = req.enable_dns_hostnames(AttributeBooleanValue::builder().value(h).build());
        }
        req.send()
            .await
            .map_err(aws("ec2:ModifyVpcAttribute"))
            .map(|_| ())
    };
    // One attribute per call; host names need DNS support, so order the two calls.
    match (support, hostnames) {
        (Some(false), Some(h)) => {
            modify(None, Some(h)).await?;
            modify(Some(false), None).await
        }
        (s, h) => {
            if s.is_some() {
                modify(s, None).await?;
            }
            if h.is_some() {
                modify(None, h).await?;
            }
            Ok(())
        }
    }
}

fn cidr_list(attrs: &Attrs) -> Vec<String> {
    attrs
        .get("secondary_cidr_blocks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Adds and removes secondary CIDR blocks, waiting for each association to settle.
async fn sync_cidrs(
    cx: &Ctx,
    id: &str,
    desired: &[String],
    progress: &Progress,
) -> Result<(), ProviderError> {
    let current = match describe_one(cx, id).await? {
        Some(v) => secondary_blocks(&v),
        None => {
            return Err(ProviderError::new(
                ErrorClass::NotFound,
                format!("VPC {id} is gone"),
            ));
        }
    };
    for (cidr, (assoc, state)) in &current {
        let live = matches!(
            state,
            VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating
        );
        if live && !desired.contains(cidr) {
            let sent = cx
                .ec2
                .disassociate_vpc_cidr_block()
                .association_id(assoc)
                .send()
                .await
                .map_err(aws("ec2:DisassociateVpcCidrBlock"));
            // A repeat of a disassociate that acted: done if the block is going or gone.
            unless_already(sent, Refusal::Any, async || {
                Ok(match cidr_state(cx, id, cidr).await? {
                    None
                    | Some(
                        VpcCidrBlockStateCode::Disassociating
                        | VpcCidrBlockStateCode::Disassociated,
                    ) => Already::Done,
                    Some(_) => Already::Not,
                })
            })
            .await?;
            wait_cidr(cx, id, cidr, false, progress).await?;
        }
    }
    for cidr in desired {
        let present = current.get(cidr).is_some_and(|(_, s)| {
            matches!(
                s,
                VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating
            )
        });
        if !present {
            let sent = cx
                .ec2
                .associate_vpc_cidr_block()
                .vpc_id(id)
                .cidr_block(cidr)
                .send()
                .await
                .map_err(aws("ec2:AssociateVpcCidrBlock"));
            // A repeat of an associate that acted: done if the block is (being) associated.
            unless_already(sent, Refusal::Any, async || {
                Ok(match cidr_state(cx, id, cidr).await? {
                    Some(
                        VpcCidrBlockStateCode::Associating | VpcCidrBlockStateCode::Associated,
                    ) => Already::Done,
                    _ => Already::Not,
                })
            })
            .await?;
        }
        wait_cidr(cx, id, cidr, true, progress).await?;
    }
    Ok(())
}

/// The state of a secondary block's association with the VPC, if it is listed.
async fn cidr_state(
    cx: &Ctx,
    id: &str,
    cidr: &str,
) -> Result<Option<VpcCidrBlockStateCode>, ProviderError> {
    Ok(describe_one(cx, id)
        .await?
        .and_then(|v| secondary_blocks(&v).remove(cidr))
        .map(|(_, s)| s))
}

async fn wait_cidr(
    cx: &Ctx,
    id: &str,
    cidr: &str,
    associated: bool,
    progress: &Progress,
) -> Result<(), ProviderError> {
    let what = format!(
        "CIDR block {cidr} to be {}",
        if associated {
            "associated"
        } else {
            "disassociated"
        }
    );
    wait::until(
        &what,
        cx.timeout(CREATE_TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match (associated, cidr_state(cx, id, cidr).await?) {
                (_, Some(VpcCidrBlockStateCode::Failed | VpcCidrBlockStateCode::Failing)) => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("AWS could not associate {cidr} with {id}"),
                    )
                    .with_help(
                        "AWS restricts which ranges a VPC can add; see the VPC CIDR block rules",
                    ));
                }
                (true, None) => Poll::Missing,
                (false, None) => Poll::Ready(()),
                (true, Some(s)) => CIDR_ASSOCIATED.poll(s.as_str(), ()),
                (false, Some(s)) => CIDR_DISASSOCIATED.poll(s.as_str(), ()),
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for Vpc {
    fn kind(&self) -> &'static str {
        "ec2.vpc"
    }

    /// Found by the tagging API's listing.
    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["ec2:vpc"])
    }

    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let mut found = describe_ids_and_stack(
            cx,
            Scope {
                kind: self,
                id_filter: "vpc-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::Vpc::vpc_id,
        )
        .await?;
        found.retain(|id, v| asked_for(id, v.tags(), ids, stack));
        futures_util::stream::iter(found.into_values())
            .map(|v| async move {
                let dns = dns_attributes(cx, v.vpc_id().unwrap_or_default()).await?;
                Ok::<_, ProviderError>(to_live(cx, &v, dns))
            })
            .buffer_unordered(8)
            .try_collect()
            .await
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let tenancy = a
            .get("instance_tenancy")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let cidr = required(a, "cidr_block")?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .create_vpc()
                    .cidr_block(cidr)
                    .instance_tenancy(Tenancy::from(tenancy))
                    .tag_specifications(tag_specification(ResourceType::Vpc, req))
                    .send()
                    .map_err(aws("ec2:CreateVpc"))
            },
            |out| out.vpc().and_then(|v| v.vpc_id()).map(str::to_string),
        )
        .await?;
        progress.created(&id);
        // Right after CreateVpc a describe may not find the VPC yet (eventual consistency).
        let vpc = wait::until(
            "the VPC to be available",
            cx.timeout(CREATE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match describe_one(cx, &id).await? {
                    Some(v) => {
                        let state = v.state().map_or("unknown", VpcState::as_str).to_string();
                        AVAILABLE.poll(&state, v)
                    }
                    None => Poll::Missing,
                })
            },
        )
        .await?;
        let support = bool_field(a, "enable_dns_support").unwrap_or(true);
        let hostnames = bool_field(a, "enable_dns_hostnames").unwrap_or(false);
        set_dns(
            cx,
            &id,
            (!support).then_some(false),
            hostnames.then_some(true),
        )
        .await?;
        let blocks = cidr_list(a);
        if !blocks.is_empty() {
            sync_cidrs(cx, &id, &blocks, progress).await?;
        }
        let mut live = to_live(cx, &vpc, (support, hostnames));
        live.attrs
            .insert("secondary_cidr_blocks".into(), json!(blocks));
        Ok(created(live, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let mut attrs = req.prior.clone();
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        if changed("tags") {
            tags::sync_tags(cx, req).await?;
        }
        let support = changed("enable_dns_support")
            .then(|| bool_field(req.attrs, "enable_dns_support"))
            .flatten();
        let hostnames = changed("enable_dns_hostnames")
            .then(|| bool_field(req.attrs, "enable_dns_hostnames"))
            .flatten();
        if support.is_some() || hostnames.is_some() {
            set_dns(cx, req.id, support, hostnames).await?;
        }
        if changed("secondary_cidr_blocks") {
            sync_cidrs(cx, req.id, &cidr_list(req.attrs), progress).await?;
        }
        for f in req.changed {
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
            "the VPC to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                cx.ec2
                    .delete_vpc()
                    .vpc_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("ec2:DeleteVpc"))
            },
            || describe_blocking_interfaces(cx, "vpc-id", id),
        )
        .await
    }
}
