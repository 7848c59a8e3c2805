//! `strata.lock`: what strata created, written after every mutation.
//!
//! * Versioned, deterministic JSON (keys sorted), readable and fit to commit.
//! * Written atomically: temporary file, fsync, rename, fsync of the directory. The previous
//!   version is kept as `strata.lock.backup` (a hard link taken before the rename), so a crash
//!   at any point leaves a complete file.
//! * Before every mutating call a pending record goes in (the journal); an interrupted call
//!   is resolved on the next run by the ownership tags or the idempotency token.
//! * A file that cannot be parsed or has an unknown version is an error and is never
//!   overwritten.
//! * A second process on the same stack is stopped by an OS file lock on `strata.lock.holder`,
//!   which names the holder.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::value::Attrs;

/// The lockfile format this version reads and writes.
pub const LOCKFILE_VERSION: u32 = 1;

/// One resource strata owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedResource {
    pub kind: String,
    /// The AWS id (vpc-…, subnet-…, an ARN for some kinds).
    pub id: String,
    /// The attributes last seen, used to diff (drift) and to delete. Never secret values.
    #[serde(default)]
    pub attributes: Attrs,
    /// Logical names this resource depends on; deletion goes in the reverse order.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Logical names referred to from fields applied after creation (security group rules
    /// naming other groups); those references are removed before the targets are deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub soft_dependencies: Vec<String>,
    /// Set from the documents' `lifecycle.prevent_destroy`, so that the protection survives
    /// the resource being removed from the documents.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// When strata created it (RFC 3339). For a short while after a create, AWS's describes
    /// may not show the resource yet; a recent resource that a read misses is looked for again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl LockedResource {
    /// Whether this resource was created less than `window` ago.
    pub fn created_within(&self, window: std::time::Duration) -> bool {
        self.created_at
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339(t).ok())
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < window)
    }
}

/// A resource replaced with create-before-destroy whose old copy still exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeposedResource {
    pub name: String,
    #[serde(flatten)]
    pub resource: LockedResource,
}

/// What a pending record was about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingKind {
    Create,
    Update,
    Delete,
}

/// A journal record written before a mutating call and removed after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingOp {
    pub op: PendingKind,
    pub name: String,
    pub kind: String,
    /// The id the call acts on (update, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The idempotency token sent with the call, for kinds whose API takes one.
    pub token: String,
    pub plan_id: String,
    pub started_at: String,
}

/// Progress of the last apply, to resume a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyRecord {
    pub plan_id: String,
    /// Operations of that plan that finished, e.g. `create vpc`.
    pub completed: Vec<String>,
    pub finished: bool,
}

/// An output value recorded after apply. Sensitive values are not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedOutput {
    #[serde(default)]
    pub value: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// The whole lockfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    pub version: u32,
    /// Identifies this lockfile's history; a saved plan made against another lineage is refused.
    pub lineage: String,
    /// Incremented by every write.
    pub serial: u64,
    pub stack: String,
    pub region: String,
    #[serde(default)]
    pub resources: BTreeMap<String, LockedResource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedResource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingOp>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, LockedOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_apply: Option<ApplyRecord>,
}

impl Lockfile {
    pub fn new(stack: &str, region: &str) -> Lockfile {
        Lockfile {
            version: LOCKFILE_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            region: region.to_string(),
            resources: BTreeMap::new(),
            deposed: Vec::new(),
            pending: Vec::new(),
            outputs: BTreeMap::new(),
            last_apply: None,
        }
    }

    /// The serialized form: sorted keys, two-space indentation, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Through `Value` so that every object's keys come out sorted. Lockfile values are JSON
        // values with string keys: serialization cannot fail.
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Checks the file's internal consistency.
    fn check(&self) -> Result<(), String> {
        for (name, r) in &self.resources {
            if r.id.is_empty() {
                return Err(format!("resource `{name}` has an empty id"));
            }
            if r.kind.is_empty() {
                return Err(format!("resource `{name}` has no kind"));
            }
            for d in &r.dependencies {
                if d == name {
                    return Err(format!("resource `{name}` depends on itself"));
                }
            }
        }
        let mut ids = BTreeMap::new();
        for (name, r) in &self.resources {
            if let Some(other) = ids.insert((&r.kind, &r.id), name) {
                return Err(format!(
                    "resources `{other}` and `{name}` both claim {} {}",
                    r.kind, r.id
                ));
            }
        }
        for d in &self.deposed {
            if d.resource.id.is_empty() {
                return Err(format!("a deposed copy of `{}` has an empty id", d.name));
            }
            if let Some(live) = ids.get(&(&d.resource.kind, &d.resource.id)) {
                return Err(format!(
                    "the deposed (replaced) copy of `{}` is {} {}, which `{live}` also claims as \
                     its current copy",
                    d.name, d.resource.kind, d.resource.id
                ));
            }
        }
        for p in &self.pending {
            if p.name.is_empty() || p.kind.is_empty() {
                return Err("a pending record has no resource name or kind".to_string());
            }
        }
        if self.lineage.is_empty() {
            return Err("it has no lineage".to_string());
        }
        Ok(())
    }
}

