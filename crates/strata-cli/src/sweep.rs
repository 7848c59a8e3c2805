//! `strata sweep --stack NAME` and `strata destroy --sweep`: delete everything in the region that
//! carries both of the stack's ownership tags (`strata:stack=NAME` and a `strata:name`), whether
//! or not a lockfile records it, in dependency order, in rounds of delete, read again and retry
//! (aws-nuke's loop) until nothing is left or a round makes no progress; then say what is left
//! and why.
//!
//! It reads every kind strata knows (the tagging API's listing where it covers the kind, the
//! kind's own describe by tag elsewhere) and plans a destroy of an empty stack that takes over
//! whatever carries the tags (`--adopt-foreign`), so the planner's delete order and the
//! executor's waits and retries are the ones every destroy uses. A resource without the
//! `strata:name` tag, or whose `strata:stack` is another stack's (`lab-1` for `lab`), is never
//! read as the stack's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use strata_engine::desired::Desired;
use strata_engine::exec::{self, ExecOptions, Outcome};
use strata_engine::lockfile::{self, Lockfile, RemoteState};
use strata_engine::plan::{self, Mode, Plan, PlanInput};
use strata_engine::provider::LiveResource;
use strata_engine::read::{self, KindRead};
use strata_engine::render::{self, Style};
use strata_engine::secret::Secrets;

use crate::commands::{Cloud, connect};
use crate::fail::Failure;
use crate::settings::Settings;
use crate::store::{self, Store};
use crate::{signals, ui};

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct SweepOpts {
    pub stack: String,
    pub region: Option<String>,
    pub auto_approve: bool,
    pub parallelism: u16,
    /// Rounds at most.
    pub rounds: u32,
    /// Where the stack's state is, when on S3 (`--state`, or the documents' `state:`).
    pub state: Option<strata_aws::state::StateUrl>,
}

/// A resource found with the stack's tags: kind and id.
type Found = BTreeSet<(String, String)>;

/// Sweeps the stack; exit 0 when nothing tagged is left (or nothing was found), 1 naming what
/// is left, 0 after a dry run outside a terminal without `--auto-approve`.
pub async fn sweep(s: &Settings, o: &SweepOpts) -> Result<ExitCode, Failure> {
    let cloud = connect(s, o.region.clone()).await?;
    let mut store =
        store::open_at(s, o.state.as_ref(), &o.stack, Some(cloud.region.clone())).await?;
    // The stack's state is used (and locked) when it is there: on S3, or a local lockfile of
    // this stack.
    let ours = match &store {
        Store::S3 { .. } => true,
        Store::Local(path) => lockfile::read(path)?.is_some_and(|l| l.stack == o.stack),
    };
    let _lock = match ours {
        true => Some(store.acquire(s, "strata sweep").await?),
        false => None,
    };
    let own = match ours {
        true => store.read()?.filter(|l| l.stack == o.stack),
        false => None,
    };
    let remote = own.as_ref().and_then(|_| store.remote());
    let scratch = tempfile::tempdir()
        .map_err(|e| Failure::new(format!("cannot make a temporary directory: {e}")))?;
    // Without the stack's own lockfile, the run's record goes to a scratch one: a sweep never
    // writes a lockfile for a stack the directory does not hold.
    let path = match own {
        Some(_) => s.lockfile.clone(),
        None => scratch.path().join("strata.lock"),
    };
    let mut lf = own.unwrap_or_else(|| Lockfile::new(&o.stack, &cloud.region));
    let desired = Desired {
        stack: o.stack.clone(),
        region: cloud.region.clone(),
        resources: BTreeMap::new(),
        outputs: BTreeMap::new(),
    };
    let mut last: Option<Found> = None;
    let mut swept = 0;
    for round in 1..=o.rounds {
        let (p, found) = plan_round(s, &cloud, &desired, &lf).await?;
        if found.is_empty() && !p.has_changes() {
            return Ok(done(s, o, &cloud.region, swept, round));
        }
        if last.as_ref() == Some(&found) {
            return Err(left(s, o, &p, "the last round deleted nothing"));
        }
        if round == 1 {
            ui::out(&render::render_text(&p, Style { color: s.color_out }));
            if !confirmed(s, o).await? {
                return Ok(ExitCode::SUCCESS);
            }
        } else {
            ui::note(
                s,
                &format!(
                    "Round {round}: {} resource(s) still carry the stack's tags.",
                    found.len()
                ),
            );
        }
        let record = Record {
            path: path.clone(),
            remote: remote.clone(),
        };
        let outcome = execute(s, &cloud, &p, lf, &record, o.parallelism).await?;
        swept += outcome.completed;
        if outcome.cancelled.is_some() {
            return Err(Failure::reported(signals::exit_code().unwrap_or(130)));
        }
        report_failures(s, &outcome);
        lf = outcome.lockfile;
        last = Some(found);
    }
    let (p, found) = plan_round(s, &cloud, &desired, &lf).await?;
    if found.is_empty() && !p.has_changes() {
        return Ok(done(s, o, &cloud.region, swept, o.rounds));
    }
    Err(left(
        s,
        o,
        &p,
        &format!("{} rounds did not delete it all", o.rounds),
    ))
}

