//! A stack's state on S3 (`--state s3://BUCKET/PREFIX`): the snapshot and the journal as
//! objects under `PREFIX/<stack>/`, and the stack's lock as a lease in `lock.json`.
//!
//! * `snapshot.json`: the lockfile's bytes, replaced with `If-Match` on the ETag read or last
//!   written (compare-and-swap), created with `If-None-Match: *`.
//! * `journal/<base>-<serial>.json`: one journal line per object, created with
//!   `If-None-Match: *` before the AWS call it records.
//! * `lock.json`: the holder, the lease's expiry and a generation. Created with
//!   `If-None-Match: *`; renewed by a heartbeat, released and taken over (once released, or
//!   once its lease ran out) with `If-Match` on the ETag read, so exactly one taker wins.
//!
//! Fencing: before every write the holder proves it still holds the lock (`HeadObject` with
//! `If-Match` on its lock's ETag); once another run took the lock over, every write is refused
//! and the run stops. Every object written carries the lease's generation (metadata
//! `strata-generation`).
//!
//! The state's S3 client is one of its own: no request budget, and the test hook that kills the
//! process after N calls does not count its calls.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};
use strata_engine::lockfile::{LockfileError, RemoteState};

use crate::error::chain_text;

/// `s3://BUCKET/PREFIX`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateUrl {
    pub bucket: String,
    /// Without leading or trailing slashes; may be empty.
    pub prefix: String,
}

impl StateUrl {
    /// Parses `s3://BUCKET[/PREFIX]`; returns what is wrong.
    pub fn parse(url: &str) -> Result<StateUrl, String> {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!(
                "`{url}` is not a state location: it must start with s3://"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid {
            return Err(format!(
                "`{bucket}` is not an S3 bucket name (3 to 63 lowercase letters, digits, `-` \
                 and `.`)"
            ));
        }
        Ok(StateUrl {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// The key of a stack's folder: `PREFIX/<stack>`.
    fn stack_key(&self, stack: &str) -> String {
        if self.prefix.is_empty() {
            stack.to_string()
        } else {
            format!("{}/{stack}", self.prefix)
        }
    }
}

impl std::fmt::Display for StateUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// A failure of the state on S3: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StateError {
    pub message: String,
    pub help: String,
}

impl StateError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> StateError {
        StateError {
            message: message.into(),
            help: help.into(),
        }
    }
}

impl From<StateError> for LockfileError {
    fn from(e: StateError) -> Self {
        LockfileError::Remote {
            message: e.message,
            help: e.help,
        }
    }
}

/// The state's own S3 client: path-style addressing at an endpoint of its own (the emulator).
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(conf)
}

/// Who holds a stack's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    pub since: String,
    /// The CI job's page, when the environment names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_job: Option<String>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{} pid {} since {} ({})",
            self.user, self.host, self.pid, self.since, self.command
        )?;
        if let Some(job) = &self.ci_job {
            write!(f, ", CI job {job}")?;
        }
        Ok(())
    }
}

/// The body of `lock.json`. A released lock keeps its generation and has no holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockBody {
    /// Increases with every holder: the lock's id for `strata force-unlock ID`.
    pub generation: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<LockHolder>,
    /// When the lease ends, in milliseconds since the epoch.
    pub expires_at_ms: u64,
}

impl LockBody {
    fn expired(&self) -> bool {
        self.expires_at_ms <= now_ms()
    }

    fn expiry_text(&self) -> String {
        let t = UNIX_EPOCH + Duration::from_millis(self.expires_at_ms);
        humantime::format_rfc3339_seconds(t).to_string()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs an S3 call from synchronous code (the journal) inside the multi-thread runtime.
fn block<F: Future>(f: F) -> Result<F::Output, StateError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| {
        StateError::new(
            "the state on S3 was used outside the async runtime",
            "this is a bug in strata; please report it",
        )
    })?;
    Ok(tokio::task::block_in_place(|| handle.block_on(f)))
}

/// The HTTP status of a failed call, when it got an answer.
fn status<E, R: HasRawStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasRawStatus::raw_status)
}

trait HasRawStatus {
    fn raw_status(&self) -> u16;
}

