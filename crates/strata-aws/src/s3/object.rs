//! `s3.object` on AWS: PutObject (its content, type, cache control, tags and `strata-md5`
//! metadata in one call, for a create and for any change but the tags alone), HeadObject and
//! GetObjectTagging to read it (never downloaded), PutObjectTagging, DeleteObject. Its id is
//! `BUCKET/KEY`. Objects are read by the lockfile's ids only: a PutObject repeated after a
//! crash writes the same object again.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use futures_util::future::try_join_all;
use serde_json::json;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;
use strata_model::kinds::object::md5_hex;

use super::{AwsKind, bucket_name, client, created, removed, required, str_field, updated};
use crate::Ctx;
use crate::error::aws;

pub struct Object;

/// The metadata key holding the content's MD5 (`x-amz-meta-strata-md5`).
const MD5_META: &str = "strata-md5";

/// `BUCKET/KEY` → `(BUCKET, KEY)`.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
}

async fn read_one(cx: &Ctx, id: &str) -> Result<Option<LiveResource>, ProviderError> {
    let Some((bucket, key)) = split_id(id) else {
        return Ok(None);
    };
    let c = client(cx);
    let head = c.head_object().bucket(bucket).key(key).send();
    let tags = c.get_object_tagging().bucket(bucket).key(key).send();
    let (head, tags) = tokio::join!(head, tags);
    let head = match head.map_err(aws("s3:HeadObject")) {
        Err(e) if e.class == ErrorClass::NotFound => return Ok(None),
        other => other?,
    };
    let tags = match tags.map_err(aws("s3:GetObjectTagging")) {
        Err(e) if e.class == ErrorClass::NotFound => return Ok(None),
        other => other?.tag_set().to_vec(),
    };
    let etag = head
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    // The MD5 strata stored; an object uploaded otherwise: its ETag (the MD5 of a single-part
    // upload without KMS).
    let md5 = head
        .metadata()
        .and_then(|m| m.get(MD5_META))
        .cloned()
        .unwrap_or_else(|| etag.clone());
    let mut m = json!({
        "bucket": bucket,
        "key": key,
        "content": {"md5": md5},
        "content_type": head.content_type(),
        "etag": etag,
    });
    if let (Some(cc), Some(o)) = (head.cache_control(), m.as_object_mut()) {
        o.insert("cache_control".into(), json!(cc));
    }
    Ok(Some(crate::kind::live_with_tags(
        "s3.object",
        id,
        super::tags::split(&tags),
        m,
    )))
}

/// Uploads the object with everything the documents say about it; answers its id.
async fn put(
    cx: &Ctx,
    a: &Attrs,
    owner: strata_engine::provider::Owner<'_>,
) -> Result<String, ProviderError> {
    let bucket = bucket_name(required(a, "bucket")?).to_string();
    let key = required(a, "key")?.to_string();
    let content = str_field(a, "content").unwrap_or_default();
    client(cx)
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(ByteStream::from(content.as_bytes().to_vec()))
        .set_content_type(str_field(a, "content_type").map(str::to_string))
        .set_cache_control(str_field(a, "cache_control").map(str::to_string))
        .metadata(MD5_META, md5_hex(content))
        .tagging(super::tags::header(a, owner))
        .send()
        .await
        .map_err(aws("s3:PutObject"))?;
    Ok(format!("{bucket}/{key}"))
}

#[async_trait]
impl AwsKind for Object {
    fn kind(&self) -> &'static str {
        "s3.object"
    }

    /// `HeadObject` and `GetObjectTagging` for each object asked for, concurrently.
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = try_join_all(req.ids.iter().map(|id| read_one(cx, id))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let id = put(cx, req.attrs, req.owner()).await?;
        progress.created(&id);
        let live = super::until_visible("the object", cx, progress, || read_one(cx, &id)).await?;
        Ok(created(live, req))
    }

    /// The tags alone: `PutObjectTagging`; anything else uploads the object again.
    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        if req.changed.iter().all(|f| f == "tags") {
            let (bucket, key) = split_id(req.id).ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::Invalid,
                    format!("`{}` is not BUCKET/KEY", req.id),
                )
            })?;
            client(cx)
                .put_object_tagging()
                .bucket(bucket)
                .key(key)
                .tagging(super::tags::tagging(req.attrs, req.owner())?)
                .send()
                .await
                .map_err(aws("s3:PutObjectTagging"))?;
            return Ok(updated(req));
        }
        put(cx, req.attrs, req.owner()).await?;
        let mut live = updated(req);
        if let Some(fresh) = read_one(cx, req.id).await? {
            live.attrs = fresh.attrs;
            live.attrs
                .insert("tags".into(), json!(crate::tags::desired_tags(req.attrs)));
        }
        Ok(live)
    }

    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        let Some((bucket, key)) = split_id(req.id) else {
            return Ok(());
        };
        removed(
            client(cx)
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(aws("s3:DeleteObject")),
        )
    }
}
