//! Counting AWS calls (reported with `-v`) and the crash hook used by the crash tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_ec2::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// `STRATA_FAULT_KILL_AFTER_CALL=N`: the process kills itself with SIGKILL right after the
/// Nth successful mutating call returns, before strata records its result. Tests use it to
/// prove that no crash point loses track of a resource (docs/testing.md).
pub const KILL_AFTER_ENV: &str = "STRATA_FAULT_KILL_AFTER_CALL";

/// Counts of calls by operation (e.g. `EC2.DescribeVpcs`) and of attempts (retries included).
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
    attempts: Arc<AtomicUsize>,
    mutations: Arc<AtomicUsize>,
    kill_after: Option<usize>,
}

/// Which of its operation's attempts this is (`strata_engine::provider::call_started`).
#[derive(Debug, Clone, Copy)]
struct AttemptIndex(usize);

impl Storable for AttemptIndex {
    type Storer = StoreReplace<Self>;
}

/// A read-only API call: it changes nothing.
pub fn is_read_only(operation: &str) -> bool {
    ["Describe", "Get", "List", "Search", "Head"]
        .iter()
        .any(|p| operation.starts_with(p))
}

impl CallCounter {
    /// A counter; `kill_after` is the test hook of [`KILL_AFTER_ENV`] (from the settings).
    pub fn new(kill_after: Option<usize>) -> CallCounter {
        CallCounter {
            kill_after,
            ..CallCounter::default()
        }
    }

    /// Calls made so far, by operation.
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// HTTP attempts, including retries.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

fn operation(cfg: &ConfigBag) -> Option<(String, String)> {
    cfg.load::<Metadata>()
        .map(|m| (m.service().to_string(), m.name().to_string()))
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "strata::CallCounter"
    }

    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some((service, op)) = operation(cfg)
            && let Ok(mut calls) = self.calls.lock()
        {
            *calls.entry(format!("{service}.{op}")).or_default() += 1;
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Some(i) = strata_engine::provider::call_started() {
            cfg.interceptor_state().store_put(AttemptIndex(i));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(AttemptIndex(i)) = cfg.load::<AttemptIndex>() {
            strata_engine::provider::call_ended(*i);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(limit) = self.kill_after else {
            return Ok(());
        };
        let ok = matches!(ctx.output_or_error(), Some(Ok(_)));
        let Some((_, op)) = operation(cfg) else {
            return Ok(());
        };
        if ok && !is_read_only(&op) {
            let n = self.mutations.fetch_add(1, Ordering::SeqCst) + 1;
            if n == limit {
                kill_self();
            }
        }
        Ok(())
    }
}

/// SIGKILL to ourselves: no destructor, no flush, no lockfile write.
fn kill_self() {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) on our own pid with SIGKILL; it does not return.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}
