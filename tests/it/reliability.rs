//! strata never loses track of what it made: the scenarios of RELIABILITY.md, whose results
//! table these tests rewrite with what they measured.

use serde_json::json;

use crate::support::{
    Running, Scenario, Stack, TestBed, locked_ids, mutations, owned_ids_of, stderr, stdout,
    tagged_ids,
};

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
    assert!(
        !done_before.is_empty(),
        "the failed apply recorded what it did"
    );
    tb.configure(json!({"faults": {"rate": 0.0}}));
    tb.clear_log();
    let out = s.expect(0, &["apply", "plan.json"]);
    assert!(
        stderr(&out).contains("Resuming the saved plan"),
        "{}",
        stderr(&out)
    );
    let log = tb.log();
    let not_repeated = [
        "CreateVpc",
        "CreateSubnet",
        "CreateInternetGateway",
        "AllocateAddress",
    ];
    for op in not_repeated {
        assert!(
            log.iter().all(|c| c.operation != op),
            "{op} was done before and not repeated"
        );
    }
    let tables = log
        .iter()
        .filter(|c| c.operation == "CreateRouteTable" && c.ok())
        .count();
    assert_eq!(tables, 2);
    let mut resumed: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in log.iter().filter(|c| {
        c.ok()
            && !["Describe", "Get", "List", "Search"]
                .iter()
                .any(|p| c.operation.starts_with(p))
    }) {
        *resumed.entry(c.operation.as_str()).or_default() += 1;
    }
    let after = locked_ids(&s);
    assert!(done_before.is_subset(&after), "what was done kept its ids");
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let lock = std::fs::read(s.path().join("strata.lock")).expect("lockfile");
    let out = s.run(&["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("applied completely already"));
    assert_eq!(
        std::fs::read(s.path().join("strata.lock")).expect("lockfile"),
        lock,
        "a refused resume changes nothing"
    );
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
    tb.clear_log();
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
    let refused_calls = mutations(&tb.log());
    assert_eq!(
        refused_calls, 0,
        "a refused resume calls nothing that changes"
    );
    s.expect(0, &["destroy", "--auto-approve"]);
    sc.pass(format!(
        "the failed apply recorded {} resources; the resume made {} changing calls ({}), none \
         of {}, and the {} resources kept their ids; the plan after it was empty; the finished \
         plan applied again: exit 1 (\"applied completely already\"), lockfile byte-for-byte \
         unchanged; with the VPC retagged by hand: exit 1 naming vpc and its tags, {refused_calls} \
         changing calls, lockfile byte-for-byte unchanged",
        done_before.len(),
        resumed.values().sum::<usize>(),
        resumed
            .iter()
            .map(|(op, n)| format!("{op} ×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        not_repeated.join(", "),
        done_before.len(),
    ));
}

/// Cancellation as CI does it: SIGINT, 7.5 s later SIGTERM, 2.5 s later SIGKILL, while NAT
/// gateways are being created (pending for a minute). strata exits by itself, saving the
/// lockfile with the creates in flight journaled and releasing its lock; the next apply finds
/// the NAT gateways by their tags instead of making new ones. How long strata took to exit is
/// measured against CI's SIGKILL, not asserted (a busy machine would fail such a deadline).
#[tokio::test]
async fn ci_cancellation_saves_and_unlocks_before_the_kill() {
    let sc = Scenario::start(
        "cancellation as CI does it",
        "cookbook 1.4 with NAT gateways pending for a minute: SIGINT during the wait, SIGTERM \
         7.5 s later if it still runs (CI's SIGKILL 2.5 s after that is not sent: the time to \
         exit is measured against it); then apply again",
    );
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let tb = TestBed::start(json!({"pending": {"nat_gateway": 60.0}}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let mut run = Running::start(
        s.command(&["apply", "--auto-approve"])
            .stdout(Stdio::null()),
    );
    // A NAT gateway create started.
    run.wait_for("waiting for the NAT gateway", Duration::from_secs(60));
    let pid = run.child.id().cast_signed();
    let signal = |sig| {
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on the child's pid.
        unsafe {
            libc::kill(pid, sig);
        }
    };
    // CI sends SIGTERM 7.5 s after SIGINT and SIGKILL 2.5 s after that. The SIGTERM is sent
    // as CI does; the SIGKILL only if strata hangs (a generous bound, not CI's: a busy machine
    // must not fail the test), and the time strata took is measured instead.
    const TERM_AFTER: Duration = Duration::from_millis(7500);
    const CI_KILL_AFTER: Duration = Duration::from_secs(10);
    const HANG: Duration = Duration::from_secs(180);
    let start = Instant::now();
    signal(libc::SIGINT);
    let mut sent_term = false;
    let status = loop {
        if let Some(st) = run.child.try_wait().expect("wait") {
            break st;
        }
        let t = start.elapsed();
        if t >= HANG {
            signal(libc::SIGKILL);
            panic!("strata was still running {HANG:?} after SIGINT");
        }
        if t >= TERM_AFTER && !sent_term {
            signal(libc::SIGTERM);
            sent_term = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    assert_eq!(
        status.code(),
        Some(if sent_term { 143 } else { 130 }),
        "exited by itself, for the last signal it got: {status:?}\n{}",
        run.all_stderr()
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
    let nats_made = owned_ids_of(&s, "ec2.nat_gateway").await;

    tb.configure(json!({"pending": {"nat_gateway": 0.0}}));
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"), "{}", stderr(&out));
    let (tagged, locked) = (tagged_ids(&s).await, locked_ids(&s));
    assert_eq!(tagged, locked);
    let nats = owned_ids_of(&s, "ec2.nat_gateway").await;
    assert_eq!(nats.len(), 2, "one NAT gateway per zone, none made twice");
    assert!(
        nats_made.is_subset(&nats),
        "the NAT gateways made before the cancellation were adopted: {nats_made:?} {nats:?}"
    );
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&s).await.is_empty());
    sc.pass(format!(
        "exited {} after {:.1} s ({} the SIGTERM at 7.5 s; CI's SIGKILL at 10 s {}), lockfile \
         saved with the NAT creates in flight journaled ({} pending records), lock released; \
         the next apply adopted the {} NAT gateways made before it and made {} more: {} carry \
         the stack's tag, and what carries it is the lockfile's resources exactly",
        status.code().unwrap_or_default(),
        took.as_secs_f64(),
        if sent_term { "after" } else { "before" },
        if took < CI_KILL_AFTER {
            "not reached"
        } else {
            "WOULD HAVE BEEN REACHED"
        },
        journaled.len(),
        nats_made.len(),
        nats.len() - nats_made.len(),
        nats.len(),
    ));
}

/// Locks: a second apply fails while the first holds the lock, naming the holder; a lock left
/// by a killed apply or destroy is recognised and taken over with a message; `strata
/// force-unlock` refuses a live holder and removes a dead one's lock.
#[tokio::test]
async fn locks_stop_a_second_run_and_survive_a_killed_one() {
    let sc = Scenario::start(
        "locks",
        "cookbook 1.4 with its NAT gateways pending for ten minutes: a second apply and \
         force-unlock while the first apply waits for them; that apply killed with SIGKILL, \
         then destroy; a destroy killed with SIGKILL after its first mutating call, then plan \
         and apply; force-unlock after another killed destroy, then destroy",
    );
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    // The first apply holds the lock as long as the test wants: its NAT gateways stay pending.
    let tb = TestBed::start(json!({"pending": {"nat_gateway": 600.0}}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let mut run = Running::start(
        s.command(&["apply", "--auto-approve"])
            .env("STRATA_MAX_WAIT_SECS", "900")
            .stdout(Stdio::null()),
    );
    // The first apply reached the NAT gateways.
    run.wait_for("waiting for the NAT gateway", Duration::from_secs(120));
    let mut first = run.child;
    let first_pid = first.id();
    let running = |c: &mut std::process::Child| c.try_wait().expect("wait").is_none();

    // A second apply while the first runs: refused, naming the holder.
    let start = Instant::now();
    let out = s.run(&["apply", "--auto-approve"]);
    let waited = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("pid {first_pid}")), "{err}");
    assert!(
        running(&mut first),
        "the second apply was refused while the first still ran"
    );
    // force-unlock refuses while the holder lives.
    let out = s.run(&["force-unlock"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("pid {first_pid}")));
    assert!(
        running(&mut first),
        "force-unlock left the live holder alone"
    );

    // The apply killed while it holds the lock: the next run takes over and says so.
    #[allow(unsafe_code)]
    // SAFETY: kill(2) on the child's pid.
    unsafe {
        libc::kill(first_pid.cast_signed(), libc::SIGKILL);
    }
    assert_eq!(first.wait().expect("wait").code(), None, "killed");
    let took_over = |out: &std::process::Output, pid: u32| {
        stderr(out).contains(&format!("Took over the stack lock left by pid {pid}"))
    };
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(took_over(&out, first_pid), "{}", stderr(&out));
    assert!(
        tagged_ids(&s).await.is_empty(),
        "the destroy finished the job"
    );

    // That destroy finished and released the lock: its details are gone, and the next apply
    // takes it without a take-over.
    let holder = std::fs::read(s.path().join("strata.lock.holder")).unwrap_or_default();
    assert!(
        holder.is_empty(),
        "a finished run clears the holder's details"
    );
    // A destroy killed after its first mutating call: plan takes no lock, apply takes over.
    tb.configure(json!({"pending": {"nat_gateway": 0.0}}));
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        !stderr(&out).contains("Took over"),
        "the destroy before it released the lock: {}",
        stderr(&out)
    );
    let killed = s
        .command(&["destroy", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .spawn()
        .expect("start strata");
    let destroy_pid = killed.id();
    let status = killed.wait_with_output().expect("wait").status;
    assert_eq!(status.code(), None, "killed");
    let out = s.expect(0, &["plan"]);
    assert!(!stderr(&out).contains("Took over"), "plan takes no lock");
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(took_over(&out, destroy_pid), "{}", stderr(&out));
    s.expect(0, &["plan", "--detailed-exitcode"]);

    // force-unlock clears what a killed run left.
    let killed = s
        .command(&["destroy", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .spawn()
        .expect("start strata");
    let dead_pid = killed.id();
    assert_eq!(killed.wait_with_output().expect("wait").status.code(), None);
    let out = s.expect(0, &["force-unlock"]);
    assert!(
        stderr(&out).contains(&format!("Removed the stack lock held by pid {dead_pid}")),
        "{}",
        stderr(&out)
    );
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(!stderr(&out).contains("Took over"));
    assert!(tagged_ids(&s).await.is_empty());
    sc.pass(format!(
        "the second apply exited 1 after {:.2} s, naming the holder's pid, while the first still \
         ran; force-unlock exited 1 naming it and left it running; the apply killed while it \
         held the lock: the next destroy took over with a message naming its pid, left \
         nothing and released the lock (its details cleared, the next apply took it without a \
         take-over); the destroy killed after its first mutating call: plan took no lock, the next \
         apply took over naming its pid and converged; force-unlock after another killed \
         destroy removed the lock naming its pid, and the destroy after it took over nothing \
         and left nothing",
        waited.as_secs_f64()
    ));
}

/// Damaged lockfiles: truncated, random bytes, an unknown version, contents that contradict
/// themselves, another stack's file. Every command that reads it stops with an error naming
/// the problem and the way out (the backup, where the file is damaged), and the file is never
/// rewritten. The backup restores: the stack carries on from it.
#[tokio::test]
async fn damaged_lockfiles_are_refused_and_never_overwritten() {
    let sc = Scenario::start(
        "damaged lockfile",
        "truncated, 4 KiB of random bytes, unknown version, two resources with one id, a \
         deposed copy that is also live, another stack's file; plan, apply, destroy and state \
         list on each; then the backup restored as docs/lockfile.md says, and the stack applied \
         and destroyed from it",
    );
    let s = Stack::example("cookbook-1.2-subnets");
    s.expect(0, &["apply", "--auto-approve"]);
    let applied = locked_ids(&s);
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
    // (case, the damaged file, the problem named, the way out named)
    const BACKUP: &str = "strata.lock.backup";
    const RESTORE: &str = "Restoring a backup";
    let cases: Vec<(&str, Vec<u8>, &str, &[&str])> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "not valid JSON",
            &[BACKUP, RESTORE],
        ),
        ("random bytes", noise, "not UTF-8", &[BACKUP, RESTORE]),
        (
            "unknown version",
            good_text
                .replacen("\"version\": 1", "\"version\": 7", 1)
                .into_bytes(),
            "format version 7",
            &["use the strata version that wrote this file, or a newer one"],
        ),
        (
            "two resources claim one id",
            good_text.replace(&subnet_b, &subnet_a).into_bytes(),
            "both claim",
            &[BACKUP, RESTORE],
        ),
        (
            "a deposed copy that is also live",
            serde_json::to_vec_pretty(&deposed).expect("json"),
            "deposed",
            &[BACKUP, RESTORE],
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
            &["point --lockfile at this stack's own lockfile"],
        ),
    ];
    let mut refused = 0;
    let mut listed_anyway = Vec::new();
    for (case, bytes, problem, way_out) in &cases {
        std::fs::write(&path, bytes).expect("write damaged lockfile");
        let backup_before = std::fs::read(&backup).expect("backup");
        for args in [
            &["plan"][..],
            &["apply", "--auto-approve"],
            &["destroy", "--auto-approve"],
            &["state", "list"],
        ] {
            let out = s.run(args);
            let err = stderr(&out);
            assert!(!err.contains("panicked"));
            assert_eq!(
                &std::fs::read(&path).expect("lockfile"),
                bytes,
                "{case}, {args:?}: untouched"
            );
            assert_eq!(std::fs::read(&backup).expect("backup"), backup_before);
            if *case == "another stack's lockfile" && args[0] == "state" {
                // A valid file: `state list` reads no documents, so it cannot know the file
                // is another stack's; it lists that file's resources.
                assert_eq!(out.status.code(), Some(0), "{case}, {args:?}: {err}");
                let listed = stdout(&out);
                assert!(
                    listed.contains(&subnet_a) && listed.contains(&subnet_b),
                    "{listed}"
                );
                listed_anyway.push(*case);
                continue;
            }
            assert_eq!(out.status.code(), Some(1), "{case}, {args:?}: {err}");
            assert!(
                err.contains(problem),
                "{case}, {args:?} names the problem: {err}"
            );
            for w in *way_out {
                assert!(
                    err.contains(w),
                    "{case}, {args:?}: the way out ({w}): {err}"
                );
            }
            refused += 1;
        }
    }
    // The documented way back: the backup (docs/lockfile.md, "Restoring a backup"). It is the
    // snapshot before the last one: what it lacks is found by its tags and adopted.
    std::fs::copy(&backup, &path).expect("restore the backup");
    let _ = std::fs::remove_file(s.path().join("strata.lock.journal"));
    let out = s.expect(0, &["state", "list"]);
    let in_backup = stdout(&out).lines().count();
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(
        locked_ids(&s),
        applied,
        "the resources made before the damage were taken back, none made again"
    );
    assert_eq!(tagged_ids(&s).await, applied, "nothing made twice");
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&s).await.is_empty(), "nothing left");
    sc.pass(format!(
        "{} cases × plan, apply, destroy, state list: {refused} runs exited 1 naming the problem \
         and the way out (the backup and how to restore it for the {} damaged files; a newer \
         strata for the unknown version; --lockfile for another stack's file), {} (state list \
         on {}) exited 0 listing that file, which it does not check against the documents; the \
         file and its backup byte-for-byte unchanged after every run; the restored backup (the \
         snapshot before the last: {} lines in state list): apply found the {} resources made \
         before by their tags and took them back with their ids, nothing made twice, an empty \
         plan, destroy left nothing",
        cases.len(),
        cases.iter().filter(|c| c.3.contains(&BACKUP)).count(),
        listed_anyway.len(),
        listed_anyway.join(", "),
        in_backup,
        applied.len(),
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
    let tables = std::fs::read_to_string(s.path().join("stack.yaml"))
        .expect("documents")
        .matches("kind: ec2.route_table")
        .count();
    let denied = tb
        .log()
        .iter()
        .filter(|c| c.operation == "CreateRouteTable")
        .count();
    assert_eq!(
        denied, tables,
        "a denied call is not retried: one call per table"
    );
    let lock = s.lockfile();
    assert!(lock["pending"].is_null(), "nothing half-recorded: {lock}");
    let recorded = locked_ids(&s);
    assert_eq!(tagged_ids(&s).await, recorded);

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
    tb.clear_log();
    s.expect(0, &["apply", "--auto-approve"]);
    let made = tb
        .log()
        .iter()
        .filter(|c| {
            c.ok()
                && c.operation.starts_with("Create")
                && c.operation != "CreateTags"
                && c.name.is_some()
        })
        .count();
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let finished = locked_ids(&s);
    assert!(
        recorded.is_subset(&finished),
        "what was made before was kept"
    );
    assert_eq!(tagged_ids(&s).await, finished);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(tagged_ids(&s).await.is_empty());
    sc.pass(format!(
        "exit 1 naming the operation, the action (ec2:CreateRouteTable), UnauthorizedOperation, \
         the resource and the policy, with help; CreateRouteTable called {denied} times for \
         {tables} tables (no retry); no pending record; the {} resources made before the deny \
         recorded, exactly what carries the stack's tag; the denied read: exit 1 naming \
         ec2:DescribeInternetGateways, lockfile byte-for-byte unchanged; the deny lifted: apply \
         made {made} more (the {} resources made before kept), an empty plan, destroy left \
         nothing",
        recorded.len(),
        recorded.len(),
    ));
}
