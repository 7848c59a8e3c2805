//! Reading the files a user names (documents, variable files, saved plans, the lockfile) with
//! a bound: a file is checked before it is read, so that `/dev/zero`, a FIFO nobody writes to
//! or a 200 MB document is refused at once, in bounded memory, with a message.
//!
//! [`read_bounded`] takes the file's metadata before opening it (it must be a regular file no
//! larger than the limit), opens it without blocking (a FIFO swapped in between would otherwise
//! wait for a writer forever), checks the opened file again, and reads at most one byte more
//! than the limit (a file that grows while it is read, or that reports no size, such as those
//! in `/proc`, is still cut off).

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// How large a kind of file may be, and what to say when it is larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// What the files are called in the message, in the plural: "documents".
    pub what: &'static str,
    /// What to do about a file over the limit.
    pub help: &'static str,
}

/// Stack documents (the YAML parser refuses larger texts too).
pub const DOCUMENT: Limit = Limit {
    bytes: crate::yaml::MAX_FILE_BYTES as u64,
    what: "documents",
    help: "split the stack over several files in one directory",
};

/// `--var-file` files.
pub const VAR_FILE: Limit = Limit {
    bytes: crate::yaml::MAX_FILE_BYTES as u64,
    what: "variable files",
    help: "check that this is the --var-file you meant: a YAML mapping of variable names to values",
};

/// Saved plans (`strata plan --out`).
pub const PLAN_FILE: Limit = Limit {
    bytes: 64 * 1024 * 1024,
    what: "saved plans",
    help: "save a plan with `strata plan --out FILE` and apply that file",
};

/// Files a field reads its text from (`certificate_body: {file: server.crt}`).
pub const FIELD_FILE: Limit = Limit {
    bytes: 1024 * 1024,
    what: "files a field reads",
    help: "name the PEM or text file the field takes; larger contents belong elsewhere",
};

/// The lockfile and its journal.
pub const LOCKFILE: Limit = Limit {
    bytes: 64 * 1024 * 1024,
    what: "lockfiles",
    help: "this is not a lockfile strata wrote; restore it from strata.lock.backup or version control",
};

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is {what}, not a regular file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("{} is {size} bytes; {} larger than {} bytes are refused", path.display(), limit.what, limit.bytes)]
    TooLarge {
        path: PathBuf,
        /// The size found (at least `limit.bytes + 1` when the file grew while it was read).
        size: u64,
        limit: Limit,
    },
}

impl InputError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            InputError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                "check the path".to_string()
            }
            InputError::Io { .. } => "check the path and the file's permissions".to_string(),
            InputError::NotAFile { .. } => {
                "give the path of a regular file; strata does not read FIFOs, devices or sockets, \
                 which may never end or never answer"
                    .to_string()
            }
            InputError::TooLarge { limit, .. } => limit.help.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::NotAFile { path, .. }
            | InputError::TooLarge { path, .. } => path,
        }
    }
}

/// What a file that is not a regular file is, for messages: "a directory", "a FIFO (named
/// pipe)", "a character device" and so on.
pub fn file_type_name(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn check(path: &Path, meta: &Metadata, limit: Limit) -> Result<(), InputError> {
    if !meta.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what: file_type_name(meta),
        });
    }
    if meta.len() > limit.bytes {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// Opens a file for reading without waiting for a FIFO's writer (`O_NONBLOCK`; it changes
/// nothing for the regular file we expect).
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path)
}

/// Reads a regular file of at most `limit.bytes` bytes (see the module documentation).
pub fn read_bounded(path: &Path, limit: Limit) -> Result<Vec<u8>, InputError> {
    let io_err = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    check(path, &std::fs::metadata(path).map_err(io_err)?, limit)?;
    let file = open_nonblocking(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    check(path, &meta, limit)?;
    // The size is at most the limit here; the file may still grow while it is read.
    let expected = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    file.take(limit.bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limit = Limit {
        bytes: 10,
        what: "test files",
        help: "smaller",
    };

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "0123456789").expect("write");
        assert_eq!(read_bounded(&p, SMALL).expect("read"), b"0123456789");
    }

    #[test]
    fn refuses_a_file_over_the_limit_before_reading_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "0123456789x").expect("write");
        let e = read_bounded(&p, SMALL).expect_err("too large");
        assert!(matches!(e, InputError::TooLarge { size: 11, .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "{} is 11 bytes; test files larger than 10 bytes are refused",
                p.display()
            )
        );
        assert_eq!(e.help(), "smaller");
    }

    #[test]
    fn refuses_directories_and_missing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_bounded(dir.path(), SMALL).expect_err("a directory");
        assert!(
            e.to_string()
                .ends_with("is a directory, not a regular file"),
            "{e}"
        );
        let e = read_bounded(&dir.path().join("none"), SMALL).expect_err("missing");
        assert!(matches!(e, InputError::Io { .. }), "{e}");
        assert_eq!(e.help(), "check the path");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos_without_blocking() {
        let e = read_bounded(Path::new("/dev/zero"), SMALL).expect_err("a device");
        assert!(e.to_string().contains("a character device"), "{e}");
        // A FIFO with no writer: opening it for reading would wait forever.
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let e = read_bounded(&fifo, SMALL).expect_err("a FIFO");
        assert!(e.to_string().contains("a FIFO (named pipe)"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn files_without_a_size_are_cut_at_the_limit() {
        // /proc files report size 0 and have content.
        match read_bounded(Path::new("/proc/self/maps"), SMALL) {
            Err(InputError::TooLarge { size: 11, .. }) => {}
            other => panic!("expected the read to stop after 11 bytes: {other:?}"),
        }
    }
}
