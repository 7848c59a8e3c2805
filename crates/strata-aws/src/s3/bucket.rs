//! `s3.bucket` on AWS: CreateBucket, then its settings one call each (PutBucketTagging,
//! PutPublicAccessBlock, PutBucketVersioning, PutBucketEncryption), read back the same way;
//! DeleteBucket, after every object version and delete marker when `force_destroy` is on.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, ProviderError, ReadRequest,
    UpdateRequest,
};
use strata_engine::value::Attrs;

use super::{AwsKind, bool_field, client, created, str_field, updated};
use crate::Ctx;
use crate::discovery::Discovery;
use crate::error::aws;
use crate::kind::name_or_prefix;

pub struct Bucket;

fn invalid(e: aws_sdk_s3::error::BuildError) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, e.to_string())
}

/// A setting S3 answers "not configured" for: its default then.
fn unset<T>(r: Result<T, ProviderError>, codes: &[&str]) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.code.as_deref().is_some_and(|c| codes.contains(&c)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One bucket's settings, each its own call, concurrently; `None` when the bucket is gone.
async fn read_one(
    cx: &Ctx,
    name: &str,
    recorded: Option<&Attrs>,
) -> Result<Option<LiveResource>, ProviderError> {
    let c = client(cx);
    let tags = c.get_bucket_tagging().bucket(name).send();
    let versioning = c.get_bucket_versioning().bucket(name).send();
    let encryption = c.get_bucket_encryption().bucket(name).send();
    let block = c.get_public_access_block().bucket(name).send();
    let (tags, versioning, encryption, block) = tokio::join!(tags, versioning, encryption, block);
    let tags = unset(tags.map_err(aws("s3:GetBucketTagging")), &["NoSuchTagSet"]);
    let versioning = versioning.map_err(aws("s3:GetBucketVersioning"));
    let encryption = unset(
        encryption.map_err(aws("s3:GetBucketEncryption")),
        &["ServerSideEncryptionConfigurationNotFoundError"],
    );
    let block = unset(
        block.map_err(aws("s3:GetPublicAccessBlock")),
        &["NoSuchPublicAccessBlockConfiguration"],
    );
    // A bucket deleted while it was read (any of the four answers `NoSuchBucket`) is gone.
    let gone = |r: Option<&ProviderError>| r.is_some_and(|e| e.class == ErrorClass::NotFound);
    if gone(tags.as_ref().err())
        || gone(versioning.as_ref().err())
        || gone(encryption.as_ref().err())
        || gone(block.as_ref().err())
    {
        return Ok(None);
    }
    let tags = tags?.map(|t| t.tag_set().to_vec()).unwrap_or_default();
    let (versioning, encryption, block) = (versioning?, encryption?, block?);
    let kms_key = encryption
        .as_ref()
        .and_then(|e| e.server_side_encryption_configuration())
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .filter(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
        .and_then(|d| d.kms_master_key_id().map(str::to_string));
    let b = block
        .as_ref()
        .and_then(|b| b.public_access_block_configuration());
    let on = |v: Option<bool>| v.unwrap_or(false);
    let mut m = json!({
        "name": name,
        "versioning": versioning.status() == Some(&BucketVersioningStatus::Enabled),
        "public_access_block": {
            "block_public_acls": on(b.and_then(|b| b.block_public_acls())),
            "ignore_public_acls": on(b.and_then(|b| b.ignore_public_acls())),
            "block_public_policy": on(b.and_then(|b| b.block_public_policy())),
            "restrict_public_buckets": on(b.and_then(|b| b.restrict_public_buckets())),
        },
        // strata's own setting: what was last applied.
        "force_destroy": recorded.and_then(|r| bool_field(r, "force_destroy")).unwrap_or(false),
        "arn": format!("arn:aws:s3:::{name}"),
        "regional_domain_name": format!("{name}.s3.{}.amazonaws.com", cx.region),
    });
    if let (Some(k), Some(o)) = (kms_key, m.as_object_mut()) {
        o.insert("kms_key".into(), json!(k));
    }
    Ok(Some(crate::kind::live_with_tags(
        "s3.bucket",
        name,
        super::tags::split(&tags),
        m,
    )))
}

async fn put_tags(
    cx: &Ctx,
    name: &str,
    tagging: aws_sdk_s3::types::Tagging,
) -> Result<(), ProviderError> {
    client(cx)
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map(|_| ())
        .map_err(aws("s3:PutBucketTagging"))
}

async fn put_versioning(cx: &Ctx, name: &str, a: &Attrs) -> Result<(), ProviderError> {
    let status = if bool_field(a, "versioning").unwrap_or(false) {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    client(cx)
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map(|_| ())
        .map_err(aws("s3:PutBucketVersioning"))
}

async fn put_encryption(cx: &Ctx, name: &str, a: &Attrs) -> Result<(), ProviderError> {
    let default = match str_field(a, "kms_key") {
        Some(key) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    };
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default.build().map_err(invalid)?)
                .build(),
        )
        .build()
        .map_err(invalid)?;
    client(cx)
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(aws("s3:PutBucketEncryption"))
}

async fn put_block(cx: &Ctx, name: &str, a: &Attrs) -> Result<(), ProviderError> {
    let b = a.get("public_access_block").and_then(Value::as_object);
    let flag = |k: &str| {
        b.and_then(|m| m.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    client(cx)
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(flag("block_public_acls"))
                .ignore_public_acls(flag("ignore_public_acls"))
                .block_public_policy(flag("block_public_policy"))
                .restrict_public_buckets(flag("restrict_public_buckets"))
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(aws("s3:PutPublicAccessBlock"))
}

/// Every object version and delete marker of the bucket, 1,000 a call.
async fn empty(cx: &Ctx, name: &str) -> Result<usize, ProviderError> {
    let c = client(cx);
    let mut deleted = 0;
    loop {
        let page = c
            .list_object_versions()
            .bucket(name)
            .send()
            .await
            .map_err(aws("s3:ListObjectVersions"))?;
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| {
                ObjectIdentifier::builder()
                    .set_key(k.map(str::to_string))
                    // "null" names the version written before versioning was on.
                    .set_version_id(v.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(deleted);
        }
        // A page that deletes nothing would repeat for ever: stop after as many rounds as a
        // bucket of a million versions needs.
        if deleted > 1_000_000 {
            return Err(ProviderError::new(
                ErrorClass::Other,
                format!("{name} still lists object versions after deleting {deleted}"),
            ));
        }
        deleted += ids.len();
        c.delete_objects()
            .bucket(name)
            .delete(
                Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(true)
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await
            .map_err(aws("s3:DeleteObjects"))?;
    }
}

/// How many object versions and delete markers the bucket holds (one page: at most 1,000).
async fn holds(cx: &Ctx, name: &str) -> Result<(usize, bool), ProviderError> {
    let page = client(cx)
        .list_object_versions()
        .bucket(name)
        .send()
        .await
        .map_err(aws("s3:ListObjectVersions"))?;
    Ok((
        page.versions().len() + page.delete_markers().len(),
        page.is_truncated() == Some(true),
    ))
}

#[async_trait]
impl AwsKind for Bucket {
    fn kind(&self) -> &'static str {
        "s3.bucket"
    }

    /// Found by the tagging API's listing (`arn:aws:s3:::NAME`).
    fn discovery(&self) -> Discovery {
        Discovery::TaggingService("s3")
    }

    /// Each bucket asked for or listed: its tags, versioning, encryption and public access
    /// block (four calls, concurrently; the buckets concurrently too). Without a listing (a
    /// create looking for its copy), the names of the account's buckets (`ListBuckets`).
    async fn read(
        &self,
        cx: &Ctx,
        req: &ReadRequest<'_>,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let mut names: Vec<String> = req.ids.to_vec();
        match crate::discovery::tagged_ids(cx, self.discovery(), req.stack).await? {
            Some(tagged) => names.extend(tagged),
            None => {
                let all = client(cx)
                    .list_buckets()
                    .send()
                    .await
                    .map_err(aws("s3:ListBuckets"))?;
                names.extend(
                    all.buckets()
                        .iter()
                        .filter_map(|b| b.name().map(str::to_string)),
                );
            }
        }
        names.sort();
        names.dedup();
        let found = try_join_all(names.iter().map(|n| {
            let recorded = req.records.iter().find(|r| r.id == n).map(|r| r.attrs);
            read_one(cx, n, recorded)
        }))
        .await?;
        Ok(found
            .into_iter()
            .flatten()
            .filter(|l| req.wants(l))
            .collect())
    }

    /// CreateBucket (the name is the prefix and the journaled token's suffix, so a repeat
    /// names the same bucket: `BucketAlreadyOwnedByYou` is success), then its tags and
    /// settings.
    async fn create(
        &self,
        cx: &Ctx,
        req: &CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        let name = name_or_prefix(req, "name", "name_prefix")?;
        let location = (cx.region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(cx.region.as_str()))
                .build()
        });
        let sent = client(cx)
            .create_bucket()
            .bucket(&name)
            .set_create_bucket_configuration(location)
            .send()
            .await
            .map_err(aws("s3:CreateBucket"));
        match sent {
            Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {}
            Err(mut e) if e.code.as_deref() == Some("BucketAlreadyExists") => {
                e.help = Some(format!(
                    "bucket names are global: another account has `{name}`; choose another \
                     name, or give `name_prefix` instead"
                ));
                return Err(e);
            }
            other => {
                other?;
            }
        }
        progress.created(&name);
        put_tags(cx, &name, super::tags::tagging(a, req.owner())?).await?;
        put_block(cx, &name, a).await?;
        if bool_field(a, "versioning").unwrap_or(false) {
            put_versioning(cx, &name, a).await?;
        }
        if str_field(a, "kms_key").is_some() {
            put_encryption(cx, &name, a).await?;
        }
        let live = super::until_visible("the bucket", cx, progress, || async {
            read_one(cx, &name, None).await
        })
        .await?;
        let mut live = created(live, req);
        live.attrs.insert(
            "force_destroy".into(),
            json!(bool_field(a, "force_destroy").unwrap_or(false)),
        );
        Ok(live)
    }

    async fn update(
        &self,
        cx: &Ctx,
        req: &UpdateRequest<'_>,
        _: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let a = req.attrs;
        for f in req.changed {
            match f.as_str() {
                "versioning" => put_versioning(cx, req.id, a).await?,
                "kms_key" => put_encryption(cx, req.id, a).await?,
                "public_access_block" => put_block(cx, req.id, a).await?,
                "tags" => put_tags(cx, req.id, super::tags::tagging(a, req.owner())?).await?,
                // strata's own: recorded, nothing to send.
                "force_destroy" => {}
                other => {
                    return Err(ProviderError::new(
                        ErrorClass::Invalid,
                        format!("s3.bucket cannot change `{other}` in place"),
                    ));
                }
            }
        }
        Ok(updated(req))
    }

    /// DeleteBucket; a bucket that holds objects is emptied first when `force_destroy` is on,
    /// and otherwise the delete stops saying how many it holds.
    async fn delete(
        &self,
        cx: &Ctx,
        req: &DeleteRequest<'_>,
        _: &Progress,
    ) -> Result<(), ProviderError> {
        let name = req.id;
        if bool_field(req.prior, "force_destroy").unwrap_or(false) {
            match empty(cx, name).await {
                Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
                other => {
                    other?;
                }
            }
        }
        let sent = client(cx)
            .delete_bucket()
            .bucket(name)
            .send()
            .await
            .map_err(aws("s3:DeleteBucket"));
        match sent {
            Ok(_) => Ok(()),
            Err(e) if e.class == ErrorClass::NotFound => Ok(()),
            Err(mut e) if e.code.as_deref() == Some("BucketNotEmpty") => {
                let (n, more) = holds(cx, name).await.unwrap_or((0, false));
                e.message = format!(
                    "the bucket {name} holds {}{n} object version{} and delete marker{}",
                    if more { "more than " } else { "" },
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "" } else { "s" },
                );
                e.help = Some(format!(
                    "strata deletes a bucket's objects only with `force_destroy: true`: set it \
                     on the bucket and run `strata apply`, then destroy again; or empty it \
                     yourself (`aws s3 rm s3://{name} --recursive`, and its versions)"
                ));
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}
