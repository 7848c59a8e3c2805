//! The snapshot `strata.lock`: the `Lockfile` value and its records, its version, reading
//! (with the journal applied), checking and the atomic write, and the lockfile's real path.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::journal::{journal_path, replay_journal};
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
    /// When a read of the live state (an apply's) first found it after its create (RFC 3339;
    /// absent in lockfiles written before, and until then). A resource seen since its create
    /// that a read misses is gone: it is not looked for again (`read::unsettled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<String>,
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
    /// Interrupted creates whose id AWS gave before the interruption (journaled before the
    /// wait): each record with its id.
    pub fn journaled_creates(&self) -> impl Iterator<Item = (&PendingOp, &str)> {
        self.pending
            .iter()
            .filter(|p| p.op == PendingKind::Create)
            .filter_map(|p| p.id.as_deref().map(|id| (p, id)))
    }

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
    pub(super) fn check(&self) -> Result<(), String> {
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
    /// A remote store refused or failed (its own message and way out).
    #[error("{message}")]
    Remote { message: String, help: String },
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
            LockfileError::Remote { help, .. } => help.clone(),
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

pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Reads a lockfile or its journal as every input is read (a regular file, its size checked
/// before it is read, read with a bound): `Ok(None)` when there is none.
pub(super) fn read_state_file(path: &Path) -> Result<Option<Vec<u8>>, LockfileError> {
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
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
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
pub(super) fn write_snapshot(path: &Path, lf: &mut Lockfile) -> Result<String, LockfileError> {
    lf.serial += 1;
    write_bytes(path, &lf.to_bytes()).inspect_err(|_| lf.serial -= 1)
}

/// Writes the lockfile as it is, its serial kept (`strata state migrate`, `pull`: the same
/// state in another place), atomically as [`write`] does.
pub fn write_as_is(path: &Path, lf: &Lockfile) -> Result<(), LockfileError> {
    write_bytes(path, &lf.to_bytes()).map(|_| ())
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<String, LockfileError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = sibling(path, &format!(".tmp{}", std::process::id()));
    let err = write_err(path);
    let replaced = (|| {
        {
            let mut f = create_private(&tmp)?;
            f.write_all(bytes)?;
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
    Ok(sha256_hex(bytes))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::test_support::sample;
    use crate::lockfile::{LockError, StackLock, journal_path};

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
}
