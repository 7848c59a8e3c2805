//! The request budget: a token bucket per API action in front of the SDK's HTTP client, so that
//! a large stack's reads and writes stay within what AWS allows instead of being throttled.
//!
//! EC2 throttles each API action with a token bucket per account and region: non-mutating
//! actions refill 20 tokens a second up to 100, mutating ones 5 a second up to 200 (the EC2 API
//! reference, "Request throttling"). strata spends from buckets of the same shape before each
//! HTTP attempt, so it waits where AWS would refuse. `STRATA_AWS_REQUEST_RATE` changes them
//! (`read=20/100,write=5/200`: per second / burst) or turns them off (`off`); against the local
//! emulator (`--local`) they are off unless set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

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

impl Limits {
    /// EC2's documented throttling rates.
    pub const EC2: Limits = Limits {
        read: Rate {
            per_second: 20.0,
            burst: 100.0,
        },
        write: Rate {
            per_second: 5.0,
            burst: 200.0,
        },
    };

    /// `read=20/100,write=5/200`, `off`, or nothing (the default for the endpoint).
    pub fn from_env(local: bool) -> Result<Option<Limits>, String> {
        match std::env::var("STRATA_AWS_REQUEST_RATE") {
            Ok(v) => Limits::parse(&v),
            Err(_) if local => Ok(None),
            Err(_) => Ok(Some(Limits::EC2)),
        }
    }

    pub fn parse(text: &str) -> Result<Option<Limits>, String> {
        let text = text.trim();
        if text == "off" {
            return Ok(None);
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
        Ok(Some(limits))
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

/// The buckets of one client (one region), by API action.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Time spent waiting for tokens, in milliseconds (reported with `-v`).
    waited_ms: std::sync::atomic::AtomicU64,
}

/// The API action of a query-protocol request (`Action=DescribeVpcs&...`).
fn action_of(request: &HttpRequest) -> String {
    request
        .body()
        .bytes()
        .and_then(|b| {
            let text = std::str::from_utf8(b).ok()?;
            text.split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            buckets: Mutex::new(HashMap::new()),
            waited_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn rate(&self, action: &str) -> Rate {
        if crate::calls::is_read_only(action) || action.starts_with("Search") {
            self.limits.read
        } else {
            self.limits.write
        }
    }

    /// Takes a token for `action` at `now`, or says how long until one is there.
    pub fn take_at(&self, action: &str, now: Instant) -> Option<Duration> {
        let rate = self.rate(action);
        let Ok(mut buckets) = self.buckets.lock() else {
            return None;
        };
        buckets
            .entry(action.to_string())
            .or_insert_with(|| Bucket {
                tokens: rate.burst,
                at: now,
            })
            .take(rate, now)
    }

    /// Waits until `action` may be sent.
    pub async fn acquire(&self, action: &str) {
        loop {
            match self.take_at(action, Instant::now()) {
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

    /// Milliseconds spent waiting for tokens so far.
    pub fn waited_ms(&self) -> u64 {
        self.waited_ms.load(std::sync::atomic::Ordering::Relaxed)
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
            budget.acquire(&action_of(&request)).await;
            inner.call(request).await
        })
    }
}
