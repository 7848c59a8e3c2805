//! ECS's tags: a `Key`/`Value` list in create calls, `TagResource`/`UntagResource` by the
//! resource's ARN for updates, and the conversions to and from the service-neutral pairs of
//! `crate::tags`.

use aws_sdk_ecs::types::Tag;
use serde_json::Value;
use strata_engine::provider::{CreateRequest, LiveResource, ProviderError, UpdateRequest};

use super::client;
use crate::Ctx;
use crate::error::aws;

fn tag(k: String, v: String) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn create_tags(req: &CreateRequest<'_>) -> Vec<Tag> {
    crate::tags::create_tags(req.attrs, req.owner())
        .into_iter()
        .map(|(k, v)| tag(k, v))
        .collect()
}

/// A live resource from its id, its tags and its other attributes (a JSON object).
pub fn live(kind: &str, id: &str, tags: &[Tag], attrs: Value) -> LiveResource {
    let pairs = crate::tags::split(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    );
    crate::kind::live_with_tags(kind, id, pairs, attrs)
}

/// Makes the resource's user tags equal to the desired ones, and (re)sets the ownership tags.
pub async fn sync(cx: &Ctx, arn: &str, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    let c = client(cx);
    if !removed.is_empty() {
        c.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(aws("ecs:UntagResource"))?;
    }
    c.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(set.into_iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .map_err(aws("ecs:TagResource"))?;
    Ok(())
}
