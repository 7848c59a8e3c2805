//! The harness: the emulator (started once per test process, or STRATA_TEST_ENDPOINT), a stack
//! in a temporary directory, the `strata` binary, and an EC2 client to check the emulator.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use aws_sdk_ec2::types::{
    Filter, IpPermission, RouteTable, SecurityGroup, Vpc, VpcPeeringConnection,
};

pub struct Emulator {
    pub url: String,
    _child: Option<Child>,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(c) = &mut self._child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Whether this run uses the strict test bed (`STRATA_TESTBED=strict`): pending states,
/// AWS's refusals, lingering interfaces, pagination and eventual consistency, all on.
pub fn strict() -> bool {
    std::env::var("STRATA_TESTBED").is_ok_and(|v| v == "strict")
}

fn start_emulator() -> Emulator {
    if let Ok(url) = std::env::var("STRATA_TEST_ENDPOINT") {
        return Emulator { url, _child: None };
    }
    if strict() {
        start_private_emulator(&["--strict"])
    } else {
        start_private_emulator(&[])
    }
}

/// An emulator of our own (e.g. a slow one: `&["--latency-ms", "300"]`), stopped when dropped.
pub fn start_private_emulator(extra: &[&str]) -> Emulator {
    let venv = std::env::var_os("STRATA_VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed,
        "\n\nThe AWS emulator (moto) is not installed in {}.\n\
         Install it with `scripts/emulator install` (or run the whole suite with `scripts/test`, \
         which installs it), or point STRATA_TEST_ENDPOINT at a running emulator.\n",
        venv.display()
    );
    let mut child = Command::new(&python)
        .arg(repo().join("tests/emulator/serve.py"))
        .arg("--watch-parent")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the emulator");
    let stdout = child.stdout.take().expect("emulator stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the emulator printed its address within 60 s");
    let url = line.trim().to_string();
    assert!(
        url.starts_with("http://"),
        "the emulator did not start: {line:?}"
    );
    Emulator {
        url,
        _child: Some(child),
    }
}

/// The emulator shared by every test of this process.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(start_emulator)
}

/// A unique stack name per test.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The key file documents name for an `iam.server_certificate` (the examples' README says how
/// to make it with openssl; no key is committed).
pub const CERTIFICATE_KEY: &str = "certs/server.key";

/// Writes a new self-signed certificate and its key as `certs/server.crt` and
/// `certs/server.key` under `dir`, as the examples' READMEs make them with openssl.
pub fn make_certificate(dir: &Path) {
    let made = rcgen::generate_simple_self_signed(vec!["lab.example.com".to_string()])
        .expect("a self-signed certificate");
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).expect("certs/");
    std::fs::write(certs.join("server.crt"), made.cert.pem()).expect("write server.crt");
    std::fs::write(certs.join("server.key"), made.signing_key.serialize_pem())
        .expect("write server.key");
}

/// A stack directory with its documents.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub name: String,
    /// The emulator this stack talks to.
    pub endpoint: String,
}

impl Stack {
    /// Writes `documents` (with `STACK` replaced by a unique stack name) as stack.yaml.
    pub fn new(prefix: &str, documents: &str) -> Stack {
        let s = Stack {
            dir: tempfile::tempdir().expect("tempdir"),
            name: unique(prefix),
            endpoint: emulator().url.clone(),
        };
        s.write(documents);
        s
    }

    /// A copy of an example, with its stack renamed, and the files it reads (`index.html`).
    pub fn example(name: &str) -> Stack {
        Stack::copy_of(&repo().join("examples").join(name).join("stack.yaml"))
    }

    /// A copy of a documents file (relative to the repository), with its stack renamed, and
    /// the other files of its folder but documents and Markdown (the files it reads).
    pub fn copy_of(path: &Path) -> Stack {
        let path = repo().join(path);
        let text = std::fs::read_to_string(&path).expect("the documents file");
        let stack_line = text
            .lines()
            .find(|l| l.starts_with("stack:"))
            .expect("the example names its stack")
            .to_string();
        let s = Stack::new("ex", &text.replace(&stack_line, "stack: STACK"));
        let folder = path.parent().expect("the documents' folder");
        for f in std::fs::read_dir(folder)
            .expect("the documents' folder")
            .flatten()
        {
            let p = f.path();
            if p.is_file() && p.extension().is_none_or(|e| e != "yaml" && e != "md") {
                std::fs::copy(&p, s.path().join(f.file_name())).expect("copy a file it reads");
            }
        }
        s
    }

    /// Makes a new self-signed certificate for the documents' `{file: certs/…}` (a
    /// replacement of the stack's `iam.server_certificate`).
    pub fn renew_certificate(&self) {
        make_certificate(self.path());
    }

    /// Writes the documents (with `STACK` replaced by the stack's name) as stack.yaml, and a
    /// certificate for them the first time they name one ([`CERTIFICATE_KEY`]).
    pub fn write(&self, documents: &str) {
        if documents.contains(CERTIFICATE_KEY) && !self.path().join(CERTIFICATE_KEY).exists() {
            make_certificate(self.path());
        }
        std::fs::write(
            self.dir.path().join("stack.yaml"),
            documents.replace("STACK", &self.name),
        )
        .expect("write stack.yaml");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The lockfile as strata reads it: the snapshot with its journal applied.
    pub fn lockfile(&self) -> serde_json::Value {
        let lf = strata_engine::lockfile::read(&self.path().join("strata.lock"))
            .expect("the lockfile reads")
            .expect("there is a lockfile");
        serde_json::to_value(&lf).expect("lockfile is JSON")
    }

    pub fn id_of(&self, name: &str) -> String {
        self.lockfile()["resources"][name]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} is in the lockfile"))
            .to_string()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
        c.current_dir(self.path())
            .args(["--local", "--no-color"])
            .args(args)
            .env("STRATA_LOCAL_ENDPOINT", &self.endpoint)
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("STRATA_FAULT_KILL_AFTER_CALL")
            // A wait that never ends is a failure, not a hang.
            .env("STRATA_MAX_WAIT_SECS", "60")
            .stdin(Stdio::null());
        if strict() {
            // Small pages, so that every describe pages.
            c.env("STRATA_AWS_PAGE_SIZE", "5");
        } else {
            // The plain emulator is consistent at once: nothing to look for again.
            c.env("STRATA_PENDING_RECHECK_SECS", "0");
        }
        c
    }

