//! The test bed's AWS behaviours (tests/emulator/testbed.py), each shown happening in the call
//! log and strata handling it. Every test runs a test bed of its own, configured for what it
//! shows, so that its log holds only its own calls.

use serde_json::json;

use crate::support::{
    Call, Running, TestBed, destroy_leaves_nothing, ec2_at, stderr, stdout, tagged_at,
};

/// Calls of one operation that succeeded and named `id` in the request.
fn ok_with<'a>(log: &'a [Call], op: &str, id: &str) -> Vec<&'a Call> {
    log.iter()
        .filter(|c| c.operation == op && c.ok() && c.ids.iter().any(|i| i == id))
        .collect()
}

/// Calls of one operation, whatever their outcome.
fn all<'a>(log: &'a [Call], op: &str) -> Vec<&'a Call> {
    log.iter().filter(|c| c.operation == op).collect()
}

fn errors(log: &[Call]) -> Vec<String> {
    log.iter()
        .filter(|c| !c.ok())
        .map(|c| format!("{} {}", c.operation, c.error.as_deref().unwrap_or("?")))
        .collect()
}

fn vpc_with_subnets(cidr_prefix: &str, n: usize) -> String {
    let mut doc = format!(
        "stack: STACK\nregion: us-east-1\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: {cidr_prefix}.0.0/16\n"
    );
    for i in 0..n {
        doc.push_str(&format!(
            "  s{i}:\n    kind: ec2.subnet\n    vpc: vpc\n    cidr_block: {cidr_prefix}.{i}.0/24\n"
        ));
    }
    doc
}

/// Pending states: a NAT gateway is `pending` for two seconds, then `available`; `deleting`,
/// then `deleted`. strata polls until it is available before creating the route through it,
/// and on destroy releases the Elastic IP only once the gateway is deleted (AWS refuses to
/// release an address a NAT gateway holds: the test bed refuses it too).
#[tokio::test]
async fn pending_nat_gateways_are_waited_for_both_ways() {
    const PENDING: f64 = 2.0;
    let tb = TestBed::start(json!({
        "pending": {"nat_gateway": PENDING, "nat_gateway_delete": PENDING},
        "refusals": true,
    }));
    let s = tb.example("cookbook-1.4-nat-gateway");
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        stderr(&out).contains("waiting for the NAT gateway to be available (pending)"),
        "{}",
        stderr(&out)
    );
    // Order, not timing: each route through a NAT gateway was made after strata polled the
    // gateway and after its pending state ended (PENDING seconds after its create).
    let log = tb.log();
    for (name, routes) in [("nat_a", "private_routes_a"), ("nat_b", "private_routes_b")] {
        let nat = s.id_of(name);
        let created = all(&log, "CreateNatGateway")
            .into_iter()
            .find(|c| c.ok() && c.name.as_deref() == Some(name))
            .expect("the create is in the log");
        let polls = ok_with(&log, "DescribeNatGateways", &nat);
        let route = ok_with(&log, "CreateRoute", &nat);
        assert_eq!(route.len(), 1, "one route through {nat}");
        assert!(route[0].ids.contains(&s.id_of(routes)));
        assert!(
            polls.iter().any(|p| p.seq < route[0].seq),
            "{nat} was polled before the route was made: {log:?}"
        );
        assert!(
            route[0].start >= created.start + PENDING,
            "the route through {nat} waited for the pending state to end: {log:?}"
        );
    }
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let pairs: Vec<(String, String)> = [("nat_a", "nat_ip_a"), ("nat_b", "nat_ip_b")]
        .iter()
        .map(|(n, e)| (s.id_of(n), s.id_of(e)))
        .collect();

    tb.clear_log();
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(
        stderr(&out).contains("waiting for the NAT gateway to be deleted (deleting)"),
        "{}",
        stderr(&out)
    );
    let log = tb.log();
    for (nat, eip) in &pairs {
        let deleted = ok_with(&log, "DeleteNatGateway", nat);
        let released = ok_with(&log, "ReleaseAddress", eip);
        assert_eq!((deleted.len(), released.len()), (1, 1));
        let polls = ok_with(&log, "DescribeNatGateways", nat)
            .into_iter()
            .filter(|p| p.seq > deleted[0].seq && p.seq < released[0].seq)
            .count();
        assert!(polls >= 1, "polled while deleting: {log:?}");
        assert!(
            released[0].start >= deleted[0].start + PENDING,
            "the address was released once the gateway was deleted: {log:?}"
        );
    }
    assert_eq!(errors(&log), Vec::<String>::new(), "AWS refused nothing");
    assert!(tagged_at(tb.url(), &s.name).await.is_empty());
}

