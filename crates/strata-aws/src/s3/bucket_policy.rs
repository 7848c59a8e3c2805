//! `s3.bucket_policy` on AWS: PutBucketPolicy (create and update alike), GetBucketPolicy,
//! DeleteBucketPolicy. Its id is `BUCKET?policy` (the policy's path in S3's REST API: not the
//! bucket's own id, which other resources name). A policy has no tags of its own: it is read
//! by the lockfile's ids only, and a policy written by a run that crashed before recording it
//! is written again by the next apply (PutBucketPolicy replaces the bucket's policy whole).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::{AwsKind, bucket_name, client, created, removed, required, updated};
use crate::Ctx;
use crate::error::aws;
use crate::wait::{self, Backoff, Poll};

pub struct BucketPolicy;

/// A policy's id: `BUCKET?policy` (a bucket's name holds no `?`).
fn policy_id(bucket: &str) -> String {
    format!("{bucket}?policy")
}

/// The bucket of a policy's id.
fn bucket_of(id: &str) -> &str {
    id.strip_suffix("?policy").unwrap_or(id)
}

async fn read_one(cx: &Ctx, bucket: &str) -> Result<Option<LiveResource>, ProviderError> {
    let sent = client(cx)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(aws("s3:GetBucketPolicy"));
    let out = match sent {
        Err(e) if e.class == ErrorClass::NotFound => return Ok(None),
        other => other?,
    };
    let text = out.policy().unwrap_or("{}");
    let policy: Value = serde_json::from_str(text).unwrap_or_else(|_| json!(text));
    let mut attrs = Attrs::new();
    attrs.insert("bucket".into(), json!(bucket));
    attrs.insert("policy".into(), policy);
    Ok(Some(LiveResource::new(
        "s3.bucket_policy",
        &policy_id(bucket),
        attrs,
    )))
}

/// Writes the document's policy on its bucket.
/// How long a principal made moments ago may stay unknown to S3.
const PRINCIPAL_VISIBLE: Duration = Duration::from_secs(120);

/// Whether S3 refused a policy for a principal it does not know (yet).
fn unknown_principal(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("MalformedPolicy") && e.message.contains("Invalid principal")
}

/// Writes the document's policy on its bucket. A principal made moments ago (a CloudFront
/// origin access identity, a role) is not known to S3 for a few seconds, and the policy is
/// refused as `MalformedPolicy: Invalid principal in policy` meanwhile: that is waited out.
async fn put(cx: &Ctx, a: &Attrs, progress: &Progress) -> Result<String, ProviderError> {
    let bucket = bucket_name(required(a, "bucket")?).to_string();
    let policy = a.get("policy").cloned().unwrap_or(Value::Null).to_string();
    let last = std::sync::Mutex::new(None);
    let r = wait::until(
        "the policy's principals to be known to S3",
        cx.timeout(PRINCIPAL_VISIBLE),
        Backoff::default(),
        progress,
        || async {
            let sent = client(cx)
                .put_bucket_policy()
                .bucket(&bucket)
                .policy(&policy)
                .send()
                .await
                .map_err(aws("s3:PutBucketPolicy"));
            match sent {
                Ok(_) => Ok(Poll::Ready(())),
                Err(e) if unknown_principal(&e) => {
                    let msg = e.message.clone();
                    if let Ok(mut l) = last.lock() {
                        *l = Some(e);
                    }
                    Ok(Poll::NotYet(msg))
                }
                Err(e) => Err(e),
            }
        },
    )
    .await;
    match r {
        Ok(()) => Ok(bucket),
        // Still refused at the end: AWS's own error, with what to check.
        Err(e) if e.class == ErrorClass::Timeout => Err(last
            .into_inner()
            .ok()
            .flatten()
            .map_or(e, |l| {
                l.with_help(
                    "a principal the policy names does not exist (or S3 does not know it after                      two minutes): check its ARN",
                )
            })),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl AwsKind for BucketPolicy {
    fn kind(&self) -> &'static str {
        "s3.bucket_policy"
    }

    /// `GetBucketPolicy` for each bucket asked for, concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = try_join_all(req.ids.iter().map(|id| read_one(cx, bucket_of(id)))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let bucket = put(cx, req.attrs, progress).await?;
        let id = policy_id(&bucket);
        progress.created(&id);
        let mut attrs = Attrs::new();
        attrs.insert("bucket".into(), json!(bucket));
        if let Some(p) = req.attrs.get("policy") {
            attrs.insert("policy".into(), p.clone());
        }
        Ok(created(
            LiveResource::new("s3.bucket_policy", &id, attrs),
            req,
        ))
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        put(cx, req.attrs, progress).await?;
        Ok(updated(req))
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        removed(
            client(cx)
                .delete_bucket_policy()
                .bucket(bucket_of(req.id))
                .send()
                .await
                .map_err(aws("s3:DeleteBucketPolicy")),
        )
    }
}
