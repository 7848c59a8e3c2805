//! `ec2.eip` on AWS: AllocateAddress, ReleaseAddress.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, Filter, ResourceType};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, tag_specification};
use super::{AwsKind, Sent, create_once, created, delete_until_free, id_filter, live, updated};
use super::{Scope, describe_ids_and_stack};
use crate::Ctx;
use crate::error::aws;

const DELETE_TIMEOUT: Duration = Duration::from_secs(1800);

pub struct Eip;

/// DescribeAddresses has no pagination: one call answers for every address of the filter.
async fn describe(
    cx: &Ctx,
    filter: Filter,
) -> Result<Vec<aws_sdk_ec2::types::Address>, ProviderError> {
    Ok(cx
        .ec2
        .describe_addresses()
        .filters(filter)
        .send()
        .await
        .map_err(aws("ec2:DescribeAddresses"))?
        .addresses()
        .to_vec())
}

fn to_live(a: &aws_sdk_ec2::types::Address) -> LiveResource {
    let id = a.allocation_id().unwrap_or_default();
    live(
        "ec2.eip",
        id,
        a.tags(),
        json!({
            "domain": a.domain().map_or("vpc", |d| d.as_str()),
            "public_ip": a.public_ip(),
            "allocation_id": id,
        }),
    )
}

#[async_trait]
impl AwsKind for Eip {
    fn kind(&self) -> &'static str {
        "ec2.eip"
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
                id_filter: "allocation-id",
                ids,
                stack,
            },
            |f| describe(cx, f),
            aws_sdk_ec2::types::Address::allocation_id,
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
        let domain = req
            .attrs
            .get("domain")
            .and_then(|v| v.as_str())
            .unwrap_or("vpc");
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                cx.ec2_once
                    .allocate_address()
                    .domain(DomainType::from(domain))
                    .tag_specifications(tag_specification(ResourceType::ElasticIp, req))
                    .send()
                    .map_err(aws("ec2:AllocateAddress"))
            },
            |out| out.allocation_id().map(str::to_string),
        )
        .await?;
        progress.created(&id);
        let l = match sent {
            Sent::Answer(out) => live(
                "ec2.eip",
                &id,
                &[],
                json!({"domain": domain, "public_ip": out.public_ip(), "allocation_id": id}),
            ),
            Sent::Found(l) => l,
        };
        Ok(created(l, req))
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
                        format!("ec2.eip cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// Released once nothing holds it: AWS refuses while a NAT gateway (even one being deleted)
    /// still uses the address.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let id = req.id;
        delete_until_free(
            "the Elastic IP to be released",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async move {
                match cx
                    .ec2
                    .release_address()
                    .allocation_id(id)
                    .send()
                    .await
                    .map_err(aws("ec2:ReleaseAddress"))
                {
                    Ok(_) => Ok(()),
                    Err(mut e)
                        if matches!(
                            e.code.as_deref(),
                            Some("InvalidIPAddress.InUse" | "AuthFailure")
                        ) =>
                    {
                        e.class = ErrorClass::DependencyViolation;
                        Err(e)
                    }
                    Err(e) => Err(e),
                }
            },
            || async move {
                let a = describe(cx, id_filter("allocation-id", &[id.to_string()]))
                    .await
                    .ok()?;
                let a = a.first()?;
                a.association_id().map(|assoc| {
                    format!(
                        "association {assoc}{}",
                        a.network_interface_id()
                            .map(|n| format!(" on network interface {n}"))
                            .unwrap_or_default()
                    )
                })
            },
        )
        .await
    }
}
