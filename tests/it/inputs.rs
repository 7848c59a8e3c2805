//! Hostile input files: `/dev/zero`, a FIFO nobody writes to, and files far over the size
//! limits, given as the documents (`-f`, or inside the stack's directory), as `--var-file` and
//! as a saved plan. Each is refused at once with a message saying what the path is, in bounded
//! memory (the peak RSS of the strata process, from wait4, is measured) and without a hang (a run
//! still going after minutes is killed and fails).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Scenario;

/// A run that took longer than this hung (a refusal takes milliseconds).
const HUNG: Duration = Duration::from_secs(120);

/// Reading any of these files would take far more than this (they are 200 MB or endless).
const MAX_RSS_KIB: u64 = 128 * 1024;

const DOC: &str = "stack: lab\nregion: us-east-1\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n";

struct Measured {
    code: Option<i32>,
    text: String,
    wall: Duration,
    max_rss_kib: u64,
}

/// Runs strata in `dir` and measures it: exit code, output, wall time and peak RSS (the
/// highest VmHWM sampled every 5 ms while it runs). A run still going after [`HUNG`] is killed.
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std does not know
fn measure(dir: &Path, args: &[&str]) -> Measured {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .arg("--no-color")
        .args(args)
        .env_remove("STRATA_VAR_db_password")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run strata");
    let start = Instant::now();
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().expect("stdout")));
    let err = read(Box::new(child.stderr.take().expect("stderr")));
    let pid = child.id().cast_signed();
    let mut status: libc::c_int = 0;
    #[allow(unsafe_code)]
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    // The peak RSS of strata's own memory (VmHWM of its address space), sampled while it runs:
    // wait4's ru_maxrss would also count the test process's memory, which a spawned child
    // inherits in its accounting until it execs.
    let mut hwm_kib: u64 = 0;
    let status_path = format!("/proc/{pid}/status");
    let wall = loop {
        if let Some(kib) = std::fs::read_to_string(&status_path).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            hwm_kib = hwm_kib.max(kib);
        }
        #[allow(unsafe_code)]
        // SAFETY: wait4 on our own child's pid, with valid pointers to locals.
        let r = unsafe { libc::wait4(pid, &raw mut status, libc::WNOHANG, &raw mut usage) };
        if r == pid {
            break start.elapsed();
        }
        assert_eq!(r, 0, "wait4");
        if start.elapsed() > HUNG && !killed {
            // Not reaped yet (wait4 said it still runs), so the pid is still our child's.
            #[allow(unsafe_code)]
            // SAFETY: kill(2) with plain integers.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Measured {
        code,
        text: format!(
            "{}{}",
            out.join().expect("stdout"),
            err.join().expect("stderr")
        ),
        wall,
        max_rss_kib: hwm_kib,
    }
}

fn fifo(path: &Path) -> PathBuf {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    path.to_path_buf()
}

/// A file of `len` bytes that takes no room on disk.
fn sparse(path: &Path, len: u64) -> PathBuf {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
    path.to_path_buf()
}

