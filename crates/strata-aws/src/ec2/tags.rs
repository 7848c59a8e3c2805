//! EC2's tags: `TagSpecifications` in create calls, `CreateTags`/`DeleteTags` for updates, and
//! `tag:` filters; the conversions to and from the service-neutral pairs of `crate::tags`.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use serde_json::Value;
use strata_engine::provider::{CreateRequest, ProviderError, UpdateRequest};

use crate::Ctx;
use crate::error::aws;
use crate::tags::{Ownership, STACK_TAG};

fn tag(k: String, v: String) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn tag_specification(resource_type: ResourceType, req: &CreateRequest<'_>) -> TagSpecification {
    let tags = crate::tags::create_tags(req.attrs, req.owner());
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(tags.into_iter().map(|(k, v)| tag(k, v)).collect()))
        .build()
}

/// Splits EC2 tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[Tag]) -> (Value, Ownership) {
    crate::tags::split(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    )
}

/// A filter for the resources of one stack.
pub fn stack_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{STACK_TAG}"))
        .values(stack)
        .build()
}

/// Makes the resource's user tags equal to the desired ones, and (re)sets the ownership tags
/// (stack, name and the lockfile's lineage).
pub async fn sync_tags(cx: &Ctx, req: &UpdateRequest<'_>) -> Result<(), ProviderError> {
    let (removed, set) = crate::tags::update_tags(req.prior, req.attrs, req.owner());
    if !removed.is_empty() {
        let mut call = cx.ec2.delete_tags().resources(req.id);
        for k in removed {
            call = call.tags(Tag::builder().key(k).build());
        }
        call.send().await.map_err(aws("ec2:DeleteTags"))?;
    }
    let mut call = cx.ec2.create_tags().resources(req.id);
    for (k, v) in set {
        call = call.tags(tag(k, v));
    }
    call.send().await.map_err(aws("ec2:CreateTags"))?;
    Ok(())
}