/// Why a lockfile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is damaged: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path} has format version {found}; this strata reads version {LOCKFILE_VERSION}")]
    UnknownVersion { path: PathBuf, found: u64 },
    #[error("{path} belongs to stack `{found}`, not `{expected}`")]
    WrongStack {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl LockfileError {
    /// What the user can do about it.
    pub fn help(&self) -> String {
        match self {
            LockfileError::Io { .. } => "check the path and its permissions".to_string(),
            LockfileError::Corrupt { path, .. } => format!(
                "strata did not change the file. The previous version is kept at {}: check it with \
                 `strata state list --lockfile {0}` and, if it is good, copy it over {} \
                 (docs/lockfile.md, \"Restoring a backup\")",
                backup_path(path).display(),
                path.display()
            ),
            LockfileError::UnknownVersion { .. } => {
                "use the strata version that wrote this file, or a newer one".to_string()
            }
            LockfileError::WrongStack { .. } => {
                "point --lockfile at this stack's own lockfile, or fix `stack:` in the documents"
                    .to_string()
            }
            LockfileError::Write { .. } => {
                "check free disk space and permissions; the previous lockfile is unchanged"
                    .to_string()
            }
        }
    }
}

/// `strata.lock.backup` next to `strata.lock`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".backup");
    PathBuf::from(p)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Reads and checks a lockfile; `Ok(None)` when there is none yet.
pub fn read(path: &Path) -> Result<Option<Lockfile>, LockfileError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(LockfileError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut lf = parse(path, &bytes)?;
    replay_journal(path, &mut lf)?;
    Ok(Some(lf))
}

/// Parses lockfile bytes (exposed for tests of damaged files).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Lockfile, LockfileError> {
    let corrupt = |detail: String| LockfileError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| corrupt(format!("not UTF-8 text ({e})")))?;
    if text.trim().is_empty() {
        return Err(corrupt("the file is empty".to_string()));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
    match value.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(LOCKFILE_VERSION) => {}
        Some(found) => {
            return Err(LockfileError::UnknownVersion {
                path: path.to_path_buf(),
                found,
            });
        }
        None => return Err(corrupt("it has no `version` number".to_string())),
    }
    let lf: Lockfile =
        serde_json::from_value(value).map_err(|e| corrupt(format!("unexpected contents ({e})")))?;
    lf.check().map_err(corrupt)?;
    Ok(lf)
}

fn write_err(path: &Path) -> impl Fn(io::Error) -> LockfileError + '_ {
    move |source| LockfileError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the lockfile atomically after incrementing its serial; keeps the old one as backup.
