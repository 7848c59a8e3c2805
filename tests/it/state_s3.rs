//! State on S3 (`--state s3://…`): one run at a time by a lease in the bucket, a killed holder's
//! work found by the next run, a paused holder fenced off once its lock is taken over, and the
//! state moved between a local lockfile and S3 unchanged.
//!
//! Leases are short here (`STRATA_LOCK_LEASE=3`): a lock left by a dead run frees itself in
//! seconds.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::support::{Running, Stack, TestBed, emulator, observer_conf, stderr, tagged_at, unique};

const VPC_AND_SUBNET: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/16
  subnet:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.61.1.0/24
";

/// A generous bound for what should take seconds.
const BOUND: Duration = Duration::from_secs(120);

/// An S3 client for the emulator at `url` (paths, not host names, name the bucket).
async fn s3_at(url: &str) -> aws_sdk_s3::Client {
    let conf = observer_conf(url, "us-east-1").await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

/// A new bucket in the emulator at `url`; returns its `s3://` URL with a prefix.
async fn bucket_at(url: &str) -> String {
    let s3 = s3_at(url).await;
    let name = unique("state").to_lowercase();
    s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create the state bucket");
    format!("s3://{name}/teams/lab")
}

/// strata on `s` with its state at `state` and a short lease.
fn on_s3(s: &Stack, state: &str, args: &[&str]) -> Command {
    let mut c = s.command(args);
    c.env("STRATA_STATE", state).env("STRATA_LOCK_LEASE", "3");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run strata")
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// The state on S3 as `strata state pull` prints it.
fn pulled(s: &Stack, state: &str) -> serde_json::Value {
    let out = run(&mut on_s3(s, state, &["state", "pull"]));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("state pull prints a lockfile")
}

fn ids(state: &serde_json::Value) -> Vec<(String, String)> {
    state["resources"]
        .as_object()
        .map(|r| {
            r.iter()
                .map(|(k, v)| (k.clone(), v["id"].as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[allow(unsafe_code)]
fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on our child's pid.
    unsafe {
        libc::kill(pid.cast_signed(), sig);
    }
}

#[tokio::test]
async fn eight_applies_at_once_run_one_at_a_time() {
    let s = Stack::new("s3lock", VPC_AND_SUBNET);
    let state = bucket_at(&emulator().url).await;
    let runs: Vec<_> = (0..8)
        .map(|i| {
            let mut c = on_s3(&s, &state, &["apply", "--auto-approve"]);
            if i == 7 {
                c.args(["--lock-timeout", "90s"]);
            }
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start strata")
        })
        .collect();
    let outs: Vec<Output> = runs
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    let mut made = 0;
    for (i, o) in outs.iter().enumerate() {
        let err = stderr(o);
        match code(o) {
            Some(0) => {
                if String::from_utf8_lossy(&o.stdout).contains("2 added") || err.contains("2 added")
                {
                    made += 1;
                }
            }
            Some(1) => {
                assert_ne!(i, 7, "the run given --lock-timeout waits its turn: {err}");
                assert!(err.contains("the stack is locked by"), "{err}");
                assert!(err.contains("pid "), "names the holder: {err}");
                assert!(err.contains("force-unlock"), "{err}");
            }
            other => panic!("run {i} exited {other:?}: {err}"),
        }
    }
    assert_eq!(made, 1, "exactly one run created the stack");
    let live = tagged_at(&emulator().url, &s.name).await;
    assert_eq!(live.len(), 2, "one VPC and one subnet: {live:?}");
    // The state on S3 names them; nothing was written locally.
    let st = pulled(&s, &state);
    assert_eq!(ids(&st).len(), 2, "{st}");
    assert!(!s.path().join("strata.lock").exists());
}

#[tokio::test]
async fn a_killed_holders_lock_is_taken_over_and_its_work_found() {
    let s = Stack::new("s3kill", VPC_AND_SUBNET);
    let state = bucket_at(&emulator().url).await;
    // Killed (SIGKILL) right after its second mutating call: the VPC was made, its id
    // journaled on S3, and the lock left held.
    // Its lease is long enough (8 s) that the next run, started at once, has to wait for it.
    let out = run(on_s3(&s, &state, &["apply", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "2")
        .env("STRATA_LOCK_LEASE", "8"));
    assert_eq!(code(&out), None, "killed: {}", stderr(&out));
    let journaled = pulled(&s, &state);
    let before = tagged_at(&emulator().url, &s.name).await;
    assert!(!before.is_empty(), "the killed run made something");

    // The next run waits out the dead holder's lease and takes its lock over.
    let out = run(&mut on_s3(
        &s,
        &state,
        &["apply", "--auto-approve", "--lock-timeout", "60s"],
    ));
    let err = stderr(&out);
    assert_eq!(code(&out), Some(0), "{err}");
    assert!(err.contains("waiting up to 1m"), "{err}");
    assert!(
        err.contains("warning: versioning is off on the state's bucket"),
        "{err}"
    );
    assert!(err.contains("Took over the stack lock from"), "{err}");
    assert!(err.contains("strata apply"), "names the old holder: {err}");
    // Every resource the killed run made is the stack's; none was made twice.
    let live = tagged_at(&emulator().url, &s.name).await;
    assert_eq!(live.len(), 2, "{live:?}");
    for id in &before {
        assert!(
            live.contains(id),
            "{id} was adopted, not replaced: {live:?}"
        );
    }
    let st = pulled(&s, &state);
    assert_eq!(
        st["lineage"], journaled["lineage"],
        "the same state went on"
    );
    let plan = run(&mut on_s3(&s, &state, &["plan", "--detailed-exitcode"]));
    assert_eq!(code(&plan), Some(0), "converged: {}", stderr(&plan));
}

#[tokio::test]
async fn a_paused_holder_is_fenced_off_once_its_lock_is_taken_over() {
    // Slow calls, so that the first apply is mid-way when it is paused.
    let tb = TestBed::like_this_run(json!({"latency": {"fixed_ms": 150}}));
    let s = tb.stack("s3stop", VPC_AND_SUBNET);
    let state = bucket_at(tb.url()).await;
    let mut first = Running::start(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    first.wait_for(": started", BOUND);
    let pid = first.child.id();
    signal(pid, libc::SIGSTOP);

    // Its lease runs out; the next run waits for it, takes the lock over and finishes the job.
    let out = run(&mut on_s3(
        &s,
        &state,
        &["apply", "--auto-approve", "--lock-timeout", "60s"],
    ));
    let err = stderr(&out);
    assert_eq!(code(&out), Some(0), "{err}");
    assert!(err.contains("waiting up to"), "{err}");
    assert!(
        err.contains(&format!("pid {pid}")),
        "names the paused holder: {err}"
    );
    let theirs = pulled(&s, &state);

    // Resumed, the paused run writes nothing more: it stops saying why.
    signal(pid, libc::SIGCONT);
    let status = first.child.wait().expect("wait");
    let err = first.all_stderr();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("was taken over by"), "{err}");
    assert!(err.contains("stopped without writing"), "{err}");
    assert_eq!(
        pulled(&s, &state),
        theirs,
        "the state on S3 is the new holder's"
    );
    let live = tagged_at(tb.url(), &s.name).await;
    for (_, id) in ids(&theirs) {
        assert!(
            live.iter().any(|l| l.ends_with(&id)),
            "{id} exists: {live:?}"
        );
    }
}

#[tokio::test]
async fn migrating_to_s3_and_back_gives_the_same_lockfile() {
    let s = Stack::new("s3mig", VPC_AND_SUBNET);
    s.expect(0, &["apply", "--auto-approve"]);
    let lock = s.path().join("strata.lock");
    let original = std::fs::read(&lock).expect("lockfile");
    let state = bucket_at(&emulator().url).await;

    s.expect(0, &["state", "migrate", "--to", &state]);
    assert!(
        !lock.exists(),
        "the local lockfile no longer looks authoritative"
    );
    // Runs on S3 see the same state: nothing to do.
    let plan = run(&mut on_s3(&s, &state, &["plan", "--detailed-exitcode"]));
    assert_eq!(code(&plan), Some(0), "{}", stderr(&plan));
    // The lock was released: another migration back takes it.
    let out = run(&mut on_s3(
        &s,
        &state,
        &["state", "migrate", "--to", "strata.lock"],
    ));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&lock).expect("lockfile back")),
        String::from_utf8_lossy(&original),
        "byte for byte, lineage and serial kept"
    );
    // Into a place that has a state already: refused.
    let out = run(&mut s.command(&["state", "migrate", "--to", &state]));
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// The operations of a call log, in order.
fn operations(tb: &TestBed) -> Vec<String> {
    tb.log().into_iter().map(|c| c.operation).collect()
}

#[tokio::test]
async fn s3_failing_mid_apply_never_lets_a_mutation_go_unjournaled() {
    let tb = TestBed::like_this_run(json!({}));
    let s = tb.stack("s3fault", VPC_AND_SUBNET);
    let state = bucket_at(tb.url()).await;
    // S3 answers 503 to the state's third write (the first journal entry): retried.
    tb.clear_log();
    tb.configure(json!({"faults": {"targets": [
        {"service": "s3", "operation": "PutObject", "nth": 3, "kind": "503"}
    ]}}));
    let out = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let log = tb.log();
    assert!(
        log.iter()
            .any(|c| c.fault.is_some() && c.operation == "PutObject"),
        "the fault was given"
    );

    // S3 refuses the state's third write for good (the first journal entry of a new subnet):
    // the subnet's create is never sent, and the state stays as it was.
    let before = pulled(&s, &state);
    s.write(&format!(
        "{VPC_AND_SUBNET}  other:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: 10.61.2.0/24\n"
    ));
    tb.clear_log();
    tb.configure(json!({"faults": {"targets": [
        {"service": "s3", "operation": "PutObject", "nth": 3, "kind": "denied"}
    ]}}));
    let out = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    let err = stderr(&out);
    assert_eq!(code(&out), Some(1), "{err}");
    assert!(err.contains("cannot write the state's journal"), "{err}");
    let ops = operations(&tb);
    assert!(
        !ops.iter().any(|o| o == "CreateSubnet"),
        "no AWS mutation without its journal entry: {ops:?}"
    );
    let after = pulled(&s, &state);
    assert_eq!(ids(&after), ids(&before), "the state is consistent");
    assert_eq!(after["lineage"], before["lineage"]);

    // S3 well again: the next run takes the released lock and converges.
    tb.configure(json!({"faults": {"targets": []}}));
    let out = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(tagged_at(tb.url(), &s.name).await.len(), 3);
}

#[tokio::test]
async fn force_unlock_releases_a_dead_holders_lock_by_its_id() {
    let s = Stack::new("s3unlock", VPC_AND_SUBNET);
    let state = bucket_at(&emulator().url).await;
    // A holder killed with a long lease: its lock would stay for a minute.
    let out = run(on_s3(&s, &state, &["apply", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .env("STRATA_LOCK_LEASE", "60"));
    assert_eq!(code(&out), None, "killed: {}", stderr(&out));
    let out = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    let err = stderr(&out);
    assert_eq!(code(&out), Some(1), "{err}");
    assert!(err.contains("(lock 1, its lease runs until"), "{err}");
    assert!(err.contains("strata force-unlock 1"), "{err}");
    // Without its id, or with another lock's id: refused.
    let out = run(&mut on_s3(&s, &state, &["force-unlock"]));
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let out = run(&mut on_s3(&s, &state, &["force-unlock", "7"]));
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not lock 7"), "{}", stderr(&out));
    let out = run(&mut on_s3(&s, &state, &["force-unlock", "1"]));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Released the stack lock held by"),
        "{}",
        stderr(&out)
    );
    // Released: the next run takes the lock at once (no takeover) and converges.
    let out = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    let err = stderr(&out);
    assert_eq!(code(&out), Some(0), "{err}");
    assert!(!err.contains("Took over"), "{err}");
    assert_eq!(tagged_at(&emulator().url, &s.name).await.len(), 2);
}

/// `state: s3://…` in the documents keeps the state on S3 without --state: apply writes no local
/// lockfile, `state list` reads S3, a saved plan carries its state and is applied there, and
/// --state naming another location is refused for that plan.
#[tokio::test]
async fn the_documents_state_section_keeps_the_state_on_s3() {
    let s = Stack::new("docstate", VPC_AND_SUBNET);
    let state = bucket_at(&s.endpoint).await;
    s.write(&VPC_AND_SUBNET.replace(
        "region: us-east-1",
        &format!("region: us-east-1\nstate: {state}"),
    ));
    let lease = |c: &mut Command| {
        c.env("STRATA_LOCK_LEASE", "3");
    };
    let mut plan = s.command(&["plan", "--out", "plan.json"]);
    lease(&mut plan);
    assert_eq!(code(&run(&mut plan)), Some(0));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path().join("plan.json")).expect("the plan"))
            .expect("JSON");
    assert_eq!(saved["state"], json!(state));

    let other = bucket_at(&s.endpoint).await;
    let refused = run(s
        .command(&["--state", &other, "apply", "plan.json"])
        .env("STRATA_LOCK_LEASE", "3"));
    assert_eq!(code(&refused), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("the plan was made against the state at"),
        "{}",
        stderr(&refused)
    );

    let mut apply = s.command(&["apply", "plan.json"]);
    lease(&mut apply);
    let out = run(&mut apply);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(!s.path().join("strata.lock").exists(), "no local lockfile");
    assert_eq!(ids(&pulled(&s, &state)).len(), 2);
    let listed = run(s.command(&["state", "list"]).env("STRATA_LOCK_LEASE", "3"));
    assert_eq!(code(&listed), Some(0), "{}", stderr(&listed));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("subnet"));

    let mut destroy = s.command(&["destroy", "--auto-approve"]);
    lease(&mut destroy);
    assert_eq!(code(&run(&mut destroy)), Some(0));
    assert!(tagged_at(&s.endpoint, &s.name).await.is_empty());
}

/// `state push` refuses a lockfile older than the state on S3 and one of another lineage
/// (`--force` replaces it), and runs on a bucket without versioning or default encryption warn
/// about each, until they are set.
#[tokio::test]
async fn state_push_refuses_an_older_or_foreign_lockfile_and_the_bucket_is_checked() {
    let s = Stack::new("s3push", &VPC_AND_SUBNET.replace("10.61.", "10.62."));
    s.expect(0, &["apply", "--auto-approve"]);
    let state = bucket_at(&emulator().url).await;
    let migrated = run(&mut s.command(&["state", "migrate", "--to", &state]));
    assert_eq!(code(&migrated), Some(0), "{}", stderr(&migrated));
    let err = stderr(&migrated);
    assert!(
        err.contains("versioning is off on the state's bucket"),
        "{err}"
    );
    assert!(err.contains("has no default encryption"), "{err}");
    let old_path = s.path().join("strata.lock.migrated");
    let old: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&old_path).expect("the migrated lockfile"))
            .expect("JSON");

    // A change applied on S3: its state is newer than the old lockfile.
    s.edit(|d| {
        d.replace(
            "cidr_block: 10.62.0.0/16",
            "cidr_block: 10.62.0.0/16\n    tags: {Name: pushed}",
        )
    });
    let applied = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    assert_eq!(code(&applied), Some(0), "{}", stderr(&applied));
    let newer = pulled(&s, &state);
    assert!(newer["serial"].as_u64() > old["serial"].as_u64(), "{newer}");
    let old_arg = old_path.to_string_lossy().into_owned();
    let out = run(&mut on_s3(&s, &state, &["state", "push", &old_arg]));
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is newer (serial"),
        "{}",
        stderr(&out)
    );
    assert_eq!(pulled(&s, &state), newer, "the state on S3 is untouched");

    // Another lineage: another stack's state, or a new one.
    let mut foreign = newer.clone();
    foreign["lineage"] = json!("00000000-0000-4000-8000-000000000000");
    let foreign_path = s.path().join("foreign.lock");
    std::fs::write(
        &foreign_path,
        serde_json::to_vec_pretty(&foreign).expect("JSON"),
    )
    .expect("write the foreign lockfile");
    let foreign_arg = foreign_path.to_string_lossy().into_owned();
    let out = run(&mut on_s3(&s, &state, &["state", "push", &foreign_arg]));
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has another lineage"),
        "{}",
        stderr(&out)
    );

    // Versioning and default encryption set: no warning; --force replaces the state.
    let s3 = s3_at(&emulator().url).await;
    let bucket = state
        .trim_start_matches("s3://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    use aws_sdk_s3::types::{
        BucketVersioningStatus, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
    };
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning on");
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .expect("a default encryption");
    s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .expect("an encryption configuration"),
        )
        .send()
        .await
        .expect("default encryption on");
    let out = run(&mut on_s3(
        &s,
        &state,
        &["state", "push", "--force", &old_arg],
    ));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(pulled(&s, &state)["serial"], old["serial"]);

    // Back to what AWS holds, then gone.
    let applied = run(&mut on_s3(&s, &state, &["apply", "--auto-approve"]));
    assert_eq!(code(&applied), Some(0), "{}", stderr(&applied));
    let destroyed = run(&mut on_s3(&s, &state, &["destroy", "--auto-approve"]));
    assert_eq!(code(&destroyed), Some(0), "{}", stderr(&destroyed));
}