    /// Runs strata and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run strata")
    }

    /// Runs strata and fails the test unless it exits with `code`.
    pub fn expect(&self, code: i32, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "strata {args:?} exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `strata plan --json`, parsed.
    pub fn plan_json(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["plan", "--json"];
        args.extend_from_slice(extra);
        let out = self.expect(0, &args);
        serde_json::from_slice(&out.stdout).expect("plan JSON")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed run's standard error for an assertion message: its last lines (where the error
/// is) first, then the whole of it, so that a log that keeps only a message's head shows the
/// error.
pub fn failure(o: &Output) -> String {
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!(
        "exit {:?}; the end of stderr:\n{tail}\n--- all of stderr:\n{err}",
        o.status.code()
    )
}

/// The actions of a JSON plan that change something: (name, action).
pub fn changes(plan: &serde_json::Value) -> Vec<(String, String)> {
    changed(plan, "action")
}

/// The actions of a JSON plan that change something: (name, reason).
pub fn reasons(plan: &serde_json::Value) -> Vec<(String, String)> {
    changed(plan, "reason")
}

/// (name, `field`) of each action of a JSON plan that changes something.
fn changed(plan: &serde_json::Value, field: &str) -> Vec<(String, String)> {
    plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["action"] != "no_op")
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                a[field].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Pairs of strings, as [`changes`] gives them: `pairs(&[("vpc", "update")])`.
pub fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// An EC2 client for the emulator.
pub async fn ec2() -> aws_sdk_ec2::Client {
    ec2_at(&emulator().url).await
}

/// An EC2 client for a given emulator. Its app name makes the test bed answer it with the
/// emulator's real state (no hiding, paging or faults, and no entry in the call log).
pub async fn ec2_at(url: &str) -> aws_sdk_ec2::Client {
    ec2_in(url, "us-east-1").await
}

/// An EC2 client for a given emulator and region (see [`ec2_at`]).
pub async fn ec2_in(url: &str, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&observer_conf(url, region).await)
}

/// An Elastic Load Balancing v2 client for the emulator (as [`ec2_at`]: the test bed answers
/// it with the emulator's real state).
pub async fn elbv2() -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An IAM client for the emulator (as [`elbv2`]).
pub async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An S3 client for the emulator (as [`elbv2`]).
pub async fn s3() -> aws_sdk_s3::Client {
    s3_of(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An S3 client of the observer's configuration: path-style, as strata's own at an endpoint.
fn s3_of(conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(true)
            .build(),
    )
}

/// A VPC made with the SDK in another region of the shared emulator: a peer that strata does
/// not manage. [`VpcElsewhere::delete`] removes it.
pub struct VpcElsewhere {
    pub ec2: aws_sdk_ec2::Client,
    pub id: String,
}

impl VpcElsewhere {
    pub async fn create(region: &str, cidr: &str) -> VpcElsewhere {
        let ec2 = ec2_in(&emulator().url, region).await;
        let id = ec2
            .create_vpc()
            .cidr_block(cidr)
            .send()
            .await
            .expect("a VPC in another region")
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("id")
            .to_string();
        VpcElsewhere { ec2, id }
    }

    /// A peering connection, as this VPC's region sees it.
    pub async fn peering(&self, pcx: &str) -> VpcPeeringConnection {
        self.ec2
            .describe_vpc_peering_connections()
            .vpc_peering_connection_ids(pcx)
            .send()
            .await
            .expect("the peering connection seen from the other region")
            .vpc_peering_connections()[0]
            .clone()
    }

    pub async fn delete(self) {
        self.ec2
            .delete_vpc()
            .vpc_id(&self.id)
            .send()
            .await
            .expect("delete the VPC in the other region");
    }
}

fn stack_filter(stack: &str) -> Filter {
    Filter::builder()
        .name("tag:strata:stack")
        .values(stack)
        .build()
}

pub async fn vpcs_of(stack: &str) -> Vec<aws_sdk_ec2::types::Vpc> {
    ec2()
        .await
        .describe_vpcs()
        .filters(stack_filter(stack))
        .send()
        .await
        .expect("describe vpcs")
        .vpcs()
        .to_vec()
}

pub async fn subnets_of(stack: &str) -> Vec<aws_sdk_ec2::types::Subnet> {
    ec2()
        .await
        .describe_subnets()
        .filters(stack_filter(stack))
        .send()
        .await
        .expect("describe subnets")
        .subnets()
        .to_vec()
}

/// A VPC, as the emulator holds it.
pub async fn vpc(id: &str) -> Vpc {
    ec2()
        .await
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .expect("describe VPC")
        .vpcs()[0]
        .clone()
}

/// A route table, as the emulator holds it.
pub async fn route_table(id: &str) -> RouteTable {
    ec2()
        .await
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await
        .expect("describe route table")
        .route_tables()[0]
        .clone()
}

/// A security group, as the emulator holds it.
pub async fn security_group(id: &str) -> SecurityGroup {
    ec2()
        .await
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .expect("describe security group")
        .security_groups()[0]
        .clone()
}

/// (protocol, from port or -1, block) of each IPv4 block (or IPv6 block, with `ipv6`) of a
/// group's rules in one direction, sorted.
pub fn blocks(rules: &[IpPermission], ipv6: bool) -> Vec<(String, i32, String)> {
    let mut v: Vec<(String, i32, String)> = rules
        .iter()
        .flat_map(|p| {
            let cidrs: Vec<&str> = if ipv6 {
                p.ipv6_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ipv6())
                    .collect()
            } else {
                p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect()
            };
            cidrs.into_iter().map(move |cidr| {
                (
                    p.ip_protocol().unwrap_or_default().to_string(),
                    p.from_port().unwrap_or(-1),
                    cidr.to_string(),
                )
            })
        })
        .collect();
    v.sort();
    v
}

pub fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

impl Stack {
    /// Rewrites the documents with `f` (the stack name stays).
    pub fn edit(&self, f: impl FnOnce(String) -> String) {
        let docs = std::fs::read_to_string(self.path().join("stack.yaml"))
            .expect("read")
            .replace(&self.name, "STACK");
        self.write(&f(docs));
    }

    /// `strata plan` as text, expecting changes (exit code 2 with --detailed-exitcode).
    pub fn plan_text(&self) -> String {
        let out = self.expect(2, &["plan", "--detailed-exitcode"]);
        stdout(&out).replace(&self.name, "STACK")
    }

    /// Applies and checks that a re-plan is empty.
    pub fn apply_clean(&self) {
        self.expect(0, &["apply", "--auto-approve"]);
        let out = self.run(&["plan", "--detailed-exitcode"]);
        if out.status.code() != Some(0) {
            let json = self.run(&["plan", "--json"]);
            panic!(
                "the plan after apply is not empty (exit {:?}):\n{}\n{}\n{}",
                out.status.code(),
                stdout(&out),
                stderr(&out),
                stdout(&json)
            );
        }
    }
}

/// An insta snapshot of `text` named `name` in the calling test module, with AWS ids hidden
/// ([`id_filters`]).
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        $crate::support::id_filters().bind(|| insta::assert_snapshot!($name, $text))
    };
}
pub(crate) use snapshot;

