//! EC2: one module per kind, all with the same shape (copy `subnet.rs`), and the helpers only
//! EC2 kinds use (describe filters, EC2 tags, ARNs). The service-neutral helpers they use are
//! in `crate::kind` (imported here so that kind modules find them under `super`).

pub mod eip;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod prefix_list;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod tags;
pub mod transit_gateway;
pub mod transit_gateway_route_table;
pub mod transit_gateway_vpc_attachment;
pub mod vpc;
pub mod vpc_endpoint;
pub mod vpc_peering_connection;

use std::future::Future;

use strata_engine::provider::{LiveResource, ProviderError};

pub(crate) use crate::kind::*;

use crate::Ctx;

/// What an EC2 read covers: every resource of `kind` with one of `ids` or carrying `stack`'s
/// tag; `id_filter` is the describe filter naming the kind's id (`subnet-id`).
pub struct Scope<'a> {
    pub kind: &'a dyn AwsKind,
    pub id_filter: &'a str,
    pub ids: &'a [String],
    pub stack: &'a str,
}

/// What a read covers, keyed by id. A kind the tagging API's listing covers (its
/// `discovery`) describes its ids and the listing's in one filter on the id (one call per
/// `id_chunk` ids, the kind's policy); any other kind adds one describe filtered on the tag.
pub async fn describe_ids_and_stack<T, F, Fut>(
    cx: &Ctx,
    scope: Scope<'_>,
    describe: F,
    id_of: impl Fn(&T) -> Option<&str>,
) -> Result<std::collections::BTreeMap<String, T>, ProviderError>
where
    F: Fn(aws_sdk_ec2::types::Filter) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let tagged = crate::discovery::tagged_ids(cx, scope.kind.discovery(), scope.stack).await?;
    let by_tag = tagged.is_none();
    let mut all: Vec<String> = scope
        .ids
        .iter()
        .cloned()
        .chain(tagged.into_iter().flatten())
        .collect();
    all.sort();
    all.dedup();
    let mut found = std::collections::BTreeMap::new();
    let filters = all
        .chunks(scope.kind.id_chunk())
        .map(|chunk| id_filter(scope.id_filter, chunk))
        .chain(by_tag.then(|| tags::stack_filter(scope.stack)));
    for filter in filters {
        for t in describe(filter).await? {
            found.insert(id_of(&t).unwrap_or_default().to_string(), t);
        }
    }
    Ok(found)
}

/// Whether a described resource is one a read asked for: one of `ids`, or carrying the stack's
/// tag. Reads check this before any per-resource call, because some implementations ignore
/// describe filters and answer every resource of the account.
pub fn asked_for(id: &str, tags: &[aws_sdk_ec2::types::Tag], ids: &[String], stack: &str) -> bool {
    ids.iter().any(|i| i == id)
        || tags
            .iter()
            .any(|t| t.key() == Some(crate::tags::STACK_TAG) && t.value() == Some(stack))
}

/// A filter on ids (at most the kind's `id_chunk` of them).
pub fn id_filter(name: &str, ids: &[String]) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(name)
        .set_values(Some(ids.to_vec()))
        .build()
}

/// Builds a live resource from its id, AWS tags and attributes (a JSON object).
pub fn live(
    kind: &str,
    id: &str,
    tags: &[aws_sdk_ec2::types::Tag],
    attrs: serde_json::Value,
) -> LiveResource {
    crate::kind::live_with_tags(kind, id, tags::split(tags), attrs)
}

/// `arn:PARTITION:ec2:REGION:OWNER:TYPE/ID`.
pub fn ec2_arn(cx: &Ctx, owner: &str, resource: &str, id: &str) -> String {
    format!(
        "arn:{}:ec2:{}:{owner}:{resource}/{id}",
        cx.partition(),
        cx.region
    )
}

/// Lists the network interfaces matching a filter, for "what blocks this delete" messages.
pub async fn describe_blocking_interfaces(cx: &Ctx, filter: &str, value: &str) -> Option<String> {
    let out = cx
        .ec2
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name(filter)
                .values(value)
                .build(),
        )
        .send()
        .await
        .ok()?;
    let list: Vec<String> = out
        .network_interfaces()
        .iter()
        .map(|n| {
            format!(
                "{} ({}{})",
                n.network_interface_id().unwrap_or("?"),
                n.description()
                    .filter(|d| !d.is_empty())
                    .unwrap_or("no description"),
                n.requester_id()
                    .map(|r| format!(", requested by {r}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    (!list.is_empty()).then(|| format!("network interfaces {}", list.join(", ")))
}
