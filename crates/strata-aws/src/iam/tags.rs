//! IAM's tags: `Tags` in create calls, `Tag…`/`Untag…` calls per resource type for updates,
//! and the conversions to and from the service-neutral pairs of `crate::tags`.

use aws_sdk_iam::types::Tag;
use serde_json::Value;
use strata_engine::provider::{CreateRequest, ProviderError};

use crate::tags::Ownership;

pub fn tag(k: String, v: String) -> Result<Tag, ProviderError> {
    Tag::builder().key(k).value(v).build().map_err(|e| {
        ProviderError::new(strata_engine::provider::ErrorClass::Invalid, e.to_string())
    })
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn create_tags(req: &CreateRequest<'_>) -> Result<Vec<Tag>, ProviderError> {
    crate::tags::create_tags(req.attrs, req.owner())
        .into_iter()
        .map(|(k, v)| tag(k, v))
        .collect()
}

/// Splits tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[Tag]) -> (Value, Ownership) {
    crate::tags::split(tags.iter().map(|t| (t.key(), t.value())))
}
