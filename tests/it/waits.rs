//! Waits that can never end well: a resource deleted by someone else (or failed, or rejected)
//! while strata waits for it to become usable. strata stops at once and says why, instead of
//! printing "waiting …" until its time limit.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Tag;
use serde_json::{Value, json};
use strata_aws::wait::{self, Backoff, Goal, Poll};
use strata_engine::provider::{ErrorClass, Progress};

use crate::support::{Scenario, TestBed, ec2_at, start_private_emulator, strict, tag};

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

/// A stack's resource of one kind, described by the observer (which bypasses the test bed).
fn ours(tags: &[Tag], stack: &str) -> bool {
    tag(tags, "strata:stack") == Some(stack)
}

/// One way to break a wait: documents, the test bed's pending states, what strata prints while
/// it waits having seen the resource, and the state strata must name.
struct Case {
    name: &'static str,
    pending: Value,
    docs: String,
    waiting: &'static str,
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

fn docs(extra: &str) -> String {
    format!("{VPC}{extra}")
}

/// Runs `strata apply` until it waits (`case.waiting` on stderr), lets `break_it` change the
/// resource with the observer client, and returns how long strata took to stop after that.
async fn broken_while_waiting(
    case: &Case,
    break_it: impl AsyncFnOnce(&Client, &str) -> Result<(), String>,
) -> Duration {
    let config = json!({"pending": case.pending}).to_string();
    let mut args = vec!["--config", config.as_str()];
    if strict() {
        // The strict preset's other pending states, refusals and consistency stay on.
        args.insert(0, "--strict");
    }
    let tb = TestBed {
        emulator: start_private_emulator(&args),
    };
    let s = tb.stack("wait", &case.docs);
    let mut child = s
        .command(&["apply", "--auto-approve"])
        // Far beyond what the test allows: a wait that runs into its limit fails the test.
        .env("STRATA_MAX_WAIT_SECS", "600")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strata");
    let lines = lines_of(child.stderr.take().expect("stderr"));
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains(case.waiting)) {
        match lines.recv_timeout(Duration::from_secs(120)) {
            Ok(l) => seen.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("{}: strata never waited: {seen:#?}", case.name);
            }
        }
    }
    let observer = ec2_at(tb.url()).await;
    if let Err(e) = break_it(&observer, &s.name).await {
        let _ = child.kill();
        panic!("{}: {e}", case.name);
    }
    let changed = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for strata") {
            break st;
        }
        if changed.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("{}: strata still waited 300 s after the change", case.name);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = changed.elapsed();
    seen.extend(lines.iter());
    let err = seen.join("\n");
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

