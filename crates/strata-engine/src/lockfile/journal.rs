//! `strata.lock.journal`: the lines appended after every mutation, each naming the lineage and
//! the SHA-256 of the snapshot it continues; replayed by a reader, folded into the snapshot
//! now and then.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::format::{
    ApplyRecord, DeposedResource, LockedOutput, LockedResource, Lockfile, LockfileError, PendingOp,
    read_state_file, sha256_hex, sibling, write_snapshot,
};
use super::remote::RemoteState;

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
pub(super) fn replay_journal(
    path: &Path,
    lf: &mut Lockfile,
    digest: &str,
) -> Result<(), LockfileError> {
    let jpath = journal_path(path);
    let Some(bytes) = read_state_file(&jpath)? else {
        return Ok(());
    };
    replay_lines(path, &jpath, &bytes, lf, digest)
}

/// [`replay_journal`] of the journal's bytes (`jpath` and `path` name the journal and the
/// snapshot in messages).
pub(super) fn replay_lines(
    path: &Path,
    jpath: &Path,
    bytes: &[u8],
    lf: &mut Lockfile,
    digest: &str,
) -> Result<(), LockfileError> {
    let damaged = |detail: String| LockfileError::DamagedJournal {
        path: jpath.to_path_buf(),
        lockfile: path.to_path_buf(),
        detail,
    };
    let foreign = |detail: String| LockfileError::ForeignJournal {
        path: jpath.to_path_buf(),
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
                path: jpath.to_path_buf(),
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

/// One write's worth of changes to a lockfile, made through this value so that each is noted
/// as it is made: the journal writes what the executor changed (the records it named), never
/// what a comparison of two copies finds. Reads go through `Deref`.
pub struct Edit<'a> {
    lf: &'a mut Lockfile,
    resources: Vec<String>,
    pending: bool,
    deposed: bool,
    completed: Vec<String>,
}

impl<'a> Edit<'a> {
    pub fn new(lf: &'a mut Lockfile) -> Edit<'a> {
        Edit {
            lf,
            resources: Vec::new(),
            pending: false,
            deposed: false,
            completed: Vec::new(),
        }
    }

    fn touch(&mut self, name: &str) {
        if !self.resources.iter().any(|n| n == name) {
            self.resources.push(name.to_string());
        }
    }

    /// Records `record` as the resource `name`; returns the record it replaces.
    pub fn insert_resource(
        &mut self,
        name: &str,
        record: LockedResource,
    ) -> Option<LockedResource> {
        self.touch(name);
        self.lf.resources.insert(name.to_string(), record)
    }

    /// Removes the resource `name`'s record.
    pub fn remove_resource(&mut self, name: &str) -> Option<LockedResource> {
        let old = self.lf.resources.remove(name);
        if old.is_some() {
            self.touch(name);
        }
        old
    }

    /// The resource `name`'s record, to change.
    pub fn resource_mut(&mut self, name: &str) -> Option<&mut LockedResource> {
        if self.lf.resources.contains_key(name) {
            self.touch(name);
        }
        self.lf.resources.get_mut(name)
    }

    /// The records of calls in flight, to change.
    pub fn pending_mut(&mut self) -> &mut Vec<PendingOp> {
        self.pending = true;
        &mut self.lf.pending
    }

    /// The deposed copies, to change.
    pub fn deposed_mut(&mut self) -> &mut Vec<DeposedResource> {
        self.deposed = true;
        &mut self.lf.deposed
    }

    /// An operation of the current apply finished.
    pub fn complete(&mut self, label: &str) {
        if let Some(r) = &mut self.lf.last_apply {
            r.completed.push(label.to_string());
            self.completed.push(label.to_string());
        }
    }

    fn is_empty(&self) -> bool {
        self.resources.is_empty() && !self.pending && !self.deposed && self.completed.is_empty()
    }
}

impl std::ops::Deref for Edit<'_> {
    type Target = Lockfile;

    fn deref(&self) -> &Lockfile {
        self.lf
    }
}

/// Writes the lockfile after every mutation without rewriting it whole: each write appends one
/// line (what an [`Edit`] changed) to `strata.lock.journal` and syncs it; the snapshot
/// `strata.lock` is rewritten when the journal holds [`Journal::COMPACT_EVERY`] entries and by
/// [`Journal::finish`]. A reader applies the journal to the snapshot (see `read`).
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    /// The state's store when it is not the local file at `path`.
    remote: Option<Arc<dyn RemoteState>>,
    /// The serial of the snapshot on disk.
    base: u64,
    /// The SHA-256 of the snapshot on disk.
    base_sha256: String,
    entries: usize,
    /// Applied to every record before it is written (secrets masked).
    mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
}

impl Journal {
    /// Snapshots after this many entries.
    pub const COMPACT_EVERY: usize = 1000;
    /// Snapshots after this many entries in a remote store (each entry is an object a reader
    /// fetches).
    pub const COMPACT_EVERY_REMOTE: usize = 100;

    /// Starts from a full write of `lf`.
    pub fn start(
        path: &Path,
        lf: &mut Lockfile,
        mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
    ) -> Result<Journal, LockfileError> {
        Journal::start_at(path, None, lf, mask)
    }

    /// Starts from a full write of `lf` to a remote store.
    pub fn start_remote(
        store: Arc<dyn RemoteState>,
        lf: &mut Lockfile,
        mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
    ) -> Result<Journal, LockfileError> {
        Journal::start_at(Path::new(""), Some(store), lf, mask)
    }

