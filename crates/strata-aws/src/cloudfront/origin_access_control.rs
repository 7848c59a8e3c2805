//! `cloudfront.origin_access_control` on AWS: CreateOriginAccessControl,
//! ListOriginAccessControls, GetOriginAccessControl (for the ETag), UpdateOriginAccessControl,
//! DeleteOriginAccessControl.
//!
//! Its id is AWS's. It has no tags and no idempotency token: its description carries strata's
//! ownership marks (`crate::tags::marked`), set in the create call itself, so a create whose
//! answer was lost is found by them (`create_once`) and a stack's controls are found by them in
//! the one listing that reads every control.

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginAccessControlSummary,
};
use futures_util::TryFutureExt;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, LiveResource, Owner, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::{AwsKind, built, client, client_once, create_once, etag, str_field, with_etag};
use crate::Ctx;
use crate::error::aws;
use crate::tags::{marked, unmarked};

pub struct OriginAccessControl;

const KIND: &str = "cloudfront.origin_access_control";

/// Every origin access control of the account (one listing; AWS allows 100 by default).
async fn all(cx: &Ctx) -> Result<Vec<OriginAccessControlSummary>, ProviderError> {
    let mut pages = client(cx)
        .list_origin_access_controls()
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("cloudfront:ListOriginAccessControls"))?;
        out.extend(
            page.origin_access_control_list
                .and_then(|l| l.items)
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

fn to_live(s: &OriginAccessControlSummary) -> LiveResource {
    let (description, own) = unmarked(s.description());
    crate::kind::live_owned(
        KIND,
        s.id(),
        own,
        json!({
            "name": s.name(),
            "description": description,
            "origin_type": s.origin_access_control_origin_type().as_str(),
            "signing_behavior": s.signing_behavior().as_str(),
        }),
    )
}

/// The configuration the documents give, marked as `owner`'s.
fn config(a: &Attrs, owner: Owner<'_>) -> Result<OriginAccessControlConfig, ProviderError> {
    built(
        OriginAccessControlConfig::builder()
            .name(super::required(a, "name")?)
            .description(marked(str_field(a, "description").unwrap_or(""), owner))
            .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
            .signing_behavior(OriginAccessControlSigningBehaviors::from(
                str_field(a, "signing_behavior").unwrap_or("always"),
            ))
            .origin_access_control_origin_type(OriginAccessControlOriginTypes::from(
                str_field(a, "origin_type").unwrap_or("s3"),
            ))
            .build(),
    )
}

/// The control's current ETag.
async fn current_etag(cx: &Ctx, id: &str) -> Result<((), String), ProviderError> {
    let out = client(cx)
        .get_origin_access_control()
        .id(id)
        .send()
        .await
        .map_err(aws("cloudfront:GetOriginAccessControl"))?;
    Ok(((), etag(out.e_tag(), "GetOriginAccessControl")?))
}

#[async_trait]
impl AwsKind for OriginAccessControl {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// One paginated `ListOriginAccessControls`: every field is in the listing. The stack's are
    /// those whose description carries its marks, and those the lockfile records.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        Ok(all(cx)
            .await?
            .iter()
            .map(to_live)
            .filter(|l| req.wants(l))
            .collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let cfg = config(req.attrs, req.owner())?;
        let (id, _) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .create_origin_access_control()
                    .origin_access_control_config(cfg.clone())
                    .send()
                    .map_err(aws("cloudfront:CreateOriginAccessControl"))
            },
            |out| out.origin_access_control().map(|o| o.id().to_string()),
        )
        .await?;
        progress.created(&id);
        let mut attrs = req.attrs.clone();
        attrs.remove("tags");
        Ok(LiveResource::new(KIND, &id, attrs).owned_by(req.owner()))
    }

    /// Every field changes in place, with the ETag just read.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let cfg = config(req.attrs, req.owner())?;
        with_etag(
            "the origin access control",
            || current_etag(cx, req.id),
            |(), etag| {
                client(cx)
                    .update_origin_access_control()
                    .id(req.id)
                    .if_match(etag)
                    .origin_access_control_config(cfg.clone())
                    .send()
                    .map_err(aws("cloudfront:UpdateOriginAccessControl"))
            },
        )
        .await?;
        Ok(LiveResource::new(KIND, req.id, req.attrs.clone()).owned_by(req.owner()))
    }

    /// Deletes it once no distribution uses it (`OriginAccessControlInUse` is waited out: the
    /// distributions that use it may be moving off it, or being deleted, in the same run).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        super::delete_until_free(
            "the origin access control",
            cx.timeout(std::time::Duration::from_secs(1800)),
            progress,
            || {
                with_etag(
                    "the origin access control",
                    || current_etag(cx, req.id),
                    |(), etag| {
                        client(cx)
                            .delete_origin_access_control()
                            .id(req.id)
                            .if_match(etag)
                            .send()
                            .map_ok(|_| ())
                            .map_err(aws("cloudfront:DeleteOriginAccessControl"))
                    },
                )
            },
            || async { Some("a CloudFront distribution's origin".to_string()) },
        )
        .await
    }
}