pub fn write(path: &Path, lf: &mut Lockfile) -> Result<(), LockfileError> {
    lf.serial += 1;
    let bytes = lf.to_bytes();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = sibling(path, &format!(".tmp{}", std::process::id()));
    let err = write_err(path);
    {
        let mut f = create_private(&tmp).map_err(&err)?;
        f.write_all(&bytes).map_err(&err)?;
        f.sync_all().map_err(&err)?;
    }
    if path.exists() {
        let backup = backup_path(path);
        let _ = fs::remove_file(&backup);
        if fs::hard_link(path, &backup).is_err() {
            fs::copy(path, &backup).map_err(&err)?;
        }
    }
    fs::rename(&tmp, path).map_err(&err)?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    // The journal's entries are in the new snapshot now (and name the old one as their base,
    // so a journal left by a crash right here is ignored).
    match fs::remove_file(journal_path(path)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    Ok(())
}

/// `strata.lock.journal` next to `strata.lock`.
pub fn journal_path(path: &Path) -> PathBuf {
    sibling(path, ".journal")
}

/// One journal line: what one write changed, against the snapshot whose serial is `base`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    base: u64,
    serial: u64,
    changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Change {
    /// A resource's new record, or `None` when it was removed.
    Resource {
        name: String,
        record: Option<LockedResource>,
    },
    Pending(Vec<PendingOp>),
    Deposed(Vec<DeposedResource>),
    LastApply(Option<ApplyRecord>),
    /// An operation of the current apply finished.
    Completed(String),
    Outputs(BTreeMap<String, LockedOutput>),
}

impl Change {
    fn apply(self, lf: &mut Lockfile) {
        match self {
            Change::Resource { name, record } => match record {
                Some(r) => {
                    lf.resources.insert(name, r);
                }
                None => {
                    lf.resources.remove(&name);
                }
            },
            Change::Pending(p) => lf.pending = p,
            Change::Deposed(d) => lf.deposed = d,
            Change::LastApply(r) => lf.last_apply = r,
            Change::Completed(label) => {
                if let Some(r) = &mut lf.last_apply {
                    r.completed.push(label);
                }
            }
            Change::Outputs(o) => lf.outputs = o,
        }
    }
}

/// Applies the journal's entries made against this snapshot. A last line cut short by a crash
/// (no newline) is ignored; entries against another snapshot were folded into it already.
fn replay_journal(path: &Path, lf: &mut Lockfile) -> Result<(), LockfileError> {
    let jpath = journal_path(path);
    let bytes = match fs::read(&jpath) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(LockfileError::Io {
                path: jpath,
                source,
            });
        }
    };
    let corrupt = |detail: String| LockfileError::Corrupt {
        path: jpath.clone(),
        detail,
    };
    let base = lf.serial;
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) => &bytes[..=end],
        None => return Ok(()),
    };
    for (n, line) in complete.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_slice(line)
            .map_err(|e| corrupt(format!("line {} is not a journal entry ({e})", n + 1)))?;
        if entry.base != base || entry.serial <= lf.serial {
            continue;
        }
        if entry.serial != lf.serial + 1 {
            return Err(corrupt(format!(
                "line {} jumps from serial {} to {}",
                n + 1,
                lf.serial,
                entry.serial
            )));
        }
        for c in entry.changes {
            c.apply(lf);
        }
        lf.serial = entry.serial;
    }
    lf.check().map_err(corrupt)
}

/// Writes the lockfile after every mutation without rewriting it whole: each write appends one
/// line (what changed) to `strata.lock.journal` and syncs it; the snapshot `strata.lock` is
/// rewritten when the journal holds [`Journal::COMPACT_EVERY`] entries and by [`Journal::finish`].
/// A reader applies the journal to the snapshot (see `read`).
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    /// The serial of the snapshot on disk.
    base: u64,
    /// The state on disk (snapshot and journal), to find what changed.
    last: Lockfile,
    entries: usize,
    /// Applied to every record before it is written (secrets masked).
    mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
}

impl Journal {
    /// Snapshots after this many entries.
    pub const COMPACT_EVERY: usize = 1000;

    /// Starts from a full write of `lf`.
    pub fn start(
        path: &Path,
        lf: &mut Lockfile,
        mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
    ) -> Result<Journal, LockfileError> {
        let mut j = Journal {
            path: path.to_path_buf(),
            file: None,
            base: 0,
            last: Lockfile::new("", ""),
            entries: 0,
            mask,
        };
        j.snapshot(lf)?;
        Ok(j)
    }

    /// Rewrites the snapshot (secrets masked) and empties the journal.
    fn snapshot(&mut self, lf: &mut Lockfile) -> Result<(), LockfileError> {
        self.file = None;
        let mut masked = lf.clone();
        (self.mask)(&mut masked);
        write(&self.path, &mut masked)?;
        lf.serial = masked.serial;
        self.base = lf.serial;
        self.last = lf.clone();
        self.entries = 0;
        Ok(())
    }

