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
    /// Not a regular file, or larger than a lockfile or journal can be.
    #[error(transparent)]
    NotALockfile(strata_model::input::InputError),
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
    /// The journal cannot be read as journal lines.
    #[error("{path} is damaged: {detail}")]
    DamagedJournal {
        path: PathBuf,
        lockfile: PathBuf,
        detail: String,
    },
    /// The journal is not the continuation of this lockfile's snapshot.
    #[error("{path} does not belong to {lockfile}: {detail}")]
    ForeignJournal {
        path: PathBuf,
        lockfile: PathBuf,
        detail: String,
    },
    /// The journal was written by a strata that did not record which lockfile it belongs to.
    #[error(
        "{path} was written by an older strata, which did not record which lockfile a journal \
         belongs to; strata cannot tell whether it belongs to {lockfile}"
    )]
    UnprovenJournal { path: PathBuf, lockfile: PathBuf },
}

impl LockfileError {
    /// What the user can do about it.
    pub fn help(&self) -> String {
        match self {
            LockfileError::Io { .. } => "check the path and its permissions".to_string(),
            LockfileError::NotALockfile(e) => e.help(),
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
            LockfileError::DamagedJournal { path, lockfile, .. } => format!(
                "strata changed nothing. The journal holds the writes made since {lockfile} was \
                 last written whole. To go on from that snapshot, keep the journal aside: \
                 `mv {journal} {journal}.damaged`, then run `strata plan`: resources the \
                 interrupted run created are found by their ownership tags and adopted \
                 (docs/lockfile.md, \"A journal that is refused\")",
                lockfile = lockfile.display(),
                journal = path.display(),
            ),
            LockfileError::ForeignJournal { path, lockfile, .. } => format!(
                "strata changed nothing and applied none of it. If the journal was copied or \
                 left here by mistake, move it away (`mv {journal} {journal}.foreign`) and run \
                 `strata plan`; if it is the journal of this stack's last run, put back the \
                 {lockfile} it was written next to (docs/lockfile.md, \"A journal that is \
                 refused\")",
                lockfile = lockfile.display(),
                journal = path.display(),
            ),
            LockfileError::UnprovenJournal { path, .. } => format!(
                "if it is this lockfile's journal, run `strata apply` once with the strata \
                 version that wrote it (that folds it into the lockfile); otherwise move it \
                 away (`mv {journal} {journal}.old`) and run `strata plan`: resources an \
                 interrupted run created are found by their tags, and `--adopt-foreign` takes \
                 them over (docs/lockfile.md, \"A journal that is refused\")",
                journal = path.display(),
            ),
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

/// Reads a lockfile or its journal as every input is read (a regular file, its size checked
/// before it is read, read with a bound): `Ok(None)` when there is none.
fn read_state_file(path: &Path) -> Result<Option<Vec<u8>>, LockfileError> {
    use strata_model::input::{self, InputError};
    match input::read_bounded(path, input::LOCKFILE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(InputError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(InputError::Io { path, source }) => Err(LockfileError::Io { path, source }),
        Err(e) => Err(LockfileError::NotALockfile(e)),
    }
}

/// Reads and checks a lockfile, with its journal applied; `Ok(None)` when there is none yet.
pub fn read(path: &Path) -> Result<Option<Lockfile>, LockfileError> {
    let bytes = match read_state_file(path)? {
        Some(b) => b,
        None => {
            let jpath = journal_path(path);
            if jpath.exists() {
                // A journal is written only after its snapshot, which is never removed.
                return Err(LockfileError::ForeignJournal {
                    detail: format!(
                        "there is no {} for it to continue (the journal is only valid next to \
                         the snapshot it extends)",
                        path.display()
                    ),
                    path: jpath,
                    lockfile: path.to_path_buf(),
                });
            }
            return Ok(None);
        }
    };
    let mut lf = parse(path, &bytes)?;
    replay_journal(path, &mut lf, &sha256_hex(&bytes))?;
    Ok(Some(lf))
}

/// The SHA-256 of a snapshot's bytes, in hex: what a journal line names as the snapshot it
/// extends.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    write_snapshot(path, lf).map(|_| ())
}

/// [`write`], returning the SHA-256 of the bytes written (see [`sha256_hex`]). The temporary
/// file is removed whatever fails, so a full disk leaves nothing behind.
fn write_snapshot(path: &Path, lf: &mut Lockfile) -> Result<String, LockfileError> {
    lf.serial += 1;
    let bytes = lf.to_bytes();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = sibling(path, &format!(".tmp{}", std::process::id()));
    let err = write_err(path);
    let replaced = (|| {
        {
            let mut f = create_private(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        if path.exists() {
            let backup = backup_path(path);
            let _ = fs::remove_file(&backup);
            if fs::hard_link(path, &backup).is_err() {
                fs::copy(path, &backup)?;
            }
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = replaced {
        let _ = fs::remove_file(&tmp);
        lf.serial -= 1;
        return Err(err(e));
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    // The journal's entries are in the new snapshot now (and name the old one as their base,
    // so a journal left by a crash right here is recognised as folded in).
    match fs::remove_file(journal_path(path)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    Ok(sha256_hex(&bytes))
}

/// The lockfile's real path: a symlink (or a chain of them) at `path` is followed, so that the
/// lock, the journal, the backup and the atomic rename all act beside the file itself (and the
/// link stays a link). The rest of the path is kept as given.
pub fn resolve_path(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{} is a chain of more than 40 symbolic links",
        path.display()
    )))
}

/// `strata.lock.journal` next to `strata.lock`.
pub fn journal_path(path: &Path) -> PathBuf {
    sibling(path, ".journal")
}

/// One journal line: what one write changed, against the snapshot whose serial is `base`.
/// `lineage` and `base_sha256` prove which snapshot that is: a journal is applied only to the
/// lockfile of its lineage, and only to the very snapshot it was written after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    lineage: String,
    base: u64,
    /// The SHA-256 of the snapshot's bytes, in hex.
    base_sha256: String,
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

/// Applies the journal's entries made against this snapshot (`digest`: the SHA-256 of its
/// bytes). A last line cut short by a crash (no newline) is ignored; entries of this lineage
/// against an older snapshot were folded into it already (a crash between writing the snapshot
/// and removing the journal). Anything else that does not continue this very snapshot (another
/// lockfile's journal, a journal of a newer or another copy of this one, lines of an older
/// strata that do not say) is refused, never applied or ignored.
fn replay_journal(path: &Path, lf: &mut Lockfile, digest: &str) -> Result<(), LockfileError> {
    let jpath = journal_path(path);
    let Some(bytes) = read_state_file(&jpath)? else {
        return Ok(());
    };
    let damaged = |detail: String| LockfileError::DamagedJournal {
        path: jpath.clone(),
        lockfile: path.to_path_buf(),
        detail,
    };
    let foreign = |detail: String| LockfileError::ForeignJournal {
        path: jpath.clone(),
        lockfile: path.to_path_buf(),
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
        let n = n + 1;
        let value: Value = serde_json::from_slice(line)
            .map_err(|e| damaged(format!("line {n} is not a journal entry ({e})")))?;
        if value.get("base").is_some() && value.get("lineage").is_none() {
            return Err(LockfileError::UnprovenJournal {
                path: jpath.clone(),
                lockfile: path.to_path_buf(),
            });
        }
        let entry: Entry = serde_json::from_value(value)
            .map_err(|e| damaged(format!("line {n} is not a journal entry ({e})")))?;
        if entry.lineage != lf.lineage {
            return Err(foreign(format!(
                "it records the writes of the lockfile with lineage {}, and {} has lineage {} \
                 (stack `{}`)",
                entry.lineage,
                path.display(),
                lf.lineage,
                lf.stack
            )));
        }
        if entry.base < base {
            continue;
        }
        if entry.base > base {
            return Err(foreign(format!(
                "line {n} continues serial {} of this lockfile, but {} is at serial {base} (an \
                 older copy was put back)",
                entry.base,
                path.display()
            )));
        }
        if entry.base_sha256 != digest {
            return Err(foreign(format!(
                "line {n} continues another copy of this lockfile at serial {base} (the \
                 snapshot's SHA-256 is {digest}, the journal's {})",
                entry.base_sha256
            )));
        }
        if entry.serial <= lf.serial {
            continue;
        }
        if entry.serial != lf.serial + 1 {
            return Err(damaged(format!(
                "line {n} jumps from serial {} to {}",
                lf.serial, entry.serial
            )));
        }
        for c in entry.changes {
            c.apply(lf);
        }
        lf.serial = entry.serial;
    }
    lf.check().map_err(damaged)
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
    /// The SHA-256 of the snapshot on disk.
    base_sha256: String,
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
            base_sha256: String::new(),
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
        self.base_sha256 = write_snapshot(&self.path, &mut masked)?;
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
        let entry = Entry {
            lineage: lf.lineage.clone(),
            base: self.base,
            base_sha256: self.base_sha256.clone(),
            serial: lf.serial + 1,
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
            let len = f.metadata().map_err(err)?.len();
            if let Err(e) = f.write_all(&line).and_then(|()| f.sync_data()) {
                // Leave no part of the line behind (a full disk), so the next line starts clean.
                let _ = f.set_len(len);
                return Err(err(e));
            }
        }
        lf.serial += 1;
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
    #[error(
        "the stack is locked by another process, which has written no details about itself \
         in 5 seconds"
    )]
    HeldUnknown,
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// How long a process that finds the stack locked looks for the holder's details.
const HOLDER_DETAILS_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
        // A holder writes its details right after taking the lock and clears them right
        // before releasing it: details not there yet (or any more) are looked for again for a
        // moment, and a lock released meanwhile is taken.
        let deadline = std::time::Instant::now() + HOLDER_DETAILS_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    if let Some(h) = read_holder(&mut file) {
                        return Err(LockError::Held(h));
                    }
                    if std::time::Instant::now() >= deadline {
                        return Err(LockError::HeldUnknown);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
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

    /// A lockfile or journal that is a device or a FIFO is refused before it is opened for
    /// reading (it would never end, or never answer), and so is one over the size limit.
    #[test]
    fn a_lockfile_or_journal_that_is_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        #[cfg(unix)]
        std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
        let e = read(&path).expect_err("a device is no lockfile");
        assert!(matches!(e, LockfileError::NotALockfile(_)), "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(!e.help().is_empty());

        fs::remove_file(&path).expect("remove link");
        let mut lf = sample();
        write(&path, &mut lf).expect("write");
        let made = std::process::Command::new("mkfifo")
            .arg(journal_path(&path))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let e = read(&path).expect_err("a FIFO is no journal");
        assert!(matches!(e, LockfileError::NotALockfile(_)), "{e}");

        fs::remove_file(journal_path(&path)).expect("remove FIFO");
        let big = fs::File::create(journal_path(&path)).expect("journal");
        big.set_len(strata_model::input::LOCKFILE.bytes + 1)
            .expect("a sparse journal over the limit");
        let e = read(&path).expect_err("too large");
        assert!(e.to_string().contains("larger than"), "{e}");
    }

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

    /// A journal that is started and given one resource, as a run killed during its first
    /// apply leaves it: (lockfile path, journal bytes).
    fn killed_first_apply(dir: &Path, stack: &str, resource: &str) -> (PathBuf, Vec<u8>) {
        let path = dir.join("strata.lock");
        let mut lf = Lockfile::new(stack, "us-east-1");
        let mut j = Journal::start(&path, &mut lf, no_mask()).expect("start");
        lf.resources.insert(resource.into(), record(resource));
        j.save(&mut lf, &[resource]).expect("save");
        let journal = fs::read(journal_path(&path)).expect("journal");
        (path, journal)
    }

    #[test]
    fn another_lockfiles_journal_is_refused_naming_both() {
        let one = tempfile::tempdir().expect("tempdir");
        let two = tempfile::tempdir().expect("tempdir");
        let (_, journal) = killed_first_apply(one.path(), "first", "subnet-1");
        let (path, _) = killed_first_apply(two.path(), "second", "subnet-2");
        // Both snapshots are at serial 1 (base 1), as after any first apply.
        fs::write(journal_path(&path), &journal).expect("copy the journal");
        let theirs = parse(&path, &fs::read(&path).expect("snapshot")).expect("snapshot");
        let e = read(&path).expect_err("refused");
        assert!(matches!(e, LockfileError::ForeignJournal { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("strata.lock.journal does not belong to"),
            "{msg}"
        );
        assert!(
            msg.contains(&theirs.lineage),
            "names this lockfile's lineage: {msg}"
        );
        let help = e.help();
        assert!(
            help.contains("mv ") && help.contains("strata.lock.journal.foreign"),
            "{help}"
        );
        assert!(!help.contains(".journal.backup"), "{help}");
        assert_eq!(
            fs::read(journal_path(&path)).expect("journal"),
            journal,
            "left as it was"
        );
    }

    #[test]
    fn a_journal_of_another_copy_or_a_newer_snapshot_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, journal) = killed_first_apply(dir.path(), "lab", "a");
        // The same lineage and serial, other bytes: another copy of this lockfile.
        let mut other = parse(&path, &fs::read(&path).expect("snapshot")).expect("parse");
        other.region = "eu-west-1".into();
        other.serial -= 1;
        write(&path, &mut other).expect("write");
        fs::write(journal_path(&path), &journal).expect("journal back");
        let e = read(&path).expect_err("another copy");
        assert!(e.to_string().contains("another copy"), "{e}");
        // An older snapshot put back under a newer journal.
        let mut older = other.clone();
        older.serial = 0;
        fs::remove_file(journal_path(&path)).expect("rm");
        write(&path, &mut older).expect("write");
        assert_eq!(older.serial, 1);
        let mut newer = String::from_utf8(journal.clone()).expect("utf8");
        newer = newer
            .replace("\"base\":1", "\"base\":5")
            .replace("\"serial\":2", "\"serial\":6");
        fs::write(journal_path(&path), newer).expect("journal");
        let e = read(&path).expect_err("newer journal");
        assert!(e.to_string().contains("older copy was put back"), "{e}");
    }

    #[test]
    fn journal_lines_of_an_older_strata_are_refused_with_the_way_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        write(&path, &mut lf).expect("write");
        fs::write(
            journal_path(&path),
            "{\"base\":1,\"serial\":2,\"changes\":[{\"pending\":[]}]}\n",
        )
        .expect("old journal");
        let e = read(&path).expect_err("refused");
        assert!(matches!(e, LockfileError::UnprovenJournal { .. }), "{e}");
        assert!(e.help().contains("strata.lock.journal.old"), "{}", e.help());
        assert!(e.help().contains("--adopt-foreign"), "{}", e.help());
    }

    #[test]
    fn a_journal_without_its_snapshot_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _) = killed_first_apply(dir.path(), "lab", "a");
        fs::remove_file(&path).expect("lose the snapshot");
        let e = read(&path).expect_err("refused");
        assert!(e.to_string().contains("there is no"), "{e}");
    }

    #[test]
    fn a_damaged_journals_help_names_what_exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, journal) = killed_first_apply(dir.path(), "lab", "a");
        let mut bad = b"{not json}\n".to_vec();
        bad.extend(journal);
        fs::write(journal_path(&path), bad).expect("damage");
        let e = read(&path).expect_err("damaged");
        assert!(e.to_string().contains("line 1"), "{e}");
        let help = e.help();
        assert!(help.contains("strata.lock.journal.damaged"), "{help}");
        assert!(!help.contains(".journal.backup"), "{help}");
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file_and_the_serial() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the lockfile should be: the rename over it fails.
        let path = dir.path().join("strata.lock");
        fs::create_dir(&path).expect("dir");
        fs::write(path.join("x"), "x").expect("file");
        let mut lf = sample();
        let e = write(&path, &mut lf).expect_err("cannot replace a directory");
        assert!(matches!(e, LockfileError::Write { .. }), "{e}");
        assert_eq!(lf.serial, 0);
        let left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["strata.lock"], "no temporary file left");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_lockfile_resolves_to_its_target() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("state");
        fs::create_dir(&real).expect("dir");
        let target = real.join("strata.lock");
        let link = dir.path().join("strata.lock");
        // Dangling first (no lockfile yet): the target it will be.
        symlink("state/strata.lock", &link).expect("link");
        assert_eq!(resolve_path(&link).expect("resolve"), target);
        let mut lf = sample();
        write(&resolve_path(&link).expect("resolve"), &mut lf).expect("write");
        write(&resolve_path(&link).expect("resolve"), &mut lf).expect("write again");
        assert!(
            fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink(),
            "the link stays a link"
        );
        assert_eq!(read(&link).expect("read").expect("present"), lf);
        assert!(backup_path(&target).exists());
        // A chain of links, and a path that is no link.
        let second = dir.path().join("again.lock");
        symlink(&link, &second).expect("link");
        assert_eq!(resolve_path(&second).expect("resolve"), target);
        assert_eq!(resolve_path(&target).expect("resolve"), target);
        // Through the link and through the target: one lock.
        let held = StackLock::acquire(&resolve_path(&link).expect("resolve"), "strata apply")
            .expect("lock");
        assert!(matches!(
            StackLock::acquire(&target, "strata apply"),
            Err(LockError::Held(_))
        ));
        drop(held);
    }

