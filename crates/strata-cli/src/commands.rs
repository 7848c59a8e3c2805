//! The commands. Each returns the exit code, or a [`Failure`] to report.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use strata_engine::desired::Desired;
use strata_engine::exec::{self, Cancel, ExecOptions, Outcome};
use strata_engine::lockfile::{self, Lockfile};
use strata_engine::plan::{self, Mode, PLAN_FORMAT_VERSION, Plan, PlanInput};
use strata_engine::provider::LiveResource;
use strata_engine::render::{self, Style};
use strata_engine::secret::Secrets;
use strata_engine::{cost, read, resume};
use strata_model::Loaded;

use crate::args::{
    ApplyArgs, DestroyArgs, GraphFormat, PlanArgs, PlanFormat, StateCommand, WaitArgs,
};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::store::{self, Store};
use crate::{events, expiry, signals, ui};

/// Loads and validates the documents, printing every diagnostic on failure.
pub fn load(s: &Settings) -> Result<Loaded, Failure> {
    strata_model::load_with(&s.file, &s.vars, &s.load_options())
        .map_err(|e| {
            ui::err(&strata_model::diag::render(
                &e.diagnostics,
                &e.sources,
                s.color_err,
                ui::stderr_width(),
            ));
            let n = e.diagnostics.len();
            ui::error(
                s,
                &format!(
                    "{n} problem{} in the documents",
                    if n == 1 { "" } else { "s" }
                ),
                None,
            );
            Failure::reported(1)
        })
        .inspect(|loaded| {
            secrets_of(loaded);
        })
}

