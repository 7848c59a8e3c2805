//! Lost answers: a call that acted but whose answer never came back (a dropped connection, a
//! timeout, a server error after the work was done). The SDK sends it again, and AWS refuses the
//! repeat as already done; strata checks what exists and carries on. Every mutating call of
//! every kind, and a fifth of all calls failing at random, some after they acted.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{
    Call, Scenario, Stack, TestBed, failure, locked_ids, mutating, raw_http, stderr, tagged_ids,
};

/// Every kind, with fields that each kind's create calls set.
const V1: &str = r#"stack: STACK
region: us-east-1
default_tags: {Suite: lost-answers}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.80.0.0/16
    secondary_cidr_blocks: [10.81.0.0/16]
    enable_dns_hostnames: true
    tags: {Name: lost-v1, Phase: one}
  peer_vpc:
    kind: ec2.vpc
    cidr_block: 10.90.0.0/16
  third_vpc:
    kind: ec2.vpc
    cidr_block: 10.100.0.0/16
  public_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.0.0/24
    availability_zone: us-east-1a
    map_public_ip_on_launch: true
  public_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.1.0/24
    availability_zone: us-east-1b
  third_a:
    kind: ec2.subnet
    vpc: third_vpc
    cidr_block: 10.100.0.0/24
    availability_zone: us-east-1a
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  spare_igw:
    kind: ec2.internet_gateway
    vpc: peer_vpc
  nat_ip:
    kind: ec2.eip
  nat:
    kind: ec2.nat_gateway
    subnet: public_a
    eip: nat_ip
  public_routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
    subnets: [public_a]
  private_routes:
    kind: ec2.route_table
    vpc: vpc
    depends_on: [public_routes]
    routes:
      - {destination_cidr_block: 0.0.0.0/0, nat_gateway: nat}
      - {destination_cidr_block: 10.90.0.0/16, vpc_peering_connection: peering}
    subnets: [public_b]
  web:
    kind: ec2.security_group
    vpc: vpc
    name: lost-web
    description: web servers
    ingress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: https}
    egress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: out}
      - {protocol: tcp, port: 80, cidr: 10.0.0.0/8}
  app:
    kind: ec2.security_group
    vpc: vpc
    name: lost-app
    description: app servers
    ingress:
      - {protocol: tcp, port: 8080, security_group: web}
  allowed:
    kind: ec2.prefix_list
    name: lost-allowed
    max_entries: 5
    entries:
      - {cidr: 10.1.0.0/16, description: one}
      - {cidr: 10.2.0.0/16, description: two}
  s3:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: s3
    route_tables: [private_routes]
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc
    peer_vpc: peer_vpc
  tgw:
    kind: ec2.transit_gateway
    description: lost v1
    default_route_table_association: false
    default_route_table_propagation: false
  attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: vpc
    subnets: [public_a]
  third_attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: third_vpc
    subnets: [third_a]
  hub:
    kind: ec2.transit_gateway_route_table
    transit_gateway: tgw
    associations: [attach]
    propagations: [attach]
    routes:
      - {destination_cidr_block: 0.0.0.0/0, attachment: attach}
      - {destination_cidr_block: 10.201.0.0/16, blackhole: true}
  alb:
    kind: elbv2.load_balancer
    name: lost-alb
    subnets: [public_a, public_b]
    security_groups: [web]
    tags: {Phase: one}
  targets:
    kind: elbv2.target_group
    name_prefix: lost-
    port: 80
    vpc: vpc
    target_type: ip
  certificate:
    kind: iam.server_certificate
    name_prefix: lost-
    certificate_body: {file: certs/server.crt}
    private_key: {file: certs/server.key}
    tags: {Phase: one}
  listener:
    kind: elbv2.listener
    load_balancer: alb
    port: 443
    protocol: HTTPS
    certificates: [certificate]
    default_actions:
      - forward: {target_group: targets}
  rule:
    kind: elbv2.listener_rule
    listener: listener
    priority: 10
    conditions:
      - path_pattern: ["/v1/*"]
    actions:
      - fixed_response: {status_code: "404"}
  bucket:
    kind: s3.bucket
    name_prefix: lost-
    force_destroy: true
    tags: {Phase: one}
  page:
    kind: s3.object
    bucket: bucket
    key: index.html
    content: one
  bucket_policy:
    kind: s3.bucket_policy
    bucket: bucket
    policy:
      Version: "2012-10-17"
      Statement:
        - {Sid: One, Effect: Allow, Principal: {Service: cloudfront.amazonaws.com}, Action: "s3:GetObject", Resource: "${bucket.arn}/*"}
  db_subnets:
    kind: rds.db_subnet_group
    name_prefix: lost-
    description: one
    subnets: [public_a, public_b]
  db_params:
    kind: rds.db_cluster_parameter_group
    name_prefix: lost-
    family: aurora-postgresql16
    parameters:
      - {name: log_min_duration_statement, value: "1000"}
  db:
    kind: rds.db_cluster
    identifier_prefix: lost-
    engine: aurora-postgresql
    serverless_v2: {min_capacity: 0.5, max_capacity: 2}
    subnet_group: db_subnets
    parameter_group: db_params
    skip_final_snapshot: true
    tags: {Phase: one}
  db_writer:
    kind: rds.db_cluster_instance
    identifier_prefix: lost-
    cluster: db
    tags: {Phase: one}
  logs:
    kind: logs.log_group
    name_prefix: lost-logs-
    retention_in_days: 7
    tags: {Phase: one}
  cluster:
    kind: ecs.cluster
    name_prefix: lost-
    container_insights: enabled
    capacity_providers: [FARGATE]
    tags: {Phase: one}
  task:
    kind: ecs.task_definition
    family: lost-task
    cpu: 256
    memory: 512
    containers:
      - {name: web, image: amazon/amazon-ecs-sample, port_mappings: [{container_port: 80}]}
    tags: {Phase: one}
  service:
    kind: ecs.service
    name: lost-web
    cluster: cluster
    task_definition: task
    desired_count: 1
    subnets: [public_a, public_b]
  scaling:
    kind: application_autoscaling.target
    service: service
    min_capacity: 1
    max_capacity: 3
    tags: {Phase: one}
  cpu:
    kind: application_autoscaling.policy
    name: lost-cpu50
    target: scaling
    metric: ECSServiceAverageCPUUtilization
    target_value: 50
  role:
    kind: iam.role
    name_prefix: lost-role-
    assume_role_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: "sts:AssumeRole"}
    inline_policies:
      write-logs:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: ["logs:PutLogEvents"], Resource: "${logs.arn}:*"}
    managed_policy_arns: [arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy]
    tags: {Phase: one}
  oac:
    kind: cloudfront.origin_access_control
    name: lost-oac
    description: one
  oai:
    kind: cloudfront.origin_access_identity
    comment: one
  cdn:
    kind: cloudfront.distribution
    comment: one
    origins:
      - {id: signed, domain_name: "${bucket.regional_domain_name}", origin_access_control: oac}
      - {id: identity, domain_name: "${bucket.regional_domain_name}", origin_path: /old, origin_access_identity: oai}
    default_cache_behavior: {target_origin: signed, ttl: {default: 60}}
    tags: {Phase: one}
