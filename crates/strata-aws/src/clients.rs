//! The client registry: one SDK client per (service, region), built on first use and shared by
//! every kind for the rest of the run, each region with one request budget (`budget.rs`) in
//! front of one HTTP client, and each service with its own retry partition (a service in
//! trouble does not spend the retries of the others).
//!
//! Adding a service: add its SDK crate to Cargo.toml (minimal features), one
//! `service_client!(aws_sdk_x, "x")` line below, and its row in `budget::TABLE`; a kind then
//! asks `cx.client::<aws_sdk_x::Client>()` (or `cx.clients.get::<…>(region)`).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::CallCounter;
use crate::budget::{Budget, OperationTag, RequestRate};

/// The retry quota of each service for a run: each retry spends tokens (5, 10 after a timeout),
/// each success returns one; when it is empty the SDK stops retrying, so a service in trouble
/// is not hammered. The SDK's default (500) runs dry on a large apply at a 20 % fault rate; this
/// allows about 1,000 retries before the refunds.
const RETRY_QUOTA: usize = 5_000;

/// What a service's client is built from, besides the SDK configuration and the region.
#[derive(Debug, Clone)]
pub struct ClientParts {
    /// The region's budgeted HTTP client (none: the SDK's own, no budget).
    pub http: Option<SharedHttpClient>,
    /// The service's retry partition, or `None` for a client without automatic retries.
    pub retries: Option<RetryPartition>,
    pub counter: CallCounter,
    pub timeouts: TimeoutConfig,
}

/// A service's SDK client, as the registry builds it.
pub trait ServiceClient: Clone + Send + Sync + 'static {
    /// The service's name in the registry, the limits table and the retry partition (`ec2`).
    const SERVICE: &'static str;

    fn build(sdk: &aws_config::SdkConfig, region: &str, parts: &ClientParts) -> Self;
}

/// Implements [`ServiceClient`] for an SDK crate's client: every SDK's config builder has the
/// same methods, under its own types.
macro_rules! service_client {
    ($sdk:ident, $name:literal) => {
        service_client!($sdk, $name, |b, _sdk| b);
    };
    ($sdk:ident, $name:literal, $own:expr) => {
        impl ServiceClient for $sdk::Client {
            const SERVICE: &'static str = $name;

            fn build(sdk: &aws_config::SdkConfig, region: &str, p: &ClientParts) -> Self {
                let own: fn(
                    $sdk::config::Builder,
                    &aws_config::SdkConfig,
                ) -> $sdk::config::Builder = $own;
                let mut b = own($sdk::config::Builder::from(sdk), sdk)
                    .region($sdk::config::Region::new(region.to_string()))
                    .timeout_config(p.timeouts.clone())
                    .interceptor(p.counter.clone())
                    .interceptor(OperationTag { service: $name });
                if let Some(h) = &p.http {
                    b = b.http_client(h.clone());
                }
                b = match &p.retries {
                    Some(partition) => b.retry_partition(partition.clone()),
                    None => b.retry_config(RetryConfig::disabled()),
                };
                $sdk::Client::from_conf(b.build())
            }
        }
    };
}

service_client!(aws_sdk_ec2, "ec2");
service_client!(aws_sdk_elasticloadbalancingv2, "elbv2");
service_client!(aws_sdk_iam, "iam");
// S3 at an endpoint of its own (the emulator) is addressed by path: `localhost` has no
// subdomain per bucket.
service_client!(aws_sdk_s3, "s3", |b, sdk| b
    .force_path_style(sdk.endpoint_url().is_some()));
service_client!(aws_sdk_cloudfront, "cloudfront");
service_client!(aws_sdk_rds, "rds");
service_client!(aws_sdk_cloudwatchlogs, "logs");
service_client!(aws_sdk_applicationautoscaling, "application_autoscaling");
service_client!(aws_sdk_ecs, "ecs");
service_client!(aws_sdk_resourcegroupstagging, "tagging");

