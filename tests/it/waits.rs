//! Waits that can never end well: a resource deleted by someone else (or failed, or rejected)
//! while strata waits for it to become usable. strata stops at once and says why, instead of
//! printing "waiting …" until its time limit.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_ec2::Client;
use serde_json::{Value, json};
use strata_aws::wait::{self, Backoff, Goal, Poll};
use strata_engine::provider::{ErrorClass, Progress};

use crate::support::{Running, Scenario, TestBed, ec2_at, owned_at};

const GOAL: Goal<'static> = Goal {
    ready: &["available"],
    on_the_way: &["pending"],
};

#[test]
fn a_goal_sorts_states_into_ready_on_the_way_and_never() {
    assert!(matches!(GOAL.poll("Available", 1), Poll::Ready(1)));
    assert!(matches!(GOAL.poll("pending", 1), Poll::NotYet(s) if s == "pending"));
    assert!(matches!(GOAL.poll("deleted", 1), Poll::Never(s) if s == "deleted"));
    assert!(matches!(GOAL.poll("something-new", 1), Poll::Never(_)));
}

#[tokio::test]
async fn a_state_that_never_leads_to_the_goal_ends_the_wait_at_once() {
    let mut polls = 0;
    let err = wait::until(
        "the thing to be available",
        Duration::from_secs(600),
        Backoff::default(),
        &Progress::none(),
        || {
            polls += 1;
            let state = if polls < 3 { "pending" } else { "deleted" };
            async move { Ok(GOAL.poll(state, ())) }
        },
    )
    .await
    .expect_err("a deleted thing never becomes available");
    assert_eq!(
        polls, 3,
        "the third poll, which saw it deleted, was the last"
    );
    assert_eq!(err.class, ErrorClass::Invalid);
    assert!(err.message.contains("it is deleted"), "{}", err.message);
    assert!(err.help.is_some());
}

/// One way to break a wait: the resources beside [`VPC`]'s, the test bed's pending states, what
/// strata prints while it waits having seen the resource, the kind of the resource the observer
/// deletes, and the state strata must name.
struct Case {
    name: &'static str,
    pending: Value,
    resources: &'static str,
    waiting: &'static str,
    kind: &'static str,
    state: &'static str,
}

const VPC: &str = "stack: STACK
region: us-east-1
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.60.0.0/16
  subnet:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.60.0.0/24
    availability_zone: us-east-1a
";

const NAT: &str = "  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  nat_ip:
    kind: ec2.eip
  nat:
    kind: ec2.nat_gateway
    subnet: subnet
    eip: nat_ip
";

const TGW: &str = "  tgw:
    kind: ec2.transit_gateway
";

fn cases() -> Vec<Case> {
    let nat_waiting = "waiting for the NAT gateway to be available (pending)";
    let tgw_waiting = "waiting for the transit gateway to be available (pending)";
    vec![
        Case {
            name: "a NAT gateway deleted",
            pending: json!({"nat_gateway": 600.0, "nat_gateway_delete": 0.0}),
            resources: NAT,
            waiting: nat_waiting,
            kind: "ec2.nat_gateway",
            state: "it is deleted",
        },
        Case {
            name: "a NAT gateway being deleted",
            pending: json!({"nat_gateway": 600.0, "nat_gateway_delete": 600.0}),
            resources: NAT,
            waiting: nat_waiting,
            kind: "ec2.nat_gateway",
            state: "it is deleting",
        },
        Case {
            name: "a transit gateway being deleted",
            pending: json!({"transit_gateway": 600.0, "transit_gateway_delete": 600.0}),
            resources: TGW,
            waiting: tgw_waiting,
            kind: "ec2.transit_gateway",
            state: "it is deleting",
        },
        Case {
            // The emulator forgets a deleted transit gateway at once (AWS shows it `deleted`
            // for a while): strata takes "seen, then not found" for gone.
            name: "a transit gateway deleted and gone from describes",
            pending: json!({"transit_gateway": 600.0, "transit_gateway_delete": 0.0}),
            resources: TGW,
            waiting: tgw_waiting,
            kind: "ec2.transit_gateway",
            state: "after it was seen",
        },
        Case {
            name: "a transit gateway attachment being deleted",
            pending: json!({"tgw_attachment": 600.0, "tgw_attachment_delete": 600.0}),
            resources: "  tgw:
    kind: ec2.transit_gateway
  attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: vpc
    subnets: [subnet]
",
            waiting: "waiting for the attachment to be available (pending)",
            kind: "ec2.transit_gateway_vpc_attachment",
            state: "it is deleting",
        },
        Case {
            name: "a VPC endpoint deleted",
            pending: json!({"vpc_endpoint": 600.0, "vpc_endpoint_delete": 0.0}),
            resources: "  routes:
    kind: ec2.route_table
    vpc: vpc
  s3:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: s3
    route_tables: [routes]
",
            waiting: "waiting for the VPC endpoint to be available (pending)",
            kind: "ec2.vpc_endpoint",
            state: "it is deleted",
        },
        Case {
            name: "a prefix list deleted",
            pending: json!({"prefix_list": 600.0}),
            resources: "  allowed:
    kind: ec2.prefix_list
    name: waits
    max_entries: 2
    entries:
      - {cidr: 10.1.0.0/16}
",
            waiting: "waiting for the prefix list to settle (create-in-progress)",
            kind: "ec2.prefix_list",
            state: "it is delete-complete",
        },
        Case {
            name: "a peering connection deleted before it was accepted",
            pending: json!({"vpc_peering": 600.0}),
            resources: "  peer:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/16
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc
    peer_vpc: peer
",
            waiting: "waiting for the peering connection to be pending-acceptance \
                      (initiating-request)",
            kind: "ec2.vpc_peering_connection",
            state: "it is deleted",
        },
    ]
}

