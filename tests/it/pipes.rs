//! A closed stdout or stderr never stops the work (`strata apply 2>&1 | head -n 136`): strata
//! stops writing to that stream, finishes the apply, saves the lockfile, releases the lock and
//! exits as the work earned (0 here; see README, "Exit codes"), and no command panics.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, PipeReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Owned, Scenario, Stack, TestBed, locked_ids, owned_at, stderr};

/// Runs a future to its end on a runtime of its own (for SDK checks from test threads).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// What a run left behind, as the next run finds it.
#[derive(Debug)]
pub(crate) struct Left {
    /// Ids of everything AWS holds with the stack's tag.
    pub tagged: BTreeSet<String>,
    /// The same, with their kinds.
    pub owned: Vec<Owned>,
    /// Ids the lockfile records (resources and deposed copies).
    pub locked: BTreeSet<String>,
    /// Calls journaled as in flight: "create nat_a".
    pub pending: Vec<String>,
    /// The lock holder's details, which a clean exit clears.
    pub holder: String,
}

impl Left {
    pub(crate) fn of(s: &Stack) -> Left {
        let lock = s.lockfile();
        let pending = lock["pending"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{} {}",
                    p["op"].as_str().unwrap_or_default(),
                    p["name"].as_str().unwrap_or_default()
                )
            })
            .collect();
        let owned = block_on(owned_at(&s.endpoint, &s.name));
        Left {
            tagged: owned.iter().map(|o| o.id.clone()).collect(),
            owned,
            locked: locked_ids(s),
            pending,
            holder: std::fs::read_to_string(s.path().join("strata.lock.holder"))
                .unwrap_or_default(),
        }
    }

    /// How many resources of a kind AWS holds with the stack's tag.
    pub(crate) fn count(&self, kind: &str) -> usize {
        self.owned.iter().filter(|o| o.kind == kind).count()
    }
}

/// Where the reader that goes away is, and after how many lines.
#[derive(Debug, Clone, Copy)]
enum Close {
    /// `2>&1 | head -n N`
    Both(usize),
    /// `| head -n N`, stderr read to the end
    Stdout(usize),
    /// `2>&1 >/dev/tty | head -n N`, stdout read to the end
    Stderr(usize),
}

/// Reads `n` lines and goes away (at once for 0).
fn read_and_close(r: PipeReader, n: usize) {
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    for _ in 0..n {
        line.clear();
        if r.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            break;
        }
    }
}

/// Runs `cmd` with one stream (or both) going to a reader that leaves after N lines. Returns
/// the exit status and what the other stream said (empty for `Both`).
fn run_closing(mut cmd: Command, close: Close) -> (ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    let n = match close {
        Close::Both(n) => {
            cmd.stdout(writer.try_clone().expect("dup")).stderr(writer);
            n
        }
        Close::Stdout(n) => {
            cmd.stdout(writer).stderr(Stdio::piped());
            n
        }
        Close::Stderr(n) => {
            cmd.stderr(writer).stdout(Stdio::piped());
            n
        }
    };
    // For 0 the reader is gone before strata writes anything.
    let reader = if n == 0 {
        drop(reader);
        None
    } else {
        Some(reader)
    };
    let mut child = cmd.spawn().expect("start strata");
    drop(cmd); // our copies of the write ends
    let other = child
        .stdout
        .take()
        .map(|o| Box::new(o) as Box<dyn Read + Send>);
    let other = other.or_else(|| {
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>)
    });
    let collector = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut o) = other {
            let _ = o.read_to_string(&mut text);
        }
        text
    });
    if let Some(r) = reader {
        read_and_close(r, n);
    }
    let status = child.wait().expect("wait for strata");
    (status, collector.join().expect("collector"))
}

const NAT_PENDING_SECS: f64 = 3.0;

