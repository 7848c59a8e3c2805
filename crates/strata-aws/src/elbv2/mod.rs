//! Elastic Load Balancing v2: one module per kind, of the same shape as EC2's, and what only
//! they use: ids are ARNs, describes take at most 20 ARNs and fail whole when one is gone
//! (`kind::describe_ids_tolerant` splits the batch), nothing is filtered by tag (tags come from
//! `DescribeTags`, 20 ARNs a call), and a resource's attributes are a list of key/value pairs.

pub mod actions;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod tags;
pub mod target_group;

use std::collections::BTreeMap;
use std::future::Future;

use strata_engine::provider::ProviderError;

pub(crate) use crate::kind::*;

use crate::Ctx;
use crate::error::aws;

/// The service's clients in this context's region.
pub fn client(cx: &Ctx) -> aws_sdk_elasticloadbalancingv2::Client {
    cx.client::<aws_sdk_elasticloadbalancingv2::Client>()
        .retrying
}

/// The same, without the SDK's automatic retries (`kind::create_once`).
pub fn client_once(cx: &Ctx) -> aws_sdk_elasticloadbalancingv2::Client {
    cx.client::<aws_sdk_elasticloadbalancingv2::Client>().once
}

/// What a read of an ELBv2 kind covers, keyed by ARN: the resources with one of `ids` and, for
/// the stack's tag, those the tagging API's listing found; without a listing (a create looking
/// for a copy whose answer was lost), every resource of the kind, which `owned` then filters
/// by tag. `by_arns` describes up to `kind.id_chunk()` ARNs (failing whole when one is gone),
/// `all` every resource of the kind, paginated.
pub async fn describe_ids_and_stack<T, F, Fut, A, AFut>(
    cx: &Ctx,
    kind: &dyn AwsKind,
    scope: (&[String], &str),
    by_arns: F,
    all: A,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
    A: FnOnce() -> AFut,
    AFut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let (ids, stack) = scope;
    match crate::discovery::tagged_ids(cx, kind.discovery(), stack).await? {
        Some(tagged) => {
            let mut arns: Vec<String> = ids.iter().cloned().chain(tagged).collect();
            arns.sort();
            arns.dedup();
            describe_ids_tolerant(&arns, kind.id_chunk(), by_arns).await
        }
        None => all().await,
    }
}

/// Every tag of these resources, by ARN: `DescribeTags`, 20 ARNs a call, concurrently.
pub async fn tags_of(
    cx: &Ctx,
    arns: &[String],
) -> Result<BTreeMap<String, Vec<(String, String)>>, ProviderError> {
    let c = client(cx);
    // A resource deleted since it was described fails its whole batch with `…NotFound`: the
    // batch is split until the gone one is left out (`describe_ids_tolerant`).
    let descriptions = crate::kind::describe_ids_tolerant(arns, 20, |chunk| {
        let c = c.clone();
        async move {
            c.describe_tags()
                .set_resource_arns(Some(chunk))
                .send()
                .await
                .map(|o| o.tag_descriptions().to_vec())
                .map_err(aws("elbv2:DescribeTags"))
        }
    })
    .await?;
    let mut out = BTreeMap::new();
    for d in &descriptions {
        let pairs = d
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        out.insert(d.resource_arn().unwrap_or_default().to_string(), pairs);
    }
    Ok(out)
}

/// The described resources a read asked for (one of its ids, or carrying its stack's tag), each
/// with its tags: `DescribeTags` for all of them, 20 ARNs a call.
pub async fn with_tags<'a, T>(
    cx: &Ctx,
    req: &strata_engine::provider::ReadRequest<'_>,
    found: &'a [T],
    arn_of: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<(&'a T, String, Vec<(String, String)>)>, ProviderError> {
    let arns: Vec<String> = found
        .iter()
        .filter_map(|t| arn_of(t).map(str::to_string))
        .collect();
    let mut tags = tags_of(cx, &arns).await?;
    Ok(found
        .iter()
        .filter_map(|t| {
            let arn = arn_of(t)?.to_string();
            let pairs = tags.remove(&arn).unwrap_or_default();
            asked_for(&arn, &pairs, req.ids, req.stack).then_some((t, arn, pairs))
        })
        .collect())
}

/// Whether a described resource is one a read asked for: one of `ids`, or carrying the stack's
/// tag.
pub fn asked_for(arn: &str, tags: &[(String, String)], ids: &[String], stack: &str) -> bool {
    ids.iter().any(|i| i == arn)
        || tags
            .iter()
            .any(|(k, v)| k == crate::tags::STACK_TAG && v == stack)
}

/// The ARN of a resource's parent, whose resource part is the child's (of `segments` parts)
/// without its last part: `arn:…:listener/app/NAME/LB/ID` (a `listener` of 4 parts in a
/// `loadbalancer`) → `arn:…:loadbalancer/app/NAME/LB`.
pub fn parent_arn(arn: &str, child: &str, segments: usize, parent: &str) -> Option<String> {
    let (head, rest) = arn.split_once(&format!(":{child}/"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    (parts.len() == segments)
        .then(|| format!("{head}:{parent}/{}", parts[..segments - 1].join("/")))
}

/// Attributes (`Key`/`Value` pairs) as a map.
pub fn attribute_map<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// Builds a live resource from its ARN, tag pairs and attributes (a JSON object).
pub fn live(
    kind: &str,
    arn: &str,
    tags: &[(String, String)],
    attrs: serde_json::Value,
) -> strata_engine::provider::LiveResource {
    crate::kind::live_with_tags(kind, arn, tags::split(tags), attrs)
}