pub fn validate(s: &Settings, json: bool) -> Result<ExitCode, Failure> {
    match strata_model::load_with(&s.file, &s.vars, &s.load_options()) {
        Ok(l) => {
            if json {
                ui::outln("[]");
            } else {
                ui::note(
                    s,
                    &format!(
                        "The documents are valid: stack {} with {} resource{}.",
                        l.stack.name,
                        l.stack.resources.len(),
                        if l.stack.resources.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if json => {
            let out = strata_model::diag::to_json(&e.diagnostics, &e.sources);
            ui::outln(&serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(ExitCode::from(1))
        }
        Err(_) => load(s).map(|_| ExitCode::SUCCESS),
    }
}

/// The region: the documents', else --region, else the SDK's chain (AWS_REGION, profile).
pub fn decide_region(s: &Settings, loaded: &Loaded) -> Result<Option<String>, Failure> {
    match (&loaded.stack.region, &s.region) {
        (Some(doc), Some(cli)) if doc.value != *cli => Err(Failure::new(format!(
            "the documents say region `{}`, but --region says `{cli}`",
            doc.value
        ))
        .help("remove one of them; a stack lives in one region")),
        (Some(doc), _) => Ok(Some(doc.value.clone())),
        (None, cli) => Ok(cli.clone()),
    }
}

/// An AWS connection for a region.
pub struct Cloud {
    pub provider: strata_aws::AwsProvider,
    pub region: String,
}

/// Connects: the profile named is defined, a region is set, and the credentials resolve (all
/// checked before the first call, so that a run without them fails at once, saying why).
pub async fn connect(s: &Settings, region: Option<String>) -> Result<Cloud, Failure> {
    let mut aws = s.aws.clone();
    aws.region = region;
    let profile = aws.profile.as_deref();
    if !aws.local {
        strata_aws::credentials::check_profile(profile)
            .await
            .map_err(|e| Failure::provider(None, &e))?;
    }
    let sdk = strata_aws::config::sdk_config(&aws).await;
    let region = match sdk.region() {
        Some(r) => r.to_string(),
        None => {
            return Err(Failure::new("no AWS region is set")
                .help("add `region:` to the documents, pass --region, or set AWS_REGION"));
        }
    };
    if !aws.local {
        strata_aws::credentials::check_credentials(&sdk, profile)
            .await
            .map_err(|e| Failure::provider(None, &e))?;
    }
    Ok(Cloud {
        provider: strata_aws::connect(&sdk, &region, &s.aws),
        region,
    })
}

/// Reads the state and checks it belongs to this stack.
pub(crate) fn read_lockfile(store: &Store, stack: &str) -> Result<Option<Lockfile>, Failure> {
    let lf = store.read()?;
    if let Some(l) = &lf
        && l.stack != stack
    {
        return Err(lockfile::LockfileError::WrongStack {
            path: store.describe().into(),
            found: l.stack.clone(),
            expected: stack.to_string(),
        }
        .into());
    }
    Ok(lf)
}

pub(crate) fn provider_failure(e: &strata_engine::provider::ProviderError) -> Failure {
    Failure::provider(Some("reading the live state failed"), e)
}

/// Reads the live state, reading again for a while where what was just created does not show
/// yet (`read::read_settled`).
async fn read_live(
    s: &Settings,
    cloud: &Cloud,
    desired: &Desired,
    lf: Option<&Lockfile>,
) -> Result<Vec<LiveResource>, Failure> {
    let reqs = read::read_requests(desired, lf);
    let mut noted = false;
    read::read_settled(
        &cloud.provider,
        &desired.stack,
        &reqs,
        lf,
        s.pending_recheck,
        || {
            if !noted {
                ui::note(
                    s,
                    "Resources created moments ago are not all visible yet; reading again...",
                );
                noted = true;
            }
        },
    )
    .await
    .map_err(|e| provider_failure(&e))
}

fn report_calls(s: &Settings, cloud: &Cloud) {
    if s.verbose == 0 || s.quiet {
        return;
    }
    let calls = cloud.provider.counter.calls();
    let total: usize = calls.values().sum();
    let list: Vec<String> = calls.iter().map(|(k, v)| format!("{k} {v}")).collect();
    ui::errln(&format!(
        "AWS calls: {total} ({}); {} HTTP attempts",
        list.join(", "),
        cloud.provider.counter.attempts()
    ));
    let waited = cloud.provider.budget_waited_ms();
    if waited > 0 {
        ui::errln(&format!(
            "Waited {:.1} s in total for the request budget (STRATA_AWS_REQUEST_RATE).",
            Duration::from_millis(waited).as_secs_f64()
        ));
    }
}

/// Makes a plan from the documents, the lockfile and the live state, narrowed or forced as
/// `scope` says (`--target`, `--replace`, `--refresh-only`; see [`crate::scoped`]); returns it
/// with the live state it read.
pub(crate) async fn make_plan_scoped(
    s: &Settings,
    loaded: &Loaded,
    cloud: &Cloud,
    lf: Option<&Lockfile>,
    mode: Mode,
    adopt_foreign: bool,
    scope: &plan::Scope,
) -> Result<(Plan, Vec<LiveResource>), Failure> {
    let desired = Desired::from_stack(&loaded.stack, &cloud.region);
    if let Some(l) = lf
        && l.region != cloud.region
    {
        return Err(Failure::new(format!(
            "the lockfile was written for region {}, but this run uses {}",
            l.region, cloud.region
        ))
        .help(
            "use the same region as before, or a separate lockfile (--lockfile) for the new region",
        ));
    }
    crate::scoped::check_names(scope, &desired, lf)?;
    let live = read_live(s, cloud, &desired, lf).await?;
    let plan_id = uuid_v4();
    let input = PlanInput {
        desired: &desired,
        lockfile: lf,
        live: &live,
        mode,
        plan_id: &plan_id,
        adopt_foreign,
    };
    let mut p = plan::plan_scoped(input, scope).map_err(|e| {
        let help = match &e {
            plan::PlanError::PreventDestroy { .. } => {
                "set `lifecycle: {prevent_destroy: false}` on it and apply, then try again"
                    .to_string()
            }
            plan::PlanError::KindChanged { .. } => {
                "give the new resource another name, so the old one is deleted and the new one created"
                    .to_string()
            }
            plan::PlanError::Foreign(f) => foreign_help(s, f),
            plan::PlanError::ReplaceConflict { .. } | plan::PlanError::DeletionProtected { .. } => {
                e.help().unwrap_or_default()
            }
        };
        Failure::new(e.to_string()).help(help)
    })?;
    secrets_of(loaded).seal(&mut p, lf);
    Ok((p, live))
}

/// The way out when another lockfile's resources carry the stack's tags.
fn foreign_help(s: &Settings, f: &plan::Foreign) -> String {
    let take_over = "the plan then adopts those the documents name and deletes the rest";
    match f.lineage {
        Some(_) => format!(
            "strata neither deletes nor adopts them: another lockfile owns stack `{}` (another \
             directory with the same `stack:` name, or a lockfile that was replaced), or they \
             were tagged by hand. If another directory manages this stack, give one of them \
             another `stack:` name. To make {} their owner, run the command again with \
             --adopt-foreign: {take_over}.",
            f.stack,
            s.lockfile.display()
        ),
        None => format!(
            "there is no lockfile at {}. If this stack's lockfile was lost, run the command \
             again with --adopt-foreign to take its resources back: {take_over}. If another \
             directory manages stack `{}`, give this one another `stack:` name, or point \
             --lockfile at that directory's lockfile.",
            s.lockfile.display(),
            f.stack
        ),
    }
}

/// The sensitive variables' values, which from now on are masked in everything printed.
pub(crate) fn secrets_of(loaded: &Loaded) -> Secrets {
    let secrets = Secrets::new(loaded.stack.secrets());
    ui::set_secrets(secrets.clone());
    secrets
}

/// The values a saved plan left out: its sensitive variables, from the documents' variables
/// (with `--var`, `--var-file` and `STRATA_VAR_*`), which must give every one.
fn secrets_for(s: &Settings, p: &Plan) -> Result<Secrets, Failure> {
    if p.sensitive_variables.is_empty() {
        return Ok(Secrets::default());
    }
    let names = p.sensitive_variables.join(", ");
    let loaded = load(s).map_err(|f| {
        f.help(format!(
            "the saved plan leaves out the sensitive variable(s) {names}: apply it from the \
             stack's directory, giving them as for `strata plan`"
        ))
    })?;
    let secrets = secrets_of(&loaded);
    let missing: Vec<&str> = p
        .sensitive_variables
        .iter()
        .map(String::as_str)
        .filter(|n| secrets.value_of(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Failure::new(format!(
            "the saved plan needs the sensitive variable(s) {} and this run has no value for them",
            missing.join(", ")
        ))
        .help(
            "give them with --var NAME=VALUE, --var-file or STRATA_VAR_NAME, as for `strata plan`",
        ));
    }
    Ok(secrets)
}

fn uuid_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn style_out(s: &Settings) -> Style {
    Style { color: s.color_out }
}

pub async fn plan_cmd(s: &Settings, args: &PlanArgs) -> Result<ExitCode, Failure> {
    let loaded = load(s)?;
    let region = decide_region(s, &loaded)?;
    let cloud = connect(s, region).await?;
    let url = store::url_of(s, &loaded)?;
    let store = store::open_at(
        s,
        url.as_ref(),
        &loaded.stack.name.value,
        Some(cloud.region.clone()),
    )
    .await?;
    let lf = read_lockfile(&store, &loaded.stack.name.value)?;
    let mode = if args.destroy {
        Mode::Destroy
    } else {
        Mode::Apply
    };
    let scope = args.scope.scope();
    let (mut p, _) = make_plan_scoped(
        s,
        &loaded,
        &cloud,
        lf.as_ref(),
        mode,
        args.adopt_foreign,
        &scope,
    )
    .await?;
    // A saved plan is applied to the state it was made against.
    p.state = url.as_ref().map(ToString::to_string);
    report_calls(s, &cloud);
    // A partial plan's cost would be a guess.
    let cost = p
        .scope
        .is_empty()
        .then(|| cost_line(&loaded, lf.as_ref(), &p));
    match (args.format(), cost) {
        (PlanFormat::Text, Some(line)) => {
            print_plan(s, &p, PlanFormat::Text);
            ui::note(s, &line);
        }
        // The cost closes the Markdown comment, within its limit.
        (PlanFormat::Markdown, Some(line)) => {
            let limit = render::COMMENT_LIMIT.saturating_sub(line.len() + 2);
            ui::out(&render::render_markdown(&p, limit));
            ui::out(&format!("\n{line}\n"));
        }
        (format, _) => print_plan(s, &p, format),
    }
    if let Some(out) = &args.out {
        write_plan_file(out, &p)?;
        if args.format() != PlanFormat::Json {
            ui::note(
                s,
                &format!(
                    "\nSaved the plan to {}. Apply exactly this plan with: strata apply {}",
                    out.display(),
                    out.display()
                ),
            );
        }
    }
    if args.detailed_exitcode && p.has_changes() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a plan in the form asked for.
fn print_plan(s: &Settings, p: &Plan, format: PlanFormat) {
    match format {
        // With a targeted plan's warning, and a refresh shown as the values it records.
        PlanFormat::Text => crate::scoped::print_plan(s, p),
        PlanFormat::Json => {
            ui::out(&render::render_json(p));
            crate::scoped::warn_partial(s, p);
        }
        PlanFormat::Markdown => {
            ui::out(&render::render_markdown(p, render::COMMENT_LIMIT));
            crate::scoped::warn_partial(s, p);
        }
    }
}

/// `strata show PLAN_FILE`: a saved plan, printed without calling AWS.
pub fn show_cmd(s: &Settings, file: &Path, format: PlanFormat) -> Result<ExitCode, Failure> {
    let p = read_plan_file(file)?;
    print_plan(s, &p, format);
    Ok(ExitCode::SUCCESS)
}

/// Before a run's changes: the plan as the terminal shows it, or the `--json` stream's first
/// events.
fn announce(s: &Settings, p: &Plan, command: &str) {
    if events::on() {
        events::start(command, &p.stack, &p.region);
        events::plan(p);
        crate::scoped::warn_partial(s, p);
    } else {
        crate::scoped::print_plan(s, p);
    }
}

/// Writes a saved plan readable only by its owner, like the lockfile (it names the stack's
/// resources and settings; its secrets are placeholders).
fn write_plan_file(path: &Path, p: &Plan) -> Result<(), Failure> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path)?;
        // A file that was there before keeps its mode when opened: make it private too.
        #[cfg(unix)]
        if f.metadata()?.is_file() {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(render::render_json(p).as_bytes())?;
        f.flush()
    };
    write().map_err(|e| Failure::new(format!("cannot write the plan to {}: {e}", path.display())))
}

fn read_plan_file(path: &Path) -> Result<Plan, Failure> {
    let bytes = strata_model::input::read_bounded(path, strata_model::input::PLAN_FILE)
        .map_err(|e| Failure::new(format!("cannot read the plan: {e}")).help(e.help()))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(format!("{} is not a strata plan: {e}", path.display()))
            .help("save a plan with `strata plan --out FILE`")
    })?;
    match v.get("format_version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(PLAN_FORMAT_VERSION) => {}
        Some(n) => {
            return Err(Failure::new(format!(
                "{} has plan format {n}; this strata reads format {PLAN_FORMAT_VERSION}",
                path.display()
            ))
            .help("make the plan again with this strata version"));
        }
        None => {
            return Err(
                Failure::new(format!("{} is not a strata plan", path.display()))
                    .help("save a plan with `strata plan --out FILE`"),
            );
        }
    }
    serde_json::from_value(v).map_err(|e| {
        Failure::new(format!(
            "{} is not a valid strata plan: {e}",
            path.display()
        ))
    })
}

/// Refuses a saved plan made against another lockfile state (Terraform's stale-plan rule).
fn check_fresh(p: &Plan, lf: Option<&Lockfile>) -> Result<(), Failure> {
    let stale = |why: String| {
        Failure::new(format!("the saved plan is stale: {why}"))
            .help("make a new plan with `strata plan --out FILE` and review it")
    };
    match (&p.lockfile, lf) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(stale(
            "a lockfile was created since the plan was made".into(),
        )),
        (Some(_), None) => Err(stale("the lockfile it was made against is gone".into())),
        (Some(r), Some(l)) if r.lineage != l.lineage => Err(stale(
            "the lockfile has another lineage (it is not the same state)".into(),
        )),
        (Some(r), Some(l)) if r.serial != l.serial => Err(stale(format!(
            "the lockfile changed since (serial {} then, {} now)",
            r.serial, l.serial
        ))),
        _ => Ok(()),
    }
}

/// A saved plan whose apply stopped part-way: resumed only if the lockfile is the one that
/// apply left and the live state is as the plan expects (see `strata_engine::resume`).
async fn check_resume(s: &Settings, cloud: &Cloud, p: &Plan, lf: &Lockfile) -> Result<(), Failure> {
    if p.lockfile.as_ref().is_some_and(|r| r.lineage != lf.lineage) {
        return check_fresh(p, Some(lf));
    }
    let reqs = read::plan_requests(p, lf);
    let live = read::read_live(&cloud.provider, &p.stack, &reqs, Some(lf))
        .await
        .map_err(|e| provider_failure(&e))?;
    resume::check(p, lf, &live).map_err(|e| {
        Failure::new(format!("the saved plan cannot be resumed: {e}"))
            .help("make a new plan with `strata plan --out FILE` and review it")
    })?;
    let done = lf.last_apply.as_ref().map_or(0, |r| r.completed.len());
    ui::note(
        s,
        &format!(
            "Resuming the saved plan: {done} operation(s) done by its earlier apply are not repeated."
        ),
    );
    Ok(())
}

/// How to run a plan.
struct RunOpts<'a> {
    parallelism: u16,
    timings: Option<&'a Path>,
    secrets: Secrets,
    /// Wait until new resources are usable (`--no-wait` clears it).
    wait: bool,
    /// The stack's expiry (`apply --ttl`).
    expires: Option<String>,
}

