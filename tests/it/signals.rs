//! Interrupting an apply as a terminal (Ctrl-C) or CI (SIGTERM) does: strata starts nothing new,
//! lets the call in flight finish briefly, saves, releases the lock, and exits 130 or 143; the
//! next apply carries on.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Filter;

use crate::support::{Stack, ec2_at, start_private_emulator, stderr};

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

async fn count(url: &str, stack: &str) -> (usize, usize) {
    let c = ec2_at(url).await;
    let f = || {
        Filter::builder()
            .name("tag:strata:stack")
            .values(stack)
            .build()
    };
    let v = c
        .describe_vpcs()
        .filters(f())
        .send()
        .await
        .expect("vpcs")
        .vpcs()
        .len();
    let s = c
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .expect("subnets")
        .subnets()
        .len();
    (v, s)
}

async fn interrupted_then_resumed(signal: &str, expected_code: i32) {
    // Every AWS request takes 250 ms, so the apply is still running when the signal comes.
    let slow = start_private_emulator(&["--latency-ms", "250"]);
    let mut s = Stack::new("sig", &many_subnets());
    s.endpoint = slow.url.clone();
    let child = s
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    // Wait until at least the VPC is recorded, then interrupt.
    let lock = s.path().join("strata.lock");
    let start = Instant::now();
    loop {
        // As strata reads it: the snapshot and its journal.
        let done = strata_engine::lockfile::read(&lock)
            .ok()
            .flatten()
            .is_some_and(|l| l.resources.contains_key("vpc"));
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply made progress"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Instant::now();
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("wait");
    let took = sent.elapsed();
    assert_eq!(out.status.code(), Some(expected_code), "{}", stderr(&out));
    assert!(
        took < Duration::from_secs(7),
        "stopped within the CI window: {took:?}"
    );
    let err = stderr(&out);
    assert!(err.contains("Stopped"), "{err}");

    // Not everything was made, and the lock is free again.
    let (vpcs, subnets) = count(&slow.url, &s.name).await;
    assert_eq!(vpcs, 1);
    assert!(
        subnets < 8,
        "the interrupt stopped the apply early ({subnets} subnets)"
    );

    // The next apply finishes the job without duplicates.
    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(count(&slow.url, &s.name).await, (1, 8));
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert_eq!(count(&slow.url, &s.name).await, (0, 0));
}

#[tokio::test]
async fn sigint_stops_saves_and_exits_130() {
    interrupted_then_resumed("-INT", 130).await;
}

#[tokio::test]
async fn sigterm_stops_saves_and_exits_143() {
    interrupted_then_resumed("-TERM", 143).await;
}
