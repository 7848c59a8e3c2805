//! `cloudfront.origin_access_identity` on AWS: CreateCloudFrontOriginAccessIdentity,
//! ListCloudFrontOriginAccessIdentities, GetCloudFrontOriginAccessIdentity(Config),
//! UpdateCloudFrontOriginAccessIdentity, DeleteCloudFrontOriginAccessIdentity.
//!
//! Its id is AWS's. It has no tags; its `CallerReference` is the create's journaled token
//! followed by strata's ownership marks (`crate::tags::marked`). CloudFront answers a create
//! repeated with the same reference and comment with the identity the first one made, so a
//! retry or a re-apply after a crash never makes a second one, and the marks find the stack's
//! identities (read back with one `GetCloudFrontOriginAccessIdentity` each: the listing holds
//! no reference).

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    CloudFrontOriginAccessIdentity, CloudFrontOriginAccessIdentityConfig,
    CloudFrontOriginAccessIdentitySummary,
};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::{AwsKind, built, client, etag, str_field, with_etag};
use crate::Ctx;
use crate::error::aws;
use crate::tags::{marked, unmarked};

pub struct OriginAccessIdentity;

const KIND: &str = "cloudfront.origin_access_identity";

/// The identity as a bucket policy's `Principal: {AWS: …}` names it.
pub fn iam_arn(id: &str) -> String {
    format!("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {id}")
}

async fn all(cx: &Ctx) -> Result<Vec<CloudFrontOriginAccessIdentitySummary>, ProviderError> {
    let mut pages = client(cx)
        .list_cloud_front_origin_access_identities()
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("cloudfront:ListCloudFrontOriginAccessIdentities"))?;
        out.extend(
            page.cloud_front_origin_access_identity_list
                .and_then(|l| l.items)
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

async fn get(cx: &Ctx, id: &str) -> Result<Option<CloudFrontOriginAccessIdentity>, ProviderError> {
    let r = client(cx)
        .get_cloud_front_origin_access_identity()
        .id(id)
        .send()
        .await
        .map_err(aws("cloudfront:GetCloudFrontOriginAccessIdentity"));
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        other => Ok(other?.cloud_front_origin_access_identity),
    }
}

fn to_live(o: &CloudFrontOriginAccessIdentity) -> LiveResource {
    let config = o.cloud_front_origin_access_identity_config();
    let (_, own) = unmarked(config.map_or("", |c| c.caller_reference()));
    crate::kind::live_owned(
        KIND,
        o.id(),
        own,
        json!({
            "comment": config.map_or("", |c| c.comment()),
            "iam_arn": iam_arn(o.id()),
            "s3_canonical_user_id": o.s3_canonical_user_id(),
        }),
    )
}

/// The identity's configuration and ETag.
async fn config_of(
    cx: &Ctx,
    id: &str,
) -> Result<(CloudFrontOriginAccessIdentityConfig, String), ProviderError> {
    let out = client(cx)
        .get_cloud_front_origin_access_identity_config()
        .id(id)
        .send()
        .await
        .map_err(aws("cloudfront:GetCloudFrontOriginAccessIdentityConfig"))?;
    let e = etag(out.e_tag(), "GetCloudFrontOriginAccessIdentityConfig")?;
    let c = out
        .cloud_front_origin_access_identity_config
        .ok_or_else(|| {
            ProviderError::new(
                ErrorClass::Other,
                format!("CloudFront answered no configuration for origin access identity {id}"),
            )
        })?;
    Ok((c, e))
}

#[async_trait]
impl AwsKind for OriginAccessIdentity {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// The listing, then each identity (for its reference, which holds the marks),
    /// concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let listed = all(cx).await?;
        let each = try_join_all(listed.iter().map(|s| get(cx, s.id()))).await?;
        Ok(each
            .iter()
            .flatten()
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
        let cfg = built(
            CloudFrontOriginAccessIdentityConfig::builder()
                .caller_reference(marked(req.token, req.owner()))
                .comment(str_field(req.attrs, "comment").unwrap_or(""))
                .build(),
        )?;
        let out = client(cx)
            .create_cloud_front_origin_access_identity()
            .cloud_front_origin_access_identity_config(cfg)
            .send()
            .await
            .map_err(aws("cloudfront:CreateCloudFrontOriginAccessIdentity"))?;
        let o = out.cloud_front_origin_access_identity.ok_or_else(|| {
            ProviderError::new(
                ErrorClass::Other,
                "CloudFront answered the create of an origin access identity without it",
            )
        })?;
        progress.created(o.id());
        Ok(to_live(&o).owned_by(req.owner()))
    }

    /// Only the comment changes, with the ETag just read.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let comment = str_field(req.attrs, "comment").unwrap_or("").to_string();
        let out = with_etag(
            "the origin access identity",
            || config_of(cx, req.id),
            |mut cfg, etag| {
                cfg.comment.clone_from(&comment);
                client(cx)
                    .update_cloud_front_origin_access_identity()
                    .id(req.id)
                    .if_match(etag)
                    .cloud_front_origin_access_identity_config(cfg)
                    .send()
                    .map_err(aws("cloudfront:UpdateCloudFrontOriginAccessIdentity"))
            },
        )
        .await?;
        Ok(match out.cloud_front_origin_access_identity {
            Some(o) => to_live(&o).owned_by(req.owner()),
            None => super::updated(req),
        })
    }

    /// Deletes it once no distribution reads as it (`CloudFrontOriginAccessIdentityInUse` is
    /// waited out).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        super::delete_until_free(
            "the origin access identity",
            cx.timeout(std::time::Duration::from_secs(1800)),
            progress,
            || {
                with_etag(
                    "the origin access identity",
                    || config_of(cx, req.id),
                    |_, etag| {
                        client(cx)
                            .delete_cloud_front_origin_access_identity()
                            .id(req.id)
                            .if_match(etag)
                            .send()
                            .map_ok(|_| ())
                            .map_err(aws("cloudfront:DeleteCloudFrontOriginAccessIdentity"))
                    },
                )
            },
            || async { Some("a CloudFront distribution's S3 origin".to_string()) },
        )
        .await
    }
}