async fn run_plan(
    s: &Settings,
    cloud: &Cloud,
    p: &Plan,
    lf: Option<Lockfile>,
    store: &Store,
    run: RunOpts<'_>,
) -> Result<ExitCode, Failure> {
    if let Err(code) = signals::start_changes() {
        return Err(signals::stopped_before_changes(s, code));
    }
    let lf = lf.unwrap_or_else(|| Lockfile::new(&p.stack, &p.region));
    let opts = ExecOptions {
        parallelism: usize::from(run.parallelism),
        grace: Duration::from_secs(5),
        lockfile_path: s.lockfile.clone(),
        remote: store.remote(),
        secrets: run.secrets,
        wait: run.wait,
        expires: run.expires.clone(),
    };
    let started = std::time::Instant::now();
    let provider: Arc<dyn strata_engine::provider::Provider> = Arc::new(cloud.provider.clone());
    let outcome = if events::on() {
        let mut stream = events::JsonEvents::default();
        exec::execute(p, provider, lf, &opts, signals::receiver(), &mut stream).await?
    } else {
        let mut progress = ui::Progress::new(s);
        exec::execute(p, provider, lf, &opts, signals::receiver(), &mut progress).await?
    };
    report_calls(s, cloud);
    if events::on() {
        events::summary(p, &outcome, started.elapsed());
    }
    if let Some(path) = run.timings {
        write_timings(s, path, &outcome, run.parallelism, started.elapsed())?;
    }
    if let Some(expires) = &run.expires
        && outcome.success()
    {
        expiry::move_expiry(s, cloud, &outcome.lockfile, expires).await;
    }
    finish(s, p, &outcome)
}

