//! What a user sees when strata cannot talk to AWS at all: each run-time error produced for
//! real (profile files in a temporary HOME, a loopback port nothing listens on, a host name
//! under `.invalid`, a test bed answering every call as AWS answers a skewed clock or an
//! expired token), printed as a diagnostic with what to do, never an SDK type's `Debug` form,
//! and failing at once where no retry can help. Each run's time is measured into the
//! scenario's result (bounded here only generously: the SDK's retries take minutes).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Scenario, TestBed, stderr};

/// Far below the SDK's retry budget (ten attempts with backoff, over a minute), far above
/// what a busy machine needs to fail at once.
const BOUND: Duration = Duration::from_secs(30);

const DOCUMENTS: &str =
    "stack: errors\nresources:\n  vpc:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n";

/// A working directory with the documents and an empty HOME (no `~/.aws`).
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("stack.yaml"), DOCUMENTS).expect("documents");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        Place { dir }
    }

    fn home(&self) -> std::path::PathBuf {
        self.dir.path().join("home")
    }

    /// Writes `~/.aws/config`.
    fn aws_config(&self, text: &str) {
        let aws = self.home().join(".aws");
        std::fs::create_dir_all(&aws).expect(".aws");
        std::fs::write(aws.join("config"), text).expect("config");
    }

    /// strata with no AWS settings from this process's environment: only `env` and the
    /// temporary HOME.
    fn strata(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
        c.current_dir(self.dir.path())
            .arg("--no-color")
            .args(args)
            .stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k.starts_with("STRATA_") {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.home());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }
}

/// Keys that make the SDK's credential chain succeed at once (never sent anywhere real).
const KEYS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIDSTRATATEST"),
    ("AWS_SECRET_ACCESS_KEY", "not-a-secret"),
];

/// Runs a case: exit 1, within [`BOUND`], no `Debug` dump; returns stderr and the time.
fn fails(name: &str, mut c: Command, home: &Path) -> (String, Duration) {
    let start = Instant::now();
    let out: Output = c.output().expect("run strata");
    let took = start.elapsed();
    let err = stderr(&out).replace(&home.display().to_string(), "[HOME]");
    assert_eq!(out.status.code(), Some(1), "{name}: {err}");
    assert!(took < BOUND, "{name}: took {took:?}:\n{err}");
    for debug in [
        "DispatchFailure(",
        "ConnectorError {",
        "Some(",
        "CredentialsError",
        "source:",
    ] {
        assert!(
            !err.contains(debug),
            "{name}: a Debug form ({debug}):\n{err}"
        );
    }
    assert!(err.contains("help: "), "{name}: no help:\n{err}");
    assert!(
        !err.contains("kept refusing") && !err.contains("kept failing"),
        "{name}: the help of errors a retry may fix:\n{err}"
    );
    eprintln!("{name}: failed in {:.2} s", took.as_secs_f64());
    (err, took)
}

/// Loopback ports in what is printed become `[port]`.
fn snapshot(name: &str, text: &str) {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    s.bind(|| insta::assert_snapshot!(name, text));
}