impl HasRawStatus for aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    fn raw_status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A conditional write lost: the object is not the version named (412), or another
/// conditional write of it is in progress (409).
fn lost_condition<E, R: HasRawStatus>(e: &SdkError<E, R>) -> bool {
    matches!(status(e), Some(412 | 409))
}

fn not_found<E, R: HasRawStatus>(e: &SdkError<E, R>) -> bool {
    status(e) == Some(404)
}

/// A failed S3 call, as a user reads it.
fn s3_failure<E, R>(what: &str, location: &str, e: &SdkError<E, R>) -> StateError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StateError::new(
        format!("cannot {what} at {location}: {}", chain_text(e)),
        "check the bucket exists, that these credentials may read and write it (s3:GetObject, \
         s3:PutObject, s3:ListBucket, s3:DeleteObject), and the network; then run the same \
         command again (docs/state.md)",
    )
}

/// A stack's folder in the state bucket.
#[derive(Debug, Clone)]
struct Place {
    s3: Client,
    bucket: String,
    /// `PREFIX/<stack>`.
    key: String,
    stack: String,
}

impl Place {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn lock_key(&self) -> String {
        format!("{}/lock.json", self.key)
    }

    /// The lock object and its ETag, if there is one.
    async fn read_lock(&self) -> Result<Option<(LockBody, String)>, StateError> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.lock_key())
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(s3_failure("read the stack's lock", &self.location(), &e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out.body.collect().await.map_err(|e| {
            StateError::new(
                format!("cannot read the stack's lock at {}: {e}", self.location()),
                "run the same command again",
            )
        })?;
        let body: LockBody = serde_json::from_slice(&bytes.into_bytes()).map_err(|e| {
            StateError::new(
                format!("{}/lock.json is not a strata lock: {e}", self.location()),
                "if nothing else writes there, remove it (`aws s3 rm`) and run again",
            )
        })?;
        Ok(Some((body, etag)))
    }

    /// Writes the lock object: created (`if_match` none) or replacing the version named.
    /// `Ok(None)` when the condition failed (another run wrote it first).
    async fn write_lock(
        &self,
        body: &LockBody,
        if_match: Option<&str>,
    ) -> Result<Option<String>, StateError> {
        let bytes = serde_json::to_vec_pretty(body).unwrap_or_default();
        let req = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.lock_key())
            .content_type("application/json")
            .metadata("strata-generation", body.generation.to_string())
            .body(ByteStream::from(bytes));
        let req = match if_match {
            Some(etag) => req.if_match(etag),
            None => req.if_none_match("*"),
        };
        match req.send().await {
            Ok(out) => Ok(Some(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if lost_condition(&e) || (if_match.is_some() && not_found(&e)) => Ok(None),
            Err(e) => Err(s3_failure("write the stack's lock", &self.location(), &e)),
        }
    }
}

/// What taking a stack's lock needs.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub holder: LockHolder,
    /// How long the lease lasts without a renewal.
    pub lease: Duration,
    /// How long to wait for a lock another run holds (zero: fail at once).
    pub timeout: Duration,
}

/// Why the lock could not be taken.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LockError {
    #[error(
        "the stack is locked by {holder} (lock {generation}, its lease runs until {until}{})",
        if *.waited { "; waited for it in vain" } else { "" }
    )]
    Held {
        holder: LockHolder,
        generation: u64,
        until: String,
        waited: bool,
    },
    #[error(transparent)]
    State(#[from] StateError),
}

impl LockError {
    pub fn help(&self) -> String {
        match self {
            LockError::Held { generation, .. } => format!(
                "wait for that run to finish, or pass --lock-timeout (e.g. 10m) to wait for it; \
                 if it is gone, its lease ends by itself, and `strata force-unlock \
                 {generation}` releases it at once"
            ),
            LockError::State(e) => e.help.clone(),
        }
    }
}

/// The state of a lease held, shared by the heartbeat and the writes it fences.
#[derive(Debug)]
struct Held {
    body: LockBody,
    etag: String,
    /// Why writing is refused: the lock was taken over (or released by force-unlock).
    lost: Option<StateError>,
    released: bool,
}

#[derive(Debug)]
struct LeaseShared {
    place: Place,
    lease: Duration,
    held: tokio::sync::Mutex<Held>,
}

