//! CloudWatch Logs: one module per kind, of the same shape as the other services'. Log groups
//! are named by their names; the tagging API's listing finds the stack's (ARN type
//! `log-group`, with `:` before the name), and each is described by its name.

pub mod log_group;
pub mod tags;

pub(crate) use crate::kind::*;

use crate::Ctx;

/// The service's client in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_cloudwatchlogs::Client {
    cx.client::<aws_sdk_cloudwatchlogs::Client>().retrying
}

/// The same, without the SDK's automatic retries (`kind::create_once`).
pub fn client_once(cx: &Ctx) -> aws_sdk_cloudwatchlogs::Client {
    cx.client::<aws_sdk_cloudwatchlogs::Client>().once
}
