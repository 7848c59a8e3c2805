//! The interface between the engine and a cloud: batched reads and one call per mutation.
//!
//! The engine knows no AWS types; `strata-aws` implements [`Provider`].

use std::fmt;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::value::Attrs;

/// The ownership tag naming the stack a resource belongs to.
pub const STACK_TAG: &str = "strata:stack";
/// The ownership tag naming the resource's logical name in its stack.
pub const NAME_TAG: &str = "strata:name";
/// The ownership tag naming the lineage of the lockfile whose run created the resource: two
/// lockfiles of one stack (two directories, a lost lockfile) never take each other's resources.
pub const LINEAGE_TAG: &str = "strata:lineage";
/// When a lab's stack expires (`apply --ttl`), RFC 3339 in UTC: `strata sweep --expired` finds
/// the stacks whose time has passed. Not an ownership tag: strata never reads it as the
/// stack's or the user's.
pub const EXPIRES_TAG: &str = "strata:expires";

/// A resource as it exists in the cloud. Build it with [`LiveResource::new`] and
/// [`LiveResource::owned_by`], so that a new ownership field reaches every kind.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveResource {
    pub kind: String,
    pub id: String,
    /// The `strata:stack` tag, if any.
    pub stack: Option<String>,
    /// The `strata:name` tag, if any.
    pub name: Option<String>,
    /// The `strata:lineage` tag, if any.
    pub lineage: Option<String>,
    /// Current attributes, named like the kind's fields (tags without `strata:` keys), plus
    /// computed ones.
    pub attrs: Attrs,
    /// The state of a resource AWS accepted but has not finished making (a NAT gateway
    /// `pending`): it exists and is recorded, but is not usable yet (`strata wait`).
    pub converging: Option<String>,
}

impl LiveResource {
    /// A resource without ownership tags.
    pub fn new(kind: &str, id: &str, attrs: Attrs) -> LiveResource {
        LiveResource {
            kind: kind.to_string(),
            id: id.to_string(),
            stack: None,
            name: None,
            lineage: None,
            attrs,
            converging: None,
        }
    }

    /// The same resource, still on its way to usable in `state` (`None`: usable).
    #[must_use]
    pub fn converging(mut self, state: Option<&str>) -> LiveResource {
        self.converging = state.map(str::to_string);
        self
    }

    /// The same resource carrying the ownership tags `owner` gives it.
    #[must_use]
    pub fn owned_by(mut self, owner: Owner<'_>) -> LiveResource {
        self.stack = Some(owner.stack.to_string());
        self.name = Some(owner.name.to_string());
        self.lineage = Some(owner.lineage.to_string());
        self
    }

    /// Its ownership tags as they are, by tag name (only those it carries).
    pub fn ownership_tags(&self) -> Attrs {
        [
            (STACK_TAG, &self.stack),
            (NAME_TAG, &self.name),
            (LINEAGE_TAG, &self.lineage),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .map(|v| (k.to_string(), serde_json::Value::String(v.clone())))
        })
        .collect()
    }
}

/// The ownership tags strata sets on a resource: its stack, its name, and the lineage of the
/// lockfile that records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    pub lineage: &'a str,
    /// The stack's expiry (`apply --ttl`), set as [`EXPIRES_TAG`] beside the ownership tags.
    pub expires: Option<&'a str>,
}

impl Owner<'_> {
    /// The tags, by name: the ownership tags, and the expiry when there is one.
    pub fn tags(&self) -> Vec<(&'static str, &str)> {
        let mut tags = vec![
            (STACK_TAG, self.stack),
            (NAME_TAG, self.name),
            (LINEAGE_TAG, self.lineage),
        ];
        if let Some(e) = self.expires {
            tags.push((EXPIRES_TAG, e));
        }
        tags
    }
}

