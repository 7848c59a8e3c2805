//! Building the SDK configuration: the standard credential chain for AWS, or the local
//! emulator with test credentials (`--local`).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use std::sync::Arc;

use aws_sdk_ec2::config::SharedHttpClient;
use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_ec2::config::{Credentials, Region};

use crate::budget::{Budget, Budgeted, Limits};
use crate::{AwsProvider, CallCounter, Ctx};

/// Where the local emulator listens unless `STRATA_LOCAL_ENDPOINT` says otherwise.
pub const LOCAL_ENDPOINT: &str = "http://127.0.0.1:5055";

/// Connection settings from the command line.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// The region to use (already decided by the caller, or `None` for the SDK's chain).
    pub region: Option<String>,
    pub profile: Option<String>,
    /// An endpoint override (`--endpoint-url`; `AWS_ENDPOINT_URL` is read by the SDK itself).
    pub endpoint_url: Option<String>,
    /// The local emulator on 127.0.0.1 with test credentials.
    pub local: bool,
}

impl AwsSettings {
    /// The endpoint `--local` uses: `STRATA_LOCAL_ENDPOINT`, else [`LOCAL_ENDPOINT`].
    pub fn local_endpoint() -> String {
        std::env::var("STRATA_LOCAL_ENDPOINT").unwrap_or_else(|_| LOCAL_ENDPOINT.to_string())
    }
}

/// Attempts per call: the first and up to nine retries, with the SDK's exponential backoff with
/// jitter (1 s doubling, at most 20 s). AWS throttles in bursts, and a reconciler that gives up
/// half-way leaves more to clean up than one that waits (Terraform's AWS provider retries up to
/// 25 times). `STRATA_AWS_MAX_ATTEMPTS` overrides it. Creates without an idempotency token are
/// not retried by the SDK: see `kinds::create_once`.
pub const MAX_ATTEMPTS: u32 = 10;

/// The retry quota shared by every client of one run: each retry spends tokens (5, 10 after a
/// timeout), each success returns one; when it is empty the SDK stops retrying, so a service in
/// trouble is not hammered. The SDK's default (500) runs dry on a large apply at a 20 % fault
/// rate; this allows about 1,000 retries before the refunds.
const RETRY_QUOTA: usize = 5_000;

fn env_secs(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Loads the SDK configuration and returns the region it settled on, if any.
pub async fn sdk_config(s: &AwsSettings) -> aws_config::SdkConfig {
    let attempt_timeout = env_secs("STRATA_AWS_ATTEMPT_TIMEOUT_SECS").unwrap_or(60);
    let attempts = std::env::var("STRATA_AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_ATTEMPTS)
        .max(1);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(attempt_timeout))
                .operation_timeout(Duration::from_secs(300))
                .build(),
        );
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if s.local {
        let endpoint = s
            .endpoint_url
            .clone()
            .unwrap_or_else(|| LOCAL_ENDPOINT.to_string());
        loader = loader
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "strata-local"));
        if s.region.is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
    } else if let Some(e) = &s.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

/// An EC2 client configuration for a region, with an HTTP client if given.
pub fn client_builder(
    sdk: &aws_config::SdkConfig,
    region: &str,
    http: Option<SharedHttpClient>,
) -> aws_sdk_ec2::config::Builder {
    let mut b = aws_sdk_ec2::config::Builder::from(sdk).region(Region::new(region.to_string()));
    if let Some(h) = http {
        b = b.http_client(h);
    }
    b
}

/// The HTTP client the SDK would pick (hyper with rustls on aws-lc, proxies from the
/// environment), made here so that it can be wrapped.
fn default_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            conn.set_sleep_impl(c.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The SDK's HTTP client behind a request budget, if one is set.
pub fn budgeted_client(
    sdk: &aws_config::SdkConfig,
    limits: Option<Limits>,
) -> (Option<SharedHttpClient>, Option<Arc<Budget>>) {
    let Some(l) = limits else {
        return (None, None);
    };
    let inner = sdk.http_client().unwrap_or_else(default_http_client);
    let budget = Arc::new(Budget::new(l));
    (
        Some(SharedHttpClient::new(Budgeted::new(inner, budget.clone()))),
        Some(budget),
    )
}

/// Creates the provider for a region, with the call counter and the request budget installed.
pub fn connect(sdk: &aws_config::SdkConfig, region: &str, limits: Option<Limits>) -> AwsProvider {
    let counter = CallCounter::new();
    let (http, budget) = budgeted_client(sdk, limits);
    let partition = RetryPartition::custom("strata-ec2")
        .token_bucket(TokenBucket::new(RETRY_QUOTA))
        .build();
    let ec2 = aws_sdk_ec2::Client::from_conf(
        client_builder(sdk, region, http.clone())
            .retry_partition(partition.clone())
            .interceptor(counter.clone())
            .build(),
    );
    // The same client without automatic retries, for create calls that take no idempotency
    // token: a retried call whose first answer was lost would make a second copy.
    let ec2_once = aws_sdk_ec2::Client::from_conf(
        client_builder(sdk, region, http)
            .retry_config(RetryConfig::disabled())
            .interceptor(counter.clone())
            .build(),
    );
    let page_size = std::env::var("STRATA_AWS_PAGE_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .clamp(5, 1000);
    let max_wait =
        env_secs("STRATA_MAX_WAIT_SECS").map_or(Duration::from_secs(3600), Duration::from_secs);
    AwsProvider {
        cx: Ctx {
            ec2,
            ec2_once,
            sdk: sdk.clone(),
            counter: counter.clone(),
            region: region.to_string(),
            page_size,
            max_wait,
            limits,
            budget,
        },
        counter,
    }
}

/// Checks an endpoint URL before the SDK sees it (it panics on some malformed ones): `http://`
/// or `https://`, a host, no spaces. Returns what is wrong.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if name.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(format!("`{url}` contains a space"));
    }
    Ok(())
}