"#;

/// The same stack changed in place: every kind's update calls (tags, attributes, secondary
/// blocks, an internet gateway moved, routes created, replaced and deleted, a subnet moved from
/// one table to another, rules added, revoked and redescribed, prefix-list entries, endpoint
/// route tables and policy, peering options, transit gateway options, attachment subnets, route
/// table associations, propagations and static routes).
const V2: &str = r#"stack: STACK
region: us-east-1
default_tags: {Suite: lost-answers}
resources:
  vpc:
    kind: ec2.vpc
    cidr_block: 10.80.0.0/16
    secondary_cidr_blocks: [10.82.0.0/16]
    enable_dns_hostnames: false
    tags: {Name: lost-v2}
  peer_vpc:
    kind: ec2.vpc
    cidr_block: 10.90.0.0/16
  third_vpc:
    kind: ec2.vpc
    cidr_block: 10.100.0.0/16
  public_a:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.0.0/24
    availability_zone: us-east-1a
    map_public_ip_on_launch: false
  public_b:
    kind: ec2.subnet
    vpc: vpc
    cidr_block: 10.80.1.0/24
    availability_zone: us-east-1b
  third_a:
    kind: ec2.subnet
    vpc: third_vpc
    cidr_block: 10.100.0.0/24
    availability_zone: us-east-1a
  igw:
    kind: ec2.internet_gateway
    vpc: vpc
  spare_igw:
    kind: ec2.internet_gateway
    vpc: third_vpc
  nat_ip:
    kind: ec2.eip
    tags: {Phase: two}
  nat:
    kind: ec2.nat_gateway
    subnet: public_a
    eip: nat_ip
    tags: {Phase: two}
  public_routes:
    kind: ec2.route_table
    vpc: vpc
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
    subnets: [public_a, public_b]
  private_routes:
    kind: ec2.route_table
    vpc: vpc
    depends_on: [public_routes]
    routes:
      - {destination_cidr_block: 0.0.0.0/0, internet_gateway: igw}
      - {destination_cidr_block: 10.91.0.0/16, vpc_peering_connection: peering}
    subnets: []
  web:
    kind: ec2.security_group
    vpc: vpc
    name: lost-web
    description: web servers
    ingress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: https v2}
      - {protocol: tcp, port: 80, cidr: 0.0.0.0/0}
    egress:
      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0, description: out v2}
      - {protocol: tcp, port: 8443, cidr: 10.0.0.0/8}
  app:
    kind: ec2.security_group
    vpc: vpc
    name: lost-app
    description: app servers
    ingress:
      - {protocol: tcp, port: 8081, security_group: web}
  allowed:
    kind: ec2.prefix_list
    name: lost-allowed-2
    max_entries: 5
    entries:
      - {cidr: 10.1.0.0/16, description: one v2}
      - {cidr: 10.3.0.0/16, description: three}
  s3:
    kind: ec2.vpc_endpoint
    vpc: vpc
    service: s3
    route_tables: [public_routes]
    policy:
      Statement:
        - {Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}
  peering:
    kind: ec2.vpc_peering_connection
    vpc: vpc
    peer_vpc: peer_vpc
    requester_options: {allow_dns_resolution_from_remote_vpc: true}
    tags: {Phase: two}
  tgw:
    kind: ec2.transit_gateway
    description: lost v2
    default_route_table_association: false
    default_route_table_propagation: false
  attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: vpc
    subnets: [public_a, public_b]
    appliance_mode_support: true
  third_attach:
    kind: ec2.transit_gateway_vpc_attachment
    transit_gateway: tgw
    vpc: third_vpc
    subnets: [third_a]
  hub:
    kind: ec2.transit_gateway_route_table
    transit_gateway: tgw
    associations: [third_attach]
    propagations: [third_attach]
    routes:
      - {destination_cidr_block: 0.0.0.0/0, blackhole: true}
      - {destination_cidr_block: 10.200.0.0/16, attachment: attach}
  alb:
    kind: elbv2.load_balancer
    name: lost-alb
    subnets: [public_a, public_b]
    security_groups: [web, app]
    idle_timeout: 120
    tags: {Phase: two}
  targets:
    kind: elbv2.target_group
    name_prefix: lost-
    port: 80
    vpc: vpc
    target_type: ip
    health_check: {path: /health}
    deregistration_delay: 30
  certificate:
    kind: iam.server_certificate
    name_prefix: lost-
    certificate_body: {file: certs/server.crt}
    private_key: {file: certs/server.key}
    tags: {Phase: two}
  listener:
    kind: elbv2.listener
    load_balancer: alb
    port: 443
    protocol: HTTPS
    certificates: [certificate]
    default_actions:
      - fixed_response: {status_code: "503", content_type: text/plain, message_body: v2}
  rule:
    kind: elbv2.listener_rule
    listener: listener
    priority: 20
    conditions:
      - path_pattern: ["/v2/*"]
    actions:
      - forward: {target_group: targets}
  bucket:
    kind: s3.bucket
    name_prefix: lost-
    force_destroy: true
    versioning: true
    tags: {Phase: two}
  page:
    kind: s3.object
    bucket: bucket
    key: index.html
    content: two
    cache_control: max-age=60
  bucket_policy:
    kind: s3.bucket_policy
    bucket: bucket
    policy:
      Version: "2012-10-17"
      Statement:
        - {Sid: Two, Effect: Allow, Principal: {Service: cloudfront.amazonaws.com}, Action: "s3:GetObject", Resource: "${bucket.arn}/*"}
  db_subnets:
    kind: rds.db_subnet_group
    name_prefix: lost-
    description: two
    subnets: [public_a, public_b]
  db_params:
    kind: rds.db_cluster_parameter_group
    name_prefix: lost-
    family: aurora-postgresql16
    parameters:
      - {name: log_min_duration_statement, value: "2000"}
  db:
    kind: rds.db_cluster
    identifier_prefix: lost-
    engine: aurora-postgresql
    serverless_v2: {min_capacity: 0.5, max_capacity: 4}
    subnet_group: db_subnets
    parameter_group: db_params
    skip_final_snapshot: true
    tags: {Phase: two}
  db_writer:
    kind: rds.db_cluster_instance
    identifier_prefix: lost-
    cluster: db
    tags: {Phase: two}
  logs:
    kind: logs.log_group
    name_prefix: lost-logs-
    retention_in_days: 14
    tags: {Phase: two}
  cluster:
    kind: ecs.cluster
    name_prefix: lost-
    container_insights: disabled
    capacity_providers: [FARGATE]
    tags: {Phase: two}
  task:
    kind: ecs.task_definition
    family: lost-task
    cpu: 256
    memory: 512
    containers:
      - {name: web, image: amazon/amazon-ecs-sample, port_mappings: [{container_port: 80}]}
    tags: {Phase: two}
  service:
    kind: ecs.service
    name: lost-web
    cluster: cluster
    task_definition: task
    desired_count: 2
    subnets: [public_a, public_b]
    enable_execute_command: true
  scaling:
    kind: application_autoscaling.target
    service: service
    min_capacity: 1
    max_capacity: 5
    tags: {Phase: two}
  cpu:
    kind: application_autoscaling.policy
    name: lost-cpu50
    target: scaling
    metric: ECSServiceAverageCPUUtilization
    target_value: 60
    scale_in_cooldown: 120
  role:
    kind: iam.role
    name_prefix: lost-role-
    assume_role_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {Service: ecs.amazonaws.com}, Action: "sts:AssumeRole"}
    inline_policies:
      write-logs:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "${logs.arn}:*"}
    managed_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    max_session_duration: 7200
    description: two
    tags: {Phase: two}
  oac:
    kind: cloudfront.origin_access_control
    name: lost-oac
    description: two
  oai:
    kind: cloudfront.origin_access_identity
    comment: two
  cdn:
    kind: cloudfront.distribution
    comment: two
    origins:
      - {id: signed, domain_name: "${bucket.regional_domain_name}", origin_access_control: oac}
      - {id: identity, domain_name: "${bucket.regional_domain_name}", origin_path: /new, origin_access_identity: oai}
    default_cache_behavior: {target_origin: signed, ttl: {default: 120}}
    tags: {Phase: two}
