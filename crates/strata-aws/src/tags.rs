//! Ownership tags and tag updates.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use serde_json::Value;
use strata_engine::value::Attrs;

use crate::Ctx;
use crate::error::aws;
use strata_engine::provider::ProviderError;

/// The tag naming the stack that owns a resource.
pub const STACK_TAG: &str = "strata:stack";
/// The tag naming the resource's logical name in its stack.
pub const NAME_TAG: &str = "strata:name";

/// The user's tags from the desired attributes.
pub fn desired_tags(attrs: &Attrs) -> BTreeMap<String, String> {
    match attrs.get("tags") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn tag_specification(
    resource_type: ResourceType,
    attrs: &Attrs,
    stack: &str,
    name: &str,
) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(resource_type);
    for (k, v) in desired_tags(attrs) {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.tags(Tag::builder().key(STACK_TAG).value(stack).build())
        .tags(Tag::builder().key(NAME_TAG).value(name).build())
        .build()
}

/// Splits AWS tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[Tag]) -> (Value, Option<String>, Option<String>) {
    let mut user = serde_json::Map::new();
    let mut stack = None;
    let mut name = None;
    for t in tags {
        let (Some(k), v) = (t.key(), t.value().unwrap_or_default()) else {
            continue;
        };
        match k {
            STACK_TAG => stack = Some(v.to_string()),
            NAME_TAG => name = Some(v.to_string()),
            _ => {
                user.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
    }
    (Value::Object(user), stack, name)
}

/// A filter for the resources of one stack.
pub fn stack_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{STACK_TAG}"))
        .values(stack)
        .build()
}

/// Makes the resource's user tags equal to the desired ones, and (re)sets the ownership tags.
pub async fn sync_tags(
    cx: &Ctx,
    id: &str,
    prior: &Attrs,
    desired: &Attrs,
    stack: &str,
    name: &str,
) -> Result<(), ProviderError> {
    let old = desired_tags(prior);
    let new = desired_tags(desired);
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let changed: Vec<(&String, &String)> =
        new.iter().filter(|(k, v)| old.get(*k) != Some(v)).collect();
    if !removed.is_empty() {
        let mut req = cx.ec2.delete_tags().resources(id);
        for k in removed {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send().await.map_err(aws("ec2:DeleteTags"))?;
    }
    // Ownership tags go along every time: cheap, and it repairs them if they were removed.
    let mut req = cx
        .ec2
        .create_tags()
        .resources(id)
        .tags(Tag::builder().key(STACK_TAG).value(stack).build())
        .tags(Tag::builder().key(NAME_TAG).value(name).build());
    for (k, v) in changed {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send().await.map_err(aws("ec2:CreateTags"))?;
    Ok(())
}