    /// The holder file of `lockfile`, empty and locked as a holder locks it.
    fn locked_holder_file(lockfile: &Path) -> File {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(holder_path(lockfile))
            .expect("holder");
        file.try_lock().expect("lock");
        file
    }

    #[test]
    fn a_contender_waits_for_the_holders_details() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        // A holder between taking the lock and writing its details.
        let mut file = locked_holder_file(&path);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let me = Holder {
                pid: 4242,
                host: host_name(),
                since: now_rfc3339(),
                command: "strata apply".into(),
            };
            file.write_all(&serde_json::to_vec(&me).expect("json"))
                .expect("details");
            file.sync_all().expect("sync");
            file
        });
        match StackLock::acquire(&path, "strata apply") {
            Err(LockError::Held(h)) => assert_eq!(h.pid, 4242),
            other => panic!("expected the holder's details, got {other:?}"),
        }
        drop(writer.join().expect("writer"));
    }

    #[test]
    fn a_holder_releasing_the_lock_is_waited_for_not_reported_without_details() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        // A holder between clearing its details and releasing the lock (its Drop).
        let file = locked_holder_file(&path);
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            file.unlock().expect("unlock");
            file
        });
        let lock = StackLock::acquire(&path, "strata apply").expect("taken once released");
        assert!(lock.took_over.is_none());
        drop(releaser.join().expect("releaser"));
    }
}