/// Reads every kind and plans the deletion of what carries the stack's tags.
async fn plan_round(
    s: &Settings,
    cloud: &Cloud,
    desired: &Desired,
    lf: &Lockfile,
) -> Result<(Plan, Found), Failure> {
    let requests = every_kind(lf);
    let live = read::read_settled(
        &cloud.provider,
        &desired.stack,
        &requests,
        Some(lf),
        s.pending_recheck,
        || {},
    )
    .await
    .map_err(|e| Failure::provider(Some("reading the live state failed"), &e))?;
    let found = tagged(&live, &desired.stack);
    let plan_id = uuid::Uuid::new_v4().to_string();
    let p = plan::plan(PlanInput {
        desired,
        lockfile: Some(lf),
        live: &live,
        mode: Mode::Destroy,
        plan_id: &plan_id,
        adopt_foreign: true,
    })
    .map_err(|e| Failure::new(e.to_string()).help(e.help().unwrap_or_default()))?;
    Ok((p, found))
}

/// A read of every kind strata knows, with the ids the lockfile records.
fn every_kind(lf: &Lockfile) -> Vec<KindRead> {
    strata_model::kinds::all()
        .iter()
        .map(|k| {
            let mut ids: Vec<String> = lf
                .resources
                .values()
                .filter(|r| r.kind == k.name)
                .map(|r| r.id.clone())
                .collect();
            ids.sort();
            KindRead {
                kind: k.name.to_string(),
                ids,
                names: None,
            }
        })
        .collect()
}

/// The live resources carrying both of the stack's tags.
fn tagged(live: &[LiveResource], stack: &str) -> Found {
    live.iter()
        .filter(|r| r.stack.as_deref() == Some(stack) && r.name.is_some())
        .map(|r| (r.kind.clone(), r.id.clone()))
        .collect()
}

/// Asks on a terminal; outside one, without `--auto-approve`, a dry run.
async fn confirmed(s: &Settings, o: &SweepOpts) -> Result<bool, Failure> {
    if o.auto_approve {
        return Ok(true);
    }
    if !ui::stdin_is_terminal() {
        ui::note(
            s,
            "Dry run: nothing was deleted (no terminal to confirm on). Pass --auto-approve to \
             delete these resources.",
        );
        return Ok(false);
    }
    if ui::confirm(&format!(
        "\nDelete everything tagged strata:stack={} in this region?",
        o.stack
    ))
    .await
    {
        Ok(true)
    } else {
        ui::note(s, "Nothing was deleted.");
        Ok(false)
    }
}

/// Where a round's deletes are recorded: the stack's state (a local lockfile, or on S3), or a
/// scratch lockfile when the directory holds none of this stack's.
struct Record {
    path: PathBuf,
    remote: Option<Arc<dyn RemoteState>>,
}

async fn execute(
    s: &Settings,
    cloud: &Cloud,
    p: &Plan,
    lf: Lockfile,
    record: &Record,
    parallelism: u16,
) -> Result<Outcome, Failure> {
    if let Err(code) = signals::start_changes() {
        return Err(signals::stopped_before_changes(s, code));
    }
    let opts = ExecOptions {
        parallelism: usize::from(parallelism),
        grace: Duration::from_secs(5),
        lockfile_path: record.path.clone(),
        remote: record.remote.clone(),
        secrets: Secrets::default(),
        wait: true,
        expires: None,
    };
    let provider: Arc<dyn strata_engine::provider::Provider> = Arc::new(cloud.provider.clone());
    let mut progress = ui::Progress::new(s);
    let outcome = exec::execute(p, provider, lf, &opts, signals::receiver(), &mut progress)
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    Ok(outcome)
}

/// A round's failures, as notes: the next round retries them.
fn report_failures(s: &Settings, o: &Outcome) {
    for (label, e) in &o.failed {
        ui::note(
            s,
            &format!("{label} failed: {e}; the next round tries again."),
        );
    }
}

fn done(s: &Settings, o: &SweepOpts, region: &str, swept: usize, rounds: u32) -> ExitCode {
    ui::note(
        s,
        &format!(
            "\nSwept stack {}: {swept} operation(s) in {rounds} round(s); nothing tagged \
             strata:stack={} is left in {region}.",
            o.stack, o.stack
        ),
    );
    ExitCode::SUCCESS
}

/// What is left and why: the resources the last plan would still delete.
fn left(s: &Settings, o: &SweepOpts, p: &Plan, why: &str) -> Failure {
    let list: Vec<String> = p
        .actions
        .iter()
        .filter(|a| a.is_change())
        .map(|a| format!("{} ({} {})", a.name, a.kind, a.id.as_deref().unwrap_or("?")))
        .collect();
    ui::note(
        s,
        &format!(
            "Still tagged strata:stack={}: {}.",
            o.stack,
            list.join(", ")
        ),
    );
    Failure::new(format!(
        "the sweep of stack {} stopped with {} resource(s) left: {why}",
        o.stack,
        list.len()
    ))
    .help(
        "the errors above name what holds them (a resource strata does not manage, such as a \
         network interface or an untagged subnet, or a deletion protection); remove that and \
         run the sweep again",
    )
}
