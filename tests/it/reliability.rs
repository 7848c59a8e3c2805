//! strata never loses track of what it made: the scenarios of RELIABILITY.md, whose results
//! table these tests rewrite with what they measured.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::{Stack, TestBed, record_reliability, stderr, tagged_at};

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
                let points = crash_everywhere($example).await;
                record_reliability(
                    &format!("crash at every mutation point: {}", $example),
                    &format!(
                        "apply killed with SIGKILL after mutating call N, for N = 1..{points}; \
                         then apply, plan, compare tagged resources with the lockfile, destroy"
                    ),
                    &format!("{points} of {points} points: converged, nothing twice, nothing untracked, nothing left"),
                );
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