/// An EC2 resource id: its type's prefix and 8 or 17 hex digits (`vpc-0a1b2c3d`,
/// `tgw-attach-…`), the prefix captured.
pub const EC2_ID: &str = r"\b(vpc|subnet|igw|eipalloc|nat|rtb|sg|pl|vpce|pcx|tgw|tgw-attach|tgw-rtb|eni|acl|rtbassoc)-[0-9a-f]{8,17}\b";

/// An ARN of an account's resource, the id of most services but EC2
/// (`arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188`,
/// `arn:aws:rds:…:cluster:db`, `arn:aws:iam::123456789012:role/deploy`): its service and
/// resource type captured. ARNs without an account (S3's `arn:aws:s3:::bucket`) are names the
/// documents chose, left as they are.
pub const ARN: &str = r#"\barn:aws(?:-[a-z]+)*:([a-z0-9-]+):[a-z0-9-]*:\d{12}:([A-Za-z][A-Za-z0-9-]*)[:/][^\s"'`,;()\[\]{}<>]+"#;

/// Snapshot settings that hide AWS ids (they differ between runs): EC2 ids become `[vpc]`,
/// ARNs of an account's resources `[arn:elasticloadbalancing:loadbalancer]`.
pub fn id_filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(ARN, "[arn:$1:$2]");
    s.add_filter(EC2_ID, "[$1]");
    s.add_filter(r"\b127\.\d+\.\d+\.\d+\b", "[ip]");
    s
}

#[test]
fn id_filters_hide_ec2_ids_and_arns() {
    let text = "\
vpc-0a1b2c3d and subnet-0123456789abcdef0, tgw-attach-0123456789abcdef0
arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188
arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067 (in use)
id: \"arn:aws:rds:eu-west-1:123456789012:cluster:db-1\"
arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web:*
[arn:aws:s3:::my-bucket] arn:aws-cn:ecs:cn-north-1:123456789012:cluster/main
arn:aws:iam::123456789012:role/strata/deploy
not ids: vpc-xyz, arnold:aws, Vpc-0a1b2c3d
at http://127.0.0.1:5055";
    id_filters().bind(|| {
        insta::assert_snapshot!(text, @r#"
        [vpc] and [subnet], [tgw-attach]
        [arn:elasticloadbalancing:loadbalancer]
        [arn:elasticloadbalancing:targetgroup] (in use)
        id: "[arn:rds:cluster]"
        [arn:logs:log-group]
        [arn:aws:s3:::my-bucket] [arn:ecs:cluster]
        [arn:iam:role]
        not ids: vpc-xyz, arnold:aws, Vpc-0a1b2c3d
        at http://[ip]:5055
        "#);
    });
}

/// Ids of everything in the emulator that carries the stack's tag, by kind.
pub async fn tagged(stack: &str) -> Vec<String> {
    tagged_at(&emulator().url, stack).await
}

/// [`tagged`] on a given emulator: `"ec2.vpc vpc-…"`, `"ec2.subnet subnet-…"`, ….
pub async fn tagged_at(url: &str, stack: &str) -> Vec<String> {
    owned_at(url, stack)
        .await
        .into_iter()
        .map(|o| format!("{} {}", o.kind, o.id))
        .collect()
}

/// A resource in the emulator carrying a stack's ownership tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owned {
    /// strata's kind, e.g. `ec2.vpc`.
    pub kind: String,
    /// Its id, as strata records it (an EC2 id or an ARN).
    pub id: String,
    /// Its `strata:name` tag.
    pub name: Option<String>,
}

/// strata's AWS provider for an emulator, seen as the observer: the test bed answers it with the
/// emulator's real state (no faults, latency, hiding or paging, no entry in the call log).
pub async fn observer_provider(url: &str, region: &str) -> strata_aws::AwsProvider {
    let sdk = observer_conf(url, region).await;
    let settings = strata_aws::AwsSettings {
        request_rate: strata_aws::budget::RequestRate::Off,
        ..strata_aws::AwsSettings::default()
    };
    strata_aws::connect(&sdk, region, &settings)
}

/// The read strata makes to find a stack's resources of one kind by their ownership tag, with
/// no lockfile ids. (The one place the tests build a `ReadRequest`.)
pub fn stack_read<'a>(kind: &'a str, stack: &'a str) -> strata_engine::provider::ReadRequest<'a> {
    strata_engine::provider::ReadRequest {
        kind,
        ids: &[],
        stack,
        records: &[],
        names: None,
    }
}

/// Everything in the emulator (its real state, seen by the observer) that carries the stack's
/// ownership tag and is live, with its kind and `strata:name` tag: what strata's own read of
/// every kind finds (`strata_model::kinds::all()`), so a new kind is inventoried with no test
/// code. Sorted by kind and id.
pub async fn owned_at(url: &str, stack: &str) -> Vec<Owned> {
    use strata_engine::provider::Provider;
    let provider = observer_provider(url, "us-east-1").await;
    let mut reads = tokio::task::JoinSet::new();
    for info in strata_model::kinds::all() {
        let (provider, stack, kind) = (provider.clone(), stack.to_string(), info.name);
        reads.spawn(async move {
            let found = provider.read(stack_read(kind, &stack)).await;
            (kind, stack, found)
        });
    }
    let mut out = Vec::new();
    while let Some(done) = reads.join_next().await {
        let (kind, stack, found) = done.expect("a read task");
        let found = found.unwrap_or_else(|e| panic!("strata's read of {kind}: {e}"));
        // Some describes ignore the tag filter on the emulator (NAT gateways): strata's
        // planner keeps only its stack's, and so does this.
        out.extend(
            found
                .into_iter()
                .filter(|r| r.stack.as_deref() == Some(stack.as_str()))
                .map(|r| Owned {
                    kind: r.kind,
                    id: r.id,
                    name: r.name,
                }),
        );
    }
    out.sort();
    out
}

