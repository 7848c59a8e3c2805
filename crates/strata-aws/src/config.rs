//! Building the SDK configuration: the standard credential chain for AWS, or the local
//! emulator with test credentials (`--local`).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use std::sync::Arc;

use aws_config::Region;
use aws_sdk_ec2::config::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::budget::{Budget, Budgeted, RequestRate};
use crate::clients::{ClientSettings, Clients};
use crate::reach::Reach;
use crate::{AwsProvider, CallCounter, Ctx};

/// Where the local emulator listens unless `STRATA_LOCAL_ENDPOINT` says otherwise.
pub const LOCAL_ENDPOINT: &str = "http://127.0.0.1:5055";

/// Connection settings, decided once from the command line and the `STRATA_*` environment
/// (strata-cli's `settings.rs`); nothing in strata-aws reads the environment itself.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    /// The region to use (already decided by the caller, or `None` for the SDK's chain).
    pub region: Option<String>,
    pub profile: Option<String>,
    /// An endpoint override (`--endpoint-url`; `AWS_ENDPOINT_URL` is read by the SDK itself).
    pub endpoint_url: Option<String>,
    /// The local emulator on 127.0.0.1 with test credentials.
    pub local: bool,
    /// The request budget (`STRATA_AWS_REQUEST_RATE`).
    pub request_rate: RequestRate,
    /// Attempts per call (`STRATA_AWS_MAX_ATTEMPTS`, default [`MAX_ATTEMPTS`]).
    pub max_attempts: u32,
    /// One attempt's timeout for every service (`STRATA_AWS_ATTEMPT_TIMEOUT_SECS`; `None`: each
    /// service's row in `budget::TABLE`).
    pub attempt_timeout: Option<Duration>,
    /// Page size for list and describe calls (`STRATA_AWS_PAGE_SIZE`, 5 to 1000).
    pub page_size: i32,
    /// Upper bound on any single wait (`STRATA_MAX_WAIT_SECS`).
    pub max_wait: Duration,
    /// How long a create whose answer was lost looks for its resource before sending again
    /// (`STRATA_CREATE_LOOKUP_SECS`, see `kind::create_once`).
    pub create_lookup: Duration,
    /// Test only: SIGKILL after the Nth successful mutating call (`STRATA_FAULT_KILL_AFTER_CALL`,
    /// see `calls`).
    pub kill_after_call: Option<usize>,
}

impl Default for AwsSettings {
    fn default() -> AwsSettings {
        AwsSettings {
            region: None,
            profile: None,
            endpoint_url: None,
            local: false,
            request_rate: RequestRate::Table,
            max_attempts: MAX_ATTEMPTS,
            attempt_timeout: None,
            page_size: 1000,
            max_wait: Duration::from_secs(3600),
            create_lookup: Duration::from_secs(5),
            kill_after_call: None,
        }
    }
}

/// Attempts per call: the first and up to nine retries, with the SDK's exponential backoff with
/// jitter (1 s doubling, at most 20 s). AWS throttles in bursts, and a reconciler that gives up
/// half-way leaves more to clean up than one that waits (Terraform's AWS provider retries up to
/// 25 times). `STRATA_AWS_MAX_ATTEMPTS` overrides it. Creates without an idempotency token are
/// not retried by the SDK: see `kind::create_once`.
pub const MAX_ATTEMPTS: u32 = 10;

/// Loads the SDK configuration and returns the region it settled on, if any.
pub async fn sdk_config(s: &AwsSettings) -> aws_config::SdkConfig {
    let attempt_timeout = s.attempt_timeout.unwrap_or(Duration::from_secs(60));
    let attempts = s.max_attempts.max(1);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(attempt_timeout)
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

/// The SDK's HTTP client naming the endpoints it cannot reach (`reach::Reach`), behind a
/// request budget unless the budget is off.
pub fn budgeted_client(
    sdk: &aws_config::SdkConfig,
    rate: RequestRate,
) -> (Option<SharedHttpClient>, Option<Arc<Budget>>) {
    let inner = sdk.http_client().unwrap_or_else(default_http_client);
    let inner = SharedHttpClient::new(Reach::new(inner));
    if rate == RequestRate::Off {
        return (Some(inner), None);
    }
    let budget = Arc::new(Budget::new(rate));
    (
        Some(SharedHttpClient::new(Budgeted::new(inner, budget.clone()))),
        Some(budget),
    )
}

/// Creates the provider for a region: the client registry (with the call counter and the
/// request budget installed) and the region's EC2 clients.
pub fn connect(sdk: &aws_config::SdkConfig, region: &str, s: &AwsSettings) -> AwsProvider {
    let counter = CallCounter::new(s.kill_after_call);
    let clients = Arc::new(Clients::new(
        sdk,
        ClientSettings {
            rate: s.request_rate,
            attempt_timeout: s.attempt_timeout,
        },
        counter.clone(),
    ));
    let ec2 = clients.get::<aws_sdk_ec2::Client>(region);
    AwsProvider {
        cx: Ctx {
            ec2: ec2.retrying,
            ec2_once: ec2.once,
            clients,
            counter: counter.clone(),
            region: region.to_string(),
            page_size: s.page_size.clamp(5, 1000),
            max_wait: s.max_wait,
            create_lookup: s.create_lookup,
            listings: Some(Arc::default()),
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