/// `--timings FILE`: every operation's start and end, and the critical path (the longest
/// chain of operations by duration, which no parallelism can beat).
fn write_timings(
    s: &Settings,
    path: &Path,
    o: &Outcome,
    parallelism: u16,
    wall: Duration,
) -> Result<(), Failure> {
    let (critical_ms, chain) = exec::critical_path(&o.timings);
    let (critical_calls, call_chain) = exec::critical_calls(&o.timings);
    let wall_ms = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX);
    let doc = serde_json::json!({
        "parallelism": parallelism,
        "wall_ms": wall_ms,
        "critical_path_ms": critical_ms,
        "critical_path": chain,
        "critical_path_calls": critical_calls,
        "critical_calls_path": call_chain,
        "operations": o.timings,
    });
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap_or_default()).map_err(|e| {
        Failure::new(format!(
            "cannot write the timings to {}: {e}",
            path.display()
        ))
    })?;
    ui::note(
        s,
        &format!(
            "Timings in {}: the run took {:.1} s; its critical path ({} operations) {:.1} s.",
            path.display(),
            wall.as_secs_f64(),
            chain.len(),
            Duration::from_millis(critical_ms).as_secs_f64()
        ),
    );
    Ok(())
}

fn finish(s: &Settings, p: &Plan, o: &Outcome) -> Result<ExitCode, Failure> {
    if o.success() {
        let sum = &p.summary;
        let verb = if p.mode == Mode::Destroy {
            "Destroy"
        } else {
            "Apply"
        };
        let mut line = format!(
            "{verb} complete: {} added, {} changed, {} destroyed",
            sum.add, sum.change, sum.destroy
        );
        if sum.adopt > 0 {
            line.push_str(&format!(", {} adopted", sum.adopt));
        }
        line.push('.');
        ui::note(s, &format!("\n{line}"));
        if !o.converging.is_empty() {
            let mut list: Vec<String> = o
                .converging
                .iter()
                .map(|(name, state)| format!("{name} ({state})"))
                .collect();
            list.sort();
            ui::note(
                s,
                &format!(
                    "Still converging: {}. AWS accepted them and is still making them; \
                     `strata wait` returns once they are usable.",
                    list.join(", ")
                ),
            );
        }
        print_outputs(s, &o.lockfile);
        return Ok(ExitCode::SUCCESS);
    }
    for (label, e) in &o.failed {
        ui::error_with_detail(
            s,
            &format!("{} failed: {e}", target_of(p, label)),
            e.help.as_deref(),
            e.detail.as_deref(),
        );
    }
    if !o.skipped.is_empty() {
        ui::note(
            s,
            &format!(
                "{} operation(s) did not run because an operation they depend on failed.",
                o.skipped.len()
            ),
        );
    }
    if let Some(level) = o.cancelled {
        let pending = o.lockfile.pending.len();
        ui::note(
            s,
            &format!(
                "Stopped ({}): {} operation(s) not started{}. The lockfile records everything done; run the same command to continue.",
                if level == Cancel::Abort {
                    "at once"
                } else {
                    "after the operations in flight"
                },
                o.not_started,
                if pending > 0 {
                    format!(", {pending} left in flight and journaled for the next run")
                } else {
                    String::new()
                }
            ),
        );
        return Err(Failure::reported(signals::exit_code().unwrap_or(130)));
    }
    ui::note(
        s,
        &format!(
            "The lockfile ({}) records everything that was done. Fix the cause and run the command again.",
            s.lockfile.display()
        ),
    );
    Err(Failure::reported(1))
}

