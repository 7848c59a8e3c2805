//! S3: one module per kind, of the same shape as EC2's and ELBv2's. A bucket's id is its name
//! (its ARN, `arn:aws:s3:::NAME`, names no resource type: `Discovery::TaggingService`); each
//! bucket's settings are separate calls (versioning, encryption, public access block, tags),
//! made concurrently per bucket; objects are read one by one (`HeadObject`), never downloaded.

pub mod bucket;
pub mod bucket_policy;
pub mod object;
pub mod tags;

pub(crate) use crate::kind::*;

use crate::Ctx;

/// The service's client in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_s3::Client {
    cx.client::<aws_sdk_s3::Client>().retrying
}

/// A bucket's name from a reference's value: the name itself, or its ARN
/// (`arn:aws:s3:::NAME`) for a bucket outside the stack.
pub fn bucket_name(value: &str) -> &str {
    value.strip_prefix("arn:aws:s3:::").unwrap_or(value)
}