"#;

/// How often each mutating operation succeeded in a call log. Attempts AWS refused and strata
/// retried (a subnet still held by an interface) depend on timing and are not counted, so that
/// every occurrence counted here happens in every run.
fn occurrences(log: &[Call]) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for c in log.iter().filter(|c| c.ok() && mutating(&c.operation)) {
        *n.entry(c.operation.clone()).or_default() += 1;
    }
    n
}

/// The occurrences of an operation that are dropped: every one up to four, else the first,
/// second, middle and last.
fn sample(n: usize) -> Vec<usize> {
    if n <= 4 {
        (1..=n).collect()
    } else {
        vec![1, 2, n.div_ceil(2), n]
    }
}

/// One step of the stack's life: the documents it applies (none: destroy) and its command.
struct Phase {
    name: &'static str,
    docs: Option<&'static str>,
    args: &'static [&'static str],
}

const PHASES: [Phase; 3] = [
    Phase {
        name: "apply",
        docs: Some(V1),
        args: &["apply", "--auto-approve"],
    },
    Phase {
        name: "update",
        docs: Some(V2),
        args: &["apply", "--auto-approve"],
    },
    Phase {
        name: "destroy",
        docs: None,
        args: &["destroy", "--auto-approve"],
    },
];

/// After a phase, the emulator holds what the lockfile records, once (and, after an apply,
/// what the documents say: the next plan is empty); after destroy, nothing.
async fn check_state(s: &Stack, phase: &Phase, what: &str) {
    let (tagged, locked) = (tagged_ids(s).await, locked_ids(s));
    assert_eq!(
        tagged, locked,
        "{what}: what exists is what the lockfile records"
    );
    if phase.docs.is_some() {
        let out = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: the stack converged in one run:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    } else {
        assert!(tagged.is_empty(), "{what}: destroy left {tagged:?}");
    }
}

