//! Polling with backoff until a resource reaches a state, within a time limit.

use std::future::Future;
use std::time::{Duration, Instant};

use strata_engine::provider::{ErrorClass, Progress, ProviderError};

/// Poll intervals: start short, double, cap.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
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
}

/// Polls `check` until it is ready or `timeout` passes.
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
    loop {
        match check().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::NotYet(state) => {
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
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(backoff.max);
    }
}
