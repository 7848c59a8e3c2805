//! ECS: one module per kind, of the same shape as the other services'. Clusters are named by
//! their names; the tagging API's listing finds the stack's (ARN type `cluster`), and they are
//! described a hundred names a call.

pub mod cluster;
pub mod service;
pub mod tags;
pub mod task_definition;

pub(crate) use crate::kind::*;

use crate::Ctx;

/// The service's client in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_ecs::Client {
    cx.client::<aws_sdk_ecs::Client>().retrying
}