/// Lost answers on every mutating call of every kind: a probe run of the stack (apply, update,
/// destroy) lists every mutating call; then run k drops, after the call acted, the answer of
/// the k-th occurrence of every mutating operation of each phase, and each phase must succeed
/// in one run with the emulator's state right afterwards.
#[tokio::test]
async fn lost_answers_on_every_mutating_call_of_every_kind() {
    let mut sc = Scenario::start(
        "lost answers on every mutating call of every kind",
        "a stack of every kind: apply, update in place, destroy, with the answer of mutating \
         calls dropped after they acted",
    );
    let tb = TestBed::like_this_run(json!({}));

    // The probe: every mutating call of each phase, from the call log.
    let probe = tb.stack("lost", V1);
    let mut counts: Vec<BTreeMap<String, usize>> = Vec::new();
    for phase in &PHASES {
        if let Some(docs) = phase.docs {
            probe.write(docs);
        }
        tb.clear_log();
        probe.expect(0, phase.args);
        counts.push(occurrences(&tb.log()));
    }
    let runs = counts
        .iter()
        .flat_map(|c| c.values().map(|n| sample(*n).len()))
        .max()
        .unwrap_or(0);
    assert!(runs > 0, "the probe made mutating calls");

    let mut dropped = 0;
    for run in 0..runs {
        let s = tb.stack("lost", V1);
        for (phase, count) in PHASES.iter().zip(&counts) {
            let targets: Vec<Value> = count
                .iter()
                .filter_map(|(op, n)| {
                    let nth = *sample(*n).get(run)?;
                    Some(json!({"operation": op, "nth": nth, "kind": "drop", "when": "after"}))
                })
                .collect();
            if let Some(docs) = phase.docs {
                s.write(docs);
            }
            tb.configure(json!({"faults": {"targets": targets}}));
            tb.clear_log();
            let out = s.run(phase.args);
            let log = tb.log();
            tb.configure(json!({"faults": {"targets": []}}));
            let what = format!(
                "run {}, {}, answers dropped: {}",
                run + 1,
                phase.name,
                targets
                    .iter()
                    .map(|t| format!("{}#{}", t["operation"], t["nth"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            assert!(out.status.success(), "{}\n{what}", failure(&out));
            let injected: Vec<&Call> = log.iter().filter(|c| c.fault.is_some()).collect();
            assert_eq!(
                injected.len(),
                targets.len(),
                "{what}: every target was reached: {injected:?}"
            );
            check_state(&s, phase, &what).await;
            dropped += injected.len();
        }
    }
    let total: usize = counts.iter().flat_map(|c| c.values()).sum();
    let sampled: usize = counts
        .iter()
        .flat_map(|c| c.values().map(|n| sample(*n).len()))
        .sum();
    let [apply, update, destroy] = [0, 1, 2].map(|i| counts[i].len());
    assert_eq!(dropped, sampled);
    sc.how(format!(
        "a stack of all 35 kinds (43 resources, tests/it/lost_answers.rs): apply, an update \
         that changes every kind in place, destroy. A probe lists the mutating calls from the \
         call log; then run k drops the connection after the k-th occurrence of every mutating \
         operation of each phase has acted (every occurrence when an operation has up to 4, \
         else the 1st, 2nd, middle and last), {runs} runs; each phase must succeed in one run, \
         then the tagged resources are compared with the lockfile and the next plan must be \
         empty (after destroy: nothing left)"
    ));
    sc.pass(format!(
        "{dropped} answers dropped after the call acted, of {total} mutating calls that \
         succeeded in the probe ({sampled} sampled), covering {apply} operations in apply, \
         {update} in update and {destroy} in destroy: every phase succeeded in one run, nothing \
         twice, what exists = lockfile, every plan after an apply empty, destroy left nothing"
    ));
}

/// The call log as JSON, with the fields `support::Call` leaves out (`when`).
fn raw_log(tb: &TestBed) -> Vec<Value> {
    let (head, body) = raw_http(tb.url(), "GET", "/_testbed/log", &[], "");
    assert!(head.contains(" 200 "), "the test bed answered {head}");
    serde_json::from_str(&body).expect("the call log is JSON")
}

/// `AWS calls: N (...); M HTTP attempts` from `-v`: (calls, attempts).
fn calls_and_attempts(err: &str) -> (usize, usize) {
    let line = err
        .lines()
        .find(|l| l.starts_with("AWS calls: "))
        .unwrap_or_else(|| panic!("-v reports calls: {err}"));
    let calls = line["AWS calls: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a call count");
    let attempts = line
        .rsplit_once("; ")
        .and_then(|(_, t)| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("an attempt count");
    (calls, attempts)
}

/// Faults: a fifth of all calls throttled, failing with 500 or 503, dropped without an answer
/// before the call acts, or dropped after it acted, through apply, plan and destroy of the
/// two-tier network. It converges, nothing is lost or made twice, and nothing is left.
#[tokio::test]
async fn a_fifth_of_calls_failing_still_converges() {
    let sc = Scenario::start(
        "faults: 20 % of calls throttled, 500, 503 or dropped",
        "two-tier network (17 resources): apply, plan, destroy on a test bed failing a fifth of \
         all calls at random (RequestLimitExceeded, InternalError, Unavailable, a dropped \
         connection before the call acts, a dropped connection after it acted; the first \
         CreateVpc's answer always lost after it acted); compare tagged resources with the \
         lockfile",
    );
    fifth_of_calls_failing(sc, "two-tier-network", 17, 20).await;
}

/// The same faults through the load balancer recipe (ELBv2's query protocol, its waits and its
/// per-parent reads).
#[tokio::test]
async fn a_fifth_of_calls_failing_still_converges_with_a_load_balancer() {
    let sc = Scenario::start(
        "faults: 20 % of calls failing, load balancer recipe",
        "examples/cookbook-1.7-alb (15 resources: network, groups, certificate, load balancer, \
         target group, listeners, rule): apply, plan, destroy on a test bed failing a fifth of all calls at \
         random (throttled, InternalError, Unavailable, a dropped connection before the call \
         acts, a dropped connection after it acted; the first CreateVpc's answer always lost \
         after it acted); compare tagged resources with the lockfile",
    );
    fifth_of_calls_failing(sc, "cookbook-1.7-alb", 15, 21).await;
}

/// The same faults through the Aurora Serverless v2 recipe (RDS's query protocol, its waits,
/// creates without an idempotency token).
#[tokio::test]
async fn a_fifth_of_calls_failing_still_converges_with_a_database() {
    let sc = Scenario::start(
        "faults: 20 % of calls failing, Aurora recipe",
        "examples/cookbook-2.1-aurora-serverless (9 resources: network, groups, subnet group, \
         parameter group, cluster, instance): apply, plan, destroy on a test bed failing a \
         fifth of all calls at random (throttled, InternalError, Unavailable, a dropped \
         connection before the call acts, a dropped connection after it acted; the first \
         CreateVpc's answer always lost after it acted); compare tagged resources with the \
         lockfile",
    );
    fifth_of_calls_failing(sc, "cookbook-2.1-aurora-serverless", 9, 22).await;
}

/// The same faults through the whole web application (every service strata has but the
/// transit gateway's and peering's: ECS, IAM roles, CloudWatch Logs, RDS, ELBv2, CloudFront,
/// S3, EC2).
#[tokio::test]
async fn a_fifth_of_calls_failing_still_converges_with_the_web_app() {
    let sc = Scenario::start(
        "faults: 20 % of calls failing, the web application",
        "examples/web-app (37 resources: network with NAT gateways, groups, certificate, load \
         balancer, listeners, Aurora cluster and writer, log group, role, ECS cluster, task \
         definition and service, scalable target and policy, bucket, origin access control, \
         distribution, bucket policy): \
         apply, plan, destroy on a test bed failing a fifth of all calls at random (throttled, \
         InternalError, Unavailable, a dropped connection before the call acts, a dropped \
         connection after it acted; the first CreateVpc's answer always lost after it acted); \
         compare tagged resources with the lockfile",
    );
    // 35 of its 37 resources: the bucket policy and the scaling policy have no tags (they are
    // read by their ids).
    fifth_of_calls_failing(sc, "web-app", 35, 23).await;
}

async fn fifth_of_calls_failing(sc: Scenario, example: &str, resources: usize, seed: u64) {
    // Random faults, and for certain one answer lost after a create acted (at a fifth of
    // calls, with five kinds of fault, a run may otherwise lose none of a mutating call).
    let tb = TestBed::like_this_run(json!({"faults": {
        "rate": 0.2, "kinds": ["throttle", "500", "503", "drop", "drop-after"], "seed": seed,
        "targets": [{"operation": "CreateVpc", "nth": 1, "kind": "drop", "when": "after"}],
    }}));
    let s = tb.example(example);
    let (mut calls, mut attempts) = (0, 0);
    let mut run = |args: &[&str], code: i32| {
        let out = s.command(args).arg("-v").output().expect("run strata");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        let (c, a) = calls_and_attempts(&stderr(&out));
        calls += c;
        attempts += a;
    };
    run(&["apply", "--auto-approve"], 0);
    run(&["plan", "--detailed-exitcode"], 0);
    let (tagged, locked) = (tagged_ids(&s).await, locked_ids(&s));
    assert_eq!(tagged, locked, "nothing lost, nothing twice");
    assert_eq!(locked.len(), resources);
    run(&["destroy", "--auto-approve"], 0);
    assert!(tagged_ids(&s).await.is_empty(), "nothing left");
    let log = raw_log(&tb);
    let faults = log.iter().filter(|c| c["fault"].is_string()).count();
    assert!(
        faults * 10 >= log.len(),
        "about a fifth: {faults} of {}",
        log.len()
    );
    let kind = |k: &str| log.iter().filter(|c| c["fault"] == k).count();
    let after = log.iter().filter(|c| c["when"] == "after").count();
    let after_mutating = log
        .iter()
        .filter(|c| c["when"] == "after" && mutating(c["operation"].as_str().unwrap_or_default()))
        .count();
    assert!(
        after_mutating > 0,
        "some mutating calls acted and lost their answer"
    );
    sc.pass(format!(
        "converged; {faults} faults in {} calls ({} throttled, {} 500, {} 503, {} dropped \
         before and {after} after the call acted, {after_mutating} of them mutating calls), \
         {} retries by strata; nothing lost, nothing twice, nothing left",
        log.len(),
        kind("throttle"),
        kind("500"),
        kind("503"),
        kind("drop") - after,
        attempts - calls
    ));
}