/// Everything of the kinds strata manages in the emulator that is not deleted, whatever its
/// tags, but what AWS makes by itself with a VPC or a transit gateway (the main route table,
/// the default security group, the default association route table).
pub async fn every_resource_at(url: &str) -> Vec<Owned> {
    resources_at(url, None).await
}

async fn resources_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    // Hand-written describes: what strata's reads cannot show (resources without its tags).
    let c = ec2_at(url).await;
    let f = || stack.map(|s| vec![stack_filter(s)]);
    let mut out = Vec::new();
    let mut push = |kind: &'static str, id: Option<&str>, tags: &[aws_sdk_ec2::types::Tag]| {
        out.push(Owned {
            kind: kind.to_string(),
            id: id.unwrap_or_default().to_string(),
            name: tag(tags, "strata:name").map(str::to_string),
        });
    };
    for v in c
        .describe_vpcs()
        .set_filters(f())
        .send()
        .await
        .expect("vpcs")
        .vpcs()
    {
        push("ec2.vpc", v.vpc_id(), v.tags());
    }
    for s in c
        .describe_subnets()
        .set_filters(f())
        .send()
        .await
        .expect("subnets")
        .subnets()
    {
        push("ec2.subnet", s.subnet_id(), s.tags());
    }
    for g in c
        .describe_internet_gateways()
        .set_filters(f())
        .send()
        .await
        .expect("igws")
        .internet_gateways()
    {
        push("ec2.internet_gateway", g.internet_gateway_id(), g.tags());
    }
    for a in c
        .describe_addresses()
        .set_filters(f())
        .send()
        .await
        .expect("eips")
        .addresses()
    {
        push("ec2.eip", a.allocation_id(), a.tags());
    }
    for n in c
        .describe_nat_gateways()
        .set_filter(f())
        .send()
        .await
        .expect("nats")
        .nat_gateways()
    {
        // The emulator ignores this filter: check the tag here.
        if n.state().map(|s| s.as_str()) != Some("deleted")
            && (stack.is_none() || tag(n.tags(), "strata:stack") == stack)
        {
            push("ec2.nat_gateway", n.nat_gateway_id(), n.tags());
        }
    }
    for t in c
        .describe_route_tables()
        .set_filters(f())
        .send()
        .await
        .expect("rts")
        .route_tables()
    {
        if stack.is_some() || !t.associations().iter().any(|a| a.main() == Some(true)) {
            push("ec2.route_table", t.route_table_id(), t.tags());
        }
    }
    for g in c
        .describe_security_groups()
        .set_filters(f())
        .send()
        .await
        .expect("sgs")
        .security_groups()
    {
        if stack.is_some() || g.group_name() != Some("default") {
            push("ec2.security_group", g.group_id(), g.tags());
        }
    }
    for p in c
        .describe_managed_prefix_lists()
        .set_filters(f())
        .send()
        .await
        .expect("pls")
        .prefix_lists()
    {
        if !p.state().is_some_and(|s| s.as_str().starts_with("delete")) {
            push("ec2.prefix_list", p.prefix_list_id(), p.tags());
        }
    }
    for e in c
        .describe_vpc_endpoints()
        .set_filters(f())
        .send()
        .await
        .expect("endpoints")
        .vpc_endpoints()
    {
        if !e
            .state()
            .is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted"))
        {
            push("ec2.vpc_endpoint", e.vpc_endpoint_id(), e.tags());
        }
    }
    // The emulator ignores tag filters on these: check the tags here.
    let ours =
        |tags: &[aws_sdk_ec2::types::Tag]| stack.is_none() || tag(tags, "strata:stack") == stack;
    let gone = |state: Option<&str>| {
        state.is_some_and(|s| matches!(s, "deleted" | "deleting" | "rejected" | "failed"))
    };
    for p in c
        .describe_vpc_peering_connections()
        .send()
        .await
        .expect("peerings")
        .vpc_peering_connections()
    {
        let state = p.status().and_then(|s| s.code()).map(|c| c.as_str());
        if ours(p.tags()) && !gone(state) {
            push(
                "ec2.vpc_peering_connection",
                p.vpc_peering_connection_id(),
                p.tags(),
            );
        }
    }
    for t in c
        .describe_transit_gateways()
        .send()
        .await
        .expect("transit gateways")
        .transit_gateways()
    {
        if ours(t.tags()) && !gone(t.state().map(|s| s.as_str())) {
            push("ec2.transit_gateway", t.transit_gateway_id(), t.tags());
        }
    }
    for a in c
        .describe_transit_gateway_vpc_attachments()
        .send()
        .await
        .expect("attachments")
        .transit_gateway_vpc_attachments()
    {
        if ours(a.tags()) && !gone(a.state().map(|s| s.as_str())) {
            push(
                "ec2.transit_gateway_vpc_attachment",
                a.transit_gateway_attachment_id(),
                a.tags(),
            );
        }
    }
    for t in c
        .describe_transit_gateway_route_tables()
        .send()
        .await
        .expect("transit gateway route tables")
        .transit_gateway_route_tables()
    {
        if ours(t.tags())
            && !gone(t.state().map(|s| s.as_str()))
            && (stack.is_some() || t.default_association_route_table() != Some(true))
        {
            push(
                "ec2.transit_gateway_route_table",
                t.transit_gateway_route_table_id(),
                t.tags(),
            );
        }
    }
    out.extend(certificates_and_buckets_at(url, stack).await);
    out.extend(cloudfront_at(url, stack).await);
    out.extend(rds_at(url, stack).await);
    out.extend(log_groups_at(url, stack).await);
    out.extend(ecs_clusters_at(url, stack).await);
    out.extend(roles_at(url, stack).await);
    out.extend(autoscaling_at(url, stack).await);
    out.sort();
    out
}