/// A refusal strata cannot wait out: a network interface made by hand holds a subnet. AWS
/// answers DependencyViolation; strata retries until its wait runs out, then names the
/// interface. Once it is gone, destroy finishes. (The wait is capped at 15 s, long enough for
/// several retries on a busy machine; the test takes that long.)
#[tokio::test]
async fn a_subnet_held_by_an_interface_is_refused_and_the_interface_named() {
    let tb = TestBed::start(json!({"refusals": true}));
    let s = tb.stack("held", &vpc_with_subnets("10.61", 1));
    s.expect(0, &["apply", "--auto-approve"]);
    let c = ec2_at(tb.url()).await;
    let eni = c
        .create_network_interface()
        .subnet_id(s.id_of("s0"))
        .description("left by hand")
        .send()
        .await
        .expect("create an interface");
    let eni = eni
        .network_interface()
        .and_then(|n| n.network_interface_id())
        .expect("interface id")
        .to_string();

    tb.clear_log();
    let out = s
        .command(&["destroy", "--auto-approve"])
        .env("STRATA_MAX_WAIT_SECS", "15")
        .output()
        .expect("run strata");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("DependencyViolation"), "{err}");
    assert!(err.contains(&eni) && err.contains("left by hand"), "{err}");
    let refused = all(&tb.log(), "DeleteSubnet")
        .into_iter()
        .filter(|c| c.error.as_deref() == Some("DependencyViolation"))
        .count();
    assert!(refused >= 2, "retried while refused");
    // The VPC was not attempted: its subnet is still there.
    assert!(all(&tb.log(), "DeleteVpc").is_empty());
    assert_eq!(tagged_at(tb.url(), &s.name).await.len(), 2);

    c.delete_network_interface()
        .network_interface_id(&eni)
        .send()
        .await
        .expect("delete the interface");
    destroy_leaves_nothing(&s).await;
}

/// Two security groups that name each other: AWS refuses to delete a group another group's
/// rule references. strata removes the rules first, so nothing is refused.
#[tokio::test]
async fn groups_that_name_each_other_are_unlinked_before_deletion() {
    let tb = TestBed::start(json!({"refusals": true}));
    let s = tb.example("cookbook-1.5-security-groups");
    s.expect(0, &["apply", "--auto-approve"]);
    tb.clear_log();
    destroy_leaves_nothing(&s).await;
    let log = tb.log();
    assert_eq!(errors(&log), Vec::<String>::new(), "AWS refused nothing");
    let first_delete = all(&log, "DeleteSecurityGroup")
        .iter()
        .map(|c| c.seq)
        .min()
        .expect("groups deleted");
    let revoked = log
        .iter()
        .filter(|c| c.operation.starts_with("RevokeSecurityGroup") && c.seq < first_delete)
        .count();
    assert!(revoked >= 1, "rules were revoked first: {log:?}");
}

