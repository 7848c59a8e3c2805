//! Long operations: a new resource's id is journaled before its wait, waits hold no
//! `--parallelism` slot, `apply --no-wait` and `strata wait`.

use std::time::Duration;

use serde_json::json;

use crate::support::{Running, TestBed, ec2_at, stderr, stdout};

/// The ids journaled for interrupted creates of resources whose name starts with `prefix`.
fn journaled_ids(lock: &serde_json::Value, prefix: &str) -> Vec<(String, String)> {
    lock["pending"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["op"] == "create")
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let id = p["id"].as_str()?;
            name.starts_with(prefix)
                .then(|| (name.to_string(), id.to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_during_a_wait_leaves_the_id_in_the_lockfile() {
    let tb = TestBed::start(json!({"pending": {"nat_gateway": 30.0}}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let mut run = Running::start(
        s.command(&["apply", "--auto-approve"])
            .stdout(std::process::Stdio::null()),
    );
    run.wait_for("waiting for the NAT gateway", Duration::from_secs(120));
    // The coordinator journals the id as the create answers, before the wait.
    let start = std::time::Instant::now();
    let journaled = loop {
        let ids = journaled_ids(&s.lockfile(), "nat_");
        if !ids.is_empty() {
            break ids;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no NAT gateway id journaled while it waits: {}",
            s.lockfile()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    run.child.kill().expect("SIGKILL");
    let _ = run.child.wait();
    let lock = s.lockfile();
    let journaled_after = journaled_ids(&lock, "nat_");
    assert!(
        journaled.iter().all(|j| journaled_after.contains(j)),
        "the ids stay journaled after the kill: {lock}"
    );

    // Without its tags, only the journaled id can find it again.
    let ec2 = ec2_at(tb.url()).await;
    for (_, id) in &journaled_after {
        ec2.delete_tags()
            .resources(id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("strata:stack")
                    .build(),
            )
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("strata:name")
                    .build(),
            )
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("strata:lineage")
                    .build(),
            )
            .send()
            .await
            .expect("untag");
    }
    tb.configure(json!({"pending": {"nat_gateway": 0.0}}));
    tb.clear_log();
    s.expect(0, &["apply", "--auto-approve"]);
    let created: Vec<String> = tb
        .log()
        .into_iter()
        .filter(|c| c.operation == "CreateNatGateway" && c.ok())
        .filter_map(|c| c.name)
        .collect();
    for (name, id) in &journaled_after {
        assert!(
            !created.contains(name),
            "{name} was adopted by its journaled id, not created again: {created:?}"
        );
        assert_eq!(&s.id_of(name), id, "{name} is the copy the journal named");
    }
    let lock = s.lockfile();
    assert!(
        lock["pending"].as_array().is_none_or(Vec::is_empty),
        "nothing left journaled: {lock}"
    );
    // Its ownership tags are back.
    let nats = ec2
        .describe_nat_gateways()
        .send()
        .await
        .expect("describe")
        .nat_gateways
        .unwrap_or_default();
    for (name, id) in &journaled_after {
        let n = nats
            .iter()
            .find(|n| n.nat_gateway_id() == Some(id))
            .expect("the NAT gateway exists");
        assert!(
            n.tags()
                .iter()
                .any(|t| t.key() == Some("strata:name") && t.value() == Some(name)),
            "{name}'s tags are repaired"
        );
    }
    s.expect(0, &["destroy", "--auto-approve"]);
}

/// Two NAT gateways, and eight subnets that become ready at the same moment as the gateways.
const WAITS_AND_SUBNETS: &str = r"
stack: STACK
region: us-east-1
resources:
  vpc: {kind: ec2.vpc, cidr_block: 10.20.0.0/16}
  igw: {kind: ec2.internet_gateway, vpc: vpc}
  public_a: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.20.0.0/24, availability_zone: us-east-1a}
  public_b: {kind: ec2.subnet, vpc: vpc, cidr_block: 10.20.1.0/24, availability_zone: us-east-1b}
  a_ip_1: {kind: ec2.eip}
  a_ip_2: {kind: ec2.eip}
  a_nat_1: {kind: ec2.nat_gateway, subnet: public_a, eip: a_ip_1}
  a_nat_2: {kind: ec2.nat_gateway, subnet: public_b, eip: a_ip_2}
SUBNETS";

#[tokio::test(flavor = "multi_thread")]
async fn waits_hold_no_parallelism_slot() {
    const PENDING: f64 = 20.0;
    let tb = TestBed::start(json!({"pending": {"nat_gateway": PENDING}}));
    let subnets: String = (0..8)
        .map(|i| {
            format!(
                "  z_subnet_{i}: {{kind: ec2.subnet, vpc: vpc, cidr_block: 10.20.{}.0/24, \
                 depends_on: [a_ip_1, a_ip_2, public_a, public_b, igw]}}\n",
                10 + i
            )
        })
        .collect();
    let s = tb.stack("slots", &WAITS_AND_SUBNETS.replace("SUBNETS", &subnets));
    s.expect(0, &["apply", "--auto-approve", "--parallelism", "2"]);
    let log = tb.log();
    let nat_starts: Vec<f64> = log
        .iter()
        .filter(|c| c.operation == "CreateNatGateway" && c.ok())
        .map(|c| c.start)
        .collect();
    assert_eq!(nat_starts.len(), 2, "two NAT gateways created");
    let subnet_starts: Vec<f64> = log
        .iter()
        .filter(|c| {
            c.operation == "CreateSubnet"
                && c.ok()
                && c.name
                    .as_deref()
                    .is_some_and(|n| n.starts_with("z_subnet_"))
        })
        .map(|c| c.start)
        .collect();
    assert_eq!(subnet_starts.len(), 8, "eight subnets created");
    let last_nat = nat_starts.iter().copied().fold(f64::MIN, f64::max);
    let last_subnet = subnet_starts.iter().copied().fold(f64::MIN, f64::max);
    // With both slots held by the gateways' waits, the subnets would start only once a
    // gateway is available, PENDING seconds after its create.
    assert!(
        last_subnet < last_nat + PENDING,
        "the subnets were all created while the gateways waited: last subnet {:.1} s after \
         the last NAT create, which waits {PENDING} s",
        last_subnet - last_nat
    );
    s.expect(0, &["destroy", "--auto-approve"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_wait_then_strata_wait() {
    let tb = TestBed::start(json!({"pending": {"nat_gateway": 3600.0}}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let out = s.expect(0, &["apply", "--auto-approve", "--no-wait"]);
    let err = stderr(&out);
    assert!(
        err.contains("Still converging: nat_a (pending), nat_b (pending)"),
        "apply names what is still converging:\n{err}"
    );
    // Recorded with their ids, nothing journaled as interrupted.
    let lock = s.lockfile();
    assert!(lock["resources"]["nat_a"]["id"].is_string(), "{lock}");
    assert!(
        lock["pending"].as_array().is_none_or(Vec::is_empty),
        "{lock}"
    );

    // A converging resource is not a change.
    let plan = s.expect(0, &["plan", "--detailed-exitcode"]);
    let text = stdout(&plan);
    assert!(text.contains("Still converging"), "{text}");
    assert!(text.contains("nat_a (ec2.nat_gateway"), "{text}");
    assert!(text.contains("No changes."), "{text}");
    let json = s.plan_json(&[]);
    let converging: Vec<&str> = json["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["converging"] == "pending")
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(converging, ["nat_a", "nat_b"], "{json}");

    // The gate: not yet...
    let out = s.expect(1, &["wait", "--timeout", "3s"]);
    let err = stderr(&out);
    assert!(
        err.contains("still converging after 3s: nat_a (pending), nat_b (pending)"),
        "{err}"
    );
    // ...and once AWS is done.
    tb.settle();
    let out = s.expect(0, &["wait", "--timeout", "60s"]);
    assert!(stderr(&out).contains("usable"), "{}", stderr(&out));
    s.expect(0, &["destroy", "--auto-approve"]);
}
