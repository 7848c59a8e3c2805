//! `ec2.vpc_endpoint` on AWS: CreateVpcEndpoint (with the journaled idempotency token),
//! ModifyVpcEndpoint, DeleteVpcEndpoints, each waited on.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, VpcEndpointType};
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, stack_filter, tag_specification};
use super::{
    Already, AwsKind, Refusal, bool_field, created, describe_ids_tolerant, live, required,
    str_field, str_list, unless_already, updated,
};
use crate::Ctx;
use crate::error::aws;
use crate::wait::{self, Backoff, Goal, Poll};

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(900);

pub struct VpcEndpoint;

async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::VpcEndpoint>, ProviderError> {
    cx.ec2
        .describe_vpc_endpoints()
        .filters(filter)
        .into_paginator()
        .page_size(cx.page_size)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("ec2:DescribeVpcEndpoints"))
}

fn state(e: &aws_sdk_ec2::types::VpcEndpoint) -> String {
    e.state()
        .map_or("unknown", |s| s.as_str())
        .to_ascii_lowercase()
}

/// Creating or modifying: `deleting`, `deleted`, `expired` (someone else deleted it, or a
/// service never accepted it) never lead here.
const AVAILABLE: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending", "pendingacceptance"],
};
/// Deleting: an endpoint that failed, was rejected or expired is not a live copy either.
const DELETED: Goal<'static> = Goal {
    ready: &["deleted", "failed", "rejected", "expired"],
    on_the_way: &[
        "deleting",
        "available",
        "pending",
        "pendingacceptance",
        "partial",
    ],
};

pub(crate) fn is_live(e: &aws_sdk_ec2::types::VpcEndpoint) -> bool {
    !matches!(
        state(e).as_str(),
        "deleted" | "deleting" | "failed" | "rejected" | "expired"
    )
}

fn to_live(e: &aws_sdk_ec2::types::VpcEndpoint) -> LiveResource {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let endpoint_type = e
        .vpc_endpoint_type()
        .map_or("gateway", |t| t.as_str())
        .to_ascii_lowercase();
    let policy = e
        .policy_document()
        .map(|p| serde_json::from_str::<Value>(p).unwrap_or(json!(p)));
    let mut attrs = json!({
        "vpc": e.vpc_id(),
        "service": e.service_name(),
        "type": endpoint_type,
        "route_tables": e.route_table_ids(),
        "subnets": e.subnet_ids(),
        "security_groups": e.groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
        "network_interface_ids": e.network_interface_ids(),
    });
    if let Some(m) = attrs.as_object_mut() {
        if endpoint_type == "interface" {
            m.insert(
                "private_dns_enabled".into(),
                json!(e.private_dns_enabled().unwrap_or(false)),
            );
        }
        if let Some(p) = policy {
            m.insert("policy".into(), p);
        }
    }
    live("ec2.vpc_endpoint", id, e.tags(), attrs).converging(AVAILABLE.converging(&state(e)))
}

/// By id: the `vpc-endpoint-id` filter is documented by AWS but not every implementation has
/// it, so the id list parameter is used (it fails the call for a missing id; see
/// `describe_ids_tolerant`).
async fn by_ids(
    cx: &Ctx,
    ids: &[String],
) -> Result<Vec<aws_sdk_ec2::types::VpcEndpoint>, ProviderError> {
    describe_ids_tolerant(ids, VpcEndpoint.id_chunk(), |batch| async move {
        cx.ec2
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(batch))
            .send()
            .await
            .map(|o| o.vpc_endpoints().to_vec())
            .map_err(aws("ec2:DescribeVpcEndpoints"))
    })
    .await
}

async fn one(cx: &Ctx, id: &str) -> Result<Option<aws_sdk_ec2::types::VpcEndpoint>, ProviderError> {
    Ok(by_ids(cx, &[id.to_string()]).await?.into_iter().next())
}

async fn wait_available(
    cx: &Ctx,
    id: &str,
    progress: &Progress,
) -> Result<aws_sdk_ec2::types::VpcEndpoint, ProviderError> {
    wait::until(
        "the VPC endpoint to be available",
        cx.timeout(CREATE_TIMEOUT),
        Backoff::default(),
        progress,
        || async {
            Ok(match one(cx, id).await? {
                Some(e) if matches!(state(&e).as_str(), "failed" | "rejected") => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!(
                            "VPC endpoint {id} is {}: {}",
                            state(&e),
                            e.failure_reason().unwrap_or("AWS gave no reason")
                        ),
                    ));
                }
                Some(e) => AVAILABLE.poll(&state(&e), e),
                None => Poll::Missing,
            })
        },
    )
    .await
}

