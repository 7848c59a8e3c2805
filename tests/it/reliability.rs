//! strata never loses track of what it made: the scenarios of RELIABILITY.md, whose results
//! table these tests rewrite with what they measured.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::{Scenario, Stack, TestBed, stderr, tagged_at};

/// Ids in the lockfile: resources and deposed copies.
fn locked_ids(s: &Stack) -> BTreeSet<String> {
    let lock = s.lockfile();
    let mut ids: BTreeSet<String> = lock["resources"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(d) = lock["deposed"].as_array() {
        ids.extend(
            d.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_string)),
        );
    }
    ids
}

/// Ids of everything in the emulator carrying the stack's tag.
async fn tagged_ids(s: &Stack) -> BTreeSet<String> {
    tagged_at(&s.endpoint, &s.name)
        .await
        .into_iter()
        .filter_map(|t| t.rsplit_once(' ').map(|(_, id)| id.to_string()))
        .collect()
}

/// Mutating calls in a call log (what the crash hook counts).
fn mutations(log: &[crate::support::Call]) -> usize {
    log.iter()
        .filter(|c| {
            c.ok()
                && !["Describe", "Get", "List"]
                    .iter()
                    .any(|p| c.operation.starts_with(p))
        })
        .count()
}

/// Crash at every mutation point of an example: an apply killed with SIGKILL right after its
/// Nth mutating call, for every N, then applied again. Each time the stack converges (the next
/// plan is empty), every resource carrying the stack's tag is in the lockfile exactly once, and
/// destroy leaves nothing. Returns the number of points covered.
async fn crash_everywhere(example: &str) -> usize {
    let mut tb = TestBed::start(json!({}));
    let probe = tb.example(example);
    probe.expect(0, &["apply", "--auto-approve"]);
    let points = mutations(&tb.log());
    probe.expect(0, &["destroy", "--auto-approve"]);
    assert!(points > 0);
    for n in 1..=points {
        // The emulator keeps deleted NAT gateways and the like forever (AWS, about an hour),
        // which slows its answers run after run: start afresh now and then.
        if n % 10 == 0 {
            tb = TestBed::start(json!({}));
        }
        let s = tb.example(example);
        let out = s
            .command(&["apply", "--auto-approve"])
            .env("STRATA_FAULT_KILL_AFTER_CALL", n.to_string())
            .output()
            .expect("run strata");
        assert_eq!(
            out.status.code(),
            None,
            "{example}: the apply was killed after call {n}: {}",
            stderr(&out)
        );
        s.expect(0, &["apply", "--auto-approve"]);
        let out = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{example}, killed after call {n}: the stack did not converge:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let (tagged, locked) = (tagged_ids(&s).await, locked_ids(&s));
        assert_eq!(
            tagged, locked,
            "{example}, killed after call {n}: what exists is what the lockfile records"
        );
        s.expect(0, &["destroy", "--auto-approve"]);
        let left = tagged_ids(&s).await;
        assert!(
            left.is_empty(),
            "{example}, killed after call {n}: destroy left {left:?}"
        );
    }
    points
}

macro_rules! crash_tests {
    ($($test:ident: $example:literal,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                let mut sc = Scenario::start(
                    format!("crash at every mutation point: {}", $example),
                    "apply killed with SIGKILL after each mutating call; then apply, plan, \
                     compare tagged resources with the lockfile, destroy",
                );
                let points = crash_everywhere($example).await;
                sc.how(format!(
                        "apply killed with SIGKILL after mutating call N, for N = 1..{points}; \
                         then apply, plan, compare tagged resources with the lockfile, destroy"
                ));
                sc.pass(format!("{points} of {points} points: converged, nothing twice, nothing untracked, nothing left"));
            }
        )*
    };
}

crash_tests! {
    crash_everywhere_1_1: "cookbook-1.1-vpc",
    crash_everywhere_1_2: "cookbook-1.2-subnets",
    crash_everywhere_1_3: "cookbook-1.3-internet-gateway",
    crash_everywhere_1_4: "cookbook-1.4-nat-gateway",
    crash_everywhere_1_5: "cookbook-1.5-security-groups",
    crash_everywhere_1_8: "cookbook-1.8-prefix-list",
    crash_everywhere_1_9: "cookbook-1.9-s3-endpoint",
    crash_everywhere_1_10: "cookbook-1.10-transit-gateway",
    crash_everywhere_1_11: "cookbook-1.11-vpc-peering",
    crash_everywhere_two_tier: "two-tier-network",
}

