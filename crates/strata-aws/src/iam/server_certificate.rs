//! `iam.server_certificate` on AWS: UploadServerCertificate, GetServerCertificate,
//! ListServerCertificates, Tag/UntagServerCertificate, DeleteServerCertificate.
//!
//! Its id is its ARN; IAM's calls take its name (the ARN's last segment). The private key goes
//! to IAM in the upload and is never read back. IAM cannot change a certificate: every change
//! but the tags is a replacement, made new copy first.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_iam::types::{ServerCertificate, ServerCertificateMetadata, Tag};
use futures_util::TryFutureExt;
use futures_util::future::try_join_all;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};

use super::tags::{self, create_tags};
use super::{
    AwsKind, client, client_once, create_once, created, delete_until_free, gone_between, name_of,
    str_field, updated,
};
use crate::Ctx;
use crate::error::aws;
use crate::kind::name_or_prefix;
use crate::tags::STACK_TAG;

const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

pub struct ServerCertificateKind;

/// Every server certificate of the account (IAM keeps few: 20 by default).
async fn all(cx: &Ctx) -> Result<Vec<ServerCertificateMetadata>, ProviderError> {
    client(cx)
        .list_server_certificates()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws("iam:ListServerCertificates"))
}

async fn tags_of(cx: &Ctx, name: &str) -> Result<Vec<Tag>, ProviderError> {
    client(cx)
        .list_server_certificate_tags()
        .server_certificate_name(name)
        .send()
        .await
        .map(|o| o.tags().to_vec())
        .map_err(aws("iam:ListServerCertificateTags"))
}

async fn get(cx: &Ctx, name: &str) -> Result<ServerCertificate, ProviderError> {
    client(cx)
        .get_server_certificate()
        .server_certificate_name(name)
        .send()
        .await
        .map_err(aws("iam:GetServerCertificate"))?
        .server_certificate
        .ok_or_else(|| {
            ProviderError::new(
                ErrorClass::NotFound,
                format!("IAM answered no server certificate named {name}"),
            )
        })
}

fn to_live(
    meta: &ServerCertificateMetadata,
    cert: &ServerCertificate,
    tags: &[Tag],
) -> LiveResource {
    let mut m = json!({
        "name": meta.server_certificate_name(),
        "path": meta.path(),
        "certificate_body": cert.certificate_body(),
        "arn": meta.arn(),
        "expiration": meta.expiration().map(ToString::to_string),
    });
    if let (Some(chain), Some(o)) = (cert.certificate_chain(), m.as_object_mut()) {
        o.insert("certificate_chain".into(), json!(chain));
    }
    crate::kind::live_with_tags("iam.server_certificate", meta.arn(), tags::split(tags), m)
}

/// Reads one certificate whose metadata the listing gave: its body, and its tags unless
/// already read.
async fn read_one(
    cx: &Ctx,
    meta: &ServerCertificateMetadata,
    tags: Option<Vec<Tag>>,
) -> Result<LiveResource, ProviderError> {
    let name = meta.server_certificate_name();
    let (cert, tags) = match tags {
        Some(t) => (get(cx, name).await?, t),
        None => tokio::try_join!(get(cx, name), tags_of(cx, name))?,
    };
    Ok(to_live(meta, &cert, &tags))
}

/// Makes the certificate's user tags equal to the desired ones, and (re)sets the ownership
/// tags.
async fn sync_tags(cx: &Ctx, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    let name = name_of(req.id);
    let c = client(cx);
    if !removed.is_empty() {
        c.untag_server_certificate()
            .server_certificate_name(name)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(aws("iam:UntagServerCertificate"))?;
    }
    let set = set
        .into_iter()
        .map(|(k, v)| tags::tag(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    c.tag_server_certificate()
        .server_certificate_name(name)
        .set_tags(Some(set))
        .send()
        .await
        .map_err(aws("iam:TagServerCertificate"))?;
    Ok(())
}

#[async_trait]
impl AwsKind for ServerCertificateKind {
    fn kind(&self) -> &'static str {
        "iam.server_certificate"
    }

    /// `ListServerCertificates` (paginated), then for each certificate not among `req.ids`
    /// its tags (`ListServerCertificateTags`) to find the stack's, and for each one asked for
    /// its body (`GetServerCertificate`), concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let listed = all(cx).await?;
        let (known, others): (Vec<_>, Vec<_>) = listed
            .iter()
            .partition(|m| req.ids.iter().any(|i| i == m.arn()));
        // A certificate deleted since the listing has no tags to read: it is gone.
        let others_tags = try_join_all(
            others
                .iter()
                .map(|m| async { gone_between(tags_of(cx, m.server_certificate_name()).await) }),
        )
        .await?;
        let tagged = others
            .into_iter()
            .zip(others_tags)
            .filter_map(|(m, tags)| tags.map(|t| (m, t)))
            .filter(|(_, tags)| {
                tags.iter()
                    .any(|t| t.key() == STACK_TAG && t.value() == req.stack)
            });
        let reads = known
            .into_iter()
            .map(|m| (m, None))
            .chain(tagged.map(|(m, t)| (m, Some(t))));
        let read =
            try_join_all(reads.map(|(m, t)| async { gone_between(read_one(cx, m, t).await) }))
                .await?;
        Ok(read.into_iter().flatten().collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let body = super::required(a, "certificate_body")?;
        let key = super::required(a, "private_key")?;
        let tags = create_tags(req)?;
        let (arn, sent) = create_once(
            cx,
            self,
            req,
            || {
                client_once(cx)
                    .upload_server_certificate()
                    .server_certificate_name(&name)
                    .path(str_field(a, "path").unwrap_or("/"))
                    .certificate_body(body)
                    .set_certificate_chain(str_field(a, "certificate_chain").map(str::to_string))
                    .private_key(key)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .map_err(aws("iam:UploadServerCertificate"))
            },
            |out| {
                out.server_certificate_metadata()
                    .map(|m| m.arn().to_string())
            },
        )
        .await?;
        progress.created(&arn);
        if let crate::kind::Sent::Found(l) = sent {
            return Ok(created(l, req));
        }
        // IAM is eventually consistent: wait until the certificate reads back, so that the
        // listeners made next find it.
        let meta = super::until_visible("the server certificate", cx, progress, || async {
            Ok(all(cx).await?.into_iter().find(|m| m.arn() == arn))
        })
        .await?;
        let cert = get(cx, &name).await?;
        Ok(created(to_live(&meta, &cert, &[]), req))
    }

    /// Only the tags change in place.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        for f in req.changed {
            match f.as_str() {
                "tags" => sync_tags(cx, req).await?,
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("iam.server_certificate cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// Deletes it once no listener uses it: `DeleteConflict` is waited out (the listeners that
    /// use it may be moving to its replacement, or being deleted, in the same apply).
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let name = name_of(req.id);
        delete_until_free(
            "the server certificate",
            cx.timeout(DELETE_TIMEOUT),
            progress,
            || async {
                client(cx)
                    .delete_server_certificate()
                    .server_certificate_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws("iam:DeleteServerCertificate"))
            },
            || async {
                Some("a load balancer's listener (or a CloudFront distribution)".to_string())
            },
        )
        .await
    }
}