/// Application Auto Scaling's `ecs` scalable targets (of the stack, by their tags, or all) and
/// the scaling policies on them (a policy has no tags), for [`resources_at`].
async fn autoscaling_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let c = aws_sdk_applicationautoscaling::Client::new(&observer_conf(url, "us-east-1").await);
    let targets = c
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .send()
        .await
        .expect("scalable targets");
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for t in targets.scalable_targets() {
        let arn = t.scalable_target_arn().unwrap_or_default();
        let Ok(tags) = c.list_tags_for_resource().resource_arn(arn).send().await else {
            // Deregistered since the listing (by a test beside this one).
            continue;
        };
        let value = |k: &str| tags.tags().and_then(|t| t.get(k)).cloned();
        if stack.is_none() || value("strata:stack").as_deref() == stack {
            ids.push(t.resource_id().to_string());
            out.push(Owned {
                kind: "application_autoscaling.target".to_string(),
                id: t.resource_id().to_string(),
                name: value("strata:name"),
            });
        }
    }
    let policies = c
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .send()
        .await
        .expect("scaling policies");
    for p in policies.scaling_policies() {
        if stack.is_none() || ids.iter().any(|i| i == p.resource_id()) {
            out.push(Owned {
                kind: "application_autoscaling.policy".to_string(),
                id: format!("{}:{}", p.resource_id(), p.policy_name()),
                name: None,
            });
        }
    }
    out
}

/// CloudWatch Logs log groups (of the stack, or all), for [`resources_at`].
async fn log_groups_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let c = aws_sdk_cloudwatchlogs::Client::new(&observer_conf(url, "us-east-1").await);
    let groups = c.describe_log_groups().send().await.expect("log groups");
    let mut out = Vec::new();
    for g in groups.log_groups() {
        let arn = g.log_group_arn().unwrap_or_default();
        let tags = match c.list_tags_for_resource().resource_arn(arn).send().await {
            Ok(t) => t,
            // Deleted since the listing (by a test beside this one).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                continue;
            }
            Err(e) => panic!("a log group's tags: {e:?}"),
        };
        let value = |k: &str| tags.tags().and_then(|t| t.get(k)).cloned();
        if stack.is_none() || value("strata:stack").as_deref() == stack {
            out.push(Owned {
                kind: "logs.log_group".to_string(),
                id: g.log_group_name().unwrap_or_default().to_string(),
                name: value("strata:name"),
            });
        }
    }
    out
}

/// ECS clusters, `ACTIVE` (of the stack, or all), for [`resources_at`].
async fn ecs_clusters_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let c = aws_sdk_ecs::Client::new(&observer_conf(url, "us-east-1").await);
    let arns = c.list_clusters().send().await.expect("clusters");
    if arns.cluster_arns().is_empty() {
        return ecs_task_definitions_at(&c, stack).await;
    }
    let clusters = c
        .describe_clusters()
        .set_clusters(Some(arns.cluster_arns().to_vec()))
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .expect("clusters described");
    let mut out = ecs_task_definitions_at(&c, stack).await;
    for cl in clusters.clusters() {
        let value = |k: &str| {
            cl.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        if cl.status() == Some("ACTIVE") {
            out.extend(ecs_services_at(&c, cl.cluster_arn().unwrap_or_default(), stack).await);
        }
        if cl.status() == Some("ACTIVE")
            && (stack.is_none() || value("strata:stack").as_deref() == stack)
        {
            out.push(Owned {
                kind: "ecs.cluster".to_string(),
                id: cl.cluster_name().unwrap_or_default().to_string(),
                name: value("strata:name"),
            });
        }
    }
    out
}

/// The `ACTIVE` services of a cluster (of the stack, or all), for [`ecs_clusters_at`].
async fn ecs_services_at(
    c: &aws_sdk_ecs::Client,
    cluster: &str,
    stack: Option<&str>,
) -> Vec<Owned> {
    let arns = c
        .list_services()
        .cluster(cluster)
        .send()
        .await
        .expect("services");
    if arns.service_arns().is_empty() {
        return Vec::new();
    }
    let services = c
        .describe_services()
        .cluster(cluster)
        .set_services(Some(arns.service_arns().to_vec()))
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .expect("services described");
    let mut out = Vec::new();
    for sv in services.services() {
        let value = |k: &str| {
            sv.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        if sv.status() == Some("ACTIVE")
            && (stack.is_none() || value("strata:stack").as_deref() == stack)
        {
            out.push(Owned {
                kind: "ecs.service".to_string(),
                id: sv.service_arn().unwrap_or_default().to_string(),
                name: value("strata:name"),
            });
        }
    }
    out
}

/// ECS task definitions, `ACTIVE` revisions (of the stack, or all), for [`ecs_clusters_at`].
async fn ecs_task_definitions_at(c: &aws_sdk_ecs::Client, stack: Option<&str>) -> Vec<Owned> {
    use aws_sdk_ecs::types::{TaskDefinitionField, TaskDefinitionStatus};
    let arns = c
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .send()
        .await
        .expect("task definitions");
    let mut out = Vec::new();
    for arn in arns.task_definition_arns() {
        let Ok(t) = c
            .describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
        else {
            // Deregistered and deleted since the listing (by a test beside this one).
            continue;
        };
        let value = |k: &str| {
            t.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        let active = t
            .task_definition()
            .is_some_and(|d| d.status() == Some(&TaskDefinitionStatus::Active));
        if active && (stack.is_none() || value("strata:stack").as_deref() == stack) {
            out.push(Owned {
                kind: "ecs.task_definition".to_string(),
                id: arn.clone(),
                name: value("strata:name"),
            });
        }
    }
    out
}

/// IAM roles (of the stack, or all), for [`resources_at`].
async fn roles_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let c = aws_sdk_iam::Client::new(&observer_conf(url, "us-east-1").await);
    let roles: Vec<aws_sdk_iam::types::Role> = c
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("roles");
    let mut out = Vec::new();
    for r in &roles {
        // ListRoles answers no tags: GetRole does. A role deleted since the listing is gone.
        let Ok(got) = c.get_role().role_name(r.role_name()).send().await else {
            continue;
        };
        let tags = got.role().map(|r| r.tags()).unwrap_or_default();
        let value = |k: &str| {
            tags.iter()
                .find(|t| t.key() == k)
                .map(|t| t.value().to_string())
        };
        if stack.is_none() || value("strata:stack").as_deref() == stack {
            out.push(Owned {
                kind: "iam.role".to_string(),
                id: r.role_name().to_string(),
                name: value("strata:name"),
            });
        }
    }
    out
}

/// An observer ECS client for the shared emulator.
pub async fn ecs() -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An observer CloudWatch Logs client for the shared emulator.
pub async fn logs() -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An Application Auto Scaling client on the emulator (us-east-1), as the observer.
pub async fn autoscaling() -> aws_sdk_applicationautoscaling::Client {
    aws_sdk_applicationautoscaling::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// An observer RDS client for the shared emulator.
pub async fn rds() -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&observer_conf(&emulator().url, "us-east-1").await)
}