/// An operation's label with the resource's kind and id: `create public_rt (ec2.route_table)`,
/// `delete vpc (ec2.vpc vpc-0abc)`.
fn target_of(p: &Plan, label: &str) -> String {
    let name = label.split_once(' ').map_or(label, |(_, n)| n);
    match p.actions.iter().find(|a| a.name == name) {
        Some(a) => match &a.id {
            Some(id) if !label.starts_with("create ") => format!("{label} ({} {id})", a.kind),
            _ => format!("{label} ({})", a.kind),
        },
        None => label.to_string(),
    }
}

fn print_outputs(s: &Settings, lf: &Lockfile) {
    // With `--json`, the outputs are in the summary event.
    if lf.outputs.is_empty() || events::on() {
        return;
    }
    ui::outln("\nOutputs:");
    for (name, o) in &lf.outputs {
        let v = if o.sensitive {
            "(sensitive)".to_string()
        } else {
            render::show(&o.value, false)
        };
        ui::outln(&format!("  {name} = {v}"));
    }
    let _ = s;
}

async fn confirm_or_refuse(s: &Settings, auto_approve: bool, what: &str) -> Result<(), Failure> {
    if auto_approve {
        return Ok(());
    }
    if !ui::stdin_is_terminal() {
        return Err(Failure::new(format!(
            "refusing to {what} without confirmation: there is no terminal to ask on"
        ))
        .help("pass --auto-approve, or save a plan with `strata plan --out FILE` and apply that"));
    }
    if !ui::confirm(&format!("\nDo you want to {what}?")).await {
        ui::note(s, "Nothing was changed.");
        return Err(Failure::reported(1));
    }
    Ok(())
}

pub async fn apply_cmd(s: &Settings, args: &ApplyArgs) -> Result<ExitCode, Failure> {
    if args.json {
        events::enable();
    }
    let expires = args.ttl.map(expiry::expires_at);
    if let Some(file) = &args.plan_file {
        crate::scoped::refuse_with_saved_plan(&args.scope)?;
        let p = read_plan_file(file)?;
        crate::scoped::warn_partial(s, &p);
        let url = store::url_of_plan(s, &p)?;
        let mut store = store::open_at(s, url.as_ref(), &p.stack, Some(p.region.clone())).await?;
        let _lock = store.acquire(s, "strata apply").await?;
        let lf = read_lockfile(&store, &p.stack)?;
        let cloud = connect(s, Some(p.region.clone())).await?;
        match &lf {
            Some(l) if resume::is_resumable(&p, l) => check_resume(s, &cloud, &p, l).await?,
            _ => check_fresh(&p, lf.as_ref())?,
        }
        if events::on() {
            events::start("apply", &p.stack, &p.region);
            events::plan(&p);
        }
        if !p.has_changes() {
            ui::note(s, "The saved plan has no changes.");
            events::nothing_to_do(&p);
            return Ok(ExitCode::SUCCESS);
        }
        let secrets = secrets_for(s, &p)?;
        let run = RunOpts {
            parallelism: args.parallelism,
            timings: args.timings.as_deref(),
            secrets,
            wait: !args.no_wait,
            expires: expires.clone(),
        };
        return run_plan(s, &cloud, &p, lf, &store, run).await;
    }
    let loaded = load(s)?;
    // `--ttl` wins over the documents' `lifetime:`.
    let expires = expires.or_else(|| {
        let lifetime = loaded.stack.lifetime.as_ref()?;
        strata_model::stack::parse_lifetime(&lifetime.value).map(expiry::expires_at)
    });
    let region = decide_region(s, &loaded)?;
    let url = store::url_of(s, &loaded)?;
    let mut store =
        store::open_at(s, url.as_ref(), &loaded.stack.name.value, region.clone()).await?;
    let _lock = store.acquire(s, "strata apply").await?;
    let cloud = connect(s, region).await?;
    let mut lf = read_lockfile(&store, &loaded.stack.name.value)?;
    let (p, live) = make_plan_scoped(
        s,
        &loaded,
        &cloud,
        lf.as_ref(),
        Mode::Apply,
        args.adopt_foreign,
        &args.scope.scope(),
    )
    .await?;
    // What this read found is not looked for again if it goes missing (`read::unsettled`); the
    // run below writes the lockfile, with no changes too.
    if let Some(l) = lf.as_mut() {
        read::mark_seen(l, &live);
    }
    announce(s, &p, "apply");
    if let Some(e) = &expires {
        expiry::note(s, e);
    }
    if !p.has_changes() {
        // Still record outputs and refreshed attributes.
        if lf.is_some() {
            let run = RunOpts {
                parallelism: args.parallelism,
                timings: args.timings.as_deref(),
                secrets: secrets_of(&loaded),
                wait: !args.no_wait,
                expires: expires.clone(),
            };
            return run_plan(s, &cloud, &p, lf, &store, run).await;
        }
        events::nothing_to_do(&p);
        return Ok(ExitCode::SUCCESS);
    }
    confirm_or_refuse(s, args.auto_approve, "apply these changes").await?;
    let run = RunOpts {
        parallelism: args.parallelism,
        timings: args.timings.as_deref(),
        secrets: secrets_of(&loaded),
        wait: !args.no_wait,
        expires: expires.clone(),
    };
    run_plan(s, &cloud, &p, lf, &store, run).await
}

