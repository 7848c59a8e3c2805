//! Finding a stack's resources by its ownership tag: one Resource Groups Tagging API listing
//! (`GetResources` filtered on `strata:stack`, paginated) per region and read, shared by every
//! kind it covers. A kind it covers then describes its recorded ids and the ids of the listing
//! in one batched describe by id; a kind it does not cover describes by tag itself.
//!
//! The listing is made once per read of the live state: `Provider::start_read` forgets the
//! last one, and the first covered kind to ask makes it while the others wait for it.
//!
//! AWS's tagging API can lag behind a create. That only matters for a resource no lockfile
//! records: a create whose answer was lost looks for its copy with the kind's own
//! describe-by-tag (`kind::create_once`), never here.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use strata_engine::provider::ProviderError;
use tokio::sync::OnceCell;

use crate::Ctx;
use crate::error::aws;
use crate::tags::STACK_TAG;

/// How a kind's resources are found by the stack's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// The kind's own describe, filtered on the tag.
    OwnDescribe,
    /// The tagging API's listing: the ARN resource types, each with its service (`ec2:vpc` for
    /// `arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-123`; RDS's and ECS's clusters share the type), whose
    /// id (after the `/`) is this kind's.
    Tagging(&'static [&'static str]),
    /// The tagging API's listing, for a kind whose id is the whole ARN (Elastic Load
    /// Balancing): the ARN resource types with their service (`elasticloadbalancing:loadbalancer`
    /// for `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/web/50dc6c495c0c9188`).
    TaggingArn(&'static [&'static str]),
    /// The tagging API's listing, for a kind whose ARN names it without a type
    /// (`arn:aws:s3:::NAME`): the ARNs of this service, whose resource part is the id.
    TaggingService(&'static str),
}

/// What one listing found: ARNs by resource type.
#[derive(Debug, Default)]
pub struct Listing {
    /// Whole ARNs, by service and ARN resource type (`ec2:vpc`).
    arns: BTreeMap<String, Vec<String>>,
    /// Ids of ARNs without a resource type (`arn:aws:s3:::NAME`), by service.
    plain: BTreeMap<String, Vec<String>>,
}

impl Listing {
    /// The ids of the listing with one of these service-qualified ARN resource types.
    pub fn ids(&self, types: &[&str]) -> Vec<String> {
        self.arns(types)
            .iter()
            .filter_map(|arn| arn_resource(arn).map(|(_, id)| id.to_string()))
            .collect()
    }

    /// The whole ARNs of the listing with one of these service-qualified ARN resource types.
    pub fn arns(&self, types: &[&str]) -> Vec<String> {
        types
            .iter()
            .filter_map(|t| self.arns.get(*t))
            .flatten()
            .cloned()
            .collect()
    }

    /// The ids of the listing's ARNs of `service` that name no resource type.
    pub fn plain_ids(&self, service: &str) -> Vec<String> {
        self.plain.get(service).cloned().unwrap_or_default()
    }

    /// Files one ARN of the tagging API's answer under its service and type.
    pub fn add(&mut self, arn: &str) {
        if let (Some(service), Some((ty, _))) = (arn.split(':').nth(2), arn_resource(arn)) {
            self.arns
                .entry(format!("{service}:{ty}"))
                .or_default()
                .push(arn.to_string());
        } else if let Some((service, id)) = plain_resource(arn) {
            self.plain
                .entry(service.to_string())
                .or_default()
                .push(id.to_string());
        }
    }
}