impl LeaseShared {
    /// The refusal once another run has the lock (read to name it).
    async fn taken_over(&self) -> StateError {
        let by = match self.place.read_lock().await {
            Ok(Some((body, _))) => match body.holder {
                Some(h) => format!("{h} (lock {})", body.generation),
                None => format!("`strata force-unlock` (lock {})", body.generation),
            },
            _ => "another run".to_string(),
        };
        StateError::new(
            format!(
                "the lock on stack `{}` was taken over by {by}; this run stopped without writing",
                self.place.stack
            ),
            format!(
                "this run's lease ran out (it was paused or cut off for longer than the lease) \
                 and another run took the stack; the state at {} is that run's. Run `strata \
                 plan` once it is done: resources this run created are found by their ownership \
                 tags (docs/state.md, \"Fencing\")",
                self.place.location()
            ),
        )
    }

    /// Whether the lock is still this run's at a version it did not see (a renewal whose
    /// answer was lost wrote it): then that version is taken as this run's.
    async fn still_ours(&self, held: &mut Held) -> bool {
        match self.place.read_lock().await {
            Ok(Some((body, etag)))
                if body.generation == held.body.generation && body.holder == held.body.holder =>
            {
                held.etag = etag;
                held.body = body;
                true
            }
            _ => false,
        }
    }

    /// Renews the lease; `false` once it is lost or released.
    async fn renew(&self) -> bool {
        let mut held = self.held.lock().await;
        if held.lost.is_some() || held.released {
            return false;
        }
        let mut body = held.body.clone();
        body.expires_at_ms = now_ms() + millis(self.lease);
        match self.place.write_lock(&body, Some(&held.etag)).await {
            Ok(Some(etag)) => {
                held.etag = etag;
                held.body = body;
                true
            }
            Ok(None) => {
                if self.still_ours(&mut held).await {
                    return true;
                }
                held.lost = Some(self.taken_over().await);
                false
            }
            Err(e) => {
                // Tried again at the next beat; a write checks the lock itself.
                tracing::debug!("renewing the lease failed: {e}");
                true
            }
        }
    }

