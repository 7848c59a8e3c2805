//! Where a stack's state is: the local lockfile (the default) or S3 (`--state s3://…`), and
//! the stack's lock on it.

use std::path::PathBuf;
use std::sync::Arc;

use strata_aws::state::{Lease, LockHolder, LockRequest, S3State, StateUrl};
use strata_engine::lockfile::{self, Lockfile, RemoteState, StackLock};

use crate::fail::Failure;
use crate::settings::Settings;
use crate::ui;

/// A stack's state.
pub enum Store {
    Local(PathBuf),
    S3 {
        url: StateUrl,
        client: strata_aws::state::Client,
        stack: String,
        state: Arc<S3State>,
    },
}

/// The stack's lock, released when dropped.
#[expect(dead_code, reason = "held for its drop, which releases the lock")]
pub enum Guard {
    Local(StackLock),
    S3(Lease),
}

impl From<strata_aws::state::StateError> for Failure {
    fn from(e: strata_aws::state::StateError) -> Self {
        Failure::new(e.message).help(e.help)
    }
}

impl From<strata_aws::state::LockError> for Failure {
    fn from(e: strata_aws::state::LockError) -> Self {
        let help = e.help();
        Failure::new(e.to_string()).help(help)
    }
}

/// The S3 client for the state: the run's credentials, in `region` (else the SDK's chain).
pub async fn client(
    s: &Settings,
    region: Option<String>,
) -> Result<strata_aws::state::Client, Failure> {
    let mut aws = s.aws.clone();
    aws.region = region;
    let sdk = strata_aws::config::sdk_config(&aws).await;
    if sdk.region().is_none() {
        return Err(Failure::new("no AWS region is set for the state's bucket")
            .help("add `region:` to the documents, pass --region, or set AWS_REGION"));
    }
    Ok(strata_aws::state::client(&sdk))
}

/// The state of `stack` at `url` (on S3), or in the local lockfile when there is none.
pub async fn open_at(
    s: &Settings,
    url: Option<&StateUrl>,
    stack: &str,
    region: Option<String>,
) -> Result<Store, Failure> {
    match url {
        None => Ok(Store::Local(s.lockfile.clone())),
        Some(url) => open_s3(s, url, stack, region).await,
    }
}

/// Where the stack's state is: `--state` (or `STRATA_STATE`), else the documents' `state:`,
/// else the local lockfile (`None`).
pub fn url_of(s: &Settings, loaded: &strata_model::Loaded) -> Result<Option<StateUrl>, Failure> {
    if let Some(u) = &s.state {
        return Ok(Some(u.clone()));
    }
    loaded
        .stack
        .state
        .as_ref()
        .map(|st| {
            StateUrl::parse(&st.value).map_err(|why| {
                Failure::new(format!("state: {why}"))
                    .help("give it as s3://BUCKET/PREFIX, e.g. s3://acme-strata-state/prod")
            })
        })
        .transpose()
}

/// Where a saved plan's state is: `--state` (or `STRATA_STATE`), else the plan's own; refused
/// when both are given and differ.
pub fn url_of_plan(
    s: &Settings,
    p: &strata_engine::plan::Plan,
) -> Result<Option<StateUrl>, Failure> {
    let planned = p
        .state
        .as_deref()
        .map(|u| {
            StateUrl::parse(u).map_err(|why| Failure::new(format!("the saved plan's state: {why}")))
        })
        .transpose()?;
    match (&s.state, planned) {
        (Some(given), Some(planned)) if *given != planned => Err(Failure::new(format!(
            "the plan was made against the state at {planned}, but --state says {given}"
        ))
        .help("apply it with the state it was made against, or make the plan again")),
        (Some(given), _) => Ok(Some(given.clone())),
        (None, planned) => Ok(planned),
    }
}

/// The state of `stack` under `url`.
pub async fn open_s3(
    s: &Settings,
    url: &StateUrl,
    stack: &str,
    region: Option<String>,
) -> Result<Store, Failure> {
    let client = client(s, region).await?;
    Ok(Store::S3 {
        state: Arc::new(S3State::new(&client, url, stack)),
        url: url.clone(),
        client,
        stack: stack.to_string(),
    })
}

impl Store {
    /// Where the state is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(p) => p.display().to_string(),
            Store::S3 { state, .. } => state.location(),
        }
    }

    /// The state, with its journal applied; `None` when there is none yet.
    pub fn read(&self) -> Result<Option<Lockfile>, Failure> {
        Ok(match self {
            Store::Local(p) => lockfile::read(p)?,
            Store::S3 { state, .. } => lockfile::read_remote(state.as_ref())?,
        })
    }

    /// The store the journal writes through, when it is not the local lockfile.
    pub fn remote(&self) -> Option<Arc<dyn RemoteState>> {
        match self {
            Store::Local(_) => None,
            Store::S3 { state, .. } => Some(state.clone()),
        }
    }

    /// Takes the stack's lock (waiting up to `--lock-timeout` for a lock on S3); from then on
    /// the state's writes are fenced by it.
    pub async fn acquire(&mut self, s: &Settings, command: &str) -> Result<Guard, Failure> {
        match self {
            Store::Local(path) => {
                let lock = acquire_local(s, path, command).await?;
                if let Some(h) = &lock.took_over {
                    ui::note(
                        s,
                        &format!(
                            "Took over the stack lock left by {h}, which did not release it (it \
                             was killed or crashed)."
                        ),
                    );
                }
                Ok(Guard::Local(lock))
            }
            Store::S3 {
                url,
                client,
                stack,
                state,
            } => {
                let req = LockRequest {
                    holder: holder(s, command),
                    lease: s.lock_lease,
                    timeout: s.lock_timeout,
                };
                for w in state.bucket_warnings().await {
                    ui::note(s, &format!("warning: {w}"));
                }
                let lease = Lease::acquire(client, url, stack, &req, |h| {
                    ui::note(
                        s,
                        &format!(
                            "The stack is locked by {h}; waiting up to {} for it...",
                            humantime::format_duration(s.lock_timeout)
                        ),
                    );
                })
                .await?;
                if let Some(h) = &lease.took_over {
                    ui::note(
                        s,
                        &format!(
                            "Took over the stack lock from {h}, whose lease ran out without \
                             being renewed (it was killed, crashed or paused)."
                        ),
                    );
                }
                *state = Arc::new(S3State::new(client, url, stack).fenced_by(&lease));
                Ok(Guard::S3(lease))
            }
        }
    }
}

/// The local lock, waiting up to `--lock-timeout` for another holder to release it.
async fn acquire_local(
    s: &Settings,
    path: &std::path::Path,
    command: &str,
) -> Result<StackLock, Failure> {
    let deadline = std::time::Instant::now() + s.lock_timeout;
    let mut noted = false;
    loop {
        match StackLock::acquire(path, command) {
            Err(lockfile::LockError::Held(h)) if std::time::Instant::now() < deadline => {
                if !noted {
                    ui::note(
                        s,
                        &format!(
                            "The stack is locked by {h}; waiting up to {} for it...",
                            humantime::format_duration(s.lock_timeout)
                        ),
                    );
                    noted = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// This run, as a lock on S3 names its holder.
fn holder(s: &Settings, command: &str) -> LockHolder {
    LockHolder {
        user: s.user.clone(),
        host: lockfile::host_name(),
        pid: std::process::id(),
        command: command.to_string(),
        since: lockfile::now_rfc3339(),
        ci_job: s.ci_job.clone(),
    }
}