pub async fn destroy_cmd(s: &Settings, args: &DestroyArgs) -> Result<ExitCode, Failure> {
    if args.json {
        events::enable();
    }
    let loaded = load(s)?;
    if args.sweep {
        let o = crate::sweep::SweepOpts {
            stack: loaded.stack.name.value.clone(),
            region: decide_region(s, &loaded)?,
            auto_approve: args.auto_approve,
            parallelism: args.parallelism,
            rounds: args.rounds,
            state: store::url_of(s, &loaded)?,
        };
        return crate::sweep::sweep(s, &o).await;
    }
    let region = decide_region(s, &loaded)?;
    let url = store::url_of(s, &loaded)?;
    let mut store =
        store::open_at(s, url.as_ref(), &loaded.stack.name.value, region.clone()).await?;
    let _lock = store.acquire(s, "strata destroy").await?;
    let cloud = connect(s, region).await?;
    let lf = read_lockfile(&store, &loaded.stack.name.value)?;
    let scope = plan::Scope {
        targets: args.targets.clone(),
        ..plan::Scope::default()
    };
    let (p, _) = make_plan_scoped(
        s,
        &loaded,
        &cloud,
        lf.as_ref(),
        Mode::Destroy,
        args.adopt_foreign,
        &scope,
    )
    .await?;
    announce(s, &p, "destroy");
    if !p.has_changes() {
        events::nothing_to_do(&p);
        return Ok(ExitCode::SUCCESS);
    }
    confirm_or_refuse(s, args.auto_approve, "destroy all of these resources").await?;
    let run = RunOpts {
        parallelism: args.parallelism,
        timings: args.timings.as_deref(),
        secrets: secrets_of(&loaded),
        wait: true,
        expires: None,
    };
    run_plan(s, &cloud, &p, lf, &store, run).await
}

/// The documents as desired state, for the commands that call no AWS API (`graph`, `cost`):
/// the region the documents', else --region's, else none.
fn documents_offline(s: &Settings) -> Result<Desired, Failure> {
    let loaded = load(s)?;
    let region = loaded
        .stack
        .region
        .as_ref()
        .map_or_else(|| s.region.clone().unwrap_or_default(), |r| r.value.clone());
    Ok(Desired::from_stack(&loaded.stack, &region))
}