    /// Refuses unless this run still holds the lock (its ETag is the lock's).
    async fn check(&self) -> Result<(), StateError> {
        let mut held = self.held.lock().await;
        if let Some(e) = &held.lost {
            return Err(e.clone());
        }
        let r = self
            .place
            .s3
            .head_object()
            .bucket(&self.place.bucket)
            .key(self.place.lock_key())
            .if_match(&held.etag)
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if lost_condition(&e) || not_found(&e) => {
                if self.still_ours(&mut held).await {
                    return Ok(());
                }
                let lost = self.taken_over().await;
                held.lost = Some(lost.clone());
                Err(lost)
            }
            Err(e) => Err(s3_failure(
                "check the stack's lock",
                &self.place.location(),
                &e,
            )),
        }
    }

    async fn release(&self) {
        let mut held = self.held.lock().await;
        if held.lost.is_some() || held.released {
            return;
        }
        held.released = true;
        let body = LockBody {
            generation: held.body.generation,
            holder: None,
            expires_at_ms: 0,
        };
        if let Err(e) = self.place.write_lock(&body, Some(&held.etag)).await {
            tracing::debug!("releasing the lock failed: {e}");
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A stack's lock held on S3: renewed by a heartbeat until released (when dropped).
#[derive(Debug)]
pub struct Lease {
    shared: Arc<LeaseShared>,
    heartbeat: tokio::task::JoinHandle<()>,
    /// The holder whose lease ran out and whose lock this run took over.
    pub took_over: Option<LockHolder>,
    pub generation: u64,
}

impl Lease {
    /// Takes the stack's lock, waiting up to `req.timeout` for another holder;
    /// `on_wait` is called once when it starts waiting.
    pub async fn acquire(
        s3: &Client,
        url: &StateUrl,
        stack: &str,
        req: &LockRequest,
        mut on_wait: impl FnMut(&LockHolder),
    ) -> Result<Lease, LockError> {
        let place = Place {
            s3: s3.clone(),
            bucket: url.bucket.clone(),
            key: url.stack_key(stack),
            stack: stack.to_string(),
        };
        let deadline = Instant::now() + req.timeout;
        let mut waited = false;
        loop {
            let current = place.read_lock().await?;
            let (generation, if_match, took_over) = match &current {
                None => (1, None, None),
                Some((body, etag)) if body.holder.is_none() || body.expired() => (
                    body.generation + 1,
                    Some(etag.as_str()),
                    body.holder.clone(),
                ),
                Some((body, _)) => {
                    let holder = body.holder.clone().unwrap_or_else(|| req.holder.clone());
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(LockError::Held {
                            holder,
                            generation: body.generation,
                            until: body.expiry_text(),
                            waited,
                        });
                    }
                    if !waited {
                        on_wait(&holder);
                        waited = true;
                    }
                    let pause = Duration::from_millis(
                        body.expires_at_ms.saturating_sub(now_ms()).clamp(100, 1000),
                    );
                    tokio::time::sleep(pause.min(deadline - now)).await;
                    continue;
                }
            };
            let body = LockBody {
                generation,
                holder: Some(req.holder.clone()),
                expires_at_ms: now_ms() + millis(req.lease),
            };
            if let Some(etag) = place.write_lock(&body, if_match).await? {
                return Ok(Lease::start(place, req.lease, body, etag, took_over));
            }
        }
    }

    fn start(
        place: Place,
        lease: Duration,
        body: LockBody,
        etag: String,
        took_over: Option<LockHolder>,
    ) -> Lease {
        let generation = body.generation;
        let shared = Arc::new(LeaseShared {
            place,
            lease,
            held: tokio::sync::Mutex::new(Held {
                body,
                etag,
                lost: None,
                released: false,
            }),
        });
        let beat = shared.clone();
        let heartbeat = tokio::spawn(async move {
            let every = (beat.lease / 3).max(Duration::from_millis(200));
            loop {
                tokio::time::sleep(every).await;
                if !beat.renew().await {
                    break;
                }
            }
        });
        Lease {
            shared,
            heartbeat,
            took_over,
            generation,
        }
    }

    /// Releases the lock (also done when dropped). A renewal in flight is waited for (it holds
    /// the lease's state): stopping it half-way would leave the lock at a version this run
    /// does not know, which the release could not replace.
    pub async fn release(&self) {
        self.shared.release().await;
        self.heartbeat.abort();
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let shared = self.shared.clone();
        let _ = block(async move { shared.release().await });
        self.heartbeat.abort();
    }
}

/// Releases a stack's lock whatever holds it, for `strata force-unlock ID`: `ID` must be the
/// lock's generation (as the "locked by" message gives it). Returns the holder it named.
pub async fn force_unlock(
    s3: &Client,
    url: &StateUrl,
    stack: &str,
    id: u64,
) -> Result<Option<LockHolder>, StateError> {
    let place = Place {
        s3: s3.clone(),
        bucket: url.bucket.clone(),
        key: url.stack_key(stack),
        stack: stack.to_string(),
    };
    let Some((body, etag)) = place.read_lock().await? else {
        return Ok(None);
    };
    let Some(holder) = body.holder.clone() else {
        return Ok(None);
    };
    if body.generation != id {
        return Err(StateError::new(
            format!(
                "the stack's lock is lock {}, held by {holder}, not lock {id}",
                body.generation
            ),
            format!(
                "a new run took it since; check that run is gone, then `strata force-unlock {}`",
                body.generation
            ),
        ));
    }
    let released = LockBody {
        generation: body.generation,
        holder: None,
        expires_at_ms: 0,
    };
    match place.write_lock(&released, Some(&etag)).await? {
        Some(_) => Ok(Some(holder)),
        None => Err(StateError::new(
            "the stack's lock changed while it was being released",
            "run `strata force-unlock` again with the id the lock has now",
        )),
    }
}

/// A stack's state in the bucket: the store the journal writes through
/// ([`RemoteState`]), fenced by the lease when one is held.
#[derive(Debug)]
pub struct S3State {
    place: Place,
    /// The snapshot's ETag as last read or written (`None`: there is none).
    snapshot_etag: std::sync::Mutex<Option<String>>,
    lease: Option<Arc<LeaseShared>>,
}

impl S3State {
    /// The state of `stack` under `url`, for reading (writes are refused without a lease).
    pub fn new(s3: &Client, url: &StateUrl, stack: &str) -> S3State {
        S3State {
            place: Place {
                s3: s3.clone(),
                bucket: url.bucket.clone(),
                key: url.stack_key(stack),
                stack: stack.to_string(),
            },
            snapshot_etag: std::sync::Mutex::new(None),
            lease: None,
        }
    }

    /// The same state, its writes fenced by `lease`.
    #[must_use]
    pub fn fenced_by(mut self, lease: &Lease) -> S3State {
        self.lease = Some(lease.shared.clone());
        self
    }

    fn snapshot_key(&self) -> String {
        format!("{}/snapshot.json", self.place.key)
    }

    fn journal_prefix(&self) -> String {
        format!("{}/journal/", self.place.key)
    }

    /// Writes are refused unless a lease is held and still this run's.
    async fn fence(&self) -> Result<String, StateError> {
        let Some(lease) = &self.lease else {
            return Err(StateError::new(
                format!(
                    "strata tried to write the state at {} without holding its lock",
                    self.place.location()
                ),
                "this is a bug in strata; please report it",
            ));
        };
        lease.check().await?;
        Ok(lease.held.lock().await.body.generation.to_string())
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let r = self
            .place
            .s3
            .get_object()
            .bucket(&self.place.bucket)
            .key(key)
            .send()
            .await;
        let out = match r {
            Ok(o) => o,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(s3_failure("read the state", &self.place.location(), &e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out.body.collect().await.map_err(|e| {
            StateError::new(
                format!("cannot read s3://{}/{key}: {e}", self.place.bucket),
                "run the same command again",
            )
        })?;
        Ok(Some((bytes.into_bytes().to_vec(), etag)))
    }

    /// The journal's keys, in order.
    async fn journal_keys(&self) -> Result<Vec<String>, StateError> {
        let mut keys = Vec::new();
        let mut pages = self
            .place
            .s3
            .list_objects_v2()
            .bucket(&self.place.bucket)
            .prefix(self.journal_prefix())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| s3_failure("list the state's journal", &self.place.location(), &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// The snapshot and the journal. A holder folding the journal into a new snapshot
    /// meanwhile (and removing the entries folded) is noticed by the snapshot's ETag having
    /// moved, and the read is made again.
    async fn load_async(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), StateError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let snapshot = self.get(&self.snapshot_key()).await?;
            let mut journal = Vec::new();
            for key in self.journal_keys().await? {
                if let Some((line, _)) = self.get(&key).await? {
                    journal.extend_from_slice(&line);
                    journal.push(b'\n');
                }
            }
            let (bytes, etag) = match snapshot {
                Some((b, e)) => (Some(b), Some(e)),
                None => (None, None),
            };
            if attempt < 5 && !self.snapshot_is(etag.as_deref()).await {
                continue;
            }
            if let Ok(mut e) = self.snapshot_etag.lock() {
                *e = etag;
            }
            return Ok((bytes, journal));
        }
    }

    /// Whether the snapshot is still the version `etag` (`None`: there is none); `true` when
    /// that cannot be told (the read goes on with what it has).
    async fn snapshot_is(&self, etag: Option<&str>) -> bool {
        let r = self
            .place
            .s3
            .head_object()
            .bucket(&self.place.bucket)
            .key(self.snapshot_key())
            .send()
            .await;
        match r {
            Ok(out) => out.e_tag() == etag,
            Err(e) if not_found(&e) => etag.is_none(),
            Err(_) => true,
        }
    }

    async fn put_entry_async(&self, base: u64, serial: u64, line: &[u8]) -> Result<(), StateError> {
        let generation = self.fence().await?;
        let key = format!("{}{base:020}-{serial:020}.json", self.journal_prefix());
        let r = self
            .place
            .s3
            .put_object()
            .bucket(&self.place.bucket)
            .key(&key)
            .content_type("application/json")
            .metadata("strata-generation", generation)
            .if_none_match("*")
            .body(ByteStream::from(line.to_vec()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if lost_condition(&e) => Err(StateError::new(
                format!(
                    "another run wrote the journal entry {serial} of the state at {} first; this \
                     run stopped without writing",
                    self.place.location()
                ),
                "two runs wrote one stack's state; run `strata plan` to see where it stands",
            )),
            Err(e) => Err(s3_failure(
                "write the state's journal",
                &self.place.location(),
                &e,
            )),
        }
    }

    async fn put_snapshot_async(&self, serial: u64, bytes: &[u8]) -> Result<(), StateError> {
        let generation = self.fence().await?;
        let previous = self.snapshot_etag.lock().ok().and_then(|e| e.clone());
        let req = self
            .place
            .s3
            .put_object()
            .bucket(&self.place.bucket)
            .key(self.snapshot_key())
            .content_type("application/json")
            .metadata("strata-generation", generation)
            .metadata("strata-serial", serial.to_string())
            .body(ByteStream::from(bytes.to_vec()));
        let req = match &previous {
            Some(etag) => req.if_match(etag),
            None => req.if_none_match("*"),
        };
        match req.send().await {
            Ok(out) => {
                if let Ok(mut e) = self.snapshot_etag.lock() {
                    *e = out.e_tag().map(String::from);
                }
            }
            Err(e) if lost_condition(&e) || (previous.is_some() && not_found(&e)) => {
                if let Some(lease) = &self.lease {
                    lease.check().await?;
                }
                return Err(StateError::new(
                    format!(
                        "the state at {} changed since this run read it; this run stopped \
                         without writing",
                        self.place.location()
                    ),
                    "another run wrote it without the lock (or it was replaced by hand); run \
                     `strata plan` to see where it stands",
                ));
            }
            Err(e) => {
                return Err(s3_failure(
                    "write the state's snapshot",
                    &self.place.location(),
                    &e,
                ));
            }
        }
        self.remove_folded(serial).await;
        Ok(())
    }

    /// Removes the journal's entries made against snapshots older than `serial` (folded into
    /// it); what fails stays, and is ignored by readers.
    async fn remove_folded(&self, serial: u64) {
        let Ok(keys) = self.journal_keys().await else {
            return;
        };
        let prefix = self.journal_prefix();
        for key in keys {
            let base = key
                .strip_prefix(&prefix)
                .and_then(|k| k.split('-').next())
                .and_then(|b| b.parse::<u64>().ok());
            if base.is_some_and(|b| b < serial) {
                let _ = self
                    .place
                    .s3
                    .delete_object()
                    .bucket(&self.place.bucket)
                    .key(&key)
                    .send()
                    .await;
            }
        }
    }

    /// Writes a whole lockfile's bytes as the snapshot, for `strata state push` (under the
    /// lease; the journal's entries are folded in already).
    pub async fn push(&self, serial: u64, bytes: &[u8]) -> Result<(), StateError> {
        self.load_async().await?;
        self.put_snapshot_async(serial, bytes).await?;
        // Entries of the state it replaces continue none of its snapshots.
        self.remove_folded(u64::MAX).await;
        Ok(())
    }

    /// What is wrong with the bucket's settings, as warnings: versioning off, no default
    /// encryption. Settings that cannot be read are not reported.
    pub async fn bucket_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let b = &self.place.bucket;
        if let Ok(v) = self.place.s3.get_bucket_versioning().bucket(b).send().await
            && v.status().is_none_or(|s| s.as_str() != "Enabled")
        {
            out.push(format!(
                "versioning is off on the state's bucket {b}: a state overwritten or deleted by \
                 mistake cannot be recovered. Turn it on: aws s3api put-bucket-versioning \
                 --bucket {b} --versioning-configuration Status=Enabled"
            ));
        }
        match self.place.s3.get_bucket_encryption().bucket(b).send().await {
            Ok(_) => {}
            Err(e) if status(&e) == Some(404) => out.push(format!(
                "the state's bucket {b} has no default encryption; the state names every \
                 resource's settings. Set one: aws s3api put-bucket-encryption --bucket {b} \
                 ..."
            )),
            Err(_) => {}
        }
        out
    }
}

impl RemoteState for S3State {
    fn location(&self) -> String {
        self.place.location()
    }

    fn load(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), LockfileError> {
        Ok(block(self.load_async())??)
    }

    fn put_entry(&self, base: u64, serial: u64, line: &[u8]) -> Result<(), LockfileError> {
        Ok(block(self.put_entry_async(base, serial, line))??)
    }

    fn put_snapshot(&self, serial: u64, bytes: &[u8]) -> Result<(), LockfileError> {
        Ok(block(self.put_snapshot_async(serial, bytes))??)
    }
}
