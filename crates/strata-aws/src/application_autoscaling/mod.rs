//! Application Auto Scaling: one module per kind, of the same shape as the other services'.
//! Scalable targets are not in the tagging API's listing: the stack's are found by
//! `DescribeScalableTargets` of the namespace `ecs` and each target's tags; a policy is read
//! through its target's resource id.

pub mod policy;
pub mod tags;
pub mod target;

pub(crate) use crate::kind::*;

use strata_engine::provider::{ErrorClass, ProviderError};

use crate::Ctx;

/// The service's client in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_applicationautoscaling::Client {
    cx.client::<aws_sdk_applicationautoscaling::Client>()
        .retrying
}

/// Whether a delete's error says the target or policy is gone already: AWS answers
/// `ObjectNotFoundException`; the test bed (as moto) a `ValidationException` "No scalable
/// target found …" / "No scaling policy found …".
pub fn gone(e: &ProviderError) -> bool {
    e.class == ErrorClass::NotFound
        || (e.message.contains("No scalable target found")
            || e.message.contains("No scaling policy found"))
}
