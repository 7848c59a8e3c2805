//! Validated settings, built from the raw arguments once parsing is over (ripgrep's
//! low-level/high-level split): paths resolved, variables split, colours decided.

use std::path::PathBuf;
use std::time::Duration;

use strata_model::VarInputs;

use crate::args::Global;
use crate::fail::Failure;

#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub lockfile: PathBuf,
    /// Whether `--lockfile` named it (else it is strata.lock beside the documents).
    pub lockfile_given: bool,
    pub vars: VarInputs,
    pub region: Option<String>,
    /// Every `--region` given (`sweep --expired` looks in each; other commands take one).
    pub regions: Vec<String>,
    /// `--allow-unknown-region`.
    pub allow_unknown_region: bool,
    pub aws: strata_aws::AwsSettings,
    /// Colours on stdout.
    pub color_out: bool,
    /// Colours and spinners on stderr.
    pub color_err: bool,
    pub verbose: u8,
    pub quiet: bool,
    /// How long to read again while what was just created does not show yet
    /// (`STRATA_PENDING_RECHECK_SECS`, default 10 s).
    pub pending_recheck: Duration,
    /// `--state s3://…` (`STRATA_STATE`): the state on S3 instead of the local lockfile.
    pub state: Option<strata_aws::state::StateUrl>,
    /// `--lock-timeout`: how long to wait for a lock another run holds.
    pub lock_timeout: Duration,
    /// How long a lock on S3 lasts without a renewal (`STRATA_LOCK_LEASE`, e.g. `60s`).
    pub lock_lease: Duration,
    /// The CI job running strata, when the environment names one (recorded in a lock on S3).
    pub ci_job: Option<String>,
    /// Who runs strata (`USER`), recorded in a lock on S3.
    pub user: String,
}

/// The default of [`Settings::pending_recheck`].
const PENDING_RECHECK: Duration = Duration::from_secs(10);

/// The default of [`Settings::lock_lease`].
const LOCK_LEASE: Duration = Duration::from_secs(60);

impl Settings {
    /// What loading the documents needs of the run: its `--region`, `--allow-unknown-region`.
    pub fn load_options(&self) -> strata_model::LoadOptions {
        strata_model::LoadOptions {
            region: self.region.clone(),
            allow_unknown_region: self.allow_unknown_region,
        }
    }

    /// Defaults, for reporting errors that happen before the real settings exist.
    pub fn minimal() -> Settings {
        Settings {
            file: PathBuf::from("."),
            lockfile: PathBuf::from("strata.lock"),
            lockfile_given: false,
            vars: VarInputs::default(),
            region: None,
            regions: Vec::new(),
            allow_unknown_region: false,
            aws: strata_aws::AwsSettings::default(),
            color_out: false,
            color_err: false,
            verbose: 0,
            quiet: false,
            pending_recheck: PENDING_RECHECK,
            state: None,
            lock_timeout: Duration::ZERO,
            lock_lease: LOCK_LEASE,
            ci_job: None,
            user: String::new(),
        }
    }

    pub fn from_args(g: &Global) -> Result<Settings, Failure> {
        let mut cli = Vec::new();
        // The values may be secrets: a malformed --var is described by its position, never
        // echoed.
        for (i, v) in g.vars.iter().enumerate() {
            let nth = i + 1;
            let Some((name, value)) = v.split_once('=') else {
                return Err(Failure::new(format!(
                    "--var number {nth} has no `=`: it must be NAME=VALUE"
                ))
                .help("write it as --var cidr=10.0.0.0/16"));
            };
            if name.is_empty() {
                return Err(
                    Failure::new(format!("--var number {nth} has no name before its `=`"))
                        .help("write it as --var cidr=10.0.0.0/16"),
                );
            }
            cli.push((name.to_string(), value.to_string()));
        }
        let given = match &g.lockfile {
            Some(p) => p.clone(),
            None => {
                let dir = if g.file.is_dir() {
                    g.file.clone()
                } else {
                    g.file
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map_or_else(|| PathBuf::from("."), PathBuf::from)
                };
                dir.join("strata.lock")
            }
        };
        // A symlinked lockfile: everything happens beside the file it points to, so the link
        // and the target take one lock, and the link stays a link.
        let lockfile = strata_engine::lockfile::resolve_path(&given).map_err(|e| {
            Failure::new(format!(
                "cannot follow the lockfile {}: {e}",
                given.display()
            ))
            .help("point --lockfile at the file itself, or fix the symbolic link")
        })?;
        let no_color = g.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ok(Settings {
            file: g.file.clone(),
            lockfile,
            lockfile_given: g.lockfile.is_some(),
            vars: VarInputs {
                cli,
                files: g.var_files.clone(),
                env: Vec::new(),
            }
            .with_process_env(),
            region: g.region.first().cloned(),
            regions: g.region.clone(),
            allow_unknown_region: g.allow_unknown_region,
            aws: aws_settings(g)?,
            color_out: !no_color && crate::ui::stdout_is_terminal(),
            color_err: !no_color && crate::ui::stderr_is_terminal(),
            verbose: g.verbose,
            quiet: g.quiet,
            pending_recheck: env_number("STRATA_PENDING_RECHECK_SECS")
                .map_or(PENDING_RECHECK, Duration::from_secs),
            state: state_url(g)?,
            lock_timeout: g.lock_timeout,
            lock_lease: lock_lease()?,
            ci_job: ci_job(),
            user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown-user".to_string()),
        })
    }
}