/// Transit gateways and their attachments are pending for a while after create and delete, and
/// AWS refuses to delete a transit gateway that still has attachments (IncorrectState). strata
/// waits for each state, so nothing is refused either way.
#[tokio::test]
async fn transit_gateway_states_are_waited_for_and_deletes_ordered() {
    let tb = TestBed::start(json!({
        "pending": {
            "transit_gateway": 1.0, "transit_gateway_delete": 1.0,
            "tgw_attachment": 1.0, "tgw_attachment_delete": 1.0,
        },
        "refusals": true,
    }));
    let s = tb.example("cookbook-1.10-transit-gateway");
    let out = s.expect(0, &["apply", "--auto-approve"]);
    assert!(
        stderr(&out).contains("(pending)"),
        "strata reported the pending states: {}",
        stderr(&out)
    );
    assert_eq!(errors(&tb.log()), Vec::<String>::new());
    s.expect(0, &["plan", "--detailed-exitcode"]);
    tb.clear_log();
    destroy_leaves_nothing(&s).await;
    let log = tb.log();
    assert_eq!(errors(&log), Vec::<String>::new(), "AWS refused nothing");
    let tgw = all(&log, "DeleteTransitGateway");
    let last_attachment_delete = all(&log, "DeleteTransitGatewayVpcAttachment")
        .iter()
        .map(|c| c.seq)
        .max()
        .expect("attachments deleted");
    assert!(tgw.len() == 1 && tgw[0].seq > last_attachment_delete);
}

/// A deleted NAT gateway's network interface lingers in its subnet for a while (on AWS, the
/// usual reason a destroy hangs). AWS refuses to delete the subnet until it goes; strata
/// retries, shows why it waits, and finishes once the interface is gone. (The interface
/// lingers ten seconds, far longer than strata takes to reach the subnet after the gateway, so
/// the first attempt is refused even on a busy machine; the test takes that long.)
#[tokio::test]
async fn a_lingering_nat_interface_holds_its_subnet_until_it_goes() {
    const LINGER: f64 = 10.0;
    let tb = TestBed::start(json!({"refusals": true, "linger": LINGER}));
    let s = tb.example("cookbook-1.4-nat-gateway");
    s.expect(0, &["apply", "--auto-approve"]);
    let subnet = s.id_of("public_a");
    let nat = s.id_of("nat_a");
    tb.clear_log();
    let out = s.expect(0, &["destroy", "--auto-approve"]);
    assert!(stderr(&out).contains("still in use"), "{}", stderr(&out));
    let log = tb.log();
    let nat_deleted = ok_with(&log, "DeleteNatGateway", &nat)[0].start;
    let deletes = all(&log, "DeleteSubnet")
        .into_iter()
        .filter(|c| c.ids.contains(&subnet))
        .collect::<Vec<_>>();
    let outcomes: Vec<Option<&str>> = deletes.iter().map(|c| c.error.as_deref()).collect();
    assert!(
        deletes.len() >= 2
            && outcomes[..outcomes.len() - 1]
                .iter()
                .all(|e| *e == Some("DependencyViolation"))
            && outcomes.last() == Some(&None),
        "refused while the interface lingered, then deleted: {outcomes:?}"
    );
    let done = deletes.last().expect("a delete").start;
    assert!(
        done >= nat_deleted + LINGER,
        "the subnet went only once the interface had gone: {deletes:?}"
    );
    assert!(tagged_at(tb.url(), &s.name).await.is_empty());
    let left = ec2_at(tb.url())
        .await
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("subnet-id")
                .values(&subnet)
                .build(),
        )
        .send()
        .await
        .expect("interfaces");
    assert!(left.network_interfaces().is_empty());
}

/// Pagination: describes answer at most MaxResults items and a NextToken. strata follows the
/// tokens: a plan over twelve subnets read five at a time sees them all.
#[tokio::test]
async fn describes_come_in_pages_and_strata_reads_every_page() {
    let tb = TestBed::start(json!({"pagination": true}));
    let s = tb.stack("pages", &vpc_with_subnets("10.62", 12));
    let run = |args: &[&str]| {
        s.command(args)
            .env("STRATA_AWS_PAGE_SIZE", "5")
            .output()
            .expect("run strata")
    };
    assert!(run(&["apply", "--auto-approve"]).status.success());
    tb.clear_log();
    let out = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let mut pages: Vec<u32> = all(&tb.log(), "DescribeSubnets")
        .iter()
        .filter_map(|c| c.page)
        .collect();
    pages.sort_unstable();
    // One describe, by the lockfile's ids and those the tagging API's listing found, in three
    // pages.
    assert_eq!(pages, vec![1, 2, 3]);
    destroy_leaves_nothing(&s).await;
}

