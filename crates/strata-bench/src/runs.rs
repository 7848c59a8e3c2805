//! Running the `strata` binary against an emulator, with its wall time, CPU time and peak
//! memory (from wait4's resource usage).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kib: u64,
}

impl Run {
    /// `AWS calls: N (EC2.DescribeVpcs 2, ...)` from `-v`: the total and each operation's.
    pub fn calls(&self) -> Option<(usize, Vec<(String, usize)>)> {
        let line = self.stderr.lines().find(|l| l.starts_with("AWS calls: "))?;
        let rest = &line["AWS calls: ".len()..];
        let (total, rest) = rest.split_once(' ')?;
        let inner = rest.split_once('(')?.1.split_once(')')?.0;
        let each = inner
            .split(", ")
            .filter_map(|p| {
                let (op, n) = p.rsplit_once(' ')?;
                Some((op.to_string(), n.parse().ok()?))
            })
            .collect();
        Some((total.parse().ok()?, each))
    }
}

/// Runs `program args` in `dir` and measures it.
pub fn measure(
    program: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Run, String> {
    let out_path = dir.join(".bench-stdout");
    let err_path = dir.join(".bench-stderr");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status: libc::c_int = 0;
    #[allow(unsafe_code)]
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    #[allow(unsafe_code)]
    // SAFETY: wait4 on our own child's pid, with valid pointers to locals.
    let r = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall = start.elapsed();
    if r != pid {
        return Err(format!("waiting for {} failed", program.display()));
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok(Run {
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// Runs strata (`--local`, against `endpoint`) and fails unless it exits with `code`.
pub fn strata(
    bin: &Path,
    dir: &Path,
    endpoint: &str,
    args: &[&str],
    code: i32,
) -> Result<Run, String> {
    let mut all = vec!["--local", "--no-color"];
    all.extend_from_slice(args);
    let run = measure(
        bin,
        dir,
        &all,
        &[
            ("STRATA_LOCAL_ENDPOINT", endpoint),
            ("STRATA_PENDING_RECHECK_SECS", "0"),
        ],
    )?;
    if run.code != code {
        return Err(format!(
            "strata {args:?} exited {} (expected {code}):\n{}\n{}",
            run.code,
            run.stdout
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n"),
            run.stderr
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    Ok(run)
}
