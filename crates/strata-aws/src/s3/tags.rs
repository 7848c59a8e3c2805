//! S3's tags: a bucket's or an object's whole tag set is written at once (`PutBucketTagging`,
//! `PutObjectTagging`, or the `x-amz-tagging` header of an upload), and the conversions to and
//! from the service-neutral pairs of `crate::tags`.

use aws_sdk_s3::types::{Tag, Tagging};
use serde_json::Value;
use strata_engine::provider::{ErrorClass, ProviderError};

use strata_engine::provider::Owner;

use crate::tags::Ownership;

/// The whole tag set for a write: the user's tags plus the ownership tags.
pub fn tagging(
    attrs: &strata_engine::value::Attrs,
    owner: Owner<'_>,
) -> Result<Tagging, ProviderError> {
    let invalid =
        |e: aws_sdk_s3::error::BuildError| ProviderError::new(ErrorClass::Invalid, e.to_string());
    let tags = crate::tags::create_tags(attrs, owner)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(invalid)
}

/// The same tag set as an upload's `x-amz-tagging` header (URL-encoded query form).
pub fn header(attrs: &strata_engine::value::Attrs, owner: Owner<'_>) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(b));
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    crate::tags::create_tags(attrs, owner)
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits a tag set into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[Tag]) -> (Value, Ownership) {
    crate::tags::split(tags.iter().map(|t| (t.key(), t.value())))
}
