//! Interrupting strata as a terminal (Ctrl-C), CI (SIGTERM) or a closed terminal (SIGHUP)
//! does: during an apply strata starts nothing new, lets the calls in flight finish briefly,
//! saves, releases the lock and exits 130, 143 or 129, and the next apply carries on; during
//! planning it stops before any change. The handlers are in place from the start, even when
//! strata inherits SIGINT ignored (a background job of a shell).

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::pipes::Left;
use crate::support::{Running, Scenario, Stack, TestBed, stderr};

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

/// `cmd` started with `sig` ignored, as a shell starts a background job (SIGINT) or `nohup`
/// does (SIGHUP).
fn ignoring(cmd: &mut Command, sig: libc::c_int) -> &mut Command {
    #[allow(unsafe_code)]
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe, is called.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(sig, libc::SIG_IGN);
            Ok(())
        })
    }
}

/// `cmd` started with `sig` at its default action, whatever the test run inherited: a suite
/// run under `nohup` has SIGHUP ignored, which strata rightly keeps ignoring.
fn defaulting(cmd: &mut Command, sig: libc::c_int) -> &mut Command {
    #[allow(unsafe_code)]
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe, is called.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(sig, libc::SIG_DFL);
            Ok(())
        })
    }
}

/// Sends `sig` to `run`, waits for the exit (at most [`BOUND`]); returns the exit code, the
/// time from the signal to the exit, and all of stderr.
fn signal(mut run: Running, sig: libc::c_int) -> (Option<i32>, Duration, String) {
    let pid = libc::pid_t::try_from(run.child.id()).expect("a pid");
    let sent = Instant::now();
    #[allow(unsafe_code)]
    // SAFETY: kill(2) on our child's pid.
    unsafe {
        libc::kill(pid, sig);
    }
    let status = loop {
        if let Some(status) = run.child.try_wait().expect("wait for strata") {
            break status;
        }
        if sent.elapsed() > BOUND {
            let _ = run.child.kill();
            panic!("strata still ran {BOUND:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = sent.elapsed();
    (status.code(), took, run.all_stderr())
}

/// Waits, polling, until `done` holds; fails the test after [`BOUND`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn vpc_recorded(s: &Stack) -> bool {
    strata_engine::lockfile::read(&s.path().join("strata.lock"))
        .ok()
        .flatten()
        .is_some_and(|l| l.resources.contains_key("vpc"))
}

fn subnets(left: &Left) -> usize {
    left.count("ec2.subnet")
}

/// An apply interrupted once its VPC is recorded: exit code, the lockfile as complete as the
/// calls allowed, the lock released; then the next apply finishes the job without duplicates.
/// Returns what it measured.
fn interrupted_apply(tb: &TestBed, sig: libc::c_int, name: &str, code: i32) -> String {
    let s = tb.stack("sig", &many_subnets());
    let mut cmd = s.command(&["apply", "--auto-approve", "--parallelism", "1"]);
    if sig == libc::SIGINT {
        ignoring(&mut cmd, libc::SIGINT);
    } else {
        defaulting(&mut cmd, sig);
    }
    let run = Running::start(cmd.stdout(Stdio::null()));
    // Order: the signal comes once the apply is under way (the VPC is recorded)...
    wait_until("the apply recorded the VPC", || vpc_recorded(&s));
    let (exit, took, err) = signal(run, sig);
    assert_eq!(exit, Some(code), "{name}: {err}");
    assert_eq!(err.matches("Interrupted").count(), 1, "{name}: {err}");
    assert!(err.contains(&format!("Interrupted ({name})")), "{err}");
    assert!(err.contains("Stopped"), "{name}: {err}");

    // ... and before it ended: not every subnet was made.
    let left = Left::of(&s);
    assert_eq!(left.count("ec2.vpc"), 1);
    assert!(
        subnets(&left) < 8,
        "{name}: the apply stopped early: {left:?}"
    );
    // Saved: the lockfile records all AWS holds, but for creates in flight when strata stopped
    // at once, which are journaled for the next run to find by their tags.
    let unrecorded = left.tagged.difference(&left.locked).count();
    assert!(
        left.locked.is_subset(&left.tagged) && unrecorded <= left.pending.len(),
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

/// The files of a stack's lockfile, byte for byte.
fn lockfile_bytes(s: &Stack) -> Vec<Vec<u8>> {
    ["strata.lock", "strata.lock.journal", "strata.lock.backup"]
        .iter()
        .map(|f| std::fs::read(s.path().join(f)).unwrap_or_default())
        .collect()
}

/// SIGINT while the apply is planning, strata started with SIGINT ignored: it stops before any
/// mutating call, says "Interrupted" once, and leaves the lockfile as it was and the lock free.
fn interrupted_while_planning() -> String {
    let tb = TestBed::like_this_run(json!({}));
    let docs = many_subnets();
    let vpc_only = &docs[..docs.find("  s0:").expect("a subnet")];
    let s = tb.stack("sigplan", vpc_only);
    s.expect(0, &["apply", "--auto-approve"]);
    // The next apply has 8 subnets to create. Its planning waits, reading again, for the VPC
    // created moments ago, which AWS's describes do not show yet.
    s.write(&docs);
    tb.configure(json!({"consistency": 600.0}));
    tb.clear_log();
    let before = lockfile_bytes(&s);
    let mut cmd = s.command(&["apply", "--auto-approve"]);
    cmd.env("STRATA_PENDING_RECHECK_SECS", "600");
    let mut run = Running::start(ignoring(&mut cmd, libc::SIGINT).stdout(Stdio::null()));
    // Order: the signal comes once the reads are done and planning waits.
    run.wait_for("not all visible yet", BOUND);
    let (exit, took, err) = signal(run, libc::SIGINT);
    assert_eq!(exit, Some(130), "{err}");
    assert_eq!(err.matches("Interrupted").count(), 1, "{err}");
    assert!(
        err.contains("Interrupted (SIGINT) before any change"),
        "{err}"
    );
    let holder = std::fs::read(s.path().join("strata.lock.holder")).unwrap_or_default();
    assert!(holder.is_empty(), "holder details cleared");
    assert!(lockfile_bytes(&s) == before, "the lockfile is as it was");
    let log = tb.log();
    let mutating: Vec<&str> = log
        .iter()
        .map(|c| c.operation.as_str())
        .filter(|o| crate::support::mutating(o))
        .collect();
    assert!(
        mutating.is_empty(),
        "calls after the interrupt: {mutating:?}"
    );
    assert!(!log.is_empty(), "the reads were made");

    // The lock is free at once; the stack applies.
    tb.configure(json!({"consistency": 0.0}));
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"), "{}", stderr(&out));
    assert_eq!(subnets(&Left::of(&s)), 8);
    format!(
        "SIGINT while planning (inherited ignored): exit 130 {:.1} s after the signal, after \
         {} read(s) and before any other call, the lockfile byte for byte as it was",
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
         an apply sent SIGINT (inherited ignored) while planning (waiting for a VPC that AWS's \
         describes do not show yet)",
    );
    let tb = TestBed::like_this_run(json!({"latency": {"fixed_ms": 250}}));
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

/// `nohup strata apply`: a SIGHUP ignored on entry stays ignored, and the apply goes on.
#[test]
fn nohup_keeps_an_apply_going_when_the_terminal_hangs_up() {
    let tb = TestBed::like_this_run(json!({"latency": {"fixed_ms": 100}}));
    let s = tb.stack("nohup", &many_subnets());
    let mut cmd = s.command(&["apply", "--auto-approve", "--parallelism", "1"]);
    let run = Running::start(ignoring(&mut cmd, libc::SIGHUP).stdout(Stdio::null()));
    wait_until("the apply recorded the VPC", || vpc_recorded(&s));
    let (exit, _, err) = signal(run, libc::SIGHUP);
    assert_eq!(exit, Some(0), "{err}");
    assert!(!err.contains("Interrupted"), "{err}");
    let left = Left::of(&s);
    assert_eq!((subnets(&left), left.tagged == left.locked), (8, true));
}