    /// Starts from a full write of `lf`: to `remote` when there is one, else to the lockfile
    /// at `path`.
    pub fn start_at(
        path: &Path,
        remote: Option<Arc<dyn RemoteState>>,
        lf: &mut Lockfile,
        mask: Box<dyn Fn(&mut Lockfile) + Send + Sync>,
    ) -> Result<Journal, LockfileError> {
        let path = match &remote {
            Some(store) => super::remote::remote_snapshot_name(store.as_ref()),
            None => path.to_path_buf(),
        };
        let mut j = Journal {
            path,
            file: None,
            remote,
            base: 0,
            base_sha256: String::new(),
            entries: 0,
            mask,
        };
        j.snapshot(lf)?;
        Ok(j)
    }

    fn compact_every(&self) -> usize {
        if self.remote.is_some() {
            Self::COMPACT_EVERY_REMOTE
        } else {
            Self::COMPACT_EVERY
        }
    }

    /// Rewrites the snapshot (secrets masked) and empties the journal.
    fn snapshot(&mut self, lf: &mut Lockfile) -> Result<(), LockfileError> {
        self.file = None;
        let mut masked = lf.clone();
        (self.mask)(&mut masked);
        self.base_sha256 = match &self.remote {
            Some(store) => {
                masked.serial += 1;
                let bytes = masked.to_bytes();
                store.put_snapshot(masked.serial, &bytes)?;
                sha256_hex(&bytes)
            }
            None => write_snapshot(&self.path, &mut masked)?,
        };
        lf.serial = masked.serial;
        self.base = lf.serial;
        self.entries = 0;
        Ok(())
    }

    /// The journal's changes for what `edit` changed, secrets masked.
    fn changes(&self, edit: &Edit<'_>) -> Vec<Change> {
        let lf: &Lockfile = edit;
        let mut changes = Vec::new();
        for name in &edit.resources {
            let mut record = lf.resources.get(name).cloned();
            if let Some(r) = &mut record {
                let mut one = Lockfile::new("", "");
                one.resources.insert(name.clone(), r.clone());
                (self.mask)(&mut one);
                *r = one.resources.remove(name).unwrap_or_else(|| r.clone());
            }
            changes.push(Change::Resource {
                name: name.clone(),
                record,
            });
        }
        if edit.pending {
            changes.push(Change::Pending(lf.pending.clone()));
        }
        if edit.deposed {
            let mut masked = Lockfile::new("", "");
            masked.deposed.clone_from(&lf.deposed);
            (self.mask)(&mut masked);
            changes.push(Change::Deposed(masked.deposed));
        }
        changes.extend(edit.completed.iter().cloned().map(Change::Completed));
        changes
    }

    /// Writes what `edit` changed as one journal line (or a new snapshot, now and then).
    pub fn commit(&mut self, edit: Edit<'_>) -> Result<(), LockfileError> {
        if edit.is_empty() {
            return Ok(());
        }
        if self.entries >= self.compact_every() {
            return self.snapshot(edit.lf);
        }
        let entry = Entry {
            lineage: edit.lineage.clone(),
            base: self.base,
            base_sha256: self.base_sha256.clone(),
            serial: edit.serial + 1,
            changes: self.changes(&edit),
        };
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        if let Some(store) = &self.remote {
            store.put_entry(entry.base, entry.serial, &line)?;
            edit.lf.serial += 1;
            self.entries += 1;
            return Ok(());
        }
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
        edit.lf.serial += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::test_support::{record, sample};
    use crate::lockfile::{PendingKind, now_rfc3339, parse, read, write};
    use std::fs;

    fn no_mask() -> Box<dyn Fn(&mut Lockfile) + Send + Sync> {
        Box::new(|_| {})
    }

    #[test]
    fn the_journal_records_each_write_and_a_reader_replays_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("strata.lock");
        let mut lf = sample();
        lf.last_apply = Some(ApplyRecord {
            plan_id: "p".into(),
            completed: vec![],
            finished: false,
        });
        let mut j = Journal::start(&path, &mut lf, no_mask()).expect("start");
        let snapshot = fs::read(&path).expect("snapshot");
        let mut e = Edit::new(&mut lf);
        e.pending_mut().push(PendingOp {
            op: PendingKind::Create,
            name: "a".into(),
            kind: "ec2.subnet".into(),
            id: None,
            token: "t".into(),
            plan_id: "p".into(),
            started_at: now_rfc3339(),
        });
        j.commit(e).expect("commit");
        let mut e = Edit::new(&mut lf);
        e.pending_mut().clear();
        e.insert_resource("a", record("subnet-1"));
        e.complete("create a");
        j.commit(e).expect("commit");
        let mut e = Edit::new(&mut lf);
        e.remove_resource("vpc");
        j.commit(e).expect("commit");
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
        let mut e = Edit::new(&mut lf);
        e.insert_resource("a", record("subnet-1"));
        j.commit(e).expect("commit");
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
            let mut e = Edit::new(&mut lf);
            e.insert_resource(&format!("r{i}"), record(&format!("subnet-{i}")));
            j.commit(e).expect("commit");
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
        let mut e = Edit::new(&mut lf);
        e.insert_resource(resource, record(resource));
        j.commit(e).expect("commit");
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
}