/// RDS clusters, instances, subnet groups and cluster parameter groups (of the stack, or all
/// but RDS's own `default…` groups), for [`resources_at`].
async fn rds_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let c = aws_sdk_rds::Client::new(&observer_conf(url, "us-east-1").await);
    let mut out = Vec::new();
    let mut push = |kind: &str, id: &str, tags: &[aws_sdk_rds::types::Tag]| {
        let value = |k: &str| {
            tags.iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        if stack.is_none() || value("strata:stack").as_deref() == stack {
            out.push(Owned {
                kind: kind.to_string(),
                id: id.to_string(),
                name: value("strata:name"),
            });
        }
    };
    let clusters = c.describe_db_clusters().send().await.expect("DB clusters");
    for d in clusters.db_clusters() {
        if d.status() != Some("deleting") {
            push(
                "rds.db_cluster",
                d.db_cluster_identifier().unwrap_or_default(),
                d.tag_list(),
            );
        }
    }
    let instances = c
        .describe_db_instances()
        .send()
        .await
        .expect("DB instances");
    for i in instances.db_instances() {
        if i.db_instance_status() != Some("deleting") {
            push(
                "rds.db_cluster_instance",
                i.db_instance_identifier().unwrap_or_default(),
                i.tag_list(),
            );
        }
    }
    let tags_of = |arn: String| {
        let c = c.clone();
        async move {
            c.list_tags_for_resource()
                .resource_name(arn)
                .send()
                .await
                .expect("RDS tags")
                .tag_list()
                .to_vec()
        }
    };
    let groups = c
        .describe_db_subnet_groups()
        .send()
        .await
        .expect("DB subnet groups");
    for g in groups.db_subnet_groups() {
        let name = g.db_subnet_group_name().unwrap_or_default();
        if !name.starts_with("default") {
            let t = tags_of(g.db_subnet_group_arn().unwrap_or_default().to_string()).await;
            push("rds.db_subnet_group", name, &t);
        }
    }
    let params = c
        .describe_db_cluster_parameter_groups()
        .send()
        .await
        .expect("DB cluster parameter groups");
    for g in params.db_cluster_parameter_groups() {
        let name = g.db_cluster_parameter_group_name().unwrap_or_default();
        if !name.starts_with("default") {
            let t = tags_of(
                g.db_cluster_parameter_group_arn()
                    .unwrap_or_default()
                    .to_string(),
            )
            .await;
            push("rds.db_cluster_parameter_group", name, &t);
        }
    }
    out
}

/// An observer CloudFront client for an emulator.
pub async fn cloudfront_of(url: &str) -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::new(&observer_conf(url, "us-east-1").await)
}

/// CloudFront distributions (by their tags), origin access controls (by the ownership marks in
/// their description) and identities (by those in their caller reference), of the stack or
/// all, for [`resources_at`].
async fn cloudfront_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let cf = cloudfront_of(url).await;
    let mut out = Vec::new();
    let mut push = |kind: &str, id: &str, own: strata_aws::tags::Ownership| {
        if stack.is_none() || own.stack.as_deref() == stack {
            out.push(Owned {
                kind: kind.to_string(),
                id: id.to_string(),
                name: own.name,
            });
        }
    };
    let list = cf.list_distributions().send().await.expect("distributions");
    for d in list
        .distribution_list()
        .map(|l| l.items())
        .unwrap_or_default()
    {
        let tags = cf
            .list_tags_for_resource()
            .resource(d.arn())
            .send()
            .await
            .expect("distribution tags");
        let items = tags.tags().map(|t| t.items()).unwrap_or_default();
        let (_, own) = strata_aws::tags::split(
            items
                .iter()
                .map(|t| (t.key(), t.value().unwrap_or_default())),
        );
        push("cloudfront.distribution", d.id(), own);
    }
    let controls = cf
        .list_origin_access_controls()
        .send()
        .await
        .expect("origin access controls");
    for c in controls
        .origin_access_control_list()
        .map(|l| l.items())
        .unwrap_or_default()
    {
        let (_, own) = strata_aws::tags::unmarked(c.description());
        push("cloudfront.origin_access_control", c.id(), own);
    }
    let identities = cf
        .list_cloud_front_origin_access_identities()
        .send()
        .await
        .expect("origin access identities");
    for i in identities
        .cloud_front_origin_access_identity_list()
        .map(|l| l.items())
        .unwrap_or_default()
    {
        let one = cf
            .get_cloud_front_origin_access_identity()
            .id(i.id())
            .send()
            .await
            .expect("an origin access identity");
        let reference = one
            .cloud_front_origin_access_identity()
            .and_then(|o| o.cloud_front_origin_access_identity_config())
            .map(|c| c.caller_reference().to_string())
            .unwrap_or_default();
        let (_, own) = strata_aws::tags::unmarked(&reference);
        push("cloudfront.origin_access_identity", i.id(), own);
    }
    out
}