/// Eventual consistency: for a while after a create, describes leave the new resource out, or
/// show it without its tags. An apply waits until what it made is visible; a plan right after
/// an apply looks again for what the lockfile says was just made instead of proposing to make
/// it twice. No timing window is relied on: the plan starts while the address is hidden (the
/// test bed hides it for ten minutes), and is seen looking again before it is shown.
#[tokio::test]
async fn new_resources_show_late_and_a_plan_right_after_apply_waits_for_them() {
    use std::process::Stdio;
    use std::time::Duration;

    let tb = TestBed::start(json!({"consistency": 2.0, "tag_lag": 3.0}));
    let s = tb.stack("late", &vpc_with_subnets("10.63", 2));
    s.expect(0, &["apply", "--auto-approve"]);
    let vpc = s.id_of("vpc");
    let log = tb.log();
    assert!(
        log.iter().any(|c| c.hidden.contains(&vpc)
            || c.untagged.contains(&vpc)
            || (c.ids.contains(&vpc)
                && c.error.as_deref().is_some_and(|e| e.ends_with("NotFound")))),
        "the apply waited for the VPC it made, not found or untagged at first: {log:?}"
    );

    // An Elastic IP is usable at once: its apply does not wait. A stack of its own, so that
    // nothing else it reads is hidden.
    tb.configure(json!({"consistency": 600.0, "tag_lag": 600.0}));
    let ip = tb.stack(
        "late-ip",
        "stack: STACK\nregion: us-east-1\nresources:\n  ip:\n    kind: ec2.eip\n",
    );
    ip.expect(0, &["apply", "--auto-approve"]);
    let eip = ip.id_of("ip");
    tb.clear_log();
    let mut plan = Running::start(
        ip.command(&["plan", "--detailed-exitcode"])
            .env("STRATA_PENDING_RECHECK_SECS", "600")
            .stdout(Stdio::piped()),
    );
    // The plan looks again.
    plan.wait_for("not all visible yet", Duration::from_secs(120));
    let while_hidden = tb.log();
    assert!(
        while_hidden
            .iter()
            .any(|c| c.hidden.contains(&eip) || c.untagged.contains(&eip)),
        "the address was hidden or untagged: {while_hidden:?}"
    );
    // Now AWS shows it: the plan finds it and has nothing to do.
    tb.configure(json!({"consistency": 0.0, "tag_lag": 0.0}));
    let out = plan.child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    destroy_leaves_nothing(&ip).await;
    destroy_leaves_nothing(&s).await;
}

/// Faults at a rate: throttling, server errors and dropped connections on about one call in
/// four. The SDK's retries (and strata's own, for creates) carry every command through, and
/// nothing is made twice.
#[tokio::test]
async fn random_faults_are_retried_and_nothing_is_made_twice() {
    let tb = TestBed::start(json!({"faults": {
        "rate": 0.25, "kinds": ["throttle", "500", "503", "drop"], "seed": 11, "max_in_row": 2,
    }}));
    let before = tb.inventory().await;
    let s = tb.example("cookbook-1.2-subnets");
    s.expect(0, &["apply", "--auto-approve"]);
    s.expect(0, &["plan", "--detailed-exitcode"]);
    let log = tb.log();
    let faults = log.iter().filter(|c| c.fault.is_some()).count();
    assert!(faults >= 3, "faults were injected: {log:?}");
    let made = tagged_at(tb.url(), &s.name).await;
    let vpcs = made.iter().filter(|m| m.starts_with("ec2.vpc ")).count();
    let subnets = made.iter().filter(|m| m.starts_with("ec2.subnet ")).count();
    let lock = s.lockfile();
    let locked = |kind: &str| {
        lock["resources"]
            .as_object()
            .expect("resources")
            .values()
            .filter(|r| r["kind"] == kind)
            .count()
    };
    assert_eq!(
        (vpcs, subnets),
        (locked("ec2.vpc"), locked("ec2.subnet")),
        "{made:?}"
    );
    destroy_leaves_nothing(&s).await;
    // Nothing untagged either: no second copy made without strata's tags.
    tb.assert_holds_only(&before).await;
}

