//! CloudFront's tags: `Tags { Items }` in the create call of a distribution, `TagResource` and
//! `UntagResource` by ARN for updates, and the conversions to and from the service-neutral
//! pairs of `crate::tags`. Origin access controls and identities have no tags: their
//! ownership marks live in a text field of their own (`crate::tags::marked`).

use aws_sdk_cloudfront::types::{Tag, TagKeys, Tags};
use serde_json::Value;
use strata_engine::provider::{CreateRequest, ProviderError, UpdateRequest};

use super::{built, client};
use crate::Ctx;
use crate::error::aws;
use crate::tags::Ownership;

fn tags(pairs: Vec<(String, String)>) -> Result<Tags, ProviderError> {
    let items = pairs
        .into_iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tags::builder().set_items(Some(items)).build())
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn create_tags(req: &CreateRequest<'_>) -> Result<Tags, ProviderError> {
    tags(crate::tags::create_tags(req.attrs, req.owner()))
}

/// Splits tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split(t: Option<&Tags>) -> (Value, Ownership) {
    let items = t.map(Tags::items).unwrap_or_default();
    crate::tags::split(items.iter().map(|t| (t.key(), t.value().unwrap_or(""))))
}

/// A resource's tags (`ListTagsForResource`).
pub async fn of(cx: &Ctx, arn: &str) -> Result<Option<Tags>, ProviderError> {
    client(cx)
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .map(|o| o.tags)
        .map_err(aws("cloudfront:ListTagsForResource"))
}

/// Makes the resource's user tags equal to the desired ones, and (re)sets the ownership tags.
pub async fn sync(cx: &Ctx, arn: &str, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    let c = client(cx);
    if !removed.is_empty() {
        c.untag_resource()
            .resource(arn)
            .tag_keys(TagKeys::builder().set_items(Some(removed)).build())
            .send()
            .await
            .map_err(aws("cloudfront:UntagResource"))?;
    }
    c.tag_resource()
        .resource(arn)
        .tags(tags(set)?)
        .send()
        .await
        .map_err(aws("cloudfront:TagResource"))?;
    Ok(())
}