/// A port on the loopback that nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn run_time_errors_are_diagnostics_and_fail_at_once() {
    let sc = Scenario::start(
        "run-time errors",
        "the binary run without credentials, with an unknown profile (by --profile and by \
         AWS_PROFILE), an SSO profile never logged in, a failing credential_process, an unknown \
         region, an endpoint whose host does not resolve, a refused connection, a TLS handshake \
         with a plain HTTP server, a skewed clock and an expired token (the test bed answering \
         every call so); each a diagnostic with help and no Debug form, snapshot, timed",
    );
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let plan = ["plan", "--region", "us-east-1"];

    // No credentials anywhere.
    let p = Place::new();
    let (err, t) = fails("no credentials", p.strata(&plan, &[]), &p.home());
    snapshot("no_credentials", &err);
    times.push(("no credentials", t));

    // A profile that is not defined, by --profile and by AWS_PROFILE.
    let p = Place::new();
    p.aws_config("[profile dev]\nregion = us-east-1\n[default]\nregion = us-east-1\n");
    let (err, t) = fails(
        "unknown profile",
        p.strata(&["plan", "--profile", "nonexistent"], &[]),
        &p.home(),
    );
    snapshot("unknown_profile", &err);
    times.push(("unknown profile (--profile)", t));
    let (err, t) = fails(
        "unknown profile (AWS_PROFILE)",
        p.strata(&plan, &[("AWS_PROFILE", "nonexistent")]),
        &p.home(),
    );
    assert!(err.contains("`nonexistent` (from AWS_PROFILE)"), "{err}");
    times.push(("unknown profile (AWS_PROFILE)", t));

    // An SSO profile whose login was never made (no cached token).
    let p = Place::new();
    p.aws_config(
        "[profile work]\nsso_start_url = https://strata-test.awsapps.com/start\nsso_region = \
         us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = us-east-1\n",
    );
    let (err, t) = fails(
        "SSO login",
        p.strata(&["plan", "--profile", "work"], &[]),
        &p.home(),
    );
    assert!(err.contains("aws sso login --profile work"), "{err}");
    snapshot("sso_login_needed", &err);
    times.push(("SSO login needed", t));

    // A credential_process that fails, saying why on its standard error.
    let p = Place::new();
    p.aws_config(
        "[profile tool]\nregion = us-east-1\ncredential_process = sh -c \"echo 'vault: not \
         logged in, run vault login' >&2; exit 3\"\n",
    );
    let (err, t) = fails(
        "credential process",
        p.strata(&["plan", "--profile", "tool"], &[]),
        &p.home(),
    );
    assert!(
        err.contains("vault: not logged in, run vault login"),
        "{err}"
    );
    snapshot("credential_process_failed", &err);
    times.push(("credential_process failed", t));

    // A region AWS does not have: refused before any call, with the nearest it has.
    let p = Place::new();
    let (err, t) = fails(
        "unknown region",
        p.strata(&["plan", "--region", "us-east-9"], KEYS),
        &p.home(),
    );
    assert!(
        err.contains("us-east-9") && err.contains("us-east-1"),
        "{err}"
    );
    snapshot("unknown_region_refused", &err);
    times.push(("unknown region (validation)", t));

    // One let through as new (`--allow-unknown-region`): its endpoints' names do not resolve.
    let p = Place::new();
    let (err, t) = fails(
        "unknown region let through",
        p.strata(
            &["plan", "--region", "xx-nowhere-1", "--allow-unknown-region"],
            KEYS,
        ),
        &p.home(),
    );
    assert!(err.contains("xx-nowhere-1"), "{err}");
    snapshot("unknown_region", &err);
    times.push(("unknown region (DNS)", t));

    // An endpoint whose host does not resolve.
    let (err, t) = fails(
        "DNS",
        p.strata(
            &[
                "plan",
                "--region",
                "us-east-1",
                "--endpoint-url",
                "http://strata-test.invalid:5055",
            ],
            KEYS,
        ),
        &p.home(),
    );
    assert!(err.contains("strata-test.invalid"), "{err}");
    snapshot("dns_failure", &err);
    times.push(("host does not resolve", t));

    // Nothing listens at the endpoint.
    let url = format!("http://127.0.0.1:{}", closed_port());
    let (err, t) = fails(
        "refused",
        p.strata(
            &["plan", "--region", "us-east-1", "--endpoint-url", &url],
            KEYS,
        ),
        &p.home(),
    );
    assert!(err.contains("was refused"), "{err}");
    snapshot("connection_refused", &err);
    times.push(("connection refused", t));

    // `-v` shows the underlying chain, as text.
    let (err, _) = fails(
        "refused -v",
        p.strata(
            &[
                "-v",
                "plan",
                "--region",
                "us-east-1",
                "--endpoint-url",
                &url,
            ],
            KEYS,
        ),
        &p.home(),
    );
    assert!(err.contains("cause: "), "{err}");

    // The emulator behind https:// (it speaks plain HTTP): the TLS handshake fails.
    let bed = TestBed::start(serde_json::json!({}));
    let https = bed.url().replace("http://", "https://");
    let (err, t) = fails(
        "TLS",
        p.strata(
            &["plan", "--region", "us-east-1", "--endpoint-url", &https],
            KEYS,
        ),
        &p.home(),
    );
    assert!(err.contains("TLS handshake"), "{err}");
    snapshot("tls_failure", &err);
    times.push(("TLS handshake failed", t));

    // AWS refuses every call: a skewed clock, then an expired token.
    let local = [("STRATA_LOCAL_ENDPOINT", bed.url())];
    for (kind, name) in [
        ("clock-skew", "clock skew"),
        ("expired-token", "expired token"),
    ] {
        bed.configure(serde_json::json!({"faults": {"rate": 1.0, "kinds": [kind]}}));
        let (err, t) = fails(name, p.strata(&["--local", "plan"], &local), &p.home());
        snapshot(&name.replace(' ', "_"), &err);
        times.push((name, t));
    }

    let list: Vec<String> = times
        .iter()
        .map(|(n, t)| format!("{n} {:.2} s", t.as_secs_f64()))
        .collect();
    sc.pass(format!(
        "{} cases, each exit 1 with a diagnostic and help, none within the SDK's retries; \
         time to fail: {}",
        times.len(),
        list.join(", ")
    ));
}