/// Resume: an apply of a saved plan fails part-way (every CreateRouteTable fails). With the
/// cause gone, applying the same saved plan runs only what was not done; and it is refused if
/// the live state changed in between.
#[tokio::test]
async fn a_saved_plan_resumes_only_what_is_left() {
    let sc = Scenario::start(
        "resume a saved plan after a failure",
        "cookbook 1.3 from a saved plan with every CreateRouteTable failing; the cause removed, \
         the same saved plan applied again; again with the VPC retagged by hand in between",
    );
    let tb = TestBed::start(json!({"faults": {
        "rate": 1.0, "operations": ["CreateRouteTable"], "kinds": ["500"],
    }}));
    let fail_then = |s: &Stack| {
        s.expect(0, &["plan", "--out", "plan.json"]);
        let out = s
            .command(&["apply", "plan.json"])
            .env("STRATA_AWS_MAX_ATTEMPTS", "2")
            .output()
            .expect("run strata");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("create route_table_a (ec2.route_table) failed"));
    };

    // Resumed: what the first apply did is not done again.
    let s = tb.example("cookbook-1.3-internet-gateway");
    fail_then(&s);
    let done_before = locked_ids(&s);
    tb.configure(json!({"faults": {"rate": 0.0}}));
    tb.clear_log();
    let out = s.expect(0, &["apply", "plan.json"]);
    assert!(
        stderr(&out).contains("Resuming the saved plan"),
        "{}",
        stderr(&out)
    );
    let log = tb.log();
    for op in [
        "CreateVpc",
        "CreateSubnet",
        "CreateInternetGateway",
        "AllocateAddress",
    ] {
        assert!(
            log.iter().all(|c| c.operation != op),
            "{op} was done before and not repeated"
        );
    }
    assert_eq!(
        log.iter()
            .filter(|c| c.operation == "CreateRouteTable" && c.ok())
            .count(),
        2
    );
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let out = s.run(&["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("applied completely already"));
    assert!(done_before.is_subset(&locked_ids(&s)));
    s.expect(0, &["destroy", "--auto-approve"]);

    // Refused: the VPC was retagged by hand after the failure.
    tb.configure(json!({"faults": {"rate": 1.0}}));
    let s = tb.example("cookbook-1.3-internet-gateway");
    fail_then(&s);
    tb.configure(json!({"faults": {"rate": 0.0}}));
    crate::support::ec2_at(tb.url())
        .await
        .create_tags()
        .resources(s.id_of("vpc"))
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("changed by hand")
                .build(),
        )
        .send()
        .await
        .expect("retag");
    let lock = std::fs::read(s.path().join("strata.lock")).expect("lockfile");
    let out = s.run(&["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot be resumed") && err.contains("vpc") && err.contains("tags"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(s.path().join("strata.lock")).expect("lockfile"),
        lock,
        "a refused resume changes nothing"
    );
    s.expect(0, &["destroy", "--auto-approve"]);
    sc.pass(
        "only the two route tables were created on resume (no VPC, subnet, gateway or address \
         call repeated); a finished plan and a changed live state are refused, the lockfile \
         untouched",
    );
}

/// Cancellation as CI does it: SIGINT, 7.5 s later SIGTERM, 2.5 s later SIGKILL, while NAT
/// gateways are being created (pending for a minute). strata saves the lockfile, journals the
/// creates in flight and releases its lock before the SIGKILL; the next apply finds the NAT
/// gateways by their tags instead of making new ones.
#[tokio::test]
async fn ci_cancellation_saves_and_unlocks_before_the_kill() {
    let sc = Scenario::start(
        "cancellation as CI does it",
        "cookbook 1.4 with NAT gateways pending for a minute: SIGINT during the wait, SIGTERM \
         7.5 s later, SIGKILL 2.5 s after that; then apply again",
    );
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let tb = TestBed::start(json!({"pending": {"nat_gateway": 60.0}}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let mut child = s
        .command(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strata");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains("waiting for the NAT gateway"))
    {
        lines.push(
            rx.recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("a NAT gateway create started: {lines:?}")),
        );
    }
    let pid = child.id().cast_signed();
    let signal = |sig| {
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on the child's pid.
        unsafe {
            libc::kill(pid, sig);
        }
    };
    let start = Instant::now();
    signal(libc::SIGINT);
    let mut sent_term = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        let t = start.elapsed();
        if t >= Duration::from_secs(10) {
            signal(libc::SIGKILL);
            panic!("strata was still running 10 s after SIGINT");
        }
        if t >= Duration::from_millis(7500) && !sent_term {
            signal(libc::SIGTERM);
            sent_term = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    lines.extend(rx.try_iter());
    assert!(
        matches!(status.code(), Some(130 | 143)),
        "exited by itself: {status:?}\n{}",
        lines.join("\n")
    );
    let holder = std::fs::read(s.path().join("strata.lock.holder")).unwrap_or_default();
    assert!(holder.is_empty(), "the lock was released");
    let lock = s.lockfile();
    let journaled: Vec<&str> = lock["pending"]
        .as_array()
        .map(|p| p.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        journaled.iter().any(|n| n.starts_with("nat_")),
        "the NAT creates in flight are journaled: {lock}"
    );

    tb.configure(json!({"pending": {"nat_gateway": 0.0}}));
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"), "{}", stderr(&out));
    let (tagged, locked) = (tagged_ids(&s).await, locked_ids(&s));
    assert_eq!(tagged, locked);
    assert_eq!(tagged.iter().filter(|i| i.starts_with("nat-")).count(), 2);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&s).await.is_empty());
    sc.pass(format!(
        "exited {} after {:.1} s (before {}), lockfile saved with the creates in flight \
             journaled, lock released; the next apply adopted the NAT gateways (2, not 4)",
        status.code().unwrap_or_default(),
        took.as_secs_f64(),
        if sent_term {
            "the SIGKILL"
        } else {
            "the SIGTERM"
        }
    ));
}

/// Locks: a second apply fails at once naming the holder; a lock left by a killed process is
/// recognised and taken over with a message; `strata force-unlock` removes a dead holder's
/// lock and refuses a live one's.
#[test]
fn locks_stop_a_second_run_and_survive_a_killed_one() {
    let sc = Scenario::start(
        "locks",
        "two applies on one stack; an apply or destroy killed with SIGKILL, then apply; \
         force-unlock with a live and a dead holder",
    );
    use std::time::{Duration, Instant};

    let tb = TestBed::start(json!({"latency": {"fixed_ms": 150}}));
    let s = tb.example("cookbook-1.2-subnets");
    let holder = s.path().join("strata.lock.holder");
    let wait_for_holder = || {
        let start = Instant::now();
        while std::fs::read(&holder).unwrap_or_default().is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the apply took the lock"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    // A second apply while one runs.
    let mut first = s
        .command(&["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start strata");
    wait_for_holder();
    let start = Instant::now();
    let out = s.run(&["apply", "--auto-approve"]);
    let waited = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(
        waited < Duration::from_secs(3),
        "failed at once: {waited:?}"
    );
    // force-unlock refuses while the holder lives.
    let out = s.run(&["force-unlock"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("pid {}", first.id())));
    assert!(first.wait().expect("wait").success());

    // A killed apply leaves its details; the next run takes over and says so.
    let killed = s
        .command(&["destroy", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .spawn()
        .expect("start strata");
    let killed_pid = killed.id();
    let status = killed.wait_with_output().expect("wait").status;
    assert_eq!(status.code(), None, "killed");
    let out = s.expect(0, &["plan"]);
    assert!(!stderr(&out).contains("Took over"), "plan takes no lock");
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        stderr(&out).contains(&format!(
            "Took over the stack lock left by pid {killed_pid}"
        )),
        "{}",
        stderr(&out)
    );

    // force-unlock clears what a killed run left.
    let killed = s
        .command(&["destroy", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .output()
        .expect("run strata");
    assert_eq!(killed.status.code(), None);
    let out = s.expect(0, &["force-unlock"]);
    assert!(
        stderr(&out).contains("Removed the stack lock held by pid"),
        "{}",
        stderr(&out)
    );
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"));
    sc.pass(format!(
        "the second apply failed after {:.2} s naming the holder's pid; the killed run's \
             lock was taken over with a message naming it; force-unlock refused the live holder \
             and cleared the dead one's",
        waited.as_secs_f64()
    ));
}

/// Damaged lockfiles: truncated, random bytes, an unknown version, contents that contradict
/// themselves, another stack's file. Every command that reads it stops with an error naming
/// the problem and the backup, and the file is never rewritten. The backup restores.
#[test]
fn damaged_lockfiles_are_refused_and_never_overwritten() {
    let sc = Scenario::start(
        "damaged lockfile",
        "truncated, 4 KiB of random bytes, unknown version, two resources with one id, a \
         deposed copy that is also live, another stack's file; plan, apply, destroy and state \
         list on each; then the backup restored",
    );
    let s = Stack::example("cookbook-1.2-subnets");
    s.expect(0, &["apply", "--auto-approve"]);
    let path = s.path().join("strata.lock");
    let backup = s.path().join("strata.lock.backup");
    let good = std::fs::read(&path).expect("lockfile");
    let good_text = String::from_utf8(good.clone()).expect("text");
    let lock = s.lockfile();
    let subnet_a = lock["resources"]["subnet_a"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let subnet_b = lock["resources"]["subnet_b"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut noise = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x.to_le_bytes()[0]);
    }
    let mut deposed: serde_json::Value = lock.clone();
    deposed["deposed"] = json!([{
        "name": "subnet_a", "kind": "ec2.subnet", "id": subnet_a, "attributes": {}
    }]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "not valid JSON",
        ),
        ("random bytes", noise, "not UTF-8"),
        (
            "unknown version",
            good_text
                .replacen("\"version\": 1", "\"version\": 7", 1)
                .into_bytes(),
            "format version 7",
        ),
        (
            "two resources claim one id",
            good_text.replace(&subnet_b, &subnet_a).into_bytes(),
            "both claim",
        ),
        (
            "a deposed copy that is also live",
            serde_json::to_vec_pretty(&deposed).expect("json"),
            "deposed",
        ),
        (
            "another stack's lockfile",
            good_text
                .replacen(
                    &format!("\"stack\": \"{}\"", s.name),
                    "\"stack\": \"other\"",
                    1,
                )
                .into_bytes(),
            "belongs to stack `other`",
        ),
    ];
    for (case, bytes, problem) in &cases {
        std::fs::write(&path, bytes).expect("write damaged lockfile");
        let backup_before = std::fs::read(&backup).expect("backup");
        for args in [
            &["plan"][..],
            &["apply", "--auto-approve"],
            &["destroy", "--auto-approve"],
            &["state", "list"],
        ] {
            if *case == "another stack's lockfile" && args[0] == "state" {
                // A valid file: `state list` shows it; only using it for this stack is wrong.
                continue;
            }
            let out = s.run(args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{case}, {args:?}: {err}");
            assert!(
                err.contains(problem),
                "{case}, {args:?} names the problem: {err}"
            );
            if *case != "another stack's lockfile" && *case != "unknown version" {
                assert!(
                    err.contains("strata.lock.backup"),
                    "{case}: the way out: {err}"
                );
            }
            assert!(!err.contains("panicked"));
            assert_eq!(
                &std::fs::read(&path).expect("lockfile"),
                bytes,
                "{case}: untouched"
            );
            assert_eq!(std::fs::read(&backup).expect("backup"), backup_before);
        }
    }
    // The documented way back: the backup.
    std::fs::copy(&backup, &path).expect("restore the backup");
    s.expect(0, &["state", "list"]);
    s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    sc.pass(format!(
        "{} cases × plan, apply, destroy, state list: exit 1 naming the problem and the way \
             out, file and backup byte-for-byte unchanged; the restored backup works",
        cases.len()
    ));
}

/// Permission errors: an explicit deny by a service control policy on one call. The error
/// names the action, the resource and the policy; nothing is half-recorded; once the deny is
/// lifted, apply carries on.
#[tokio::test]
async fn an_explicit_deny_is_named_and_nothing_is_half_recorded() {
    let sc = Scenario::start(
        "permission errors",
        "cookbook 1.3 with CreateRouteTable denied by a service control policy \
         (UnauthorizedOperation); then a read denied; then the deny lifted",
    );
    let tb = TestBed::start(json!({"faults": {
        "rate": 1.0, "operations": ["CreateRouteTable"], "kinds": ["denied"],
    }}));
    let s = tb.example("cookbook-1.3-internet-gateway");
    let out = s.run(&["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for part in [
        "create route_table_a (ec2.route_table) failed",
        "ec2:CreateRouteTable",
        "UnauthorizedOperation",
        "explicit deny in a service control policy",
        "service control policy (an explicit deny wins over every allow)",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    let denied = tb
        .log()
        .iter()
        .filter(|c| c.operation == "CreateRouteTable")
        .count();
    assert_eq!(denied, 2, "a denied call is not retried");
    let lock = s.lockfile();
    assert!(lock["pending"].is_null(), "nothing half-recorded: {lock}");
    assert_eq!(tagged_ids(&s).await, locked_ids(&s));

    // A denied read stops the plan before anything is decided.
    tb.configure(json!({"faults": {"operations": ["DescribeInternetGateways"]}}));
    let before = std::fs::read(s.path().join("strata.lock")).expect("lockfile");
    let out = s.run(&["plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ec2:DescribeInternetGateways"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(s.path().join("strata.lock")).expect("lockfile"),
        before
    );

    tb.configure(json!({"faults": {"rate": 0.0}}));
    s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&s).await.is_empty());
    sc.pass(
        "exit 1 naming the operation, the action (ec2:CreateRouteTable), the resource and the \
         policy, with help; no retry of the denied call; no pending record; lockfile matches \
         what exists; apply completes once allowed",
    );
}
