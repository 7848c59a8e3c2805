//! Application Auto Scaling's tags: a mapping in `RegisterScalableTarget`, `TagResource`/`UntagResource` and
//! `ListTagsForResource` by the target's ARN, and the conversions to and from the
//! service-neutral pairs of `crate::tags`.

use std::collections::HashMap;

use strata_engine::provider::{ProviderError, UpdateRequest};

use super::client;
use crate::Ctx;
use crate::error::aws;

pub use crate::tags::{create_map as create_tags, live_from_map as live};

/// A scalable target's tags by its ARN.
pub async fn of(cx: &Ctx, arn: &str) -> Result<HashMap<String, String>, ProviderError> {
    client(cx)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map(|o| o.tags().cloned().unwrap_or_default())
        .map_err(aws("application-autoscaling:ListTagsForResource"))
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
            .map_err(aws("application-autoscaling:UntagResource"))?;
    }
    c.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(set.into_iter().collect()))
        .send()
        .await
        .map_err(aws("application-autoscaling:TagResource"))?;
    Ok(())
}