/// What to read for one kind.
#[derive(Debug, Clone)]
pub struct ReadRequest<'a> {
    pub kind: &'a str,
    /// Ids to read (one batched call covers them all): the lockfile's, and a saved plan's.
    pub ids: &'a [String],
    /// The stack whose ownership tag to search for (one more batched call, or the provider's
    /// one listing of the stack per read, shared by the kinds it covers).
    pub stack: &'a str,
    /// What the lockfile records of this kind (its resources and deposed copies), for kinds
    /// that can tell from a batched read that a part they would otherwise read per resource
    /// has not changed (a prefix list's version).
    pub records: &'a [Recorded<'a>],
    /// The names the documents give resources of this kind, when every one of them is known
    /// (`None` when one is not, or the read is not for documents: a saved plan's, `strata
    /// wait`'s, a lost create's search). A kind that no listing by tag covers, and that would
    /// otherwise read every resource of the account to find the stack's by their tags, reads
    /// only these and the ids (see [`ReadRequest::may_be`]).
    pub names: Option<&'a [DocumentName]>,
}

/// A name the documents give a resource: as it is (`name`), or a prefix its create completes
/// with a suffix (`name_prefix`, see [`strata_model::kinds::name_with_suffix`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocumentName {
    Exact(String),
    Prefix(String),
}

impl ReadRequest<'_> {
    /// Whether a resource a read found is one the request is for: an id it names, or one
    /// carrying the stack's ownership tag.
    pub fn wants(&self, l: &LiveResource) -> bool {
        self.ids.contains(&l.id) || l.stack.as_deref() == Some(self.stack)
    }

    /// Whether a resource of this name (for kinds whose id is their name) may be one the
    /// request is for, before its tags are read: an id it names, or a name the documents give;
    /// any name when the request does not know them all.
    pub fn may_be(&self, name: &str) -> bool {
        let Some(names) = self.names else { return true };
        self.ids.iter().any(|i| i == name)
            || names.iter().any(|n| match n {
                DocumentName::Exact(e) => e == name,
                DocumentName::Prefix(p) => strata_model::kinds::has_name_prefix(name, p),
            })
    }
}

/// One resource as the lockfile records it.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub name: &'a str,
    pub id: &'a str,
    /// The attributes recorded after the last change strata made or saw.
    pub attrs: &'a Attrs,
}

/// A create call.
#[derive(Debug, Clone)]
pub struct CreateRequest<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub stack: &'a str,
    /// The lineage of the lockfile that records this run, set as the `strata:lineage` tag.
    pub lineage: &'a str,
    /// Desired attributes with every reference resolved.
    pub attrs: &'a Attrs,
    /// Idempotency token, journaled before the call; used by kinds whose API takes one.
    pub token: &'a str,
    /// The id of the copy this create replaces, which carries the same ownership tags.
    pub replacing: Option<&'a str>,
    /// Whether to wait until the resource is usable. When false (`apply --no-wait`,
    /// `lifecycle.wait: false`), the create returns once AWS accepted it, the resource marked
    /// [`converging`](LiveResource::converging).
    pub wait: bool,
    /// The stack's expiry, set as [`EXPIRES_TAG`] (`apply --ttl`).
    pub expires: Option<&'a str>,
}

impl CreateRequest<'_> {
    /// The ownership tags the create sets.
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            stack: self.stack,
            name: self.name,
            lineage: self.lineage,
            expires: self.expires,
        }
    }
}

/// An in-place update.
#[derive(Debug, Clone)]
pub struct UpdateRequest<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub stack: &'a str,
    /// The lineage of the lockfile that records the resource (its tags are repaired with it).
    pub lineage: &'a str,
    pub id: &'a str,
    /// Attributes as last seen.
    pub prior: &'a Attrs,
    /// Desired attributes, resolved.
    pub attrs: &'a Attrs,
    /// Fields to change.
    pub changed: &'a [String],
    /// Whether to wait until the change is usable (`--no-wait` and `lifecycle.wait` off: a
    /// change that takes minutes, such as a CloudFront distribution's, is recorded converging).
    pub wait: bool,
    /// The stack's expiry, set as [`EXPIRES_TAG`] (`apply --ttl`).
    pub expires: Option<&'a str>,
}