/// Faults at chosen calls, after AWS did the work: the answer to CreateVpc is a 500, the
/// connection of CreateSubnet drops, CreateInternetGateway times out. None of these calls take
/// an idempotency token, so strata looks for the resource by its tags before sending again and
/// finds it. Throttling (AWS did nothing) is simply retried.
#[tokio::test]
async fn lost_answers_to_creates_leave_no_second_copy() {
    let tb = TestBed::start(json!({"faults": {"timeout_s": 3, "targets": [
        {"operation": "CreateVpc", "nth": 1, "kind": "500", "when": "after"},
        {"operation": "CreateSubnet", "nth": 1, "kind": "drop", "when": "after"},
        {"operation": "CreateInternetGateway", "nth": 1, "kind": "timeout", "when": "after"},
        {"operation": "AllocateAddress", "nth": 1, "kind": "throttle"},
        {"operation": "DescribeVpcs", "nth": 1, "kind": "throttle"},
    ]}}));
    let before = tb.inventory().await;
    let s = tb.example("cookbook-1.3-internet-gateway");
    let out = s
        .command(&["apply", "--auto-approve"])
        .env("STRATA_AWS_ATTEMPT_TIMEOUT_SECS", "1")
        .output()
        .expect("run strata");
    assert!(out.status.success(), "{}", stderr(&out));
    let log = tb.log();
    for (op, faulted) in [
        ("CreateVpc", Some("500")),
        ("CreateSubnet", Some("drop")),
        ("CreateInternetGateway", Some("timeout")),
        ("AllocateAddress", Some("throttle")),
    ] {
        // Two subnets are created at once: the fault hits whichever call came first.
        assert!(
            all(&log, op).iter().any(|c| c.fault.as_deref() == faulted),
            "{op}: {:?}",
            all(&log, op)
        );
    }
    // The lost creates were not sent again; the throttled one was.
    assert_eq!(all(&log, "CreateVpc").len(), 1);
    assert_eq!(all(&log, "CreateInternetGateway").len(), 1);
    assert_eq!(all(&log, "AllocateAddress").len(), 2);
    let made = tagged_at(tb.url(), &s.name).await;
    for (prefix, n) in [
        ("ec2.vpc ", 1),
        ("ec2.subnet ", 2),
        ("ec2.internet_gateway ", 1),
        ("ec2.eip ", 1),
    ] {
        assert_eq!(
            made.iter().filter(|m| m.starts_with(prefix)).count(),
            n,
            "{prefix}: {made:?}"
        );
    }
    s.expect(0, &["plan", "--detailed-exitcode"]);
    destroy_leaves_nothing(&s).await;
    tb.assert_holds_only(&before).await;
}

