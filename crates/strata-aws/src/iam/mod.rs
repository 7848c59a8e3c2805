//! IAM: one module per kind, of the same shape as EC2's and ELBv2's. IAM is global (one
//! account-wide namespace whatever the region), its resources are addressed by name, nothing is
//! filtered by tag (tags come from a `List…Tags` call per resource), and a change made here is
//! visible to other services only after a few seconds.

pub mod role;
pub mod server_certificate;
pub mod tags;

pub(crate) use crate::kind::*;

use crate::Ctx;

/// The service's client (the registry's, for this context's region: IAM answers the same in
/// every region).
pub fn client(cx: &Ctx) -> aws_sdk_iam::Client {
    cx.client::<aws_sdk_iam::Client>().retrying
}

/// The same, without the SDK's automatic retries (`kind::create_once`).
pub fn client_once(cx: &Ctx) -> aws_sdk_iam::Client {
    cx.client::<aws_sdk_iam::Client>().once
}

/// The name in an IAM ARN: its last path segment
/// (`arn:aws:iam::123456789012:server-certificate/cloudfront/web` → `web`).
pub fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