/// The observer's SDK configuration for an emulator and region: the test bed answers the
/// `strata-observer` app with the emulator's real state.
pub async fn observer_conf(url: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .app_name(aws_config::AppName::new("strata-observer").expect("a valid app name"))
        .endpoint_url(url)
        .region(aws_sdk_ec2::config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

/// IAM server certificates and S3 buckets (of the stack, or all), for [`resources_at`].
async fn certificates_and_buckets_at(url: &str, stack: Option<&str>) -> Vec<Owned> {
    let conf = observer_conf(url, "us-east-1").await;
    let of = |pairs: Vec<(String, String)>, kind: &str, id: &str| {
        let value = |k: &str| pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
        (stack.is_none() || value("strata:stack").as_deref() == stack).then(|| Owned {
            kind: kind.to_string(),
            id: id.to_string(),
            name: value("strata:name"),
        })
    };
    let mut out = Vec::new();
    let iam = aws_sdk_iam::Client::new(&conf);
    let certs = iam
        .list_server_certificates()
        .send()
        .await
        .expect("server certificates");
    for m in certs.server_certificate_metadata_list() {
        // A certificate deleted since the listing (a killed run's call still landing) is gone.
        let Ok(tags) = iam
            .list_server_certificate_tags()
            .server_certificate_name(m.server_certificate_name())
            .send()
            .await
        else {
            continue;
        };
        let pairs = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        out.extend(of(pairs, "iam.server_certificate", m.arn()));
    }
    let s3 = s3_of(&conf);
    let buckets = s3.list_buckets().send().await.expect("buckets");
    for b in buckets.buckets().iter().filter_map(|b| b.name()) {
        let pairs = match s3.get_bucket_tagging().bucket(b).send().await {
            Ok(t) => t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(_) => Vec::new(),
        };
        out.extend(of(pairs, "s3.bucket", b));
    }
    out
}

/// Ids of the stack's resources of one kind in its emulator (see [`owned_at`]).
pub async fn owned_ids_of(s: &Stack, kind: &str) -> BTreeSet<String> {
    owned_at(&s.endpoint, &s.name)
        .await
        .into_iter()
        .filter(|o| o.kind == kind)
        .map(|o| o.id)
        .collect()
}

/// Ids of everything in the stack's emulator carrying its tag.
pub async fn tagged_ids(s: &Stack) -> BTreeSet<String> {
    owned_at(&s.endpoint, &s.name)
        .await
        .into_iter()
        .map(|o| o.id)
        .collect()
}

/// Whether a kind is read by its recorded id only, carrying nothing a read by tag finds
/// (`Policy.id_from_documents`: an S3 object, a bucket policy).
pub fn read_by_id_only(kind: &str) -> bool {
    strata_model::kinds::find(kind).is_some_and(|k| k.policy.id_from_documents)
}

/// Ids the lockfile records (its resources and deposed copies) of the kinds a read by tag
/// finds (see [`read_by_id_only`]).
pub fn locked_ids(s: &Stack) -> BTreeSet<String> {
    let lock = s.lockfile();
    let resources = lock["resources"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values());
    let deposed = lock["deposed"].as_array().into_iter().flatten();
    resources
        .chain(deposed)
        .filter(|r| !r["kind"].as_str().is_some_and(read_by_id_only))
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// Destroys the stack and checks that nothing carrying its tag is left.
pub async fn destroy_leaves_nothing(s: &Stack) {
    s.expect(0, &["destroy", "--auto-approve"]);
    let left = tagged_at(&s.endpoint, &s.name).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A test bed of its own, configured for one test (see tests/emulator/testbed.py), with its
/// control API: configuration and the call log.
pub struct TestBed {
    pub emulator: Emulator,
}

impl TestBed {
    pub fn start(config: serde_json::Value) -> TestBed {
        let config = config.to_string();
        TestBed {
            emulator: start_private_emulator(&["--config", &config]),
        }
    }

    /// A test bed like this run's shared emulator: the strict preset (`STRATA_TESTBED=strict`)
    /// or the plain emulator, with `config` merged on top.
    pub fn like_this_run(config: serde_json::Value) -> TestBed {
        let config = config.to_string();
        let mut args = vec!["--config", config.as_str()];
        if strict() {
            args.insert(0, "--strict");
        }
        TestBed {
            emulator: start_private_emulator(&args),
        }
    }

    /// A stack of a documents file (relative to the repository), talking to this test bed.
    pub fn copy_of(&self, path: &str) -> Stack {
        let mut s = Stack::copy_of(Path::new(path));
        s.endpoint = self.url().to_string();
        s
    }

    pub fn url(&self) -> &str {
        &self.emulator.url
    }

    /// A stack of an example, talking to this test bed.
    pub fn example(&self, name: &str) -> Stack {
        let mut s = Stack::example(name);
        s.endpoint = self.url().to_string();
        s
    }

    /// A stack of documents, talking to this test bed.
    pub fn stack(&self, prefix: &str, documents: &str) -> Stack {
        let mut s = Stack::new(prefix, documents);
        s.endpoint = self.url().to_string();
        s
    }

    /// Changes the configuration (merged into the current one).
    pub fn configure(&self, config: serde_json::Value) {
        http(self.url(), "POST", "/_testbed/config", &config.to_string());
    }

    /// Ends every transitional state now (what is pending becomes ready), as AWS would in the
    /// end.
    pub fn settle(&self) {
        http(self.url(), "POST", "/_testbed/settle", "");
    }

    /// Every AWS call since the log was last cleared.
    pub fn log(&self) -> Vec<Call> {
        let body = http(self.url(), "GET", "/_testbed/log", "");
        serde_json::from_str(&body).expect("the call log is JSON")
    }

    pub fn clear_log(&self) {
        http(self.url(), "DELETE", "/_testbed/log", "");
    }

    /// Everything the emulator holds, tagged or not, in every service and region, as
    /// `"service region Model id"` (`GET /_testbed/inventory`: a generic walk over moto's
    /// backends). What no read by tags can show: a resource a bug left without strata's tags.
    /// moto makes a region's defaults (default VPC, AMIs) when the region is first used, so the
    /// inventory first makes sure `us-east-1` is; compare two inventories.
    pub async fn inventory(&self) -> BTreeSet<String> {
        ec2_at(self.url())
            .await
            .describe_vpcs()
            .send()
            .await
            .expect("the region is in use");
        let body = http(self.url(), "GET", "/_testbed/inventory", "");
        serde_json::from_str(&body).expect("the inventory is JSON")
    }

    /// Asserts that the emulator holds exactly what it held in `before` (an inventory), tagged
    /// or not: nothing was left behind.
    pub async fn assert_holds_only(&self, before: &BTreeSet<String>) {
        let now = self.inventory().await;
        let left: Vec<&String> = now.difference(before).collect();
        let gone: Vec<&String> = before.difference(&now).collect();
        assert!(
            left.is_empty() && gone.is_empty(),
            "the emulator does not hold what it held before: left behind {left:?}, gone {gone:?}"
        );
    }
}

/// One entry of the test bed's call log.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Call {
    pub seq: u64,
    /// The service the call was signed for (`ec2`, `elasticloadbalancing`, `s3`, …).
    #[serde(default)]
    pub service: String,
    /// Its protocol: `ec2`, `query`, `json`, `rest-xml` or `rest-json`.
    #[serde(default)]
    pub protocol: String,
    /// The API operation (`CreateVpc`, `GetBucketTagging`), whatever the protocol.
    pub operation: String,
    /// When the call arrived (seconds since the epoch).
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub ids: Vec<String>,
    /// The `strata:name` tag a create call set: which resource of the stack it made.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub fault: Option<String>,
    #[serde(default)]
    pub ms: f64,
    #[serde(default)]
    pub page: Option<u32>,
    /// Ids a describe left out because they were too new.
    #[serde(default)]
    pub hidden: Vec<String>,
    /// Ids a describe showed without tags because they were too new.
    #[serde(default)]
    pub untagged: Vec<String>,
}

impl Call {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Whether an operation changes something (every one but Describe, Get, List, Search and Head).
pub fn mutating(operation: &str) -> bool {
    // As strata's own count (`strata_aws::calls`): S3's `HeadObject` and `HeadBucket` read.
    !["Describe", "Get", "List", "Search", "Head"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// Mutating calls that succeeded in a call log (what `STRATA_FAULT_KILL_AFTER_CALL` counts).
pub fn mutations(log: &[Call]) -> usize {
    log.iter()
        .filter(|c| c.ok() && mutating(&c.operation))
        .count()
}

/// A strata process whose stderr is read line by line as it comes.
pub struct Running {
    pub child: Child,
    lines: Receiver<String>,
    /// What it printed to stderr so far.
    pub stderr: Vec<String>,
}

impl Running {
    /// Starts `cmd` with its stderr piped (its stdout as `cmd` has it).
    pub fn start(cmd: &mut Command) -> Running {
        let mut child = cmd.stderr(Stdio::piped()).spawn().expect("start strata");
        let err = child.stderr.take().expect("stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            lines,
            stderr: Vec::new(),
        }
    }

    /// Waits for a line of stderr holding `text`, each line within `bound`; otherwise kills
    /// strata and fails the test.
    pub fn wait_for(&mut self, text: &str, bound: Duration) {
        while !self.stderr.iter().any(|l| l.contains(text)) {
            match self.lines.recv_timeout(bound) {
                Ok(line) => self.stderr.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no {text:?} on stderr:\n{}", self.stderr.join("\n"));
                }
            }
        }
    }

    /// All of stderr, once strata has exited (the reader ends with the pipe).
    pub fn all_stderr(&mut self) -> String {
        self.stderr.extend(self.lines.iter());
        self.stderr.join("\n")
    }
}

/// A request to the test bed's control API; panics unless it answers 200.
fn http(url: &str, method: &str, path: &str, body: &str) -> String {
    let (head, body) = raw_http(
        url,
        method,
        path,
        &[("Content-Type", "application/json".to_string())],
        body,
    );
    assert!(head.contains(" 200 "), "the test bed answered {head}");
    body
}

/// A minimal HTTP/1.1 exchange with a server on 127.0.0.1: the status line and headers, and the
/// body.
pub fn raw_http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (String, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect to the test bed");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    conn.write_all(request.as_bytes())
        .expect("send to the test bed");
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .expect("read the test bed's answer");
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .expect("an HTTP answer from the test bed");
    (head.to_string(), body.to_string())
}

/// One scenario of RELIABILITY.md, as one test runs it. Start it before the test does anything;
/// call [`Scenario::pass`] with what it measured once every assertion held. A scenario dropped
/// without `pass` (a failed assertion, a panic, an early return) is recorded as failed.
///
/// Results go to `$STRATA_RESULTS_DIR/reliability/` (one JSON file per scenario), which
/// `scripts/test` empties before the run and turns into RELIABILITY.md's table afterwards
/// (`tests/report.py`): only scenarios that ran appear, each passed or failed, and a row whose
/// scenario no test produced fails the run. Without `STRATA_RESULTS_DIR` (one test run by
/// hand) nothing is written.
pub struct Scenario {
    name: String,
    how: String,
    passed: bool,
}

impl Scenario {
    /// `name` is the row's first cell; `how` says what the test does (it may be refined with
    /// [`Scenario::how`] once the test knows, e.g., how many points it covers).
    pub fn start(name: impl Into<String>, how: impl Into<String>) -> Scenario {
        Scenario {
            name: name.into(),
            how: how.into(),
            passed: false,
        }
    }

    /// Replaces the description of how the scenario is tested.
    pub fn how(&mut self, how: impl Into<String>) {
        self.how = how.into();
    }

    /// Every assertion held: records the result, which must state what was measured.
    pub fn pass(mut self, result: impl Into<String>) {
        self.passed = true;
        self.write(true, &result.into());
    }

    fn write(&self, passed: bool, result: &str) {
        let Some(dir) = std::env::var_os("STRATA_RESULTS_DIR") else {
            return;
        };
        let dir = PathBuf::from(dir).join("reliability");
        let _ = std::fs::create_dir_all(&dir);
        let file: String = self
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let body = serde_json::json!({
            "scenario": self.name,
            "how": self.how,
            "passed": passed,
            "result": result,
            "testbed": if strict() { "strict" } else { "plain" },
        });
        // A scenario recorded twice in one run (two passes) keeps each record.
        let mut path = dir.join(format!("{file}.json"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{file}.{n}.json"));
        }
        std::fs::write(&path, body.to_string()).expect("write the scenario's result");
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        if !self.passed {
            let why = if std::thread::panicking() {
                "FAILED: an assertion did not hold (see the test's output)"
            } else {
                "FAILED: the test ended without reporting a result"
            };
            self.write(false, why);
        }
    }
}
