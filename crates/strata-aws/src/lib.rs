//! strata's AWS provider, behind the engine's `Provider` trait: a folder per service (`ec2/`),
//! a module per resource kind in it, and what every service shares: the kind trait and its
//! helpers (`kind.rs`), the client registry (`clients.rs`), the request budget (`budget.rs`),
//! SDK settings (`config.rs`), error classes (`error.rs`), the call counter (`calls.rs`), the
//! stack listing by the tagging API (`discovery.rs`), service-neutral tags (`tags.rs`).
//!
//! Every kind module has the same shape (see `ec2/vpc.rs`): batched reads by id and by
//! ownership tag, a create that tags in the create call and waits until the resource is usable,
//! in-place updates field by field, and a delete that waits out `DependencyViolation`.

pub mod application_autoscaling;
pub mod budget;
pub mod calls;
pub mod clients;
pub mod cloudfront;
pub mod config;
pub mod credentials;
pub mod discovery;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod error;
pub mod iam;
pub mod inventory;
pub mod kind;
pub mod logs;
pub mod rds;
pub mod reach;
pub mod s3;
pub mod state;
pub mod tags;
pub mod wait;

use std::time::Duration;

use async_trait::async_trait;
use strata_engine::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Progress, Provider, ProviderError,
    ReadRequest, UpdateRequest,
};

pub use calls::CallCounter;
pub use config::{AwsSettings, connect};

/// What every kind module gets: clients and settings.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// This region's EC2 client (`clients`' own, kept at hand: every EC2 kind uses it).
    pub ec2: aws_sdk_ec2::Client,
    /// The same client without the SDK's automatic retries (see `kind::create_once`).
    pub ec2_once: aws_sdk_ec2::Client,
    /// Every service's clients, by region, built once per run.
    pub clients: std::sync::Arc<clients::Clients>,
    pub counter: CallCounter,
    pub region: String,
    /// Page size for describe calls (MaxResults).
    pub page_size: i32,
    /// Upper bound on any single wait.
    pub max_wait: Duration,
    /// How long `kind::create_once` looks for a resource whose create answer was lost.
    pub create_lookup: Duration,
    /// The stack listings of the current read (`discovery.rs`); `None`: every kind describes
    /// by tag itself.
    pub listings: Option<std::sync::Arc<discovery::Listings>>,
}

impl Ctx {
    /// The ARN partition of the region.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// This region's clients of service `C` (built on first use, then shared).
    pub fn client<C: clients::ServiceClient>(&self) -> clients::Pair<C> {
        self.clients.get::<C>(&self.region)
    }

    /// An EC2 client for another region (the accepter side of a cross-region peering), from the
    /// registry: built once, with that region's request budget.
    pub fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        if region == self.region {
            return self.ec2.clone();
        }
        self.clients.get::<aws_sdk_ec2::Client>(region).retrying
    }

    /// This context with every kind describing by tag itself (no tagging API listing).
    pub fn without_listing(&self) -> Ctx {
        Ctx {
            listings: None,
            ..self.clone()
        }
    }

    /// A wait limit: the kind's own, capped by `max_wait`.
    pub fn timeout(&self, kind_default: Duration) -> Duration {
        kind_default.min(self.max_wait)
    }
}

/// The AWS provider.
#[derive(Debug, Clone)]
pub struct AwsProvider {
    pub cx: Ctx,
    pub counter: CallCounter,
}

impl AwsProvider {
    /// Milliseconds the request budget made calls wait so far (reported with `-v`).
    pub fn budget_waited_ms(&self) -> u64 {
        self.cx.clients.waited_ms()
    }

    /// The resources a `strata generate` selection names, as (kind, id).
    pub async fn inventory(
        &self,
        sel: &inventory::Selection,
    ) -> Result<inventory::Found, ProviderError> {
        inventory::find(&self.cx, sel).await
    }

    /// What belongs to the resources found and is read through them (a load balancer's
    /// listeners and their rules).
    pub async fn inventory_children(
        &self,
        found: &inventory::Found,
    ) -> Result<inventory::Found, ProviderError> {
        inventory::children(&self.cx, found).await
    }

    /// Every resource of the region carrying the tag `key`, as (ARN, its tags).
    pub async fn tagged_with(
        &self,
        key: &str,
    ) -> Result<Vec<(String, Vec<(String, String)>)>, ProviderError> {
        discovery::tagged_with(&self.cx, key).await
    }
}

fn unknown_kind(kind: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::Invalid,
        format!("strata-aws has no implementation for kind `{kind}`"),
    )
}

#[async_trait]
impl Provider for AwsProvider {
    fn start_read(&self) {
        if let Some(l) = &self.cx.listings {
            l.reset();
        }
    }

    async fn read(&self, req: ReadRequest<'_>) -> Result<Vec<LiveResource>, ProviderError> {
        let k = kind::find(req.kind).ok_or_else(|| unknown_kind(req.kind))?;
        k.read(&self.cx, &req).await
    }

    async fn create(
        &self,
        req: CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let k = kind::find(req.kind).ok_or_else(|| unknown_kind(req.kind))?;
        k.create(&self.cx, &req, progress).await
    }

    async fn update(
        &self,
        req: UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError> {
        let k = kind::find(req.kind).ok_or_else(|| unknown_kind(req.kind))?;
        k.update(&self.cx, &req, progress).await
    }

    async fn delete(
        &self,
        req: DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let k = kind::find(req.kind).ok_or_else(|| unknown_kind(req.kind))?;
        k.delete(&self.cx, &req, progress).await
    }
}

/// The paths of before the per-service layout (`strata_aws::kinds::find`, …).
pub mod kinds {
    pub use crate::ec2::describe_blocking_interfaces;
    pub use crate::kind::*;
}
