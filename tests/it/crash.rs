//! A process killed with SIGKILL never loses track of what it made, whatever it was doing:
//! creating a stack, changing it in place, replacing resources in either order, or destroying
//! it. The crash matrix kills strata right after its Nth mutating call
//! (`STRATA_FAULT_KILL_AFTER_CALL`, docs/testing.md), for every N of every phase of a stack that
//! has every kind (tests/crash/every-kind.yaml), and for every k-th N of the examples; before
//! recovering it compares the lockfile with the emulator, then recovers and checks the result
//! and the test bed's call log. The same tests run on the strict test bed in the second pass of
//! `scripts/test` (`STRATA_TESTBED=strict`: pending states, refusals, pages of five, late
//! visibility with the recheck on); each records its scenario for RELIABILITY.md.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::json;
use strata_engine::lockfile::{Lockfile, PendingKind};

use crate::support::{
    Call, Owned, Scenario, Stack, TestBed, changes, every_resource_at, mutations, owned_at, stderr,
    stdout, strict, subnets_of, vpcs_of,
};

#[tokio::test]
async fn killed_right_after_creating_the_vpc_then_reapplied_creates_no_second_vpc() {
    let s = Stack::example("cookbook-1.2-subnets");
    // The first mutating call is CreateVpc; die the moment it returns.
    let out = s
        .command(&["apply", "--auto-approve"])
        .env("STRATA_FAULT_KILL_AFTER_CALL", "1")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        None,
        "killed by a signal: {}",
        stderr(&out)
    );
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "the VPC was created");
    let lock = s.lockfile();
    assert!(
        lock["resources"].get("vpc").is_none(),
        "the kill came before strata recorded it"
    );
    assert_eq!(
        lock["pending"][0]["name"], "vpc",
        "the create was journaled: {lock}"
    );

    // The next plan finds it by its tags and adopts it.
    let plan = s.plan_json(&[]);
    let c = changes(&plan);
    assert!(
        c.contains(&("vpc".to_string(), "adopt".to_string())),
        "{c:?}"
    );
    let vpc = plan["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "vpc"))
        .expect("vpc");
    assert_eq!(vpc["reason"], "interrupted_create");

    s.expect(0, &["apply", "--auto-approve"]);
    assert_eq!(vpcs_of(&s.name).await.len(), 1, "still exactly one VPC");
    assert_eq!(subnets_of(&s.name).await.len(), 2);
    assert!(s.lockfile()["pending"].is_null());
    s.expect(0, &["plan", "--detailed-exitcode"]);
    s.expect(0, &["destroy", "--auto-approve"]);
    assert!(vpcs_of(&s.name).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The crash matrix.
// ---------------------------------------------------------------------------------------------

/// The stack with every kind.
const EVERY_KIND: &str = "tests/crash/every-kind.yaml";

/// Changes in place, one or more for every kind (tags where a kind has nothing else to change).
const UPDATE: &[(&str, &str)] = &[
    ("enable_dns_hostnames: false", "enable_dns_hostnames: true"),
    (
        "map_public_ip_on_launch: false",
        "map_public_ip_on_launch: true",
    ),
    (
        "  igw:\n    kind: ec2.internet_gateway\n",
        "  igw:\n    kind: ec2.internet_gateway\n    tags: {Role: changed}\n",
    ),
    (
        "  nat_ip:\n    kind: ec2.eip\n",
        "  nat_ip:\n    kind: ec2.eip\n    tags: {Role: changed}\n",
    ),
    (
        "    eip: nat_ip\n",
        "    eip: nat_ip\n    tags: {Role: changed}\n",
    ),
    (
        "{destination_cidr_block: 10.42.0.0/16, transit_gateway: tgw}",
        "{destination_cidr_block: 10.43.0.0/16, transit_gateway: tgw}",
    ),
    (
        "    subnets: [public]\n",
        "    subnets: [public]\n    tags: {Role: changed}\n",
    ),
    (
        "{cidr: 198.51.100.0/24, description: office}",
        "{cidr: 198.51.100.0/24, description: head office}",
    ),
    (
        "{protocol: tcp, port: 22, security_group: self}",
        "{protocol: tcp, port: 2222, security_group: self}",
    ),
    (
        "route_tables: [private_routes]",
        "route_tables: [private_routes, public_routes]",
    ),
    (
        "    peer_vpc: peer_vpc\n",
        "    peer_vpc: peer_vpc\n    tags: {Role: changed}\n",
    ),
    ("description: crash\n", "description: crash, changed\n"),
    (
        "    subnets: [private]\n    lifecycle",
        "    subnets: [private]\n    tags: {Role: changed}\n    lifecycle",
    ),
    (
        "      - {destination_cidr_block: 0.0.0.0/0, attachment: attach}\n",
        "      - {destination_cidr_block: 0.0.0.0/0, attachment: attach}\n      - {destination_cidr_block: 10.50.0.0/16, blackhole: true}\n",
    ),
    ("idle_timeout: 60", "idle_timeout: 61"),
    ("health_check: {path: /}", "health_check: {path: /health}"),
    (
        "      - forward: {target_group: targets}\n    lifecycle",
        "      - fixed_response: {status_code: \"503\"}\n    lifecycle",
    ),
    ("priority: 10", "priority: 11"),
    (
        "    path: /crash/\n",
        "    path: /crash/\n    tags: {Role: changed}\n",
    ),
    ("retention_in_days: 7", "retention_in_days: 14"),
    (
        "container_insights: enabled",
        "container_insights: disabled",
    ),
    ("{Role: task}", "{Role: changed}"),
    ("desired_count: 1", "desired_count: 2"),
    (
        "service-role/AmazonECSTaskExecutionRolePolicy]",
        "ReadOnlyAccess]",
    ),
];

/// Replacements of every kind but the internet gateway (it has no field that replaces it), the
/// role and the three ECS kinds (a role's, a cluster's or a service's new name is a delete and
/// a create as the log group's; a task definition's new revision is a create first as the
/// target group's: left out to keep the suite in its time): the
/// peer VPC's block (its table and the peering follow), the private subnet's block, the NAT
/// gateway's address (a new Elastic IP; the old one is deleted), the security group's name and
/// description, the prefix list's address family, the endpoint's service, the transit
/// gateway's ASN (its attachment and route table follow), the load balancer's name prefix (its
/// listener and rule follow), the target group's port (created first always, with a new name
/// from its prefix), the server certificate's path (created first always; the listener moves to
/// it), the log group's name prefix. The replacement order swaps too
/// (see the stack's header): each of these resources is replaced deleting first one way and
/// creating first the other way.
const REPLACE: &[(&str, &str)] = &[
    (
        "create_before_destroy: true}  # order x",
        "create_before_destroy: false}  # order x",
    ),
    (
        "create_before_destroy: false}  # order y",
        "create_before_destroy: true}  # order y",
    ),
    (
        "    cidr_block: 10.41.0.0/24\n",
        "    cidr_block: 10.44.0.0/24\n",
    ),
    (
        "{destination_cidr_block: 10.41.0.0/24, vpc_peering_connection: peering}",
        "{destination_cidr_block: 10.44.0.0/24, vpc_peering_connection: peering}",
    ),
    ("cidr_block: 10.40.0.64/26", "cidr_block: 10.40.0.128/26"),
    ("  nat_ip:\n", "  nat_ip_2:\n"),
    ("    eip: nat_ip\n", "    eip: nat_ip_2\n"),
    ("name: crash-sg\n", "name: crash-sg-2\n"),
    (
        "description: every kind\n",
        "description: every kind, again\n",
    ),
    ("address_family: IPv4", "address_family: IPv6"),
    (
        "{cidr: 198.51.100.0/24, description: office}",
        "{cidr: \"2001:db8::/32\", description: office}",
    ),
    ("service: s3", "service: dynamodb"),
    ("amazon_side_asn: 64512", "amazon_side_asn: 64513"),
    ("name_prefix: crash-\n", "name_prefix: crash2-\n"),
    ("    port: 80\n    vpc: vpc", "    port: 81\n    vpc: vpc"),
    ("path: /crash/", "path: /crash2/"),
    ("name_prefix: /crash/logs-", "name_prefix: /crash/logs2-"),
];

/// Rewrites the documents with `edits`, forwards or backwards; every value must be there.
fn edit(s: &Stack, edits: &[(&str, &str)], forward: bool) {
    s.edit(|mut d| {
        for (a, b) in edits {
            let (from, to) = if forward { (a, b) } else { (b, a) };
            assert!(d.contains(from), "the documents hold {from:?}");
            d = d.replace(from, to);
        }
        d
    });
}

/// What a crash point runs: apply or destroy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Apply,
    Destroy,
}

impl Run {
    fn args(self) -> &'static [&'static str] {
        match self {
            Run::Apply => &["apply", "--auto-approve"],
            Run::Destroy => &["destroy", "--auto-approve"],
        }
    }
}