impl UpdateRequest<'_> {
    /// The ownership tags the resource carries after the update.
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            stack: self.stack,
            name: self.name,
            lineage: self.lineage,
            expires: self.expires,
        }
    }
}

/// A delete call.
#[derive(Debug, Clone)]
pub struct DeleteRequest<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub id: &'a str,
    pub prior: &'a Attrs,
}

/// The broad class of a provider error, which decides retries and messages. Every service's
/// error codes map to one of these (strata-aws's `error.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The caller lacks permission (IAM, or an SCP's explicit deny).
    AccessDenied,
    /// The resource is gone.
    NotFound,
    /// Something else still uses the resource.
    DependencyViolation,
    /// AWS refused the request as invalid.
    Invalid,
    /// A server error, a timeout or a lost connection that outlasted the retries: AWS may
    /// have acted.
    Transient,
    /// Throttling that outlasted the retries: AWS refused the request without acting on it.
    Throttled,
    /// The resource changed since it was read: a version or precondition no longer holds
    /// (`PreconditionFailed`, `InvalidIfMatchVersion`, `PrefixListVersionMismatch`).
    StaleVersion,
    /// The resource is busy with an earlier change and refuses this one for now; the same
    /// request later may succeed (`InvalidDBClusterStateFault`, `IncorrectState`).
    InvalidState,
    /// A wait ran out of time.
    Timeout,
    /// The operation was abandoned because the user cancelled.
    Cancelled,
    Other,
}

impl ErrorClass {
    /// Its name in machine-readable output (`apply --json`'s error events): `access_denied`, …
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::AccessDenied => "access_denied",
            ErrorClass::NotFound => "not_found",
            ErrorClass::DependencyViolation => "dependency_violation",
            ErrorClass::Invalid => "invalid",
            ErrorClass::Transient => "transient",
            ErrorClass::Throttled => "throttled",
            ErrorClass::StaleVersion => "stale_version",
            ErrorClass::InvalidState => "invalid_state",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Cancelled => "cancelled",
            ErrorClass::Other => "other",
        }
    }
}

/// An error from the cloud, with the action and resource it concerns.
#[derive(Debug, Clone)]
pub struct ProviderError {
    pub class: ErrorClass,
    /// The API's error code, e.g. `DependencyViolation`.
    pub code: Option<String>,
    pub message: String,
    /// The API action, e.g. `ec2:CreateVpc`.
    pub action: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// The underlying error's chain, as text (never `Debug`), for `-v` (boxed: the error
    /// stays small enough to return everywhere).
    pub detail: Option<Box<str>>,
}

impl ProviderError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> ProviderError {
        ProviderError {
            class,
            code: None,
            message: message.into(),
            action: None,
            help: None,
            detail: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = &self.action {
            write!(f, "{a}: ")?;
        }
        if let Some(c) = &self.code {
            write!(f, "{c}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProviderError {}

/// What a running operation tells the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// AWS answered a create with this id: the coordinator journals it before any wait, so a
    /// crash during the wait leaves the id in the lockfile.
    Created(String),
    /// The operation waits for AWS, e.g. "waiting for state available". A waiting operation
    /// holds no `--parallelism` slot.
    Waiting(String),
}

/// The channel from a running operation to the coordinator.
#[derive(Debug, Clone)]
pub struct Progress {
    op: usize,
    tx: Option<mpsc::UnboundedSender<(usize, Note)>>,
}

impl Progress {
    pub fn new(op: usize, tx: mpsc::UnboundedSender<(usize, Note)>) -> Progress {
        Progress { op, tx: Some(tx) }
    }

    /// A progress sink that drops messages.
    pub fn none() -> Progress {
        Progress { op: 0, tx: None }
    }

    /// Reports what the operation is waiting for, e.g. "waiting for state available".
    pub fn waiting(&self, what: impl Into<String>) {
        self.send(Note::Waiting(what.into()));
    }

    /// Reports the id AWS gave a new resource, as soon as the create call answered.
    pub fn created(&self, id: &str) {
        self.send(Note::Created(id.to_string()));
    }

    fn send(&self, note: Note) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((self.op, note));
        }
    }
}

/// The HTTP attempts of one operation (`strata apply --timings`): when each started and ended.
#[derive(Debug, Default)]
pub struct OpCalls {
    spans: std::sync::Mutex<Vec<(std::time::Instant, Option<std::time::Instant>)>>,
}

impl OpCalls {
    /// Attempts made.
    pub fn total(&self) -> usize {
        self.spans.lock().map_or(0, |s| s.len())
    }