fn lines_of(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
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

    let nat = docs(
        "  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  nat_ip:
    kind: ec2.eip
  nat:
    kind: ec2.nat_gateway
    subnet: subnet
    eip: nat_ip
",
    );
    let delete_nat = async |c: &Client, stack: &str| {
        let out = c
            .describe_nat_gateways()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let n = out
            .nat_gateways()
            .iter()
            .find(|n| ours(n.tags(), stack))
            .ok_or("no NAT gateway")?;
        c.delete_nat_gateway()
            .nat_gateway_id(n.nat_gateway_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    for (name, pending, state) in [
        (
            "a NAT gateway deleted",
            json!({"nat_gateway": 600.0, "nat_gateway_delete": 0.0}),
            "it is deleted",
        ),
        (
            "a NAT gateway being deleted",
            json!({"nat_gateway": 600.0, "nat_gateway_delete": 600.0}),
            "it is deleting",
        ),
    ] {
        let case = Case {
            name,
            pending,
            docs: nat.clone(),
            waiting: "waiting for the NAT gateway to be available (pending)",
            state,
        };
        measured.push((name, broken_while_waiting(&case, delete_nat).await));
    }

    let tgw = docs(
        "  tgw:
    kind: ec2.transit_gateway
",
    );
    let delete_tgw = async |c: &Client, stack: &str| {
        let out = c
            .describe_transit_gateways()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let t = out
            .transit_gateways()
            .iter()
            .find(|t| ours(t.tags(), stack))
            .ok_or("no transit gateway")?;
        c.delete_transit_gateway()
            .transit_gateway_id(t.transit_gateway_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    for (name, pending, state) in [
        (
            "a transit gateway being deleted",
            json!({"transit_gateway": 600.0, "transit_gateway_delete": 600.0}),
            "it is deleting",
        ),
        (
            // The emulator forgets a deleted transit gateway at once (AWS shows it `deleted`
            // for a while): strata takes "seen, then not found" for gone.
            "a transit gateway deleted and gone from describes",
            json!({"transit_gateway": 600.0, "transit_gateway_delete": 0.0}),
            "after it was seen",
        ),
    ] {
        let case = Case {
            name,
            pending,
            docs: tgw.clone(),
            waiting: "waiting for the transit gateway to be available (pending)",
            state,
        };
        measured.push((name, broken_while_waiting(&case, delete_tgw).await));
    }

    let case = Case {
        name: "a transit gateway attachment being deleted",
        pending: json!({"tgw_attachment": 600.0, "tgw_attachment_delete": 600.0}),
        docs: docs(
            "  tgw:
    kind: ec2.transit_gateway
  attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: vpc
    subnets: [subnet]
",
        ),
        waiting: "waiting for the attachment to be available (pending)",
        state: "it is deleting",
    };
    let delete_attachment = async |c: &Client, stack: &str| {
        let out = c
            .describe_transit_gateway_vpc_attachments()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let a = out
            .transit_gateway_vpc_attachments()
            .iter()
            .find(|a| ours(a.tags(), stack))
            .ok_or("no attachment")?;
        c.delete_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(a.transit_gateway_attachment_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    measured.push((
        case.name,
        broken_while_waiting(&case, delete_attachment).await,
    ));

    let case = Case {
        name: "a VPC endpoint deleted",
        pending: json!({"vpc_endpoint": 600.0, "vpc_endpoint_delete": 0.0}),
        docs: docs(
            "  routes:
    kind: ec2.route_table
    vpc: vpc
  s3:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: s3
    route_tables: [routes]
",
        ),
        waiting: "waiting for the VPC endpoint to be available (pending)",
        state: "it is deleted",
    };
    let delete_endpoint = async |c: &Client, stack: &str| {
        let out = c
            .describe_vpc_endpoints()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let e = out
            .vpc_endpoints()
            .iter()
            .find(|e| ours(e.tags(), stack))
            .ok_or("no endpoint")?;
        c.delete_vpc_endpoints()
            .vpc_endpoint_ids(e.vpc_endpoint_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    measured.push((
        case.name,
        broken_while_waiting(&case, delete_endpoint).await,
    ));

    let case = Case {
        name: "a prefix list deleted",
        pending: json!({"prefix_list": 600.0}),
        docs: docs(
            "  allowed:
    kind: ec2.prefix_list
    name: waits
    max_entries: 2
    entries:
      - {cidr: 10.1.0.0/16}
",
        ),
        waiting: "waiting for the prefix list to settle (create-in-progress)",
        state: "it is delete-complete",
    };
    let delete_list = async |c: &Client, stack: &str| {
        let out = c
            .describe_managed_prefix_lists()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let p = out
            .prefix_lists()
            .iter()
            .find(|p| ours(p.tags(), stack))
            .ok_or("no prefix list")?;
        c.delete_managed_prefix_list()
            .prefix_list_id(p.prefix_list_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    measured.push((case.name, broken_while_waiting(&case, delete_list).await));

    let case = Case {
        name: "a peering connection deleted before it was accepted",
        pending: json!({"vpc_peering": 600.0}),
        docs: docs(
            "  peer:
    kind: ec2.vpc
    cidr_block: 10.61.0.0/16
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc
    peer_vpc: peer
",
        ),
        waiting: "waiting for the peering connection to be pending-acceptance (initiating-request)",
        state: "it is deleted",
    };
    let delete_peering = async |c: &Client, stack: &str| {
        let out = c
            .describe_vpc_peering_connections()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let p = out
            .vpc_peering_connections()
            .iter()
            .find(|p| ours(p.tags(), stack))
            .ok_or("no peering connection")?;
        c.delete_vpc_peering_connection()
            .vpc_peering_connection_id(p.vpc_peering_connection_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    measured.push((case.name, broken_while_waiting(&case, delete_peering).await));

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
