//! Input files that would exhaust memory or hang are refused before they are read: devices,
//! FIFOs and files over the limit, as documents (`-f`), in a stack's directory, or as
//! `--var-file`. Each is one diagnostic saying what the path is and what to do.

use std::path::{Path, PathBuf};

use strata_model::diag::render;
use strata_model::load::{VarInputs, load};

const DOC: &str =
    "stack: lab\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n";

/// The rendered diagnostics of a load that must fail, with `dir` shown as `[dir]`.
fn refused(path: &Path, inputs: &VarInputs, dir: &Path) -> String {
    match load(path, inputs) {
        Ok(_) => panic!("{} should not load", path.display()),
        Err(e) => render(&e.diagnostics, &e.sources, false, 100)
            .replace(&dir.display().to_string(), "[dir]"),
    }
}

#[cfg(unix)]
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let made = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    p
}

/// A file of `len` bytes that takes no room (its size is what is checked).
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
}

#[cfg(unix)]
#[test]
fn devices_and_fifos_are_neither_files_nor_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let none = VarInputs::default();
    let zero = refused(Path::new("/dev/zero"), &none, dir.path());
    let pipe = refused(&fifo(dir.path(), "pipe"), &none, dir.path());
    insta::assert_snapshot!(format!("{zero}{pipe}"));
}

#[cfg(unix)]
#[test]
fn a_fifo_among_the_documents_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.yaml"), DOC).expect("write");
    fifo(dir.path(), "b.yaml");
    insta::assert_snapshot!(refused(dir.path(), &VarInputs::default(), dir.path()));
}

#[cfg(unix)]
#[test]
fn variable_files_that_are_devices_or_fifos_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("stack.yaml");
    std::fs::write(&doc, DOC).expect("write");
    let inputs = VarInputs {
        files: vec![
            PathBuf::from("/dev/zero"),
            fifo(dir.path(), "pipe.vars.yaml"),
        ],
        ..Default::default()
    };
    insta::assert_snapshot!(refused(&doc, &inputs, dir.path()));
}

#[test]
fn files_over_the_limit_are_refused_by_their_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("stack.yaml");
    sparse(&doc, 200 * 1024 * 1024);
    let big = refused(&doc, &VarInputs::default(), dir.path());
    std::fs::write(&doc, DOC).expect("write");
    let vars = dir.path().join("big.vars.yaml");
    sparse(&vars, 9 * 1024 * 1024);
    let inputs = VarInputs {
        files: vec![vars],
        ..Default::default()
    };
    let big_vars = refused(&doc, &inputs, dir.path());
    insta::assert_snapshot!(format!("{big}{big_vars}"));
}