    /// Records what changed since the last write; `touched` names the resources that may have.
    pub fn save(&mut self, lf: &mut Lockfile, touched: &[&str]) -> Result<(), LockfileError> {
        let mut changes = Vec::new();
        for name in touched {
            let now = lf.resources.get(*name);
            if now != self.last.resources.get(*name) {
                let mut record = now.cloned();
                if let Some(r) = &mut record {
                    let mut one = Lockfile::new("", "");
                    one.resources.insert((*name).to_string(), r.clone());
                    (self.mask)(&mut one);
                    *r = one.resources.remove(*name).unwrap_or_else(|| r.clone());
                }
                changes.push(Change::Resource {
                    name: (*name).to_string(),
                    record,
                });
            }
        }
        if lf.pending != self.last.pending {
            changes.push(Change::Pending(lf.pending.clone()));
        }
        if lf.deposed != self.last.deposed {
            let mut masked = lf.clone();
            masked.resources.clear();
            (self.mask)(&mut masked);
            changes.push(Change::Deposed(masked.deposed));
        }
        match (&lf.last_apply, &self.last.last_apply) {
            (Some(now), Some(was))
                if now.plan_id == was.plan_id
                    && now.finished == was.finished
                    && now.completed.starts_with(&was.completed) =>
            {
                for label in &now.completed[was.completed.len()..] {
                    changes.push(Change::Completed(label.clone()));
                }
            }
            (now, was) if now != was => changes.push(Change::LastApply(now.clone())),
            _ => {}
        }
        if lf.outputs != self.last.outputs {
            let mut masked = lf.clone();
            masked.resources.clear();
            (self.mask)(&mut masked);
            changes.push(Change::Outputs(masked.outputs));
        }
        if changes.is_empty() {
            return Ok(());
        }
        if self.entries >= Self::COMPACT_EVERY {
            return self.snapshot(lf);
        }
        lf.serial += 1;
        let entry = Entry {
            base: self.base,
            serial: lf.serial,
            changes,
        };
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        line.push(b'\n');
        let jpath = journal_path(&self.path);
        let err = |source| LockfileError::Write {
            path: jpath.clone(),
            source,
        };
        if self.file.is_none() {
            self.file = Some(create_private_append(&jpath).map_err(err)?);
        }
        if let Some(f) = &mut self.file {
            f.write_all(&line).map_err(err)?;
            f.sync_data().map_err(err)?;
        }
        for name in touched {
            match lf.resources.get(*name) {
                Some(r) => {
                    self.last.resources.insert((*name).to_string(), r.clone());
                }
                None => {
                    self.last.resources.remove(*name);
                }
            }
        }
        self.last.pending.clone_from(&lf.pending);
        self.last.deposed.clone_from(&lf.deposed);
        self.last.last_apply.clone_from(&lf.last_apply);
        self.last.outputs.clone_from(&lf.outputs);
        self.last.serial = lf.serial;
        self.entries += 1;
        Ok(())
    }

    /// Folds the journal into a new snapshot.
    pub fn finish(&mut self, lf: &mut Lockfile) -> Result<(), LockfileError> {
        self.snapshot(lf)
    }
}

/// Opens the journal for appending, readable only by its owner.
fn create_private_append(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Creates a file readable only by its owner (the lockfile may name account details).
fn create_private(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Who holds the lock on a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub since: String,
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {} since {} ({})",
            self.pid, self.host, self.since, self.command
        )
    }
}

/// Why the stack lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the stack is locked by {0}")]
    Held(Holder),
    #[error("the stack is locked by another process (it left no details)")]
    HeldUnknown,
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// An exclusive lock on a stack, released when dropped (and by the OS if the process dies).
#[derive(Debug)]
pub struct StackLock {
    file: File,
    path: PathBuf,
    /// A previous holder that died without releasing, if we took its place.
    pub took_over: Option<Holder>,
}

/// `strata.lock.holder` next to `strata.lock`.
pub fn holder_path(lockfile: &Path) -> PathBuf {
    sibling(lockfile, ".holder")
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// True if a process with this pid exists on this machine.
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    #[allow(unsafe_code)]
    // SAFETY: kill with signal 0 only checks whether the process exists; it sends nothing.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut s).ok()?;
    serde_json::from_str(&s).ok()
}