/// Errors come in each protocol's own format: EC2's, the other query services' (RDS, ELB),
/// REST-XML (CloudFront wrapped, S3 not), JSON (ECS, Logs) and REST-JSON, so that each SDK
/// parses the code it expects; the call log names each call's service and operation, REST
/// calls by their route. (tests/emulator/test_testbed_protocols.py checks the same through
/// boto3 for every protocol.)
#[test]
fn faults_answer_in_each_protocols_error_format() {
    let tb = TestBed::start(json!({"faults": {"rate": 1.0, "kinds": ["throttle"]}}));
    let auth = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        )
    };
    let form = "application/x-www-form-urlencoded";
    let json11 = "application/x-amz-json-1.1";
    // (method, path, content type, target, service, body, status, answer, operation, protocol)
    let cases = [
        (
            "POST",
            "/",
            form,
            "",
            "ec2",
            "Action=DescribeVpcs&Version=2016-11-15",
            "503",
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code>",
            "DescribeVpcs",
            "ec2",
        ),
        (
            "POST",
            "/",
            form,
            "",
            "rds",
            "Action=DescribeDBClusters&Version=2014-10-31",
            "400",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>",
            "DescribeDBClusters",
            "query",
        ),
        (
            "POST",
            "/",
            form,
            "",
            "elasticloadbalancing",
            "Action=DescribeLoadBalancers&Version=2015-12-01",
            "400",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>",
            "DescribeLoadBalancers",
            "query",
        ),
        (
            "GET",
            "/2020-05-31/distribution",
            "",
            "",
            "cloudfront",
            "",
            "400",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>",
            "ListDistributions",
            "rest-xml",
        ),
        (
            "GET",
            "/2020-05-31/distribution/E2QWRUHAPOMQZL/config",
            "",
            "",
            "cloudfront",
            "",
            "400",
            "<Code>Throttling</Code>",
            "GetDistributionConfig",
            "rest-xml",
        ),
        (
            "GET",
            "/site-bucket?tagging",
            "",
            "",
            "s3",
            "",
            "503",
            "<Error><Code>SlowDown</Code>",
            "GetBucketTagging",
            "rest-xml",
        ),
        (
            "PUT",
            "/site-bucket",
            "",
            "",
            "s3",
            "",
            "503",
            "<Error><Code>SlowDown</Code>",
            "CreateBucket",
            "rest-xml",
        ),
        (
            "POST",
            "/",
            json11,
            "AmazonEC2ContainerServiceV20141113.ListClusters",
            "ecs",
            "{}",
            "400",
            "\"__type\": \"ThrottlingException\"",
            "ListClusters",
            "json",
        ),
        (
            "POST",
            "/",
            json11,
            "Logs_20140328.CreateLogGroup",
            "logs",
            "{\"logGroupName\": \"/ecs/web\"}",
            "400",
            "\"__type\": \"ThrottlingException\"",
            "CreateLogGroup",
            "json",
        ),
        (
            "GET",
            "/2015-03-31/functions/",
            "",
            "",
            "lambda",
            "",
            "400",
            "\"__type\": \"ThrottlingException\"",
            "ListFunctions",
            "rest-json",
        ),
    ];
    for (method, path, content_type, target, service, body, status, expected, _, _) in cases {
        let mut headers = vec![("Authorization", auth(service))];
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type.to_string()));
        }
        if !target.is_empty() {
            headers.push(("X-Amz-Target", target.to_string()));
        }
        let (head, answer) = crate::support::raw_http(tb.url(), method, path, &headers, body);
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}")),
            "{service}: {head}"
        );
        assert!(answer.contains(expected), "{service}: {answer}");
        if content_type == json11 {
            assert!(head.contains(json11), "{service}: {head}");
        }
        if service == "lambda" {
            assert!(
                head.contains("x-amzn-ErrorType: ThrottlingException"),
                "{head}"
            );
        }
    }
    let calls: Vec<(String, String, String)> = tb
        .log()
        .into_iter()
        .map(|c| (c.service, c.operation, c.protocol))
        .collect();
    let expected: Vec<(String, String, String)> = cases
        .iter()
        .map(|c| (c.4.to_string(), c.8.to_string(), c.9.to_string()))
        .collect();
    assert_eq!(calls, expected);
}

/// Latency: every call is delayed, fixed or drawn from a distribution.
#[test]
fn every_call_waits_its_latency() {
    let tb = TestBed::start(json!({"latency": {"fixed_ms": 120}}));
    let s = tb.stack("slow", &vpc_with_subnets("10.64", 1));
    s.expect(0, &["plan"]);
    let log = tb.log();
    assert!(!log.is_empty());
    assert!(log.iter().all(|c| c.ms >= 120.0), "{log:?}");
    tb.configure(json!({"latency": {"fixed_ms": 0, "uniform_ms": [30, 60]}}));
    tb.clear_log();
    s.expect(0, &["plan"]);
    let log = tb.log();
    assert!(log.iter().all(|c| c.ms >= 30.0), "{log:?}");
}

/// The call log: every call, in order, with the ids it named; clearing empties it.
#[tokio::test]
async fn the_call_log_records_each_call_in_order() {
    let tb = TestBed::start(json!({}));
    let s = tb.example("cookbook-1.1-vpc");
    s.expect(0, &["apply", "--auto-approve"]);
    let vpc = s.id_of("vpc");
    let log = tb.log();
    let seqs: Vec<u64> = log.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    let create = all(&log, "CreateVpc");
    assert_eq!(create.len(), 1);
    let associate = ok_with(&log, "AssociateVpcCidrBlock", &vpc);
    assert!(!associate.is_empty() && associate[0].seq > create[0].seq);
    tb.clear_log();
    assert!(tb.log().is_empty());
    destroy_leaves_nothing(&s).await;
    assert_eq!(ok_with(&tb.log(), "DeleteVpc", &vpc).len(), 1);
}