/// Deletes the stack's resource of `kind` as someone else would: with the observer.
async fn delete_ours(url: &str, stack: &str, kind: &str) -> Result<(), String> {
    let id = owned_at(url, stack)
        .await
        .into_iter()
        .find(|o| o.kind == kind)
        .map(|o| o.id)
        .ok_or(format!("no {kind}"))?;
    delete(&ec2_at(url).await, kind, id)
        .await
        .map_err(|e| format!("{e:?}"))
}

async fn delete(c: &Client, kind: &str, id: String) -> Result<(), aws_sdk_ec2::Error> {
    match kind {
        "ec2.nat_gateway" => {
            c.delete_nat_gateway().nat_gateway_id(id).send().await?;
        }
        "ec2.transit_gateway" => {
            c.delete_transit_gateway()
                .transit_gateway_id(id)
                .send()
                .await?;
        }
        "ec2.transit_gateway_vpc_attachment" => {
            c.delete_transit_gateway_vpc_attachment()
                .transit_gateway_attachment_id(id)
                .send()
                .await?;
        }
        "ec2.vpc_endpoint" => {
            c.delete_vpc_endpoints().vpc_endpoint_ids(id).send().await?;
        }
        "ec2.prefix_list" => {
            c.delete_managed_prefix_list()
                .prefix_list_id(id)
                .send()
                .await?;
        }
        "ec2.vpc_peering_connection" => {
            c.delete_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
                .await?;
        }
        other => panic!("no case deletes a {other}"),
    }
    Ok(())
}

/// Runs `strata apply` until it waits (`case.waiting` on stderr), deletes the resource with the
/// observer client, and returns how long strata took to stop after that.
async fn broken_while_waiting(case: &Case) -> Duration {
    let tb = TestBed::like_this_run(json!({"pending": case.pending}));
    let s = tb.stack("wait", &format!("{VPC}{}", case.resources));
    let mut run = Running::start(
        s.command(&["apply", "--auto-approve"])
            // Far beyond what the test allows: a wait that runs into its limit fails the test.
            .env("STRATA_MAX_WAIT_SECS", "600")
            .stdout(Stdio::null()),
    );
    run.wait_for(case.waiting, Duration::from_secs(120));
    if let Err(e) = delete_ours(tb.url(), &s.name, case.kind).await {
        let _ = run.child.kill();
        panic!("{}: {e}", case.name);
    }
    let changed = Instant::now();
    let status = loop {
        if let Some(st) = run.child.try_wait().expect("wait for strata") {
            break st;
        }
        if changed.elapsed() > Duration::from_secs(300) {
            let _ = run.child.kill();
            panic!("{}: strata still waited 300 s after the change", case.name);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = changed.elapsed();
    let err = run.all_stderr();
    assert_eq!(status.code(), Some(1), "{}: {err}", case.name);
    assert!(
        err.contains("stopped waiting") && err.contains(case.state),
        "{}: strata names the state ({}): {err}",
        case.name,
        case.state
    );
    assert!(!err.contains("gave up waiting"), "{}: {err}", case.name);
    // Generous: strata polls at most every 10 s; its limit was 600 s.
    assert!(
        took < Duration::from_secs(120),
        "{}: stopped {took:?} after the change",
        case.name
    );
    took
}

/// Impossible wait states: each kind's resource deleted (or being deleted) by someone else while
/// strata waits for it to become usable; strata stops at once, naming the state.
#[tokio::test]
async fn impossible_wait_states_end_the_wait_at_once() {
    let mut sc = Scenario::start(
        "impossible wait states",
        "while strata waits for a new resource to become usable, someone else deletes it",
    );
    let mut measured = Vec::new();
    for case in cases() {
        measured.push((case.name, broken_while_waiting(&case).await));
    }

    let longest = measured.iter().map(|(_, d)| *d).max().unwrap_or_default();
    sc.how(format!(
        "strata apply waits for a new resource that the test bed keeps pending for 600 s (wait \
         limit 600 s); the SDK observer deletes it meanwhile: {}; the time from the change to \
         strata's exit is measured (bound: 120 s)",
        measured
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    sc.pass(format!(
        "{} cases: each apply exited 1 naming the state (`stopped waiting … it is deleted`, \
         `deleting`, `delete-complete`, or not found after it was seen), none ran into the \
         limit; stopped after {} (longest {:.1} s)",
        measured.len(),
        measured
            .iter()
            .map(|(n, d)| format!("{n}: {:.1} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        longest.as_secs_f64()
    ));
}
