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

mod format;
mod journal;
mod lock;
mod remote;

pub use format::{
    ApplyRecord, DeposedResource, LOCKFILE_VERSION, LockedOutput, LockedResource, Lockfile,
    LockfileError, PendingKind, PendingOp, backup_path, parse, read, resolve_path, write,
    write_as_is,
};
pub use journal::{Edit, Journal, journal_path};
pub use lock::{
    Holder, LockError, StackLock, force_unlock, holder_path, host_name, now_rfc3339, pid_alive,
};
pub use remote::{RemoteState, read_remote, remote_snapshot_name};

#[cfg(test)]
mod test_support {
    use super::{LockedResource, Lockfile};
    use crate::value::Attrs;

    pub(super) fn sample() -> Lockfile {
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
                seen_at: None,
            },
        );
        lf
    }

    pub(super) fn record(id: &str) -> LockedResource {
        LockedResource {
            kind: "ec2.subnet".into(),
            id: id.into(),
            attributes: Attrs::new(),
            dependencies: vec![],
            soft_dependencies: vec![],
            prevent_destroy: false,
            created_at: None,
            seen_at: None,
        }
    }
}
