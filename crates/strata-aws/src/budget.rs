//! The request budget: token buckets in front of the SDK's HTTP client, one per (service, API
//! action), so that a large stack's reads and writes stay within what AWS allows instead of
//! being throttled.
//!
//! AWS throttles each service's API per account and region, most with token buckets per action
//! or per group of actions. strata spends from buckets of the same shape before each HTTP
//! attempt, so it waits where AWS would refuse. Each service's rates are one row of [`TABLE`],
//! naming where they come from. `STRATA_AWS_REQUEST_RATE` (read once, into the settings) changes
//! them for every service (`read=20/100,write=5/200`: per second / burst) or turns them off
//! (`off`); against the local emulator (`--local`) they are off unless set.
//!
//! **Which action a request is.** The budget sits below the SDK, where a request is only HTTP,
//! and the protocols name the action differently: the query protocol (EC2, ELBv2, RDS, IAM) in
//! the body (`Action=DescribeVpcs`), the JSON protocol (ECS, CloudWatch Logs, Resource Groups
//! Tagging) in the `X-Amz-Target: Service.Action` header, and the REST protocols (S3,
//! CloudFront) not at all: the method and the path say it, and the path carries ids. So every
//! client the registry builds carries [`OperationTag`], an interceptor that copies the
//! operation's name from the SDK's own operation metadata (`Metadata`, which every generated
//! operation stores in its config bag) into the request's extensions just before it is sent.
//! That name is exact for every protocol. A request without it (a client built elsewhere) falls
//! back to the header, then the body, then for REST to the method and the query's parameter
//! names (`PUT ?tagging`): coarser buckets, never one per id, and never one bucket named "".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Tokens per second and bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// The budget's shape: one rate for reads, one for writes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub read: Rate,
    pub write: Rate,
}

const fn limits(read: (f64, f64), write: (f64, f64)) -> Limits {
    Limits {
        read: Rate {
            per_second: read.0,
            burst: read.1,
        },
        write: Rate {
            per_second: write.0,
            burst: write.1,
        },
    }
}

/// One service's row of the limits table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceLimits {
    /// The service, as the client registry names it (`crate::clients::ServiceClient::SERVICE`).
    pub service: &'static str,
    /// Buckets per action, reads and writes at these rates.
    pub limits: Limits,
    /// How long one HTTP attempt may take before the SDK gives up on it and retries.
    pub attempt_timeout: Duration,
    /// Where the rates come from: the AWS page that documents them, or why they are chosen.
    pub source: &'static str,
}