/// A prefix list changes version with every change, and AWS refuses a change made against a
/// stale version (PrefixListVersionMismatch). Someone changes the list behind strata's back:
/// a change against the old version is refused; strata reads the version right before its own
/// change, so its apply reverts the drift without being refused.
#[tokio::test]
async fn a_stale_prefix_list_version_is_refused_and_strata_uses_the_current_one() {
    let tb = TestBed::start(json!({"refusals": true, "pending": {"prefix_list": 0.5}}));
    let s = tb.example("cookbook-1.8-prefix-list");
    s.expect(0, &["apply", "--auto-approve"]);
    let pl = s.id_of("allowed_cidrs");
    let c = ec2_at(tb.url()).await;
    let version = |v: i64| {
        c.modify_managed_prefix_list()
            .prefix_list_id(&pl)
            .prefix_list_name("allowed-us-east-1-cidrs")
            .current_version(v)
            .add_entries(
                aws_sdk_ec2::types::AddPrefixListEntry::builder()
                    .cidr("192.0.2.0/24")
                    .build(),
            )
            .send()
    };
    let current = c
        .describe_managed_prefix_lists()
        .prefix_list_ids(&pl)
        .send()
        .await
        .expect("describe")
        .prefix_lists()[0]
        .version()
        .expect("a version");
    version(current)
        .await
        .expect("the current version is accepted");
    std::thread::sleep(std::time::Duration::from_millis(600));
    let stale = version(current)
        .await
        .expect_err("the version before that is refused");
    assert_eq!(
        aws_sdk_ec2::error::ProvideErrorMetadata::code(&stale),
        Some("PrefixListVersionMismatch")
    );

    tb.clear_log();
    let out = s.expect(2, &["plan", "--detailed-exitcode"]);
    assert!(stdout(&out).contains("192.0.2.0/24"), "{}", stdout(&out));
    s.expect(0, &["apply", "--auto-approve"]);
    let log = tb.log();
    assert!(!ok_with(&log, "ModifyManagedPrefixList", &pl).is_empty());
    assert_eq!(errors(&log), Vec::<String>::new(), "nothing refused");
    s.expect(0, &["plan", "--detailed-exitcode"]);
    destroy_leaves_nothing(&s).await;
}

/// The request budget: with at most 4 reads a second per action (a burst of 1), the calls of
/// one action are spaced a quarter of a second apart, and `-v` says how long strata waited.
#[tokio::test]
async fn the_request_budget_paces_each_action() {
    let tb = TestBed::start(json!({}));
    let s = tb.stack("budget", &vpc_with_subnets("10.65", 2));
    s.expect(0, &["apply", "--auto-approve"]);
    tb.clear_log();
    let out = s
        .command(&["plan", "-v"])
        .env("STRATA_AWS_REQUEST_RATE", "read=4/1")
        .output()
        .expect("run strata");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("for the request budget"),
        "{}",
        stderr(&out)
    );
    // Two reads of one action: the VPC's two DNS attributes (`DescribeVpcAttribute`).
    assert_eq!(all(&tb.log(), "DescribeVpcAttribute").len(), 2);
    // The second read of the same action waited for a token: a quarter of a second at 4/s. This
    // is strata's own account of the wait, not the test bed's clock (two processes' clocks
    // under load would make a sub-second gap unreliable).
    let waited: f64 = stderr(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Waited "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("-v says how long strata waited");
    assert!(waited >= 0.2, "paced: waited {waited} s");
    // Against the local emulator the budget is off unless asked for.
    let out = s.expect(0, &["plan", "-v"]);
    assert!(!stderr(&out).contains("request budget"));
    destroy_leaves_nothing(&s).await;
}