/// The AWS settings: the flags, and every `STRATA_*` knob of the AWS provider, read here once
/// (nothing in strata-aws reads the environment).
fn aws_settings(g: &Global) -> Result<strata_aws::AwsSettings, Failure> {
    let d = strata_aws::AwsSettings::default();
    let rate = std::env::var("STRATA_AWS_REQUEST_RATE").ok();
    let request_rate = strata_aws::budget::RequestRate::from_setting(rate.as_deref(), g.local)
        .map_err(|e| {
            Failure::new(e)
                .help("write it as `read=20/100,write=5/200` (per second / burst), or `off`")
        })?;
    Ok(strata_aws::AwsSettings {
        region: None,
        profile: g.profile.clone(),
        endpoint_url: endpoint(g)?,
        local: g.local,
        request_rate,
        max_attempts: env_number("STRATA_AWS_MAX_ATTEMPTS").unwrap_or(d.max_attempts),
        attempt_timeout: env_number("STRATA_AWS_ATTEMPT_TIMEOUT_SECS").map(Duration::from_secs),
        page_size: env_number("STRATA_AWS_PAGE_SIZE").unwrap_or(d.page_size),
        max_wait: env_number("STRATA_MAX_WAIT_SECS").map_or(d.max_wait, Duration::from_secs),
        create_lookup: env_number("STRATA_CREATE_LOOKUP_SECS")
            .map_or(d.create_lookup, Duration::from_secs),
        kill_after_call: env_number(strata_aws::calls::KILL_AFTER_ENV),
    })
}

/// A number from the environment; unset or not a number is `None` (the default applies).
fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The endpoint to send requests to: `--endpoint-url`, else with `--local` the emulator's
/// (`STRATA_LOCAL_ENDPOINT` or the default), checked here so that a malformed one is an error
/// rather than a crash deep in the SDK. `AWS_ENDPOINT_URL` is the SDK's own setting.
fn endpoint(g: &Global) -> Result<Option<String>, Failure> {
    let (url, origin) = match (&g.endpoint_url, g.local) {
        (Some(u), _) => (u.clone(), "--endpoint-url"),
        (None, true) => (
            std::env::var("STRATA_LOCAL_ENDPOINT")
                .unwrap_or_else(|_| strata_aws::config::LOCAL_ENDPOINT.to_string()),
            "STRATA_LOCAL_ENDPOINT",
        ),
        (None, false) => return Ok(None),
    };
    strata_aws::config::check_endpoint(&url).map_err(|why| {
        Failure::new(format!("{origin}: {why}"))
            .help("give a URL such as http://127.0.0.1:5055 (the emulator) or https://ec2.us-east-1.amazonaws.com")
    })?;
    Ok(Some(url))
}

/// `--state` / `STRATA_STATE`, parsed.
fn state_url(g: &Global) -> Result<Option<strata_aws::state::StateUrl>, Failure> {
    let Some(url) = g.state.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    strata_aws::state::StateUrl::parse(url)
        .map(Some)
        .map_err(|why| {
            Failure::new(format!("--state: {why}"))
                .help("give it as s3://BUCKET/PREFIX, e.g. s3://acme-strata-state/prod")
        })
}

/// `STRATA_LOCK_LEASE`: a duration (`90s`, `2m`) or a number of seconds.
fn lock_lease() -> Result<Duration, Failure> {
    let Ok(v) = std::env::var("STRATA_LOCK_LEASE") else {
        return Ok(LOCK_LEASE);
    };
    let v = v.trim();
    let d = v
        .parse::<u64>()
        .map(Duration::from_secs)
        .or_else(|_| humantime::parse_duration(v))
        .map_err(|_| {
            Failure::new(format!("STRATA_LOCK_LEASE `{v}` is not a duration"))
                .help("give it as 60s, 2m or a number of seconds")
        })?;
    if d < Duration::from_secs(1) {
        return Err(Failure::new("STRATA_LOCK_LEASE is shorter than a second")
            .help("a lease is renewed every third of it: give at least 1s (default 60s)"));
    }
    Ok(d)
}

/// The CI job's page: GitHub Actions' run, or GitLab's `CI_JOB_URL`.
fn ci_job() -> Option<String> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    if let (Some(server), Some(repo), Some(run)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        return Some(format!("{server}/{repo}/actions/runs/{run}"));
    }
    var("CI_JOB_URL")
}