/// Every service's rates (per second, burst), reads then writes. Where AWS documents only a
/// bucket size, the refill rate is chosen below anything AWS has published for a similar API.
pub const TABLE: &[ServiceLimits] = &[
    ServiceLimits {
        service: "ec2",
        limits: limits((20.0, 100.0), (5.0, 200.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html \
                 (non-mutating: 100 burst, 20/s; mutating: 200 burst, 5/s)",
    },
    ServiceLimits {
        service: "elbv2",
        limits: limits((10.0, 40.0), (2.0, 20.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html \
                 (Describe* bucket 40); refill and writes conservative",
    },
    ServiceLimits {
        service: "cloudfront",
        limits: limits((5.0, 10.0), (1.0, 5.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented",
    },
    ServiceLimits {
        service: "s3",
        limits: limits((50.0, 100.0), (10.0, 50.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented for bucket configuration calls (the data plane's \
                 3,500 writes and 5,500 reads per second per prefix, \
                 https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html, \
                 are far above)",
    },
    ServiceLimits {
        service: "rds",
        limits: limits((10.0, 40.0), (2.0, 20.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented per action",
    },
    ServiceLimits {
        service: "ecs",
        limits: limits((20.0, 50.0), (1.0, 10.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html \
                 (cluster reads: bucket 50); refill and writes conservative",
    },
    ServiceLimits {
        service: "logs",
        limits: limits((5.0, 10.0), (2.0, 5.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html \
                 (control-plane calls a few per second each); conservative within it",
    },
    ServiceLimits {
        service: "application_autoscaling",
        limits: limits((5.0, 20.0), (1.0, 10.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented per action",
    },
    ServiceLimits {
        service: "iam",
        limits: limits((5.0, 20.0), (2.0, 10.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented",
    },
    ServiceLimits {
        service: "tagging",
        limits: limits((5.0, 10.0), (2.0, 5.0)),
        attempt_timeout: Duration::from_secs(60),
        source: "conservative: not documented",
    },
];

/// The row of `service` in [`TABLE`].
pub fn service_limits(service: &str) -> Option<&'static ServiceLimits> {
    TABLE.iter().find(|r| r.service == service)
}

impl Limits {
    /// EC2's documented throttling rates.
    pub const EC2: Limits = TABLE[0].limits;
}

/// Which rates a run keeps to (`STRATA_AWS_REQUEST_RATE`, read once into the settings).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum RequestRate {
    /// No budget (the default against the local emulator).
    Off,
    /// Each service's row of [`TABLE`].
    #[default]
    Table,
    /// These rates for every service.
    Fixed(Limits),
}

impl RequestRate {
    /// What the setting says (`None`: not set), for an endpoint that is local or not.
    pub fn from_setting(text: Option<&str>, local: bool) -> Result<RequestRate, String> {
        match text {
            Some(t) => RequestRate::parse(t),
            None if local => Ok(RequestRate::Off),
            None => Ok(RequestRate::Table),
        }
    }

    /// `off`, or `read=RATE/BURST` and/or `write=RATE/BURST` (the part not given keeps EC2's).
    pub fn parse(text: &str) -> Result<RequestRate, String> {
        let text = text.trim();
        if text == "off" {
            return Ok(RequestRate::Off);
        }
        let mut limits = Limits::EC2;
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let bad = || {
                format!(
                    "STRATA_AWS_REQUEST_RATE: `{part}` is not `read=RATE/BURST` or `write=RATE/BURST`"
                )
            };
            let (which, value) = part.trim().split_once('=').ok_or_else(bad)?;
            let (rate, burst) = value.split_once('/').ok_or_else(bad)?;
            let rate = Rate {
                per_second: rate.trim().parse().map_err(|_| bad())?,
                burst: burst.trim().parse().map_err(|_| bad())?,
            };
            if rate.per_second <= 0.0 || rate.burst < 1.0 {
                return Err(bad());
            }
            match which.trim() {
                "read" => limits.read = rate,
                "write" => limits.write = rate,
                _ => return Err(bad()),
            }
        }
        Ok(RequestRate::Fixed(limits))
    }

    /// The limits for `service`, if it has a budget (a service missing from the table gets
    /// the most conservative row's).
    pub fn limits_for(self, service: &str) -> Option<Limits> {
        match self {
            RequestRate::Off => None,
            RequestRate::Fixed(l) => Some(l),
            RequestRate::Table => {
                Some(service_limits(service).map_or(limits((1.0, 5.0), (1.0, 5.0)), |r| r.limits))
            }
        }
    }
}

/// A token bucket.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token at `now`, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64(
                (1.0 - self.tokens) / rate.per_second,
            ))
        }
    }
}

/// The buckets of one region, by service and API action.
#[derive(Debug)]
pub struct Budget {
    rate: RequestRate,
    buckets: Mutex<HashMap<Operation, Bucket>>,
    /// Time spent waiting for tokens, in milliseconds (reported with `-v`).
    waited_ms: std::sync::atomic::AtomicU64,
}

/// What a request's bucket is: its service (as the registry names it) and API action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Operation {
    pub service: String,
    pub action: String,
}

impl Operation {
    pub fn new(service: &str, action: &str) -> Operation {
        Operation {
            service: service.to_string(),
            action: action.to_string(),
        }
    }

    /// Whether the action only reads (its bucket refills at the read rate).
    pub fn is_read(&self) -> bool {
        crate::calls::is_read_only(&self.action)
            || self.action.starts_with("GET ")
            || self.action.starts_with("HEAD ")
    }
}

/// The operation of a request: the name [`OperationTag`] put there, else what the protocol
/// shows (see the module's documentation).
pub fn operation_of(request: &HttpRequest) -> Operation {
    if let Some(op) = request.extension::<Operation>() {
        return op.clone();
    }
    let service = service_from_host(request.uri());
    let action = json_target(request)
        .or_else(|| query_action(request))
        .unwrap_or_else(|| rest_action(request));
    Operation { service, action }
}

/// JSON protocol: `X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster`.
fn json_target(request: &HttpRequest) -> Option<String> {
    let target = request.headers().get("x-amz-target")?;
    let action = target.rsplit('.').next().unwrap_or(target);
    (!action.is_empty()).then(|| action.to_string())
}

/// Query protocol: `Action=DescribeVpcs&...` in a form-encoded body.
fn query_action(request: &HttpRequest) -> Option<String> {
    let text = std::str::from_utf8(request.body().bytes()?).ok()?;
    text.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// REST protocols without the operation's name: the method and the query's parameter names
/// (S3's subresources: `PUT ?tagging`), never the path, which carries ids.
fn rest_action(request: &HttpRequest) -> String {
    let uri = request.uri();
    let mut names: Vec<&str> = uri
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .map(|kv| kv.split('=').next().unwrap_or_default())
                .filter(|k| !k.is_empty() && !k.starts_with("X-Amz-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        request.method().to_string()
    } else {
        format!("{} ?{}", request.method(), names.join("&"))
    }
}

/// The service from an AWS host name (`ec2.us-east-1.amazonaws.com`, `bucket.s3.amazonaws.com`),
/// else the host itself (a local endpoint).
fn service_from_host(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let host = rest.split(['/', '?', ':']).next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    match labels.iter().position(|l| *l == "amazonaws") {
        Some(i) if i >= 2 && labels[i - 1].contains('-') => labels[i - 2].to_string(),
        Some(i) if i >= 1 => labels[i - 1].to_string(),
        _ => host.to_string(),
    }
}

impl Budget {
    pub fn new(rate: RequestRate) -> Budget {
        Budget {
            rate,
            buckets: Mutex::new(HashMap::new()),
            waited_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Takes a token for `op` at `now`, or says how long until one is there.
    pub fn take_at(&self, op: &Operation, now: Instant) -> Option<Duration> {
        let limits = self.rate.limits_for(&op.service)?;
        let rate = if op.is_read() {
            limits.read
        } else {
            limits.write
        };
        let Ok(mut buckets) = self.buckets.lock() else {
            return None;
        };
        buckets
            .entry(op.clone())
            .or_insert_with(|| Bucket {
                tokens: rate.burst,
                at: now,
            })
            .take(rate, now)
    }

    /// Waits until `op` may be sent.
    pub async fn acquire(&self, op: &Operation) {
        loop {
            match self.take_at(op, Instant::now()) {
                None => return,
                Some(d) => {
                    self.waited_ms.fetch_add(
                        u64::try_from(d.as_millis()).unwrap_or(0),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    /// The operations that have a bucket so far.
    pub fn operations(&self) -> Vec<Operation> {
        self.buckets
            .lock()
            .map(|b| b.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Milliseconds spent waiting for tokens so far.
    pub fn waited_ms(&self) -> u64 {
        self.waited_ms.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The interceptor every registry client carries: names the request's [`Operation`] from the
/// SDK's operation metadata, for the budget below the SDK.
#[derive(Debug, Clone, Copy)]
pub struct OperationTag {
    pub service: &'static str,
}

impl Intercept for OperationTag {
    fn name(&self) -> &'static str {
        "strata::OperationTag"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let op = Operation::new(self.service, m.name());
            ctx.request_mut().add_extension(op);
        }
        Ok(())
    }
}

/// The SDK's HTTP client with the budget in front.
#[derive(Debug, Clone)]
pub struct Budgeted {
    inner: SharedHttpClient,
    budget: Arc<Budget>,
}

impl Budgeted {
    pub fn new(inner: SharedHttpClient, budget: Arc<Budget>) -> Budgeted {
        Budgeted { inner, budget }
    }
}

impl HttpClient for Budgeted {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BudgetedConnector {
            inner: self.inner.http_connector(settings, components),
            budget: self.budget.clone(),
        })
    }
}

#[derive(Debug)]
struct BudgetedConnector {
    inner: SharedHttpConnector,
    budget: Arc<Budget>,
}

impl HttpConnector for BudgetedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let budget = self.budget.clone();
        HttpConnectorFuture::new(async move {
            budget.acquire(&operation_of(&request)).await;
            inner.call(request).await
        })
    }
}