/// One step of a cycle: the documents edited (or not), then the run.
#[derive(Clone, Copy)]
struct Step {
    /// The phase it belongs to (its row), e.g. "update".
    phase: &'static str,
    /// How the documents change before it: the edits, and whether forwards.
    edit: Option<(&'static [(&'static str, &'static str)], bool)>,
    run: Run,
}

/// What the points of one phase measured.
#[derive(Debug, Default)]
struct Tally {
    /// The kill points covered, per step of the phase (e.g. both directions of an update).
    killed: Vec<Vec<usize>>,
    /// Per step, the first N at which the run finished before its Nth mutating call.
    finished_at: Vec<Option<usize>>,
    /// Tagged resources found before recovery, each checked against the lockfile.
    tagged_checked: usize,
    /// Of those, the ones recorded only as a pending create (with its token).
    as_pending: usize,
    /// Pending creates with nothing made yet (the kill came before their call landed).
    not_made: usize,
    /// Successful create calls in the call log, kill and recovery together.
    creates: usize,
    /// Resources new in the emulator after a point (whatever their tags), each found in the
    /// lockfile.
    new_checked: usize,
    /// Recovery durations.
    recoveries: Vec<Duration>,
}

impl Tally {
    fn points(&self) -> usize {
        self.killed.iter().map(Vec::len).sum()
    }

