//! Ownership tags and tag updates.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use serde_json::Value;
use strata_engine::value::Attrs;

use crate::Ctx;
use crate::error::aws;
use strata_engine::provider::ProviderError;

use strata_engine::provider::{CreateRequest, Owner, UpdateRequest};
pub use strata_engine::provider::{LINEAGE_TAG, NAME_TAG, STACK_TAG};

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
pub fn tag_specification(resource_type: ResourceType, req: &CreateRequest<'_>) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(resource_type);
    for (k, v) in desired_tags(req.attrs) {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    for (k, v) in req.owner().tags() {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

/// The ownership tags a resource carries (each `None` when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    pub stack: Option<String>,
    pub name: Option<String>,
    pub lineage: Option<String>,
}

/// Splits AWS tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split(tags: &[Tag]) -> (Value, Ownership) {
    let mut user = serde_json::Map::new();
    let mut own = Ownership::default();
    for t in tags {
        let (Some(k), v) = (t.key(), t.value().unwrap_or_default()) else {
            continue;
        };
        match k {
            STACK_TAG => own.stack = Some(v.to_string()),
            NAME_TAG => own.name = Some(v.to_string()),
            LINEAGE_TAG => own.lineage = Some(v.to_string()),
            _ => {
                user.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
    }
    (Value::Object(user), own)
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
    let old = desired_tags(req.prior);
    let new = desired_tags(req.attrs);
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let changed: Vec<(&String, &String)> =
        new.iter().filter(|(k, v)| old.get(*k) != Some(v)).collect();
    if !removed.is_empty() {
        let mut req = cx.ec2.delete_tags().resources(req.id);
        for k in removed {
            req = req.tags(Tag::builder().key(k).build());
        }
        req.send().await.map_err(aws("ec2:DeleteTags"))?;
    }
    // Ownership tags go along every time: cheap, and it repairs them if they were removed.
    let owner: Owner<'_> = req.owner();
    let mut call = cx.ec2.create_tags().resources(req.id);
    for (k, v) in owner.tags() {
        call = call.tags(Tag::builder().key(k).value(v).build());
    }
    for (k, v) in changed {
        call = call.tags(Tag::builder().key(k).value(v).build());
    }
    call.send().await.map_err(aws("ec2:CreateTags"))?;
    Ok(())
}
