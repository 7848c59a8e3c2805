//! `logs.log_group` on AWS: CreateLogGroup (tagged in the call), PutRetentionPolicy /
//! DeleteRetentionPolicy, AssociateKmsKey / DisassociateKmsKey, DescribeLogGroups (one name a
//! call, as a prefix, or all), DeleteLogGroup; tags by ARN (`ListTagsForResource`: the describe
//! does not answer them).

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags;
use super::{
    AwsKind, client, client_once, create_once, created, i32_field, read_by_name, removed,
    str_field, updated,
};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

pub struct LogGroupKind;

const KIND: &str = "logs.log_group";

/// One group by name; `None` when there is none (the describe takes a prefix: the name itself
/// is picked from its answer).
async fn one(cx: &Ctx, name: &str) -> Result<Option<LogGroup>, ProviderError> {
    let mut pages = client(cx)
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("logs:DescribeLogGroups"))?;
        if let Some(g) = page
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        {
            return Ok(Some(g.clone()));
        }
    }
    Ok(None)
}

/// Every group of the region (paginated).
async fn all(cx: &Ctx) -> Result<Vec<LogGroup>, ProviderError> {
    let mut pages = client(cx).describe_log_groups().into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("logs:DescribeLogGroups"))?;
        out.extend(page.log_groups().iter().cloned());
    }
    Ok(out)
}

/// The group's ARN as tags and references take it: without the `:*` of its streams.
fn arn_of(g: &LogGroup) -> String {
    g.log_group_arn()
        .or(g.arn())
        .unwrap_or_default()
        .trim_end_matches(":*")
        .to_string()
}

fn to_live(g: &LogGroup, t: &std::collections::HashMap<String, String>) -> LiveResource {
    let name = g.log_group_name().unwrap_or_default();
    let mut m = json!({
        "name": name,
        "retention_in_days": g.retention_in_days(),
        "kms_key": g.kms_key_id(),
        "arn": arn_of(g),
    });
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    tags::live(KIND, name, t, m)
}

/// The group with its tags.
async fn with_tags(cx: &Ctx, g: LogGroup) -> Result<LiveResource, ProviderError> {
    let t = tags::of(cx, &arn_of(&g)).await?;
    Ok(to_live(&g, &t))
}

/// Sets the retention the attributes give, or removes it (events kept for ever).
async fn retention(cx: &Ctx, name: &str, days: Option<i32>) -> Result<(), ProviderError> {
    let c = client(cx);
    match days {
        Some(d) => c
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(d)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("logs:PutRetentionPolicy")),
        None => removed(
            c.delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(aws("logs:DeleteRetentionPolicy")),
        ),
    }
}

/// Associates the attributes' KMS key, or disassociates the group's.
async fn kms_key(cx: &Ctx, name: &str, key: Option<&str>) -> Result<(), ProviderError> {
    let c = client(cx);
    match key {
        Some(k) => c
            .associate_kms_key()
            .log_group_name(name)
            .kms_key_id(k)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("logs:AssociateKmsKey")),
        None => c
            .disassociate_kms_key()
            .log_group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(aws("logs:DisassociateKmsKey")),
    }
}

#[async_trait]
impl AwsKind for LogGroupKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn discovery(&self) -> Discovery {
        Discovery::Tagging(&["logs:log-group"])
    }

    /// One `DescribeLogGroups` per name the lockfile or the listing gives, then its tags;
    /// without a listing, every group and its tags.
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

    /// CreateLogGroup, tagged and with its KMS key in the call, then its retention. The create
    /// takes no idempotency token: a lost answer is looked for by its tags (`create_once`).
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_log_group()
                    .log_group_name(&name)
                    .set_kms_key_id(str_field(a, "kms_key").map(str::to_string))
                    .set_tags(Some(tags::create_tags(req)))
                    .send()
                    .map_err(aws("logs:CreateLogGroup"))
            },
            |_| Some(name.clone()),
        )
        .await?;
        progress.created(&id);
        if let Some(days) = i32_field(a, "retention_in_days") {
            retention(cx, &id, Some(days)).await?;
        }
        let g = one(cx, &id).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("the log group {id} is not there after its create"),
            )
        })?;
        Ok(created(to_live(&g, &Default::default()), req))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let changed = |f: &str| req.changed.iter().any(|c| c == f);
        if changed("retention_in_days") {
            retention(cx, req.id, i32_field(a, "retention_in_days")).await?;
        }
        if changed("kms_key") {
            kms_key(cx, req.id, str_field(a, "kms_key")).await?;
        }
        if changed("tags") {
            let arn = str_field(req.prior, "arn").unwrap_or_default();
            tags::sync(cx, arn, req).await?;
        }
        Ok(updated(req))
    }

    /// DeleteLogGroup; one already gone is deleted.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        removed(
            client(cx)
                .delete_log_group()
                .log_group_name(req.id)
                .send()
                .await
                .map_err(aws("logs:DeleteLogGroup")),
        )
    }
}
