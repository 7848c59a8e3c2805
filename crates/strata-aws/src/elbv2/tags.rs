//! Elastic Load Balancing's tags: `Tags` in create calls, `AddTags`/`RemoveTags` for updates,
//! and the conversions to and from the service-neutral pairs of `crate::tags`.

use aws_sdk_elasticloadbalancingv2::types::Tag;
use serde_json::Value;
use strata_engine::provider::{CreateRequest, ProviderError, UpdateRequest};

use crate::Ctx;
use crate::error::aws;
use crate::tags::Ownership;

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

/// Splits tag pairs into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[(String, String)]) -> (Value, Ownership) {
    crate::tags::split(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Makes the resource's user tags equal to the desired ones, and (re)sets the ownership tags.
pub async fn sync_tags(cx: &Ctx, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    let c = super::client(cx);
    if !removed.is_empty() {
        c.remove_tags()
            .resource_arns(req.id)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(aws("elbv2:RemoveTags"))?;
    }
    c.add_tags()
        .resource_arns(req.id)
        .set_tags(Some(set.into_iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .map_err(aws("elbv2:AddTags"))?;
    Ok(())
}
