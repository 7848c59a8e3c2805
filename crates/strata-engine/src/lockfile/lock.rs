//! The stack lock: an OS file lock on `strata.lock.holder`, which names the holder; details
//! left by a holder that died are reported as taken over.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::format::sibling;

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

/// This machine's name, as a lock's holder names it.
pub fn host_name() -> String {
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