    /// The most attempts that ran one after another (each started after the previous one
    /// ended): the operation's own chain of calls. Attempts made concurrently count once.
    pub fn sequential(&self) -> usize {
        let Ok(spans) = self.spans.lock() else {
            return 0;
        };
        let now = std::time::Instant::now();
        let mut spans: Vec<(std::time::Instant, std::time::Instant)> =
            spans.iter().map(|(a, b)| (*a, b.unwrap_or(now))).collect();
        // Greedy by end time finds the largest set of attempts that do not overlap.
        spans.sort_by_key(|s| s.1);
        let mut chain = 0;
        let mut free_from = None;
        for (start, end) in spans {
            if free_from.is_none_or(|f| start >= f) {
                chain += 1;
                free_from = Some(end);
            }
        }
        chain
    }
}

tokio::task_local! {
    /// The calls of the operation running in this task.
    pub static OP_CALLS: std::sync::Arc<OpCalls>;
}

/// Notes the start of an HTTP attempt for the operation running in this task, if any; the
/// number given back goes to [`call_ended`].
pub fn call_started() -> Option<usize> {
    OP_CALLS
        .try_with(|c| {
            let mut spans = c.spans.lock().ok()?;
            spans.push((std::time::Instant::now(), None));
            Some(spans.len() - 1)
        })
        .ok()
        .flatten()
}

/// Notes the end of the attempt [`call_started`] numbered.
pub fn call_ended(index: usize) {
    let _ = OP_CALLS.try_with(|c| {
        if let Ok(mut spans) = c.spans.lock()
            && let Some(span) = spans.get_mut(index)
        {
            span.1 = Some(std::time::Instant::now());
        }
    });
}

/// A cloud that strata can reconcile.
#[async_trait]
pub trait Provider: Send + Sync {
    /// A new read of the live state begins (`read::read_live`): what the provider listed for
    /// an earlier read is stale. The default keeps nothing between reads.
    fn start_read(&self) {}

    /// Reads every live resource of one kind that has one of `ids` or the stack's ownership tag.
    /// Implementations make batched calls (never one per resource).
    async fn read(&self, req: ReadRequest<'_>) -> Result<Vec<LiveResource>, ProviderError>;

    /// Creates a resource with its ownership tags set in the create call, reports its id with
    /// [`Progress::created`] as soon as AWS answers, and waits until it is usable (unless
    /// `req.wait` is false). Returns it as it now exists.
    async fn create(
        &self,
        req: CreateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError>;

    /// Changes fields in place. Returns the resource as it now exists.
    async fn update(
        &self,
        req: UpdateRequest<'_>,
        progress: &Progress,
    ) -> Result<LiveResource, ProviderError>;

    /// Deletes a resource and waits until it is gone. A resource already gone is success.
    async fn delete(
        &self,
        req: DeleteRequest<'_>,
        progress: &Progress,
    ) -> Result<(), ProviderError>;
}

#[cfg(test)]
mod tests {
    use super::OpCalls;
    use std::time::{Duration, Instant};

    #[test]
    fn calls_made_together_count_once_in_the_chain() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let calls = OpCalls::default();
        if let Ok(mut s) = calls.spans.lock() {
            // One call, then three at once, then one more; a retry overlapping nothing.
            s.extend([
                (at(0), Some(at(10))),
                (at(10), Some(at(20))),
                (at(11), Some(at(22))),
                (at(12), Some(at(21))),
                (at(22), Some(at(30))),
            ]);
        }
        assert_eq!(calls.total(), 5);
        assert_eq!(calls.sequential(), 3);
    }
}
