//! Bakes the commit strata is built from into `--version` (`STRATA_COMMIT` wins, for builds
//! from a source archive; without git and without it, "unknown commit").

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=STRATA_COMMIT");
    // A new commit moves HEAD or the branch it names: rebuild the version then.
    for file in ["HEAD", "logs/HEAD"] {
        if let Some(path) = git(&["rev-parse", "--git-path", file]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = std::env::var("STRATA_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown commit".to_string());
    println!("cargo:rustc-env=STRATA_COMMIT={commit}");
}
