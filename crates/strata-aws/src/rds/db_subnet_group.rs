//! `rds.db_subnet_group` on AWS: CreateDBSubnetGroup, DescribeDBSubnetGroups (one name a
//! call, or all), ModifyDBSubnetGroup, DeleteDBSubnetGroup; tags by ARN
//! (`ListTagsForResource`: the describe does not answer them).

use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup;
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, create_tags};
use super::{
    AwsKind, client, client_once, create_once, created, delete_until_free, read_by_name, str_field,
    str_list, tags_of, updated,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

pub struct DbSubnetGroupKind;

const KIND: &str = "rds.db_subnet_group";

/// One group by name; `None` when there is none.
async fn one(cx: &Ctx, name: &str) -> Result<Option<DbSubnetGroup>, ProviderError> {
    let r = client(cx)
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .map_err(aws("rds:DescribeDBSubnetGroups"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.db_subnet_groups().first().cloned()),
    }
}

/// Every group of the region (paginated).
async fn all(cx: &Ctx) -> Result<Vec<DbSubnetGroup>, ProviderError> {
    let mut pages = client(cx)
        .describe_db_subnet_groups()
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("rds:DescribeDBSubnetGroups"))?;
        out.extend(page.db_subnet_groups().iter().cloned());
    }
    Ok(out)
}

fn to_live(g: &DbSubnetGroup, t: &[aws_sdk_rds::types::Tag]) -> LiveResource {
    let name = g.db_subnet_group_name().unwrap_or_default();
    let subnets: Vec<&str> = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    tags::live(
        KIND,
        name,
        t,
        json!({
            "name": name,
            "description": g.db_subnet_group_description(),
            "subnets": subnets,
            "arn": g.db_subnet_group_arn(),
            "vpc": g.vpc_id(),
        }),
    )
}

/// The group with its tags.
async fn with_tags(cx: &Ctx, g: DbSubnetGroup) -> Result<LiveResource, ProviderError> {
    let t = tags_of(cx, g.db_subnet_group_arn().unwrap_or_default()).await?;
    Ok(to_live(&g, &t))
}

#[async_trait]
impl AwsKind for DbSubnetGroupKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["rds:subgrp"])
    }

    /// One `DescribeDBSubnetGroups` per name the lockfile or the listing gives (the API takes
    /// one name, and no filter), then its tags; without a listing, every group and its tags.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        read_by_name(
            cx,
            self,
            req,
            |n| async move { one(cx, &n).await },
            || all(cx),
            |g| with_tags(cx, g),
        )
        .await
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let (id, sent) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_db_subnet_group()
                    .db_subnet_group_name(&name)
                    .db_subnet_group_description(str_field(a, "description").unwrap_or_default())
                    .set_subnet_ids(Some(str_list(a, "subnets")))
                    .set_tags(Some(create_tags(req)))
                    .send()
                    .map_err(aws("rds:CreateDBSubnetGroup"))
            },
            |out| {
                out.db_subnet_group()
                    .and_then(|g| g.db_subnet_group_name())
                    .map(str::to_string)
            },
        )
        .await?;
        progress.created(&id);
        let g = match sent {
            crate::kind::Sent::Found(l) => return Ok(created(l, req)),
            crate::kind::Sent::Answer(out) => out.db_subnet_group,
        };
        let g = g.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::Other,
                "RDS answered the create without the group",
            )
        })?;
        Ok(created(to_live(&g, &[]), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        if req
            .changed
            .iter()
            .any(|f| f == "description" || f == "subnets")
        {
            client(cx)
                .modify_db_subnet_group()
                .db_subnet_group_name(req.id)
                .db_subnet_group_description(str_field(a, "description").unwrap_or_default())
                .set_subnet_ids(Some(str_list(a, "subnets")))
                .send()
                .await
                .map_err(aws("rds:ModifyDBSubnetGroup"))?;
        }
        if req.changed.iter().any(|f| f == "tags") {
            let arn = str_field(req.prior, "arn").unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        Ok(updated(req))
    }

    /// Deletes it once no cluster uses it (`InvalidDBSubnetGroupStateFault` is waited out:
    /// the cluster may be being deleted in the same run).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        delete_until_free(
            "the DB subnet group",
            cx.timeout(std::time::Duration::from_secs(1800)),
            progress,
            || {
                client(cx)
                    .delete_db_subnet_group()
                    .db_subnet_group_name(req.id)
                    .send()
                    .map_ok(|_| ())
                    .map_err(aws("rds:DeleteDBSubnetGroup"))
            },
            || async { Some("an RDS DB cluster or instance".to_string()) },
        )
        .await
    }
}