/// The services the registry can build clients for (each has a row in `budget::TABLE` and a
/// retry partition `strata-<service>`).
pub const SERVICES: &[&str] = &[
    <aws_sdk_ec2::Client as ServiceClient>::SERVICE,
    <aws_sdk_elasticloadbalancingv2::Client as ServiceClient>::SERVICE,
    <aws_sdk_iam::Client as ServiceClient>::SERVICE,
    <aws_sdk_s3::Client as ServiceClient>::SERVICE,
    <aws_sdk_cloudfront::Client as ServiceClient>::SERVICE,
    <aws_sdk_rds::Client as ServiceClient>::SERVICE,
    <aws_sdk_cloudwatchlogs::Client as ServiceClient>::SERVICE,
    <aws_sdk_applicationautoscaling::Client as ServiceClient>::SERVICE,
    <aws_sdk_ecs::Client as ServiceClient>::SERVICE,
    <aws_sdk_resourcegroupstagging::Client as ServiceClient>::SERVICE,
];

/// A service's two clients for one region: the one that retries, and the same without
/// automatic retries (for creates that take no idempotency token, `kind::create_once`).
#[derive(Debug, Clone)]
pub struct Pair<C> {
    pub retrying: C,
    pub once: C,
}

/// How the registry builds clients: the settings it needs, read once.
#[derive(Debug, Clone, Copy)]
pub struct ClientSettings {
    pub rate: RequestRate,
    /// Overrides every service's attempt timeout (`STRATA_AWS_ATTEMPT_TIMEOUT_SECS`).
    pub attempt_timeout: Option<Duration>,
}

#[derive(Default)]
struct Built {
    clients: HashMap<(&'static str, String), Box<dyn Any + Send + Sync>>,
    budgets: HashMap<String, (Option<SharedHttpClient>, Option<Arc<Budget>>)>,
    partitions: HashMap<&'static str, RetryPartition>,
}

/// Every client of a run, by (service, region).
pub struct Clients {
    sdk: aws_config::SdkConfig,
    settings: ClientSettings,
    counter: CallCounter,
    built: Mutex<Built>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Clients {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        settings: ClientSettings,
        counter: CallCounter,
    ) -> Clients {
        Clients {
            sdk: sdk.clone(),
            settings,
            counter,
            built: Mutex::new(Built::default()),
        }
    }

    /// The clients of service `C` in `region`, built on first use.
    pub fn get<C: ServiceClient>(&self, region: &str) -> Pair<C> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let key = (C::SERVICE, region.to_string());
        if let Some(p) = built
            .clients
            .get(&key)
            .and_then(|b| b.downcast_ref::<Pair<C>>())
        {
            return p.clone();
        }
        let http = self.http_for(&mut built, region);
        let partition = built
            .partitions
            .entry(C::SERVICE)
            .or_insert_with(|| {
                RetryPartition::custom(format!("strata-{}", C::SERVICE))
                    .token_bucket(TokenBucket::new(RETRY_QUOTA))
                    .build()
            })
            .clone();
        let timeouts = self.timeouts(C::SERVICE);
        let parts = |retries| ClientParts {
            http: http.clone(),
            retries,
            counter: self.counter.clone(),
            timeouts: timeouts.clone(),
        };
        let pair = Pair {
            retrying: C::build(&self.sdk, region, &parts(Some(partition))),
            once: C::build(&self.sdk, region, &parts(None)),
        };
        built.clients.insert(key, Box::new(pair.clone()));
        pair
    }

    /// The region's HTTP client behind its budget (one budget per region, its buckets by
    /// service and action).
    fn http_for(&self, built: &mut Built, region: &str) -> Option<SharedHttpClient> {
        let (http, _) = built
            .budgets
            .entry(region.to_string())
            .or_insert_with(|| crate::config::budgeted_client(&self.sdk, self.settings.rate));
        http.clone()
    }

    /// A service's timeouts: its row's attempt timeout unless the settings override it.
    fn timeouts(&self, service: &str) -> TimeoutConfig {
        let attempt = self.settings.attempt_timeout.unwrap_or_else(|| {
            crate::budget::service_limits(service)
                .map_or(Duration::from_secs(60), |r| r.attempt_timeout)
        });
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(attempt)
            .operation_timeout(Duration::from_secs(300))
            .build()
    }

    /// The operations every region's budget has a bucket for, so far.
    pub fn operations(&self) -> Vec<crate::budget::Operation> {
        let built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        built
            .budgets
            .values()
            .filter_map(|(_, b)| b.as_ref())
            .flat_map(|b| b.operations())
            .collect()
    }

    /// Milliseconds every region's budget made calls wait, so far.
    pub fn waited_ms(&self) -> u64 {
        let built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        built
            .budgets
            .values()
            .filter_map(|(_, b)| b.as_ref().map(|b| b.waited_ms()))
            .sum()
    }
}