/// One apply of cookbook 1.4 with its output closed as `close` says; checks what it left.
/// Returns how long it took.
fn apply_closing(tb: &TestBed, close: Close) -> Duration {
    let s = tb.example("cookbook-1.4-nat-gateway");
    let start = Instant::now();
    let (status, other) = run_closing(s.command(&["apply", "--auto-approve"]), close);
    let took = start.elapsed();
    assert_eq!(
        status.code(),
        Some(0),
        "{close:?}: the apply finished and exited 0\n{other}"
    );
    assert!(!other.contains("panicked"), "{close:?}: {other}");
    match close {
        Close::Stdout(_) => assert!(
            other.contains("Apply complete: 13 added"),
            "{close:?}: stderr still says how it ended\n{other}"
        ),
        Close::Stderr(_) => assert!(
            other.contains("Outputs:") && other.contains("egress_ips"),
            "{close:?}: stdout still has the outputs, printed last\n{other}"
        ),
        Close::Both(_) => {}
    }
    let left = Left::of(&s);
    assert_eq!(left.tagged.len(), 13, "{close:?}: {left:?}");
    assert_eq!(
        left.tagged, left.locked,
        "{close:?}: the lockfile records what AWS holds"
    );
    assert!(left.pending.is_empty(), "{close:?}: {left:?}");
    assert!(left.holder.is_empty(), "{close:?}: lock released: {left:?}");
    // The lock is free: the next apply takes it at once, finds nothing to do.
    let out = s.expect(0, &["apply", "--auto-approve"]);
    let err = stderr(&out);
    assert!(!err.contains("Took over"), "{close:?}: {err}");
    assert!(
        err.contains("Apply complete: 0 added, 0 changed, 0 destroyed"),
        "{close:?}: {err}"
    );
    took
}

/// Commands whose output goes nowhere: the exit code they would have had, no panic.
fn other_commands_survive(tb: &TestBed) -> usize {
    let s = tb.example("cookbook-1.2-subnets");
    s.expect(0, &["apply", "--auto-approve"]);
    let bad = tb.stack(
        "bad",
        "stack: STACK\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_blok: 10.0.0.0/16\n",
    );
    let cases: Vec<(&Stack, &[&str], i32)> = vec![
        (&s, &["plan"], 0),
        (&s, &["plan", "--json"], 0),
        (&s, &["state", "list"], 0),
        (&s, &["state", "show", "vpc"], 0),
        (&s, &["output", "--json"], 0),
        (&s, &["graph"], 0),
        (&s, &["schema"], 0),
        (&s, &["--help"], 0),
        (&s, &["apply", "--help"], 0),
        (&s, &["--version"], 0),
        (&s, &["apply", "--no-such-flag"], 2),
        (&bad, &["validate"], 1),
        (&bad, &["validate", "--json"], 1),
        (&bad, &["plan"], 1),
    ];
    let mut n = 0;
    for (stack, args, code) in &cases {
        for close in [
            Close::Both(0),
            Close::Stdout(0),
            Close::Stderr(0),
            Close::Both(1),
        ] {
            let (status, other) = run_closing(stack.command(args), close);
            assert_eq!(
                status.code(),
                Some(*code),
                "strata {args:?} with {close:?}: {other}"
            );
            assert!(
                !other.contains("panicked"),
                "strata {args:?} with {close:?}: {other}"
            );
            n += 1;
        }
    }
    n
}

#[test]
fn closed_output_never_stops_the_work() {
    let sc = Scenario::start(
        "closed output",
        "cookbook 1.4 with NAT gateways pending 3 s, applied with stdout and stderr into one \
         pipe whose reader leaves after N lines (`2>&1 | head -n N`, N = 0, 5, 136), and with \
         stdout alone and stderr alone closed at once; then plan, plan --json, state list, \
         state show, output, graph, schema, --help, --version, a usage error, validate and \
         plan with diagnostics, each with its output closed four ways",
    );
    let tb = TestBed::like_this_run(json!({"pending": {"nat_gateway": NAT_PENDING_SECS}}));
    let closes = [
        Close::Both(0),
        Close::Both(5),
        Close::Both(136),
        Close::Stdout(0),
        Close::Stderr(0),
    ];
    let took: Vec<Duration> = std::thread::scope(|scope| {
        let applies: Vec<_> = closes
            .iter()
            .map(|c| scope.spawn(|| apply_closing(&tb, *c)))
            .collect();
        applies
            .into_iter()
            .map(|h| h.join().expect("an apply case"))
            .collect()
    });
    let others = other_commands_survive(&tb);
    let slowest = took.iter().max().copied().unwrap_or_default();
    sc.pass(format!(
        "{} applies (slowest {:.1} s): each exited 0, its lockfile recording the 13 resources \
         AWS holds and nothing pending, the lock released (the next apply took it without a \
         take-over and found nothing to do); {others} runs of the other commands: the exit \
         code each has with its output read, no panic",
        closes.len(),
        slowest.as_secs_f64()
    ));
}

/// Output lost for another reason than a reader that left (a full disk): the work is done the
/// same, but a run that would have exited 0 exits 1, saying so, so that a script does not take
/// the truncated output for the whole.
#[test]
fn a_full_disk_on_stdout_is_reported() {
    let s = Stack::example("cookbook-1.2-subnets");
    for args in [&["schema"][..], &["graph"][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = s.command(args).stdout(full).output().expect("run strata");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("could not write all of the output to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
}