impl StackLock {
    /// Takes the lock at once or fails naming the holder.
    pub fn acquire(lockfile: &Path, command: &str) -> Result<StackLock, LockError> {
        let path = holder_path(lockfile);
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(match read_holder(&mut file) {
                    Some(h) => LockError::Held(h),
                    None => LockError::HeldUnknown,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        // We hold the lock. Details left behind mean the last holder died without releasing.
        let took_over = read_holder(&mut file).filter(|h| h.pid != std::process::id());
        let me = Holder {
            pid: std::process::id(),
            host: host_name(),
            since: now_rfc3339(),
            command: command.to_string(),
        };
        let body = serde_json::to_vec_pretty(&me).unwrap_or_default();
        file.set_len(0).map_err(io_err)?;
        file.rewind().map_err(io_err)?;
        file.write_all(&body).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(StackLock {
            file,
            path,
            took_over,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StackLock {
    fn drop(&mut self) {
        // Clear the details first so a later reader does not mistake them for a dead holder.
        let _ = self.file.set_len(0);
        let _ = self.file.sync_all();
        let _ = self.file.unlock();
    }
}

/// Removes a lock left behind, for `strata force-unlock`: returns the holder it named.
pub fn force_unlock(lockfile: &Path) -> Result<Option<Holder>, LockError> {
    let path = holder_path(lockfile);
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LockError::Io { path, source }),
    };
    let holder = read_holder(&mut file);
    if let Some(h) = &holder
        && h.host == host_name()
        && h.pid != std::process::id()
        && pid_alive(h.pid)
    {
        // A live process on this machine still holds it: removing the file would not stop it.
        return Err(LockError::Held(h.clone()));
    }
    let _ = fs::remove_file(&path);
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lockfile {
        let mut lf = Lockfile::new("lab", "us-east-1");
        lf.resources.insert(
            "vpc".into(),
            LockedResource {
                kind: "ec2.vpc".into(),
                id: "vpc-1".into(),
                attributes: serde_json::json!({"cidr_block": "10.0.0.0/16"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                dependencies: vec![],
                soft_dependencies: vec![],
                prevent_destroy: false,
                created_at: None,
            },
        );
        lf
    }

    #[test]
    fn write_then_read_round_trips_and_keeps_a_backup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        write(&path, &mut lf).expect("write");
        assert_eq!(lf.serial, 1);
        let first = fs::read(&path).expect("read");
        write(&path, &mut lf).expect("write again");
        assert_eq!(fs::read(backup_path(&path)).expect("backup"), first);
        let back = read(&path).expect("read").expect("present");
        assert_eq!(back, lf);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn output_is_deterministic_with_sorted_keys() {
        let mut a = sample();
        let mut b = sample();
        a.lineage = "x".into();
        b.lineage = "x".into();
        assert_eq!(a.to_bytes(), b.to_bytes());
        let text = String::from_utf8(a.to_bytes()).expect("utf8");
        assert!(text.ends_with("}\n"));
        let keys: Vec<usize> = [
            "\"lineage\"",
            "\"region\"",
            "\"resources\"",
            "\"serial\"",
            "\"stack\"",
            "\"version\"",
        ]
        .iter()
        .map(|k| text.find(k).expect("key present"))
        .collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "keys are sorted: {text}"
        );
    }

    #[test]
    fn damaged_files_are_clear_errors() {
        let p = Path::new("strata.lock");
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "empty"),
            (b"{\"version\": 1, \"lin", "not valid JSON"),
            (&[0xff, 0xfe, 0x00], "not UTF-8"),
            (b"{\"version\": 99}", "version 99"),
            (b"[1,2]", "no `version`"),
            (
                b"{\"version\":1,\"lineage\":\"l\",\"serial\":1,\"stack\":\"s\",\"region\":\"r\",\"resources\":{\"a\":{\"kind\":\"ec2.vpc\",\"id\":\"\"}}}",
                "empty id",
            ),
            (
                b"{\"version\":1,\"lineage\":\"l\",\"serial\":1,\"stack\":\"s\",\"region\":\"r\",\"resources\":{\"a\":{\"kind\":\"ec2.vpc\",\"id\":\"v\"},\"b\":{\"kind\":\"ec2.vpc\",\"id\":\"v\"}}}",
                "both claim",
            ),
        ];
        for (bytes, expect) in cases {
            let e = parse(p, bytes).expect_err(expect);
            assert!(
                e.to_string().contains(expect),
                "{e} should mention {expect}"
            );
            assert!(!e.help().is_empty());
        }
    }

    #[test]
    fn a_second_lock_fails_naming_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let first = StackLock::acquire(&path, "strata apply").expect("first");
        assert!(first.took_over.is_none());
        match StackLock::acquire(&path, "strata plan") {
            Err(LockError::Held(h)) => {
                assert_eq!(h.pid, std::process::id());
                assert_eq!(h.command, "strata apply");
            }
            other => panic!("expected a held lock, got {other:?}"),
        }
        drop(first);
        let again = StackLock::acquire(&path, "strata plan").expect("free again");
        assert!(
            again.took_over.is_none(),
            "a clean release leaves no details"
        );
    }

    #[test]
    fn details_left_by_a_dead_holder_are_reported_as_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let dead = Holder {
            pid: 999_999_999,
            host: host_name(),
            since: "2026-01-01T00:00:00Z".into(),
            command: "strata apply".into(),
        };
        fs::write(holder_path(&path), serde_json::to_vec(&dead).expect("json")).expect("write");
        let lock = StackLock::acquire(&path, "strata apply").expect("stale lock is free");
        assert_eq!(lock.took_over, Some(dead));
    }

    fn record(id: &str) -> LockedResource {
        LockedResource {
            kind: "ec2.subnet".into(),
            id: id.into(),
            attributes: Attrs::new(),
            dependencies: vec![],
            soft_dependencies: vec![],
            prevent_destroy: false,
            created_at: None,
        }
    }

    fn no_mask() -> Box<dyn Fn(&mut Lockfile) + Send + Sync> {
        Box::new(|_| {})
    }

    #[test]
    fn the_journal_records_each_write_and_a_reader_replays_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        let mut j = Journal::start(&path, &mut lf, no_mask()).expect("start");
        let snapshot = fs::read(&path).expect("snapshot");
        lf.pending.push(PendingOp {
            op: PendingKind::Create,
            name: "a".into(),
            kind: "ec2.subnet".into(),
            id: None,
            token: "t".into(),
            plan_id: "p".into(),
            started_at: now_rfc3339(),
        });
        lf.last_apply = Some(ApplyRecord {
            plan_id: "p".into(),
            completed: vec![],
            finished: false,
        });
        j.save(&mut lf, &[]).expect("save");
        lf.pending.clear();
        lf.resources.insert("a".into(), record("subnet-1"));
        if let Some(r) = &mut lf.last_apply {
            r.completed.push("create a".into());
        }
        j.save(&mut lf, &["a"]).expect("save");
        lf.resources.remove("vpc");
        j.save(&mut lf, &["vpc"]).expect("save");
        assert_eq!(
            fs::read(&path).expect("snapshot"),
            snapshot,
            "only the journal grew"
        );
        assert_eq!(read(&path).expect("read"), Some(lf.clone()));

        // A write cut short by a crash: the torn line is ignored.
        let jpath = journal_path(&path);
        let mut f = OpenOptions::new()
            .append(true)
            .open(&jpath)
            .expect("journal");
        f.write_all(b"{\"base\": 1, \"ser").expect("torn write");
        drop(f);
        assert_eq!(read(&path).expect("read"), Some(lf.clone()));

        // Folded into a new snapshot: the journal goes.
        j.finish(&mut lf).expect("finish");
        assert!(!jpath.exists());
        assert_eq!(read(&path).expect("read"), Some(lf.clone()));
    }