    /// `1..37 and 1..40` (every point) or `3, 11, 19 and 5, 13` (sampled).
    fn ranges(&self, every: usize) -> String {
        self.killed
            .iter()
            .map(|k| match (k.first(), k.last()) {
                (Some(a), Some(b)) if every == 1 => format!("{a}..{b}"),
                (Some(a), Some(b)) if k.len() > 3 => format!("{a}, {}, …, {b}", a + every),
                (Some(_), Some(_)) => k
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => "none".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }

    fn recovery_summary(&self) -> String {
        let mut r = self.recoveries.clone();
        r.sort();
        match (r.get(r.len() / 2), r.last()) {
            (Some(m), Some(x)) => format!(
                "recovery {:.1} s median, {:.1} s at most",
                m.as_secs_f64(),
                x.as_secs_f64()
            ),
            _ => "no recovery".to_string(),
        }
    }
}

/// The lockfile as strata reads it (snapshot and journal).
fn lockfile_of(s: &Stack) -> Lockfile {
    strata_engine::lockfile::read(&s.path().join("strata.lock"))
        .expect("the lockfile reads")
        .expect("there is a lockfile")
}

/// Before recovering: every resource the emulator holds with the stack's tag is recorded in
/// the lockfile, as a resource, a deposed copy, or a pending create of its name and kind with
/// a token. (strata journals a create before sending it, so this holds whatever else is still
/// in flight.) Returns (tagged resources, of which recorded only as pending creates, pending
/// creates with nothing made).
async fn check_journal(tb: &TestBed, s: &Stack, at: &str) -> (usize, usize, usize) {
    let lf = lockfile_of(s);
    let owned = owned_at(tb.url(), &s.name).await;
    let mut as_pending = 0;
    let mut untracked = Vec::new();
    for o in &owned {
        let recorded = lf.resources.values().any(|r| r.id == o.id)
            || lf.deposed.iter().any(|d| d.resource.id == o.id);
        if recorded {
            continue;
        }
        let pending = lf.pending.iter().any(|p| {
            p.op == PendingKind::Create
                && Some(&p.name) == o.name.as_ref()
                && p.kind == o.kind
                && !p.token.is_empty()
        });
        if pending {
            as_pending += 1;
        } else {
            untracked.push(o.clone());
        }
    }
    assert!(
        untracked.is_empty(),
        "{at}: before recovery, the emulator holds resources the lockfile does not record \
         (as a resource, deposed copy or pending create with a token): {untracked:?}\n\
         lockfile resources: {:?}\npending: {:?}",
        lf.resources
            .iter()
            .map(|(n, r)| format!("{n}={}", r.id))
            .collect::<Vec<_>>(),
        lf.pending
            .iter()
            .map(|p| format!("{:?} {} {}", p.op, p.kind, p.name))
            .collect::<Vec<_>>()
    );
    let not_made = lf
        .pending
        .iter()
        .filter(|p| {
            p.op == PendingKind::Create
                && !owned
                    .iter()
                    .any(|o| o.name.as_ref() == Some(&p.name) && o.kind == p.kind)
        })
        .count();
    (owned.len(), as_pending, not_made)
}

/// After a run that finished: applied, the next plan is empty and what carries the stack's tag
/// is exactly what the lockfile records, with nothing pending; destroyed, nothing is left and
/// the lockfile records nothing.
async fn check_settled(tb: &TestBed, s: &Stack, run: Run, at: &str) {
    let lf = lockfile_of(s);
    let owned: BTreeSet<String> = owned_at(tb.url(), &s.name)
        .await
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert!(
        lf.pending.is_empty(),
        "{at}: pending records left: {:?}",
        lf.pending
    );
    match run {
        Run::Apply => {
            let out = s.run(&["plan", "--detailed-exitcode"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{at}: the stack did not converge:\n{}{}",
                stdout(&out),
                stderr(&out)
            );
            // Kinds read by id only (an object, a bucket policy) carry no tag to find them by:
            // the empty plan above read them by the lockfile's ids.
            let locked: BTreeSet<String> = lf
                .resources
                .values()
                .chain(lf.deposed.iter().map(|d| &d.resource))
                .filter(|r| !crate::support::read_by_id_only(&r.kind))
                .map(|r| r.id.clone())
                .collect();
            assert_eq!(
                owned, locked,
                "{at}: what carries the stack's tag is what the lockfile records"
            );
        }
        Run::Destroy => {
            assert!(owned.is_empty(), "{at}: destroy left {owned:?}");
            assert!(
                lf.resources.is_empty() && lf.deposed.is_empty(),
                "{at}: the lockfile still records {:?}",
                lf.resources.keys().collect::<Vec<_>>()
            );
        }
    }
}

/// Ids of everything in the emulator of the kinds strata manages, whatever its tags.
async fn every_id(tb: &TestBed) -> BTreeSet<String> {
    every_resource_at(tb.url())
        .await
        .into_iter()
        .map(|o| o.id)
        .collect()
}

/// After a run that finished: nothing was made that the lockfile does not record, tagged or
/// not (a resource left without the stack's tag is lost to every later run). Everything in the
/// emulator that was not there `before` the point is one of the lockfile's resources or deposed
/// copies (after destroy, nothing is). Returns how many new resources were checked.
async fn check_nothing_else(tb: &TestBed, s: &Stack, before: &BTreeSet<String>, at: &str) -> usize {
    let lf = lockfile_of(s);
    let recorded: BTreeSet<String> = lf
        .resources
        .values()
        .map(|r| r.id.clone())
        .chain(lf.deposed.iter().map(|d| d.resource.id.clone()))
        .collect();
    let new: Vec<Owned> = every_resource_at(tb.url())
        .await
        .into_iter()
        .filter(|o| !before.contains(&o.id))
        .collect();
    let lost: Vec<&Owned> = new.iter().filter(|o| !recorded.contains(&o.id)).collect();
    assert!(
        lost.is_empty(),
        "{at}: the emulator holds resources made since the point that the lockfile does not \
         record (tagged or not): {lost:?}"
    );
    new.len()
}

/// Successful creates per logical name in the call log (the `strata:name` tag of the call).
/// A tagging call (`CreateTags`: ownership tags put back on a resource adopted by its journaled
/// id while AWS's describes do not show its tags yet) names the resource too, but creates
/// nothing.
fn creates_by_name(log: &[Call]) -> BTreeMap<String, Vec<&Call>> {
    let mut by: BTreeMap<String, Vec<&Call>> = BTreeMap::new();
    for c in log
        .iter()
        .filter(|c| c.ok() && !c.operation.contains("Tag"))
    {
        if let Some(n) = &c.name {
            by.entry(n.clone()).or_default().push(c);
        }
    }
    by
}

/// One crash point: the run killed after its `n`th mutating call, the journal checked, the
/// same run again to recover, and the result checked. Returns false when the run finished
/// before its `n`th mutating call (nothing to kill: the phase has fewer points).
async fn crash_point(
    tb: &TestBed,
    s: &Stack,
    run: Run,
    n: usize,
    at: &str,
    t: &mut Tally,
    step: usize,
) -> bool {
    tb.clear_log();
    let before = every_id(tb).await;
    let out = s
        .command(run.args())
        .env("STRATA_FAULT_KILL_AFTER_CALL", n.to_string())
        .output()
        .expect("run strata");
    match out.status.code() {
        Some(0) => {
            t.finished_at[step].get_or_insert(n);
            check_settled(tb, s, run, at).await;
            check_nothing_else(tb, s, &before, at).await;
            return false;
        }
        Some(code) => panic!(
            "{at}: exited {code} instead of being killed:\n{}",
            stderr(&out)
        ),
        None => {}
    }
    let (tagged, as_pending, not_made) = check_journal(tb, s, at).await;
    t.tagged_checked += tagged;
    t.as_pending += as_pending;
    t.not_made += not_made;

    // The recovery as a user runs it: with strata's recheck of journaled creates it cannot see
    // yet at its default, on the plain test bed too. A create the killed process sent may reach
    // the emulator after the recovery's first read (calls queue there); the recheck is what
    // finds it then.
    let start = Instant::now();
    let out = s
        .command(run.args())
        .env_remove("STRATA_PENDING_RECHECK_SECS")
        .output()
        .expect("run strata");
    t.recoveries.push(start.elapsed());
    let log = tb.log();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{at}: the recovering {run:?} failed:\n{}\n--- the call log\n{log:#?}",
        stderr(&out)
    );
    check_settled(tb, s, run, at).await;
    t.new_checked += check_nothing_else(tb, s, &before, at).await;

    let creates = creates_by_name(&log);
    let twice: Vec<_> = creates.iter().filter(|(_, c)| c.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "{at}: more than one create for one name (kill and recovery together): {twice:#?}\n\
         --- the recovering run\n{}",
        stderr(&out)
    );
    if run == Run::Destroy {
        assert!(creates.is_empty(), "{at}: destroy created {creates:?}");
    }
    t.creates += creates.values().map(Vec::len).sum::<usize>();
    t.killed[step].push(n);
    true
}

/// Runs a cycle of steps that returns the stack to where it started (create then destroy; an
/// edit forwards then backwards), killing each step at N = `first`, `first + every`, … until
/// every step has finished before its Nth mutating call. A step already finished runs without a
/// kill, to lead into the next. The test bed is started afresh every `restart` rounds (moto
/// keeps deleted NAT gateways and the like, and slows down run after run), the stack rebuilt
/// there by `setup`. Returns the tallies by phase.
async fn cycle(
    documents: &str,
    steps: &[Step],
    setup: &[Step],
    first: usize,
    every: usize,
) -> BTreeMap<&'static str, Tally> {
    const RESTART: usize = 8;
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    // Index of each step within its phase.
    let mut slot = Vec::new();
    for st in steps {
        let t = tallies.entry(st.phase).or_default();
        slot.push(t.killed.len());
        t.killed.push(Vec::new());
        t.finished_at.push(None);
    }
    let mut done = vec![false; steps.len()];
    let mut n = first;
    let mut round = 0;
    let (mut tb, mut s) = fresh(documents, setup);
    while done.iter().any(|d| !d) {
        if round > 0 && round % RESTART == 0 {
            s.expect(0, &["destroy", "--auto-approve"]);
            (tb, s) = fresh(documents, setup);
        }
        for (i, st) in steps.iter().enumerate() {
            if let Some((edits, forward)) = st.edit {
                edit(&s, edits, forward);
            }
            let at = format!(
                "{documents}, {} step {} ({:?}), N = {n}",
                st.phase,
                slot[i] + 1,
                st.run
            );
            if done[i] {
                // Only leads into the next step, whose own checks follow.
                s.expect(0, st.run.args());
                continue;
            }
            let t = tallies.get_mut(st.phase).expect("a tally per phase");
            if !crash_point(&tb, &s, st.run, n, &at, t, slot[i]).await {
                done[i] = true;
            }
        }
        n += every;
        round += 1;
    }
    s.expect(0, &["destroy", "--auto-approve"]);
    check_settled(&tb, &s, Run::Destroy, &format!("{documents}: the end")).await;
    tallies
}

/// The test bed's configuration for the matrix: on the strict test bed, the preset's waits
/// (pending states, lingering interfaces, late visibility) shortened to tenths of a second.
/// Every behaviour stays; a point costs seconds instead of tens of seconds.
fn matrix_config() -> serde_json::Value {
    if !strict() {
        return json!({});
    }
    let pending = [
        "nat_gateway",
        "nat_gateway_delete",
        "transit_gateway",
        "transit_gateway_delete",
        "tgw_attachment",
        "tgw_attachment_delete",
        "vpc_endpoint",
        "vpc_endpoint_delete",
        "prefix_list",
        "cloudfront",
        "rds_cluster",
        "rds_cluster_delete",
        "rds_cluster_modify",
        "rds_instance",
        "rds_instance_delete",
        "rds_instance_modify",
    ];
    json!({
        "pending": pending.iter().map(|p| (p.to_string(), json!(0.3))).collect::<serde_json::Map<_, _>>(),
        "linger": 0.5,
        "consistency": 0.5,
        "tag_lag": 0.7,
    })
}

/// A test bed like this run's, and the stack on it brought to where the cycle starts.
fn fresh(documents: &str, setup: &[Step]) -> (TestBed, Stack) {
    let tb = TestBed::like_this_run(matrix_config());
    let s = tb.copy_of(documents);
    for st in setup {
        if let Some((edits, forward)) = st.edit {
            edit(&s, edits, forward);
        }
        s.expect(0, st.run.args());
    }
    (tb, s)
}

fn bed() -> &'static str {
    if strict() { "strict" } else { "plain" }
}

/// The result text of a phase, from its tally.
fn result(t: &Tally, every: usize, run: Run) -> String {
    let after = match run {
        Run::Apply => {
            "after one apply the plan was empty and what carries the stack's tag was what the \
             lockfile records, with no pending record"
        }
        Run::Destroy => {
            "after one destroy nothing carried the stack's tag and the lockfile recorded nothing"
        }
    };
    format!(
        "{} killed (N = {}); before recovery, {} tagged resources found, every one in the \
         lockfile ({} of them as a pending create with its token; {} more pending creates had \
         made nothing yet); {after} at every point, and everything new in the emulator since its \
         point, tagged or not, was in the lockfile ({} resources in all); {} successful creates \
         in the call log, never two for one name in one point; {}",
        plural(t.points(), "point"),
        t.ranges(every),
        t.tagged_checked,
        t.as_pending,
        t.not_made,
        t.new_checked,
        t.creates,
        t.recovery_summary(),
    )
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn took(d: Duration) -> String {
    format!("the test took {:.0} s", d.as_secs_f64())
}

const CREATE: Step = Step {
    phase: "create",
    edit: None,
    run: Run::Apply,
};
const DESTROY: Step = Step {
    phase: "destroy",
    edit: None,
    run: Run::Destroy,
};

/// Starts the scenario of each phase of a cycle (so that a failure records each as failed).
fn scenarios(example: &str, phases: &[(&str, &str)]) -> Vec<(String, Scenario)> {
    phases
        .iter()
        .map(|(phase, how)| {
            (
                phase.to_string(),
                Scenario::start(
                    format!("crash in every phase: {phase}, {example}"),
                    how.to_string(),
                ),
            )
        })
        .collect()
}

/// Which points of the every-kind stack a pass kills in a phase: (first, every). The plain
/// pass kills every point of the create, the update and the destroy, which between them make
/// every mutating call of every kind, and one in [`PLAIN_REPLACE_EVERY`] of the replacements
/// (the same calls, in both orders); the strict pass, whose points cost about twice as long,
/// one in every [`STRICT_EVERY`] of each phase. The first point is the seed's pick (so that
/// that many days cover all of them), to keep the suite in its time.
fn matrix_points(phase: &str) -> (usize, usize) {
    let every = if strict() {
        STRICT_EVERY
    } else if phase.starts_with("replace") {
        PLAIN_REPLACE_EVERY
    } else {
        1
    };
    (seed() % every + 1, every)
}

/// On the strict test bed, the every-kind stack is killed at one point in this many.
const STRICT_EVERY: usize = 5;

/// On the plain test bed, the every-kind stack's replacements are killed at one point in this
/// many (its create, update and destroy at every point).
const PLAIN_REPLACE_EVERY: usize = 3;

fn how(phase: &str, what: &str) -> String {
    let which = match matrix_points(phase) {
        (_, 1) => format!("for every N of the {phase}"),
        (first, every) => format!(
            "for one N in every {every} of the {phase} (N = {first}, {}, …, as the seed {} \
             picks: STRATA_CRASH_SEED={} repeats it; {every} days cover every N; the plain \
             pass kills every N of the create, update and destroy, one in {PLAIN_REPLACE_EVERY} \
             of the replace)",
            first + every,
            seed(),
            seed(),
        ),
    };
    format!(
        "{what}: killed with SIGKILL right after mutating call N, {which}, on \
         the {}; before recovery the lockfile (snapshot and journal) is compared with the \
         emulator; then the same command again, the plan, the tagged resources against the \
         lockfile, the creates per name in the call log; destroy at the end",
        bed_described()
    )
}

fn bed_described() -> &'static str {
    if strict() {
        "strict test bed (its pending states, lingering interfaces and late visibility \
         shortened to 0.3-0.7 s; strata's recheck of late resources at its default)"
    } else {
        "plain test bed"
    }
}

#[tokio::test]
async fn crash_matrix_create_and_destroy() {
    let start = Instant::now();
    let mut sc = scenarios(
        "every kind",
        &[
            (
                "create",
                &how(
                    "create",
                    "tests/crash/every-kind.yaml (28 resources of 23 kinds: every kind but S3's, CloudFront's and RDS's ten, which the lost-answers stack and the sampled crash tests of examples/cookbook-1.12-cloudfront and examples/cookbook-2.1-aurora-serverless cover) applied onto nothing",
                ),
            ),
            (
                "destroy",
                &how("destroy", "tests/crash/every-kind.yaml destroyed"),
            ),
        ],
    );
    let (first, every) = matrix_points("create");
    let tallies = cycle(EVERY_KIND, &[CREATE, DESTROY], &[], first, every).await;
    let elapsed = start.elapsed();
    eprintln!(
        "crash matrix, create and destroy, {} test bed: {elapsed:?}",
        bed()
    );
    for (phase, s) in sc.drain(..) {
        let run = if phase == "destroy" {
            Run::Destroy
        } else {
            Run::Apply
        };
        s.pass(format!(
            "{}; {} (create and destroy together)",
            result(&tallies[phase.as_str()], every, run),
            took(elapsed)
        ));
    }
}

async fn edit_phase(
    phase: &'static str,
    edits: &'static [(&'static str, &'static str)],
    what: &str,
) {
    let start = Instant::now();
    let sc = Scenario::start(
        format!("crash in every phase: {phase}, every kind"),
        how(phase, what),
    );
    let into = Step {
        phase,
        edit: Some((edits, true)),
        run: Run::Apply,
    };
    let back = Step {
        phase,
        edit: Some((edits, false)),
        run: Run::Apply,
    };
    let setup = Step {
        phase: "setup",
        edit: None,
        run: Run::Apply,
    };
    let (first, every) = matrix_points(phase);
    let tallies = cycle(EVERY_KIND, &[into, back], &[setup], first, every).await;
    let elapsed = start.elapsed();
    eprintln!("crash matrix, {phase}, {} test bed: {elapsed:?}", bed());
    sc.pass(format!(
        "{}; {}",
        result(&tallies[phase], every, Run::Apply),
        took(elapsed)
    ));
}

#[tokio::test]
async fn crash_matrix_update() {
    edit_phase(
        "update",
        UPDATE,
        "tests/crash/every-kind.yaml changed in place (a field or the tags of every kind, \
         see UPDATE in tests/it/crash.rs), there and back",
    )
    .await;
}

#[tokio::test]
async fn crash_matrix_replace() {
    edit_phase(
        "replace, in both orders",
        REPLACE,
        "tests/crash/every-kind.yaml with a replacement of every kind but the internet gateway, \
         the role and the three ECS kinds (see REPLACE in tests/it/crash.rs), there and back: the peer VPC, its route table, the \
         peering, the prefix list, the security group and the endpoint delete their old copy \
         first there and create the new one first back; the private subnet, the NAT gateway, \
         the transit gateway, its attachment and its route table the other way round; the NAT \
         gateway's Elastic IP is replaced by another (a delete and a create)",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// The examples, sampled.
// ---------------------------------------------------------------------------------------------

/// Points killed per phase of each example, about.
const SAMPLES: usize = 2;

/// Which points a run samples: `STRATA_CRASH_SEED`, or the day (so that CI covers other points
/// each day, and a failure is repeated with the seed its row states).
fn seed() -> usize {
    std::env::var("STRATA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            usize::try_from(secs / 86_400).unwrap_or(0)
        })
}

/// An example's create and destroy, each killed at every k-th mutation point (k chosen so that
/// about [`SAMPLES`] points of each run), starting from a point the seed picks.
async fn sampled(example: &str) {
    let start = Instant::now();
    let documents = format!("examples/{example}/stack.yaml");
    let mut sc = Scenario::start(
        format!("crash, sampled: {example}"),
        format!("{example}: create and destroy killed at sampled mutation points"),
    );
    // How many mutating calls each phase makes, from one run of each.
    let (pc, pd) = {
        let tb = TestBed::like_this_run(matrix_config());
        let probe = tb.copy_of(&documents);
        tb.clear_log();
        probe.expect(0, Run::Apply.args());
        let pc = mutations(&tb.log());
        tb.clear_log();
        probe.expect(0, Run::Destroy.args());
        (pc, mutations(&tb.log()))
    };
    let seed = seed();
    let every = pc.max(pd).div_ceil(SAMPLES).max(1);
    let first = seed % every + 1;
    sc.how(format!(
        "{example} ({pc} mutating calls to create, {pd} to destroy): killed with SIGKILL right \
         after mutating call N for N = {first}, {}, … (one in every {every}; seed {seed}, \
         STRATA_CRASH_SEED={seed} repeats it), on the {}; each time the journal compared with \
         the emulator, then the same command again, the plan, the tagged resources against the \
         lockfile, the creates per name in the call log",
        first + every,
        bed_described()
    ));
    let tallies = cycle(&documents, &[CREATE, DESTROY], &[], first, every).await;
    let elapsed = start.elapsed();
    eprintln!("crash, sampled: {example}, {} test bed: {elapsed:?}", bed());
    sc.pass(format!(
        "create: {}. Destroy: {}. Both: {}",
        result(&tallies["create"], every, Run::Apply),
        result(&tallies["destroy"], every, Run::Destroy),
        took(elapsed)
    ));
}

macro_rules! sampled_tests {
    ($($test:ident: $example:literal,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                sampled($example).await;
            }
        )*
    };
}

sampled_tests! {
    crash_sampled_1_1: "cookbook-1.1-vpc",
    crash_sampled_1_2: "cookbook-1.2-subnets",
    crash_sampled_1_3: "cookbook-1.3-internet-gateway",
    crash_sampled_1_4: "cookbook-1.4-nat-gateway",
    crash_sampled_1_5: "cookbook-1.5-security-groups",
    crash_sampled_1_7: "cookbook-1.7-alb",
    crash_sampled_1_8: "cookbook-1.8-prefix-list",
    crash_sampled_1_9: "cookbook-1.9-s3-endpoint",
    crash_sampled_1_10: "cookbook-1.10-transit-gateway",
    crash_sampled_1_11: "cookbook-1.11-vpc-peering",
    crash_sampled_1_12: "cookbook-1.12-cloudfront",
    crash_sampled_2_1: "cookbook-2.1-aurora-serverless",
    crash_sampled_two_tier: "two-tier-network",
    crash_sampled_web_app: "web-app",
}