#[async_trait]
impl AwsKind for VpcEndpoint {
    fn kind(&self) -> &'static str {
        "ec2.vpc_endpoint"
    }

    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let (ids, stack) = (req.ids, req.stack);
        let mut found = BTreeMap::new();
        for e in by_ids(cx, ids).await?.iter().filter(|e| is_live(e)) {
            let l = to_live(e);
            found.insert(l.id.clone(), l);
        }
        for e in describe(cx, stack_filter(stack))
            .await?
            .iter()
            .filter(|e| is_live(e))
        {
            let l = to_live(e);
            found.insert(l.id.clone(), l);
        }
        Ok(found.into_values().collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let endpoint_type = str_field(a, "type").unwrap_or("gateway");
        let mut call = cx
            .ec2
            .create_vpc_endpoint()
            .vpc_id(required(a, "vpc")?)
            .service_name(required(a, "service")?)
            .vpc_endpoint_type(if endpoint_type == "interface" {
                VpcEndpointType::Interface
            } else {
                VpcEndpointType::Gateway
            })
            .client_token(req.token)
            .tag_specifications(tag_specification(ResourceType::VpcEndpoint, req))
            .set_route_table_ids(Some(str_list(a, "route_tables")).filter(|v| !v.is_empty()))
            .set_subnet_ids(Some(str_list(a, "subnets")).filter(|v| !v.is_empty()))
            .set_security_group_ids(Some(str_list(a, "security_groups")).filter(|v| !v.is_empty()));
        if let Some(p) = bool_field(a, "private_dns_enabled") {
            call = call.private_dns_enabled(p);
        }
        if let Some(policy) = a.get("policy") {
            call = call.policy_document(policy.to_string());
        }
        let out = call.send().await.map_err(aws("ec2:CreateVpcEndpoint"))?;
        let id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .ok_or_else(|| {
                ProviderError::new(ErrorClass::Other, "CreateVpcEndpoint returned no id")
            })?
            .to_string();
        progress.created(&id);
        let e = match out.vpc_endpoint() {
            Some(e) if !req.wait => e.clone(),
            _ => wait_available(cx, &id, progress).await?,
        };
        let mut l = to_live(&e);
        if let Some(p) = a.get("policy") {
            l.attrs.insert("policy".into(), p.clone());
        }
        Ok(created(l, req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        let diff = |f: &str| {
            let old = str_list(req.prior, f);
            let new = str_list(req.attrs, f);
            let add: Vec<String> = new.iter().filter(|x| !old.contains(x)).cloned().collect();
            let remove: Vec<String> = old.iter().filter(|x| !new.contains(x)).cloned().collect();
            (
                Some(add).filter(|v| !v.is_empty()),
                Some(remove).filter(|v| !v.is_empty()),
            )
        };
        let mut call = cx.ec2.modify_vpc_endpoint().vpc_endpoint_id(req.id);
        let mut any = false;
        if changed("route_tables") {
            let (add, remove) = diff("route_tables");
            call = call
                .set_add_route_table_ids(add)
                .set_remove_route_table_ids(remove);
            any = true;
        }
        if changed("subnets") {
            let (add, remove) = diff("subnets");
            call = call.set_add_subnet_ids(add).set_remove_subnet_ids(remove);
            any = true;
        }
        if changed("security_groups") {
            let (add, remove) = diff("security_groups");
            call = call
                .set_add_security_group_ids(add)
                .set_remove_security_group_ids(remove);
            any = true;
        }
        if changed("private_dns_enabled")
            && let Some(p) = bool_field(req.attrs, "private_dns_enabled")
        {
            call = call.private_dns_enabled(p);
            any = true;
        }
        if changed("policy") {
            call = match req.attrs.get("policy") {
                Some(p) => call.policy_document(p.to_string()),
                None => call.reset_policy(true),
            };
            any = true;
        }
        if any {
            // AWS refuses a change while the last one (strata's or anyone's) is in progress.
            wait_available(cx, req.id, progress).await?;
            let sent = call.send().await.map_err(aws("ec2:ModifyVpcEndpoint"));
            // A repeat of a change that acted (route tables, subnets or groups added or removed
            // already): done if the endpoint's sets are those asked for.
            unless_already(sent, Refusal::Any, async || {
                let Some(e) = one(cx, req.id).await? else {
                    return Ok(Already::Not);
                };
                let now = to_live(&e);
                let same = |f: &str| {
                    let mut a = str_list(&now.attrs, f);
                    let mut b = str_list(req.attrs, f);
                    a.sort();
                    b.sort();
                    !changed(f) || a == b
                };
                Ok(
                    if same("route_tables") && same("subnets") && same("security_groups") {
                        Already::Done
                    } else {
                        Already::Not
                    },
                )
            })
            .await?;
            wait_available(cx, req.id, progress).await?;
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
        let id = req.id;
        let out = cx
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(aws("ec2:DeleteVpcEndpoints"))?;
        if let Some(err) = out.unsuccessful().first().and_then(|u| u.error()) {
            let code = err.code().unwrap_or("Unknown");
            if !code.ends_with("NotFound") {
                return Err(ProviderError {
                    class: crate::error::class_of(code),
                    code: Some(code.to_string()),
                    message: err
                        .message()
                        .unwrap_or("the endpoint was not deleted")
                        .to_string(),
                    action: Some("ec2:DeleteVpcEndpoints".to_string()),
                    help: None,
                    detail: None,
                });
            }
        }
        wait::until(
            "the VPC endpoint to be deleted",
            cx.timeout(DELETE_TIMEOUT),
            Backoff::default(),
            progress,
            || async {
                Ok(match one(cx, id).await? {
                    None => Poll::Ready(()),
                    Some(e) => DELETED.poll(&state(&e), ()),
                })
            },
        )
        .await
    }
}