/// `arn:PARTITION:SERVICE:::ID` with no `/` in `ID` → `(SERVICE, ID)`.
pub fn plain_resource(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, service, _, _, id] if !id.is_empty() && !id.contains('/') => Some((service, id)),
        _ => None,
    }
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/ID` → `(TYPE, ID)`.
pub fn arn_resource(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    // The type ends at the first `/` (`vpc/vpc-1`) or `:` (RDS: `cluster:db1`), whichever
    // comes first.
    let at = resource.find(['/', ':'])?;
    Some((&resource[..at], &resource[at + 1..])).filter(|(t, id)| !t.is_empty() && !id.is_empty())
}

type Cell = Arc<OnceCell<Arc<Listing>>>;

/// The listings of the current read, by stack (the region is the context's).
#[derive(Debug, Default)]
pub struct Listings {
    by_stack: Mutex<HashMap<String, Cell>>,
}

impl Listings {
    /// A new read begins: the next listing is made afresh.
    pub fn reset(&self) {
        self.by_stack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The stack's listing for the current read: made by the first caller, shared by the others
    /// (a failed listing is not kept: the next caller tries again).
    pub async fn get(&self, cx: &Ctx, stack: &str) -> Result<Arc<Listing>, ProviderError> {
        let cell = self
            .by_stack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(stack.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async { list(cx, stack).await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// Every resource of the region carrying the stack's tag: `GetResources`, all pages.
async fn list(cx: &Ctx, stack: &str) -> Result<Listing, ProviderError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let filter = TagFilter::builder().key(STACK_TAG).values(stack).build();
    let mut listing = Listing::default();
    for m in get_resources(cx, vec![filter]).await? {
        listing.add(m.resource_arn().unwrap_or_default());
    }
    Ok(listing)
}

/// The tagging API's `GetResources` under these tag filters (all must match), all pages.
async fn get_resources(
    cx: &Ctx,
    filters: Vec<aws_sdk_resourcegroupstagging::types::TagFilter>,
) -> Result<Vec<aws_sdk_resourcegroupstagging::types::ResourceTagMapping>, ProviderError> {
    let client = cx
        .client::<aws_sdk_resourcegroupstagging::Client>()
        .retrying;
    let mut out = Vec::new();
    let mut pages = client
        .get_resources()
        .set_tag_filters(Some(filters))
        .resources_per_page(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("tagging:GetResources"))?;
        out.extend(page.resource_tag_mapping_list().iter().cloned());
    }
    Ok(out)
}

/// The ids a read of a kind describes: the ones asked for and, for a kind the listing covers,
/// the ones the listing found (`None` for a kind that describes by tag itself, and for every
/// kind in a context without listings: `Ctx::without_listing`).
pub async fn tagged_ids(
    cx: &Ctx,
    discovery: Discovery,
    stack: &str,
) -> Result<Option<Vec<String>>, ProviderError> {
    match (discovery, &cx.listings) {
        (Discovery::Tagging(types), Some(listings)) => {
            Ok(Some(listings.get(cx, stack).await?.ids(types)))
        }
        (Discovery::TaggingArn(types), Some(listings)) => {
            Ok(Some(listings.get(cx, stack).await?.arns(types)))
        }
        (Discovery::TaggingService(service), Some(listings)) => {
            Ok(Some(listings.get(cx, stack).await?.plain_ids(service)))
        }
        _ => Ok(None),
    }
}

/// The ARNs of every resource of the region carrying all these tags (`KEY` with the value,
/// or any value): one `GetResources` with a filter per tag (AWS keeps what matches them all),
/// all pages (`strata generate --tag`).
pub async fn tagged_all(
    cx: &Ctx,
    tags: &[(String, Option<String>)],
) -> Result<Vec<String>, ProviderError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let filters = tags
        .iter()
        .map(|(key, value)| {
            TagFilter::builder()
                .key(key)
                .set_values(value.clone().map(|v| vec![v]))
                .build()
        })
        .collect();
    let found = get_resources(cx, filters).await?;
    Ok(found
        .iter()
        .filter_map(|m| m.resource_arn().map(str::to_string))
        .collect())
}

/// Every resource of the region carrying the tag `key` (any value), with all its tags:
/// `GetResources`, all pages (`strata sweep --expired` looks for `strata:expires`).
pub async fn tagged_with(
    cx: &Ctx,
    key: &str,
) -> Result<Vec<(String, Vec<(String, String)>)>, ProviderError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let found = get_resources(cx, vec![TagFilter::builder().key(key).build()]).await?;
    Ok(found
        .iter()
        .map(|m| {
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            (m.resource_arn().unwrap_or_default().to_string(), tags)
        })
        .collect())
}
