//! State kept elsewhere than in a local file (S3: `strata-aws`'s `state` module): the same
//! snapshot bytes and journal lines, written through this seam. The engine decides what is
//! written and when (the journal before every mutation, the snapshot at the end and every
//! [`Journal::COMPACT_EVERY_REMOTE`](super::Journal::COMPACT_EVERY_REMOTE) entries); the store
//! decides how (conditional writes, the lease's fencing).

use std::path::PathBuf;

use super::format::{Lockfile, LockfileError, parse, sha256_hex};
use super::journal::replay_lines;

/// Where a stack's snapshot and journal live when they are not local files.
///
/// Every write is refused (an error, nothing written) once the store cannot prove that this
/// run still holds the stack's lock.
pub trait RemoteState: Send + Sync + std::fmt::Debug {
    /// Where the state is, for messages: `s3://bucket/prefix/stack`.
    fn location(&self) -> String;

    /// The snapshot's bytes (`None` when there is none yet) and the journal's lines, oldest
    /// first, each ending in a newline. The store remembers the snapshot's version, which the
    /// next [`RemoteState::put_snapshot`] must replace.
    fn load(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), LockfileError>;

    /// Writes one journal line (`line`, without its newline): the entry `serial` made against
    /// the snapshot whose serial is `base`. Never replaces an entry already written.
    fn put_entry(&self, base: u64, serial: u64, line: &[u8]) -> Result<(), LockfileError>;

    /// Replaces the snapshot with `bytes` (serial `serial`), only if it is still the version
    /// this run read or last wrote; entries older than it may then be removed.
    fn put_snapshot(&self, serial: u64, bytes: &[u8]) -> Result<(), LockfileError>;
}

/// The name messages give a remote snapshot.
pub fn remote_snapshot_name(store: &dyn RemoteState) -> PathBuf {
    PathBuf::from(format!("{}/snapshot.json", store.location()))
}

/// Reads and checks a remote state, with its journal applied; `Ok(None)` when there is none.
pub fn read_remote(store: &dyn RemoteState) -> Result<Option<Lockfile>, LockfileError> {
    let (snapshot, journal) = store.load()?;
    let name = remote_snapshot_name(store);
    let jname = PathBuf::from(format!("{}/journal/", store.location()));
    let Some(bytes) = snapshot else {
        if journal.is_empty() {
            return Ok(None);
        }
        return Err(LockfileError::ForeignJournal {
            detail: format!(
                "there is no {} for it to continue (the journal is only valid next to the \
                 snapshot it extends)",
                name.display()
            ),
            path: jname,
            lockfile: name,
        });
    };
    let mut lf = parse(&name, &bytes)?;
    replay_lines(&name, &jname, &journal, &mut lf, &sha256_hex(&bytes))?;
    Ok(Some(lf))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::lockfile::test_support::{record, sample};
    use crate::lockfile::{Edit, Journal};

    /// A store in memory: the snapshot and the journal's entries by key.
    #[derive(Debug, Default)]
    struct Memory {
        snapshot: Mutex<Option<Vec<u8>>>,
        entries: Mutex<std::collections::BTreeMap<(u64, u64), Vec<u8>>>,
    }

    impl RemoteState for Memory {
        fn location(&self) -> String {
            "mem://lab".into()
        }
        fn load(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), LockfileError> {
            let mut journal = Vec::new();
            for line in self.entries.lock().expect("entries").values() {
                journal.extend_from_slice(line);
                journal.push(b'\n');
            }
            Ok((self.snapshot.lock().expect("snapshot").clone(), journal))
        }
        fn put_entry(&self, base: u64, serial: u64, line: &[u8]) -> Result<(), LockfileError> {
            self.entries
                .lock()
                .expect("entries")
                .insert((base, serial), line.to_vec());
            Ok(())
        }
        fn put_snapshot(&self, serial: u64, bytes: &[u8]) -> Result<(), LockfileError> {
            *self.snapshot.lock().expect("snapshot") = Some(bytes.to_vec());
            self.entries
                .lock()
                .expect("entries")
                .retain(|(base, _), _| *base >= serial);
            Ok(())
        }
    }

    #[test]
    fn a_remote_journal_is_read_back_as_a_local_one_is() {
        let store = Arc::new(Memory::default());
        assert_eq!(read_remote(store.as_ref()).expect("empty"), None);
        let mut lf = sample();
        let mut j = Journal::start_remote(store.clone(), &mut lf, Box::new(|_: &mut Lockfile| {}))
            .expect("start");
        let mut e = Edit::new(&mut lf);
        e.insert_resource("a", record("subnet-1"));
        j.commit(e).expect("commit");
        assert_eq!(store.entries.lock().expect("entries").len(), 1);
        assert_eq!(read_remote(store.as_ref()).expect("read"), Some(lf.clone()));
        j.finish(&mut lf).expect("finish");
        assert!(store.entries.lock().expect("entries").is_empty());
        assert_eq!(read_remote(store.as_ref()).expect("read"), Some(lf));
    }
}