    #[test]
    fn a_journal_against_another_snapshot_is_ignored_and_a_damaged_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        let mut j = Journal::start(&path, &mut lf, no_mask()).expect("start");
        lf.resources.insert("a".into(), record("subnet-1"));
        j.save(&mut lf, &["a"]).expect("save");
        let jpath = journal_path(&path);
        let journal = fs::read(&jpath).expect("journal");
        // The snapshot was rewritten (a crash between the snapshot and removing the journal):
        // the old journal's entries are in it already.
        let mut newer = lf.clone();
        write(&path, &mut newer).expect("write");
        fs::write(&jpath, &journal).expect("stale journal");
        assert_eq!(read(&path).expect("read"), Some(newer));
        // A damaged line in the middle is an error naming the journal.
        let mut lf = sample();
        write(&path, &mut lf).expect("write");
        let base = lf.serial;
        fs::write(
            &jpath,
            format!(
                "not json\n{{\"base\":{base},\"serial\":{},\"changes\":[]}}\n",
                base + 1
            ),
        )
        .expect("damaged journal");
        let e = read(&path).expect_err("damaged");
        assert!(e.to_string().contains("strata.lock.journal"), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn the_journal_is_folded_into_the_snapshot_now_and_then() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        let mut j = Journal::start(&path, &mut lf, no_mask()).expect("start");
        for i in 0..=Journal::COMPACT_EVERY {
            lf.resources
                .insert(format!("r{i}"), record(&format!("subnet-{i}")));
            j.save(&mut lf, &[&format!("r{i}")]).expect("save");
        }
        let lines = fs::read_to_string(journal_path(&path))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        assert!(lines < Journal::COMPACT_EVERY, "{lines} lines");
        assert_eq!(read(&path).expect("read"), Some(lf));
    }
}
