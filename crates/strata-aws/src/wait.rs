//! Polling with backoff until a resource reaches a state, within a time limit. A state from
//! which the awaited one never comes (deleted, failed, rejected, expired, …) ends the wait at
//! once: each wait lists the states still on the way to its goal ([`Goal`]), and any other
//! state is [`Poll::Never`].

use std::future::Future;
use std::time::{Duration, Instant};

use strata_engine::provider::{ErrorClass, Progress, ProviderError};

/// Poll intervals: start short, double, cap.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    /// For what takes minutes (a database, a CloudFront deployment): a first look after 2 s,
    /// then at most every 30 s.
    pub fn minutes() -> Backoff {
        Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(30),
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

/// What one poll found.
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the text says what the resource is doing (shown as progress).
    NotYet(String),
    /// The resource is in a state from which the awaited one never comes; the text names the
    /// state (and AWS's reason when it gives one). The wait fails at once.
    Never(String),
    /// A describe did not find the resource. Right after a create that is "not yet" (a new
    /// resource can take a moment to show); once the wait has seen it, or after
    /// [`VISIBLE_WITHIN`], it is gone: someone deleted it (some implementations forget a
    /// deleted resource at once instead of showing it `deleted` for a while).
    Missing,
}

/// How long a resource may stay missing before a wait takes it for gone: never seen (eventual
/// consistency right after a create), or seen and then missing (a describe that still lags).
pub const VISIBLE_WITHIN: Duration = Duration::from_secs(120);
pub const GONE_AFTER: Duration = Duration::from_secs(10);

/// The states a wait accepts (`ready`) and those still on the way to them (`on_the_way`).
/// Any other state never leads to the goal: a resource deleted, rejected or failed while strata
/// waits stops the wait at once instead of running into its time limit, and so does a state
/// strata does not know.
#[derive(Debug, Clone, Copy)]
pub struct Goal<'a> {
    pub ready: &'a [&'a str],
    pub on_the_way: &'a [&'a str],
}

impl Goal<'_> {
    /// The state, when it is one on the way to ready (the resource is converging).
    pub fn converging<'s>(&self, state: &'s str) -> Option<&'s str> {
        listed(self.on_the_way, state).then_some(state)
    }

    /// Where `state` stands: `value` if it is ready.
    pub fn poll<T>(&self, state: &str, value: T) -> Poll<T> {
        if listed(self.ready, state) {
            Poll::Ready(value)
        } else if listed(self.on_the_way, state) {
            Poll::NotYet(state.to_string())
        } else {
            Poll::Never(state.to_string())
        }
    }
}

/// Whether `state` is one of `list`. States compare without regard to case (some APIs answer
/// `Available`, others `available`).
fn listed(list: &[&str], state: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(state))
}

/// Polls `check` until it is ready, it can never be, or `timeout` passes.
pub async fn until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    backoff: Backoff,
    progress: &Progress,
    mut check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = backoff.first;
    let mut sightings = Sightings::default();
    loop {
        let state = match check().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Never(state) => return Err(never(what, &state)),
            Poll::NotYet(state) => {
                sightings.found();
                state
            }
            Poll::Missing => {
                if let Some(gone) = sightings.missing() {
                    return Err(never(what, &gone));
                }
                "not visible yet".to_string()
            }
        };
        if start.elapsed() >= timeout {
            return Err(ProviderError::new(
                ErrorClass::Timeout,
                format!(
                    "gave up waiting for {what} after {}s (last seen: {state})",
                    timeout.as_secs()
                ),
            )
            .with_help("run the command again to keep waiting; nothing is lost"));
        }
        progress.waiting(format!("waiting for {what} ({state})"));
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(backoff.max);
    }
}

/// Whether a wait has seen its resource, and since when it has been missing.
#[derive(Default)]
struct Sightings {
    seen: bool,
    missing_since: Option<Instant>,
}

impl Sightings {
    fn found(&mut self) {
        self.seen = true;
        self.missing_since = None;
    }

    /// Missing again: `Some(state)` once that means gone.
    fn missing(&mut self) -> Option<String> {
        let since = *self.missing_since.get_or_insert_with(Instant::now);
        let limit = if self.seen {
            GONE_AFTER
        } else {
            VISIBLE_WITHIN
        };
        (since.elapsed() >= limit).then(|| {
            format!(
                "not found for {}s{}",
                since.elapsed().as_secs(),
                if self.seen { " after it was seen" } else { "" }
            )
        })
    }
}

/// The error of a wait that can never end well.
fn never(what: &str, state: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::Invalid,
        format!("stopped waiting for {what}: it is {state}, which never leads there"),
    )
    .with_help(
        "it was deleted, rejected or changed outside this run, or AWS gave up on it; run \
         `strata plan` to see what exists now, then apply again",
    )
}