/// Unbounded inputs: every hostile file is refused fast, with a message and help, in bounded
/// memory; nothing is written.
#[test]
fn hostile_input_files_are_refused_fast_in_bounded_memory() {
    let sc = Scenario::start(
        "unbounded inputs",
        "/dev/zero, a FIFO without a writer and a 200 MB (sparse) file, each as the document \
         (-f), as --var-file and as a saved plan (apply FILE), and a FIFO among a stack \
         directory's documents; validate, plan or apply with each; peak RSS of the strata \
         process from wait4",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("stack.yaml"), DOC).expect("write");
    let pipe = fifo(&d.join("pipe"));
    let big_doc = sparse(&d.join("big.yaml.data"), 200 * 1024 * 1024);
    let big_vars = sparse(&d.join("big.vars.data"), 200 * 1024 * 1024);
    let big_plan = sparse(&d.join("big.plan.json"), 200 * 1024 * 1024);
    let with_fifo = d.join("with-fifo");
    std::fs::create_dir(&with_fifo).expect("mkdir");
    std::fs::write(with_fifo.join("a.yaml"), DOC).expect("write");
    fifo(&with_fifo.join("b.yaml"));
    let p = |p: &Path| p.display().to_string();

    let device = "is a character device, not a regular file";
    let a_fifo = "is a FIFO (named pipe), not a regular file";
    let cases: Vec<(&str, Vec<String>, String)> = vec![
        (
            "-f /dev/zero",
            vec!["validate".into(), "-f".into(), "/dev/zero".into()],
            "/dev/zero is neither a file nor a directory: it is a character device".into(),
        ),
        (
            "-f FIFO",
            vec!["plan".into(), "-f".into(), p(&pipe)],
            "is neither a file nor a directory: it is a FIFO (named pipe)".into(),
        ),
        (
            "-f 200 MB",
            vec!["validate".into(), "-f".into(), p(&big_doc)],
            "is 209715200 bytes; documents larger than 8388608 bytes are refused".into(),
        ),
        (
            "a FIFO among the documents",
            vec!["validate".into(), "-f".into(), p(&with_fifo)],
            a_fifo.into(),
        ),
        (
            "--var-file /dev/zero",
            vec!["plan".into(), "--var-file".into(), "/dev/zero".into()],
            format!("/dev/zero {device}"),
        ),
        (
            "--var-file FIFO",
            vec!["validate".into(), "--var-file".into(), p(&pipe)],
            a_fifo.into(),
        ),
        (
            "--var-file 200 MB",
            vec!["validate".into(), "--var-file".into(), p(&big_vars)],
            "is 209715200 bytes; variable files larger than 8388608 bytes are refused".into(),
        ),
        (
            "apply /dev/zero",
            vec!["apply".into(), "/dev/zero".into()],
            format!("cannot read the plan: /dev/zero {device}"),
        ),
        ("apply FIFO", vec!["apply".into(), p(&pipe)], a_fifo.into()),
        (
            "apply 200 MB",
            vec!["apply".into(), p(&big_plan)],
            "is 209715200 bytes; saved plans larger than 67108864 bytes are refused".into(),
        ),
    ];
    let before: std::collections::BTreeSet<_> = std::fs::read_dir(d)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    let mut slowest = (Duration::ZERO, "");
    let mut peak = (0, "");
    for (name, args, expect) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let m = measure(d, &args);
        assert!(m.wall < HUNG, "{name}: hung, killed after {:?}", m.wall);
        assert_eq!(m.code, Some(1), "{name}: {}", m.text);
        // Long messages wrap: compare the words.
        let words = |t: &str| {
            t.split_whitespace()
                .filter(|w| *w != "│")
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(
            words(&m.text).contains(&words(expect)),
            "{name}: expected {expect:?}:\n{}",
            m.text
        );
        assert!(m.text.contains("help: "), "{name}: no help:\n{}", m.text);
        assert!(
            m.max_rss_kib < MAX_RSS_KIB,
            "{name}: peak RSS {} KiB",
            m.max_rss_kib
        );
        if m.wall > slowest.0 {
            slowest = (m.wall, name);
        }
        if m.max_rss_kib > peak.0 {
            peak = (m.max_rss_kib, name);
        }
    }
    let after: std::collections::BTreeSet<_> = std::fs::read_dir(d)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(before, after, "nothing written");
    sc.pass(format!(
        "{} cases: exit 1 naming the file and what it is (a character device, a FIFO, its \
         size against the limit), with help; slowest {:.2} s ({}); peak RSS at most {:.1} MiB \
         ({}), below the {} MiB bound; nothing written",
        cases.len(),
        slowest.0.as_secs_f64(),
        slowest.1,
        peak.0 as f64 / 1024.0,
        peak.1,
        MAX_RSS_KIB / 1024,
    ));
}
