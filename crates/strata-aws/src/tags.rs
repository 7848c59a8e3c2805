//! Tags, service-neutral: the user's tags of a request, the ownership tags, the tags a create
//! or update sends, and the split of a resource's tags into user and ownership tags, all as
//! `(key, value)` pairs. Each service converts them to and from its own tag type in its folder
//! (`ec2/tags.rs`: `TagSpecifications`, `CreateTags`/`DeleteTags`, tag filters), as
//! terraform-provider-aws has a `tags.go` per service.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use strata_engine::provider::{CreateRequest, LiveResource, Owner};
use strata_engine::value::Attrs;

pub use strata_engine::provider::{EXPIRES_TAG, LINEAGE_TAG, NAME_TAG, STACK_TAG};

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

/// A create call's tags as a mapping, for the services that take them so (CloudWatch Logs,
/// Application Auto Scaling): the user's tags plus the ownership tags.
pub fn create_map(req: &CreateRequest<'_>) -> HashMap<String, String> {
    create_tags(req.attrs, req.owner()).into_iter().collect()
}

/// A live resource from its id, its tags as a mapping and its other attributes (a JSON
/// object), for the services that answer tags so.
pub fn live_from_map(
    kind: &str,
    id: &str,
    tags: &HashMap<String, String>,
    attrs: Value,
) -> LiveResource {
    let pairs = split(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    crate::kind::live_with_tags(kind, id, pairs, attrs)
}

/// Tags for a create call: the user's tags plus the ownership tags.
pub fn create_tags(attrs: &Attrs, owner: Owner<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = desired_tags(attrs).into_iter().collect();
    out.extend(
        owner
            .tags()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    out
}

/// What an update changes in the tags: the user's keys to remove, and the tags to set (the
/// ownership tags every time: cheap, and it repairs them if they were removed; and the user's
/// tags that are new or changed).
pub fn update_tags(
    prior: &Attrs,
    attrs: &Attrs,
    owner: Owner<'_>,
) -> (Vec<String>, Vec<(String, String)>) {
    let old = desired_tags(prior);
    let new = desired_tags(attrs);
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let mut set: Vec<(String, String)> = owner
        .tags()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    set.extend(new.into_iter().filter(|(k, v)| old.get(k) != Some(v)));
    (removed, set)
}

/// The ownership tags a resource carries (each `None` when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    pub stack: Option<String>,
    pub name: Option<String>,
    pub lineage: Option<String>,
}

/// Splits a resource's tags into the user's tags (as a JSON object) and the ownership tags.
pub fn split<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> (Value, Ownership) {
    let mut user = serde_json::Map::new();
    let mut own = Ownership::default();
    for (k, v) in tags {
        match k {
            STACK_TAG => own.stack = Some(v.to_string()),
            NAME_TAG => own.name = Some(v.to_string()),
            LINEAGE_TAG => own.lineage = Some(v.to_string()),
            // The stack's expiry: neither the user's nor ownership (`strata sweep --expired`).
            EXPIRES_TAG => {}
            _ => {
                user.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
    }
    (Value::Object(user), own)
}

/// Where a kind without tags keeps its ownership marks: at the end of a text field of its own
/// (an origin access control's description), as `TEXT [strata stack=S name=N lineage=L]`.
const MARKS: &str = " [strata ";

/// `text` with the ownership marks of `owner` after it.
pub fn marked(text: &str, owner: Owner<'_>) -> String {
    format!(
        "{text}{MARKS}stack={} name={} lineage={}]",
        owner.stack, owner.name, owner.lineage
    )
}

/// A text field holding ownership marks split into the text before them and the marks (none
/// when it holds none: made outside strata).
pub fn unmarked(text: &str) -> (&str, Ownership) {
    let Some((before, marks)) = text.rsplit_once(MARKS) else {
        return (text, Ownership::default());
    };
    let Some(marks) = marks.strip_suffix(']') else {
        return (text, Ownership::default());
    };
    let mut own = Ownership::default();
    for part in marks.split(' ') {
        match part.split_once('=') {
            Some(("stack", v)) => own.stack = Some(v.to_string()),
            Some(("name", v)) => own.name = Some(v.to_string()),
            Some(("lineage", v)) => own.lineage = Some(v.to_string()),
            _ => return (text, Ownership::default()),
        }
    }
    (before, own)
}