/// `strata cost`: the fixed cost per day of what the documents describe, without calling AWS.
pub fn cost_cmd(s: &Settings, json: bool) -> Result<ExitCode, Failure> {
    let desired = documents_offline(s)?;
    let region = desired.region.clone();
    let estimate = cost::of_desired(&desired);
    if json {
        let doc = serde_json::json!({
            "stack": desired.stack,
            "region": region,
            "prices": {"date": cost::PRICES_DATE, "region": cost::PRICES_REGION,
                       "source": cost::PRICES_SOURCE},
            "per_day": (estimate.per_day() * 100.0).round() / 100.0,
            "resources": estimate.lines,
            "not_included": cost::NOT_INCLUDED,
        });
        ui::outln(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        ui::out(&cost::render_table(&desired.stack, &region, &estimate));
    }
    Ok(ExitCode::SUCCESS)
}

/// The cost line under a plan shown as text or Markdown: after the plan, and the difference
/// from what the lockfile records.
fn cost_line(loaded: &Loaded, lf: Option<&Lockfile>, p: &Plan) -> String {
    let before = lf.map(cost::of_lockfile).unwrap_or_default();
    let after = match p.mode {
        Mode::Apply => cost::of_desired(&Desired::from_stack(&loaded.stack, &p.region)),
        Mode::Destroy => cost::Estimate::default(),
    };
    cost::plan_line(&before, &after, &p.region)
}

pub fn graph_cmd(s: &Settings, format: GraphFormat) -> Result<ExitCode, Failure> {
    let desired = documents_offline(s)?;
    match format {
        GraphFormat::Dot => ui::out(&strata_engine::graph::to_dot(&desired)),
        GraphFormat::Mermaid => ui::out(&strata_engine::graph::to_mermaid(&desired)),
        GraphFormat::Svg => ui::out(&svg(&strata_engine::graph::to_dot(&desired))?),
    }
    Ok(ExitCode::SUCCESS)
}

/// The DOT graph drawn as SVG by Graphviz's `dot`.
fn svg(dot: &str) -> Result<String, Failure> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::new(
                "--format svg needs Graphviz's `dot`, which is not installed (not found on PATH)",
            )
            .help(
                "install Graphviz (`apt install graphviz`, `dnf install graphviz`, `brew install \
                 graphviz`; https://graphviz.org/download/), or print DOT with --format dot and \
                 draw it elsewhere",
            ));
        }
        Err(e) => return Err(Failure::new(format!("cannot run Graphviz's `dot`: {e}"))),
    };
    // `dot` reads all of its input before it writes: writing first cannot block on its output.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| Failure::new(format!("cannot send the graph to `dot`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Failure::new(format!("cannot run Graphviz's `dot`: {e}")))?;
    if !out.status.success() {
        return Err(Failure::new(format!(
            "Graphviz's `dot` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The stack's state, local or on S3 (`--state`, or the documents' `state:`; the stack and
/// region are the documents').
pub(crate) async fn open_store(s: &Settings) -> Result<Store, Failure> {
    if s.state.is_none() && !documents_set_state(s) {
        return Ok(Store::Local(s.lockfile.clone()));
    }
    let loaded = load(s)?;
    let region = decide_region(s, &loaded)?;
    let url = store::url_of(s, &loaded)?;
    store::open_at(s, url.as_ref(), &loaded.stack.name.value, region).await
}

/// Whether the documents, if they load, say where the state is (`state:`); commands that only
/// read the state work without documents.
fn documents_set_state(s: &Settings) -> bool {
    strata_model::load_with(&s.file, &s.vars, &s.load_options())
        .is_ok_and(|l| l.stack.state.is_some())
}

pub(crate) async fn lockfile_or_fail(s: &Settings) -> Result<Lockfile, Failure> {
    let store = open_store(s).await?;
    let what = match store {
        Store::Local(_) => "lockfile",
        Store::S3 { .. } => "state",
    };
    store.read()?.ok_or_else(|| {
        Failure::new(format!("there is no {what} at {}", store.describe()))
            .help("run `strata apply` first, or point --lockfile (or --state) at the stack's state")
    })
}

pub async fn state_cmd(s: &Settings, cmd: &StateCommand) -> Result<ExitCode, Failure> {
    match cmd {
        StateCommand::Pull { out } => return crate::migrate::pull(s, out.as_deref()).await,
        StateCommand::Push { file, force } => {
            return crate::migrate::push(s, file, *force).await;
        }
        StateCommand::Migrate { to } => return crate::migrate::migrate(s, to).await,
        // Changes to the state under the stack's lock.
        StateCommand::Rm { name } => return crate::state_edit::rm(s, name).await,
        StateCommand::Mv { old, new } => return crate::state_edit::mv(s, old, new).await,
        StateCommand::List | StateCommand::Show { .. } => {}
    }
    let lf = lockfile_or_fail(s).await?;
    match cmd {
        StateCommand::List => {
            let w = lf.resources.keys().map(String::len).max().unwrap_or(0);
            let kw = lf
                .resources
                .values()
                .map(|r| r.kind.len())
                .max()
                .unwrap_or(0);
            for (name, r) in &lf.resources {
                ui::outln(&format!("{name:w$}  {:kw$}  {}", r.kind, r.id));
            }
            for d in &lf.deposed {
                ui::outln(&format!(
                    "{:w$}  {:kw$}  {} (deposed)",
                    d.name, d.resource.kind, d.resource.id
                ));
            }
            for p in &lf.pending {
                let op = match p.op {
                    lockfile::PendingKind::Create => "create",
                    lockfile::PendingKind::Update => "update",
                    lockfile::PendingKind::Delete => "delete",
                };
                ui::outln(&format!(
                    "{:w$}  {:kw$}  (interrupted {op} since {})",
                    p.name, p.kind, p.started_at
                ));
            }
        }
        StateCommand::Pull { .. }
        | StateCommand::Push { .. }
        | StateCommand::Migrate { .. }
        | StateCommand::Rm { .. }
        | StateCommand::Mv { .. } => {}
        StateCommand::Show { name } => {
            let Some(r) = lf.resources.get(name) else {
                let names: Vec<&str> = lf.resources.keys().map(String::as_str).collect();
                let help = match strata_model::diag::did_you_mean(name, names.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => "`strata state list` shows the names".to_string(),
                };
                return Err(
                    Failure::new(format!("no resource `{name}` in the lockfile")).help(help),
                );
            };
            let v = serde_json::json!({
                "name": name,
                "kind": r.kind,
                "id": r.id,
                "dependencies": r.dependencies,
                "attributes": r.attributes,
            });
            ui::outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How `strata output` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputForm {
    /// A string as it is, a list or mapping as JSON; every output as `name = value`.
    Plain,
    /// JSON.
    Json,
    /// One output's value as a bare string, refused for a list or mapping.
    Raw,
}

impl OutputForm {
    pub fn of(json: bool, raw: bool) -> OutputForm {
        match (json, raw) {
            (true, _) => OutputForm::Json,
            (false, true) => OutputForm::Raw,
            (false, false) => OutputForm::Plain,
        }
    }
}

pub async fn output_cmd(
    s: &Settings,
    name: Option<&str>,
    form: OutputForm,
) -> Result<ExitCode, Failure> {
    let lf = lockfile_or_fail(s).await?;
    match name {
        Some(n) => {
            let Some(o) = lf.outputs.get(n) else {
                let d = Failure::new(format!("no output `{n}` was recorded"));
                return Err(
                    match strata_model::diag::did_you_mean(n, lf.outputs.keys().map(String::as_str))
                    {
                        Some(m) => d.help(format!("did you mean `{m}`?")),
                        None => d.help("`strata output` lists them; outputs are recorded by apply"),
                    },
                );
            };
            if o.sensitive {
                return Err(Failure::new(format!(
                    "output `{n}` is sensitive and is not stored"
                )));
            }
            ui::outln(&output_value(n, &o.value, form)?);
        }
        None if form == OutputForm::Json => {
            let map: serde_json::Map<String, Value> = lf
                .outputs
                .iter()
                .filter(|(_, o)| !o.sensitive)
                .map(|(k, o)| (k.clone(), o.value.clone()))
                .collect();
            ui::outln(&serde_json::to_string_pretty(&map).unwrap_or_default());
        }
        None => print_outputs(s, &lf),
    }
    Ok(ExitCode::SUCCESS)
}

/// One output's value as `strata output NAME` prints it.
fn output_value(name: &str, v: &Value, form: OutputForm) -> Result<String, Failure> {
    let pretty = || serde_json::to_string_pretty(v).unwrap_or_default();
    match (v, form) {
        (Value::String(text), OutputForm::Plain | OutputForm::Raw) => Ok(text.clone()),
        (Value::Number(_) | Value::Bool(_), OutputForm::Plain | OutputForm::Raw) => {
            Ok(v.to_string())
        }
        (Value::Array(_) | Value::Object(_) | Value::Null, OutputForm::Raw) => {
            let what = match v {
                Value::Array(_) => "a list",
                Value::Object(_) => "a mapping",
                _ => "null",
            };
            Err(Failure::new(format!(
                "output `{name}` is {what}, not one string: --raw cannot print it"
            ))
            .help(format!(
                "`strata output {name}` prints it as JSON; for one item of it, declare an output \
                 of that item"
            )))
        }
        _ => Ok(pretty()),
    }
}

pub async fn force_unlock_cmd(s: &Settings, id: Option<u64>) -> Result<ExitCode, Failure> {
    if let Some(url) = &s.state {
        let loaded = load(s)?;
        let region = decide_region(s, &loaded)?;
        let Some(id) = id else {
            return Err(Failure::new("a lock on S3 is released by its id")
                .help("give the id the \"locked by\" message names: `strata force-unlock ID`"));
        };
        let client = store::client(s, region).await?;
        let stack = &loaded.stack.name.value;
        match strata_aws::state::force_unlock(&client, url, stack, id).await? {
            Some(h) => ui::note(s, &format!("Released the stack lock held by {h}.")),
            None => ui::note(s, "The stack was not locked."),
        }
        return Ok(ExitCode::SUCCESS);
    }
    match lockfile::force_unlock(&s.lockfile)? {
        Some(h) => ui::note(s, &format!("Removed the stack lock held by {h}.")),
        None => ui::note(s, "The stack was not locked."),
    }
    Ok(ExitCode::SUCCESS)
}

/// `strata wait`: reads the stack's recorded resources until none is converging (exit 0), a
/// recorded one is gone (exit 1), or the timeout passes (exit 1 naming what is not usable).
pub async fn wait_cmd(s: &Settings, args: &WaitArgs) -> Result<ExitCode, Failure> {
    let lf = lockfile_or_fail(s).await?;
    let cloud = connect(s, Some(lf.region.clone())).await?;
    let reqs = read::lockfile_requests(&lf);
    let deadline = std::time::Instant::now() + args.timeout;
    let mut delay = Duration::from_secs(1);
    let mut noted = false;
    loop {
        let live = read::read_live(&cloud.provider, &lf.stack, &reqs, Some(&lf))
            .await
            .map_err(|e| provider_failure(&e))?;
        let status = read::convergence(&lf, &live);
        if !status.gone.is_empty() {
            return Err(Failure::new(format!(
                "{} no longer exist: {}",
                status.gone.len(),
                status.gone.join(", ")
            ))
            .help("AWS failed to make them or something deleted them; run `strata apply` to create them again"));
        }
        if status.converging.is_empty() {
            report_calls(s, &cloud);
            ui::note(s, "Every resource of the stack is usable.");
            return Ok(ExitCode::SUCCESS);
        }
        let list: Vec<String> = status
            .converging
            .iter()
            .map(|(name, state)| format!("{name} ({state})"))
            .collect();
        let now = std::time::Instant::now();
        if now >= deadline {
            report_calls(s, &cloud);
            return Err(Failure::new(format!(
                "still converging after {}: {}",
                humantime::format_duration(args.timeout),
                list.join(", ")
            ))
            .help("run `strata wait` again to keep waiting (with a longer --timeout), or look at them in the AWS console"));
        }
        if !noted {
            ui::note(s, &format!("Waiting for {}...", list.join(", ")));
            noted = true;
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}
