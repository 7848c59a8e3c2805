//! Interrupting strata as a terminal (Ctrl-C), CI (SIGTERM) or a closed terminal (SIGHUP)
//! does: during an apply strata starts nothing new, lets the calls in flight finish briefly,
//! saves, releases the lock and exits 130, 143 or 129, and the next apply carries on; during
//! planning it stops before any change. The handlers are in place from the start, even when
//! strata inherits SIGINT ignored (a background job of a shell).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::pipes::{Left, test_bed};
use crate::support::{Scenario, Stack, TestBed, stderr};

/// A generous bound for anything that should take seconds (a busy 2-core CI is slow).
const BOUND: Duration = Duration::from_secs(180);

fn many_subnets() -> String {
    let mut doc = String::from(
        "stack: STACK\nregion: us-east-1\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.40.0.0/16\n",
    );
    for i in 0..8 {
        doc.push_str(&format!(
            "  s{i}:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.40.{i}.0/24\n"
        ));
    }
    doc
}

/// `cmd` started with SIGINT ignored, as a shell starts a background job.
fn with_sigint_ignored(cmd: &mut Command) -> &mut Command {
    #[allow(unsafe_code)]
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe, is called.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        })
    }
}

fn send(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    #[allow(unsafe_code)]
    // SAFETY: kill(2) on our child's pid.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Waits, polling, until `done` holds; fails the test after [`BOUND`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for the child to exit after a signal; returns its output and the time it took.
fn exit_after_signal(child: Child, sent: Instant) -> (Output, Duration) {
    let out = child.wait_with_output().expect("wait for strata");
    let took = sent.elapsed();
    assert!(took < BOUND, "strata exited {took:?} after the signal");
    (out, took)
}

fn subnets(left: &Left) -> usize {
    left.tagged
        .iter()
        .filter(|i| i.starts_with("subnet-"))
        .count()
}

/// An apply interrupted once its VPC is recorded: exit code, the lockfile as complete as the
/// calls allowed, the lock released; then the next apply finishes the job without duplicates.
/// Returns what it measured.
fn interrupted_apply(tb: &TestBed, sig: libc::c_int, name: &str, code: i32) -> String {
    let s = tb.stack("sig", &many_subnets());
    let mut cmd = s.command(&["apply", "--auto-approve", "--parallelism", "1"]);
    if sig == libc::SIGINT {
        with_sigint_ignored(&mut cmd);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    // Order: the signal comes once the apply is under way (the VPC is recorded)...
    let lock = s.path().join("strata.lock");
    wait_until("the apply recorded the VPC", || {
        strata_engine::lockfile::read(&lock)
            .ok()
            .flatten()
            .is_some_and(|l| l.resources.contains_key("vpc"))
    });
    let sent = Instant::now();
    send(&child, sig);
    let (out, took) = exit_after_signal(child, sent);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{name}: {err}");
    assert_eq!(err.matches("Interrupted").count(), 1, "{name}: {err}");
    assert!(err.contains(&format!("Interrupted ({name})")), "{err}");
    assert!(err.contains("Stopped"), "{name}: {err}");

    // ... and before it ended: not every subnet was made.
    let left = Left::of(&s);
    assert_eq!(
        left.tagged.iter().filter(|i| i.starts_with("vpc-")).count(),
        1
    );
    assert!(
        subnets(&left) < 8,
        "{name}: the apply stopped early: {left:?}"
    );
    // Saved: the lockfile records all AWS holds, but for creates in flight when strata stopped
    // at once, which are journaled for the next run to find by their tags.
    let unrecorded: Vec<&String> = left.tagged.difference(&left.locked).collect();
    assert!(
        left.locked.is_subset(&left.tagged) && unrecorded.len() <= left.pending.len(),
        "{name}: {left:?}"
    );
    assert!(left.holder.is_empty(), "{name}: holder details cleared");

    // The lock is free: the next apply takes it at once (no take-over) and finishes the job.
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        !stderr(&out).contains("Took over"),
        "{name}: {}",
        stderr(&out)
    );
    let done = Left::of(&s);
    assert_eq!((subnets(&done), done.pending.len()), (8, 0), "{done:?}");
    assert_eq!(
        done.tagged, done.locked,
        "{name}: nothing twice, nothing lost"
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);
    format!(
        "{name}: exit {code} {:.1} s after the signal, {} subnet(s) of 8 made, {} create(s) \
         journaled in flight",
        took.as_secs_f64(),
        subnets(&left),
        left.pending.len()
    )
}

/// SIGINT while the apply reads the live state, strata started with SIGINT ignored: it stops
/// before any mutating call, says "Interrupted" once, and leaves the lock free.
fn interrupted_while_planning() -> String {
    // Every call takes 5 s, so the reads are still in flight when the signal comes.
    let tb = test_bed(json!({"latency": {"fixed_ms": 5000}}));
    let s = tb.stack("sigplan", &many_subnets());
    // -vv: the SDK logs each request as it goes out.
    let mut cmd = s.command(&["-vv", "apply", "--auto-approve"]);
    with_sigint_ignored(&mut cmd);
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut err = Vec::new();
    // Order: the signal comes once a read is on its way to AWS.
    while !err
        .iter()
        .any(|l: &String| l.contains("entering 'transmit' phase"))
    {
        err.push(
            rx.recv_timeout(BOUND)
                .expect("strata sent a request to the test bed"),
        );
    }
    let sent = Instant::now();
    send(&child, libc::SIGINT);
    let status = child.wait().expect("wait for strata");
    let took = sent.elapsed();
    reader.join().expect("stderr reader");
    err.extend(rx.try_iter());
    let err = err.join("\n");
    assert!(took < BOUND, "exited {took:?} after the signal");
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(err.matches("Interrupted").count(), 1, "{err}");
    assert!(
        err.contains("Interrupted (SIGINT) before any change"),
        "{err}"
    );
    let holder = s.path().join("strata.lock.holder");
    assert!(
        std::fs::read(&holder).unwrap_or_default().is_empty(),
        "holder details cleared"
    );
    assert!(
        !s.path().join("strata.lock").exists(),
        "no lockfile: nothing was done"
    );
    // The test bed logs a call when it answers, 5 s after it came: wait that long for the
    // reads strata abandoned, then its log holds every call strata made.
    std::thread::sleep(Duration::from_secs(6));
    let log = tb.log();
    let mutating: Vec<&str> = log
        .iter()
        .map(|c| c.operation.as_str())
        .filter(|o| !o.starts_with("Describe"))
        .collect();
    assert!(
        mutating.is_empty(),
        "calls after the interrupt: {mutating:?}"
    );
    assert!(!log.is_empty(), "the interrupt came during the reads");

    // The lock is free at once; the stack applies.
    tb.configure(json!({"latency": {"fixed_ms": 0}}));
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"), "{}", stderr(&out));
    format!(
        "SIGINT while planning (inherited ignored): exit 130 {:.1} s after the signal, with {} \
         read(s) in flight and no other call made, no lockfile written",
        took.as_secs_f64(),
        log.len()
    )
}

#[test]
fn signals_stop_save_and_release_the_lock() {
    let sc = Scenario::start(
        "signals: SIGINT, SIGTERM, SIGHUP",
        "an apply of a VPC and 8 subnets (every call 250 ms, one at a time) sent SIGINT \
         (inherited ignored), SIGTERM or SIGHUP once the VPC is recorded, then applied again; \
         an apply sent SIGINT (inherited ignored) while it reads the live state (every call 5 s)",
    );
    let tb = test_bed(json!({"latency": {"fixed_ms": 250}}));
    let cases = [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
        (libc::SIGHUP, "SIGHUP", 129),
    ];
    let results: Vec<String> = std::thread::scope(|scope| {
        let planning = scope.spawn(interrupted_while_planning);
        let applies: Vec<_> = cases
            .iter()
            .map(|(sig, name, code)| scope.spawn(|| interrupted_apply(&tb, *sig, name, *code)))
            .collect();
        let mut r: Vec<String> = applies
            .into_iter()
            .map(|h| h.join().expect("an interrupted apply"))
            .collect();
        r.push(planning.join().expect("the interrupted plan"));
        r
    });
    sc.pass(format!(
        "{}; each time \"Interrupted\" printed once, the lock holder's details cleared, and the \
         next apply took the lock without a take-over and finished without duplicates",
        results.join("; ")
    ));
}

#[test]
fn nohup_keeps_an_apply_going_when_the_terminal_hangs_up() {
    let tb = test_bed(json!({"latency": {"fixed_ms": 100}}));
    let s: Stack = tb.stack("nohup", &many_subnets());
    let mut cmd = s.command(&["apply", "--auto-approve", "--parallelism", "1"]);
    #[allow(unsafe_code)]
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe, is called.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    let lock = s.path().join("strata.lock");
    wait_until("the apply recorded the VPC", || {
        strata_engine::lockfile::read(&lock)
            .ok()
            .flatten()
            .is_some_and(|l| l.resources.contains_key("vpc"))
    });
    send(&child, libc::SIGHUP);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Interrupted"), "{}", stderr(&out));
    let left = Left::of(&s);
    assert_eq!((subnets(&left), left.tagged == left.locked), (8, true));
}
