//! Executing a plan: a bounded, concurrent walk of the operation graph.
//!
//! Like Terraform's `internal/dag` walker with its separate semaphore, and cargo's job queue
//! where only the coordinator talks to the user:
//!
//! * The plan's actions become operations (a replacement is a delete and a create) with edges:
//!   creates and updates after what they depend on; deletes before the deletes of what they
//!   depend on; an update that stops using a resource before that resource's delete (when this
//!   makes no cycle); the two halves of a replacement in the chosen order.
//! * One coordinator loop starts every operation whose dependencies are done, at most
//!   `parallelism` at a time, and is the only writer of the lockfile and the only source of
//!   [`Event`]s: a pending record is journaled before each mutating call, and the lockfile is
//!   written after each one.
//! * A failed operation skips its dependents (reported once, naming the root cause); independent
//!   branches finish.
//! * Cancellation: `Stop` starts nothing new and waits up to the grace period for calls in
//!   flight; `Abort` returns at once. Either way the lockfile on disk is complete, and calls left
//!   in flight stay journaled, to be resolved by the next run.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use petgraph::graph::NodeIndex;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::lockfile::{
    self, ApplyRecord, DeposedResource, Edit, Journal, LockedOutput, LockedResource, Lockfile,
    LockfileError, PendingKind, PendingOp,
};
use crate::plan::{Action, ActionKind, Plan};
use crate::provider::{
    CreateRequest, DeleteRequest, ErrorClass, LiveResource, Note, Progress, Provider,
    ProviderError, UpdateRequest,
};
use crate::secret::Secrets;
use crate::value::{self, Attrs};
use crate::verifier;

mod graph;
mod timings;
pub use graph::{CycleError, Op, OpGraph, Step, op_graph};
pub use timings::{OpTiming, critical_calls, critical_path};

/// How far to go when cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cancel {
    Run,
    /// Start nothing new; let calls in flight finish (up to the grace period).
    Stop,
    /// Return now; calls in flight stay journaled.
    Abort,
}

/// Where an operation is in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpState {
    /// Waiting for the operations it depends on (or for a slot).
    Queued,
    /// Its call is in flight, holding a `--parallelism` slot.
    Running,
    /// AWS accepted its call and it waits for the resource to be usable: no slot held.
    Waiting,
    Done,
    Failed,
    /// Not started because an operation it depends on failed.
    Skipped,
}

impl OpState {
    fn in_flight(self) -> bool {
        matches!(self, OpState::Running | OpState::Waiting)
    }
}

/// Something the user should see; produced only by the coordinator.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        label: String,
    },
    Progress {
        label: String,
        message: String,
        elapsed: Duration,
    },
    Finished {
        label: String,
        id: Option<String>,
        elapsed: Duration,
    },
    Failed {
        label: String,
        error: ProviderError,
    },
    Skipped {
        label: String,
        because: String,
    },
    Stopping {
        in_flight: usize,
    },
}

/// Receives events, on the coordinator's task only.
pub trait Reporter {
    fn event(&mut self, e: &Event);
}

/// Settings for a run.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub parallelism: usize,
    /// How long `Stop` waits for calls in flight.
    pub grace: Duration,
    pub lockfile_path: PathBuf,
    /// The state's store when it is not the local lockfile (`--state s3://…`): the journal
    /// and the snapshot go there, and `lockfile_path` is not written.
    pub remote: Option<std::sync::Arc<dyn crate::lockfile::RemoteState>>,
    /// The sensitive variables' values: `${var.NAME}` in a sealed plan, masked on disk.
    pub secrets: Secrets,
    /// Wait until new resources are usable (`apply --no-wait` clears it): when false, a create
    /// returns once AWS accepted it and the resource is recorded as converging.
    pub wait: bool,
    /// The stack's expiry (`apply --ttl`), tagged on what the run creates and updates.
    pub expires: Option<String>,
}

/// The lockfile's journal, writing with every secret masked.
fn journal(opts: &ExecOptions, lf: &mut Lockfile) -> Result<Journal, LockfileError> {
    let secrets = opts.secrets.clone();
    let mask: Box<dyn Fn(&mut Lockfile) + Send + Sync> = Box::new(move |l: &mut Lockfile| {
        if !secrets.is_empty() {
            *l = secrets.mask_lockfile(l);
        }
    });
    Journal::start_at(&opts.lockfile_path, opts.remote.clone(), lf, mask)
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub completed: usize,
    /// When each operation that ran started and ended (`strata apply --timings`).
    pub timings: Vec<OpTiming>,
    /// Root causes only.
    pub failed: Vec<(String, ProviderError)>,
    pub skipped: Vec<(String, String)>,
    pub not_started: usize,
    pub cancelled: Option<Cancel>,
    /// Resources AWS accepted but is still making (`apply --no-wait`): name and state.
    pub converging: Vec<(String, String)>,
    pub lockfile: Lockfile,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.failed.is_empty() && self.cancelled.is_none() && self.skipped.is_empty()
    }
}

/// The executor could not run or could not save.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Cycle(#[from] CycleError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
}

type Done = (usize, Result<Option<LiveResource>, ProviderError>);

/// Resolves references when an operation starts.
struct Resolver<'a> {
    plan: &'a Plan,
    secrets: &'a Secrets,
    /// Ids of the copies this plan deletes (replaced or removed resources): never the value of
    /// a reference, which waits for the new copy instead.
    deleted_ids: HashSet<String>,
}

impl<'a> Resolver<'a> {
    fn new(plan: &'a Plan, secrets: &'a Secrets) -> Resolver<'a> {
        Resolver {
            plan,
            secrets,
            deleted_ids: plan
                .actions
                .iter()
                .filter(|a| a.deletes())
                .filter_map(|a| a.id.clone())
                .collect(),
        }
    }

    /// Resolves references from what the lockfile records, or, for a resource this plan adopts
    /// and whose adoption has not finished yet, from the copy the plan found (two adopted
    /// security groups that name each other each need the other's id). The old copy of a
    /// resource being replaced is not known: a new resource's rules never name it (it is
    /// about to be deleted).
    fn resolve(&self, desired: &Attrs, lf: &Lockfile) -> (Attrs, Vec<String>) {
        let lookup = |r: &str, a: &str| -> Option<Value> {
            if r == "var" {
                return self
                    .secrets
                    .value_of(a)
                    .map(|v| Value::String(v.to_string()));
            }
            let (id, attrs) = match lf.resources.get(r) {
                Some(res) if self.deleted_ids.contains(&res.id) => return None,
                Some(res) => (&res.id, &res.attributes),
                None => {
                    let found = self
                        .plan
                        .actions
                        .iter()
                        .find(|x| x.name == r && x.action == ActionKind::Adopt)?;
                    (found.id.as_ref()?, found.prior.as_ref()?)
                }
            };
            if a == "id" {
                Some(Value::String(id.clone()))
            } else {
                attrs.get(a).cloned()
            }
        };
        let r = value::resolve(&Value::Object(desired.clone()), &lookup);
        match r.value {
            Value::Object(m) => (m, r.unknown),
            _ => (Attrs::new(), r.unknown),
        }
    }

    /// Removes, from deferred list fields of template-form attributes, entries that hold a
    /// reference to a resource not created yet (applied later by the resource's `finish`
    /// step). Decided on the template form: a resolved value is data (a literal `${var.x}`
    /// written `$${var.x}` stays that text) and is never parsed again.
    fn drop_unresolved(&self, desired: &mut Attrs, deferred: &[&str], lf: &Lockfile) {
        for f in deferred {
            if let Some(Value::Array(items)) = desired.get_mut(*f) {
                items.retain(|v| {
                    let mut one = Attrs::new();
                    one.insert((*f).to_string(), v.clone());
                    // A sensitive variable without a value is an error now, not later.
                    let (_, unknown) = self.resolve(&one, lf);
                    unknown.iter().all(|u| u.starts_with("var."))
                });
            }
        }
    }
}

/// Runs a plan against a provider, journaling to the lockfile at `opts.lockfile_path`.
pub async fn execute(
    plan: &Plan,
    provider: Arc<dyn Provider>,
    lf: Lockfile,
    opts: &ExecOptions,
    mut cancel: watch::Receiver<Cancel>,
    reporter: &mut dyn Reporter,
) -> Result<Outcome, ExecError> {
    let (mut c, mut inbox) = Coordinator::new(plan, provider, lf, opts, reporter)?;
    c.cancel_before_start(*cancel.borrow());
    let mut stop_deadline: Option<tokio::time::Instant> = None;
    loop {
        if c.level == Cancel::Run {
            c.start_ready()?;
        }
        if c.in_flight() == 0 && (c.ready.is_empty() || c.level != Cancel::Run) {
            break;
        }
        tokio::select! {
            Some((i, result)) = inbox.done.recv() => c.on_done(i, result)?,
            Some((i, note)) = inbox.notes.recv() => c.on_note(i, note)?,
            changed = cancel.changed() => {
                if changed.is_err() {
                    // The sender is gone: nobody can cancel any more.
                    continue;
                }
                let new = *cancel.borrow();
                match c.on_cancel(new) {
                    Some(Cancel::Abort) => break,
                    Some(_) => stop_deadline = Some(tokio::time::Instant::now() + opts.grace),
                    None => {}
                }
            }
            _ = async {
                match stop_deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => {
                // Grace period over: leave what is in flight to the journal.
                break;
            }
        }
    }
    c.finish()
}

/// What the operations in flight send the coordinator.
struct Inbox {
    /// Each call's result.
    done: mpsc::UnboundedReceiver<Done>,
    /// Notes during a call (a created id, waiting).
    notes: mpsc::UnboundedReceiver<(usize, Note)>,
}

/// The walk's coordinator: it starts operations and handles their results, notes and
/// cancellation, and is the only writer of the lockfile and the only source of events.
struct Coordinator<'a, 'r> {
    plan: &'a Plan,
    og: OpGraph,
    opts: &'a ExecOptions,
    provider: Arc<dyn Provider>,
    reporter: &'r mut dyn Reporter,
    resolver: Resolver<'a>,
    lf: Lockfile,
    journal: Journal,
    /// How many of each operation's predecessors are not done yet.
    indegree: Vec<usize>,
    /// Operations whose predecessors are all done, not started yet.
    ready: BTreeSet<usize>,
    state: Vec<OpState>,
    /// Actions whose resource this run has changed already (its lockfile record is fresher
    /// than the plan's live read).
    touched: HashSet<usize>,
    /// Actions whose deferred fields a `finish` step applies.
    finishing: HashSet<usize>,
    started_at: HashMap<usize, Instant>,
    op_calls: HashMap<usize, Arc<crate::provider::OpCalls>>,
    /// Operations holding a `--parallelism` slot.
    running: usize,
    run_start: Instant,
    outcome: Outcome,
    level: Cancel,
    done_tx: mpsc::UnboundedSender<Done>,
    prog_tx: mpsc::UnboundedSender<(usize, Note)>,
}

impl<'a, 'r> Coordinator<'a, 'r> {
    /// Builds the operation graph, marks what an earlier apply of this plan completed as done
    /// (see `resume`), and starts the journal.
    fn new(
        plan: &'a Plan,
        provider: Arc<dyn Provider>,
        mut lf: Lockfile,
        opts: &'a ExecOptions,
        reporter: &'r mut dyn Reporter,
    ) -> Result<(Self, Inbox), ExecError> {
        let og = op_graph(plan)?;
        let n = og.ops.len();
        let indegree: Vec<usize> = (0..n)
            .map(|i| {
                og.graph
                    .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
                    .count()
            })
            .collect();
        let ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let finishing: HashSet<usize> = og
            .ops
            .iter()
            .filter(|o| o.step == Step::Finish)
            .map(|o| o.action)
            .collect();
        let record = lf
            .last_apply
            .take()
            .filter(|r| r.plan_id == plan.plan_id && !r.finished)
            .unwrap_or(ApplyRecord {
                plan_id: plan.plan_id.clone(),
                completed: Vec::new(),
                finished: false,
            });
        // Resuming this plan (see `resume`): what its earlier apply completed is not done
        // again.
        let completed: Vec<usize> = {
            let labels: HashSet<&str> = record.completed.iter().map(String::as_str).collect();
            (0..n)
                .filter(|&i| labels.contains(og.ops[i].label.as_str()))
                .collect()
        };
        lf.last_apply = Some(record);
        let journal = journal(opts, &mut lf)?;
        let (done_tx, done) = mpsc::unbounded_channel::<Done>();
        let (prog_tx, notes) = mpsc::unbounded_channel::<(usize, Note)>();
        let mut c = Coordinator {
            plan,
            og,
            opts,
            provider,
            reporter,
            resolver: Resolver::new(plan, &opts.secrets),
            lf,
            journal,
            indegree,
            ready,
            state: vec![OpState::Queued; n],
            touched: HashSet::new(),
            finishing,
            started_at: HashMap::new(),
            op_calls: HashMap::new(),
            running: 0,
            run_start: Instant::now(),
            outcome: Outcome {
                completed: 0,
                timings: Vec::new(),
                failed: Vec::new(),
                skipped: Vec::new(),
                not_started: 0,
                cancelled: None,
                converging: Vec::new(),
                lockfile: Lockfile::new("", ""),
            },
            level: Cancel::Run,
            done_tx,
            prog_tx,
        };
        for i in completed {
            c.state[i] = OpState::Done;
            c.release(i);
        }
        let state = &c.state;
        c.ready.retain(|&i| state[i] != OpState::Done);
        Ok((c, Inbox { done, notes }))
    }

    /// Cancelled before the walk began: nothing starts, and the run is not a success.
    fn cancel_before_start(&mut self, level: Cancel) {
        self.level = level;
        if level != Cancel::Run {
            self.outcome.cancelled = Some(level);
            self.reporter.event(&Event::Stopping { in_flight: 0 });
        }
    }

    fn in_flight(&self) -> usize {
        self.state.iter().filter(|s| s.in_flight()).count()
    }

    /// Starts ready operations while there is a free slot.
    fn start_ready(&mut self) -> Result<(), ExecError> {
        let parallelism = self.opts.parallelism.max(1);
        while self.running < parallelism {
            let Some(i) = self.ready.pop_first() else {
                break;
            };
            self.start(i)?;
        }
        Ok(())
    }

    /// Starts one operation: forgets at once (no call), fails it if a value it needs is still
    /// unknown, else journals a pending record before a mutating call and spawns the call.
    fn start(&mut self, i: usize) -> Result<(), ExecError> {
        let plan = self.plan;
        let op = self.og.ops[i].clone();
        let action = &plan.actions[op.action];
        let lf = &mut self.lf;
        // Forget needs no call.
        if op.step == Step::Forget {
            let mut e = Edit::new(lf);
            forget(&mut e, action);
            e.complete(&op.label);
            self.journal.commit(e)?;
            self.state[i] = OpState::Done;
            self.outcome.completed += 1;
            self.reporter.event(&Event::Finished {
                label: op.label.clone(),
                id: action.id.clone(),
                elapsed: Duration::ZERO,
            });
            self.release(i);
            return Ok(());
        }
        // The resource as it is now: as the plan read it live, unless this run changed it
        // already (then as strata recorded the change); for `finish`, the copy this run
        // created or updated.
        let recorded = lf
            .resources
            .get(&action.name)
            .filter(|r| op.step == Step::Finish || Some(r.id.as_str()) == action.id.as_deref());
        let id = recorded
            .map(|r| r.id.clone())
            .or_else(|| action.id.clone())
            .unwrap_or_default();
        let prior = if op.step == Step::Finish || self.touched.contains(&op.action) {
            recorded.map(|r| r.attributes.clone())
        } else {
            None
        }
        .or_else(|| action.prior.clone())
        .unwrap_or_default();
        let Inputs {
            attrs,
            changed,
            unknown,
        } = inputs(
            op.step,
            action,
            &prior,
            self.finishing.contains(&op.action),
            lf,
            &self.resolver,
        );
        if !unknown.is_empty()
            && matches!(
                op.step,
                Step::Create | Step::Update | Step::Adopt | Step::Finish
            )
        {
            let vars: Vec<&str> = unknown
                .iter()
                .filter_map(|u| u.strip_prefix("var."))
                .collect();
            let error = if vars.is_empty() {
                ProviderError::new(
                    ErrorClass::Other,
                    format!(
                        "values still unknown when the operation started: {}",
                        unknown.join(", ")
                    ),
                )
                .with_help(
                    "this is a bug in strata's ordering; please report it with the plan (--json)",
                )
            } else {
                ProviderError::new(
                    ErrorClass::Invalid,
                    format!(
                        "the sensitive variable(s) {} have no value in this run",
                        vars.join(", ")
                    ),
                )
                .with_help("a saved plan leaves sensitive values out: give them again with --var, --var-file or STRATA_VAR_NAME")
            };
            self.fail(i, error);
            return Ok(());
        }
        let token = action
            .token()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        // Updating no field makes no call.
        let mutating = matches!(op.step, Step::Create | Step::Delete) || !changed.is_empty();
        if mutating {
            let mut e = Edit::new(lf);
            e.pending_mut().push(PendingOp {
                op: match op.step {
                    Step::Create => PendingKind::Create,
                    Step::Delete => PendingKind::Delete,
                    _ => PendingKind::Update,
                },
                name: action.name.clone(),
                kind: action.kind.clone(),
                id: if op.step == Step::Create {
                    None
                } else {
                    action.id.clone()
                },
                token: token.clone(),
                plan_id: plan.plan_id.clone(),
                started_at: lockfile::now_rfc3339(),
            });
            if op.step == Step::Create {
                depose_replaced(&mut e, action);
            }
            self.journal.commit(e)?;
        }
        self.state[i] = OpState::Running;
        self.running += 1;
        self.started_at.insert(i, Instant::now());
        self.reporter.event(&Event::Started {
            label: op.label.clone(),
        });
        let provider = self.provider.clone();
        let done_tx = self.done_tx.clone();
        let progress = Progress::new(i, self.prog_tx.clone());
        let action = action.clone();
        let step = op.step;
        let stack = plan.stack.clone();
        let lineage = self.lf.lineage.clone();
        let wait = self.opts.wait && action.wait;
        let expires = self.opts.expires.clone();
        let calls = Arc::new(crate::provider::OpCalls::default());
        self.op_calls.insert(i, calls.clone());
        tokio::spawn(crate::provider::OP_CALLS.scope(calls, async move {
            let call = Call {
                step,
                id: &id,
                action: &action,
                attrs: &attrs,
                prior: &prior,
                changed: &changed,
                token: &token,
                stack: &stack,
                lineage: &lineage,
                wait,
                expires: expires.as_deref(),
            };
            let r = match run_op(&*provider, call, &progress).await {
                Ok(Some(mut live)) if step != Step::Delete => {
                    live.attrs
                        .extend(verifiers(&action.kind, step, &attrs, &changed).await);
                    Ok(Some(live))
                }
                r => r,
            };
            let _ = done_tx.send((i, r));
        }));
        Ok(())
    }

    /// An operation's call returned: its timing is recorded, its result written to the
    /// lockfile, and what waits for it released (or skipped if it failed).
    fn on_done(
        &mut self,
        i: usize,
        result: Result<Option<LiveResource>, ProviderError>,
    ) -> Result<(), ExecError> {
        if self.state[i] == OpState::Running {
            self.running -= 1;
        }
        let og = &self.og;
        let op = &og.ops[i];
        let action = &self.plan.actions[op.action];
        let elapsed = self
            .started_at
            .get(&i)
            .map(|s| s.elapsed())
            .unwrap_or_default();
        let end_ms = u64::try_from(self.run_start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.outcome.timings.push(OpTiming {
            label: op.label.clone(),
            after: og
                .graph
                .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
                .map(|p| og.ops[og.graph[p]].label.clone())
                .collect(),
            start_ms: end_ms.saturating_sub(u64::try_from(elapsed.as_millis()).unwrap_or(0)),
            end_ms,
            calls: self.op_calls.get(&i).map_or(0, |c| c.total()),
            chain_calls: self.op_calls.get(&i).map_or(0, |c| c.sequential()),
            ok: result.is_ok(),
        });
        let step = op.step;
        let label = op.label.clone();
        let ambiguous = matches!(&result, Err(e) if step == Step::Create
            && matches!(e.class, ErrorClass::Timeout | ErrorClass::Transient | ErrorClass::Throttled | ErrorClass::Other | ErrorClass::Cancelled));
        let mut e = Edit::new(&mut self.lf);
        if !ambiguous {
            e.pending_mut()
                .retain(|p| !(p.name == action.name && p.kind == action.kind));
        }
        // Otherwise the create may have happened: the journal record stays, so the next run
        // looks for it by its tags (and reuses its token).
        match result {
            Ok(live) => {
                if let Some(state) = live.as_ref().and_then(|l| l.converging.clone()) {
                    self.outcome.converging.push((action.name.clone(), state));
                }
                self.touched.insert(op.action);
                apply_result(&mut e, action, step, live.as_ref());
                e.complete(&op.label);
                self.journal.commit(e)?;
                self.state[i] = OpState::Done;
                self.outcome.completed += 1;
                self.reporter.event(&Event::Finished {
                    label,
                    id: live.map(|l| l.id).or_else(|| action.id.clone()),
                    elapsed,
                });
                self.release(i);
            }
            Err(error) => {
                if step == Step::Create && !ambiguous {
                    restore_deposed(&mut e, action);
                }
                self.journal.commit(e)?;
                self.fail(i, error);
            }
        }
        Ok(())
    }

    /// A note from an operation in flight: a created id is journaled before the wait; a
    /// waiting operation gives up its slot and its progress is reported.
    fn on_note(&mut self, i: usize, note: Note) -> Result<(), ExecError> {
        match note {
            Note::Created(id) => {
                // Journaled before the wait: a crash during it leaves the id on disk.
                let action = &self.plan.actions[self.og.ops[i].action];
                let mut e = Edit::new(&mut self.lf);
                if let Some(p) = e.pending_mut().iter_mut().find(|p| {
                    p.op == PendingKind::Create && p.name == action.name && p.kind == action.kind
                }) {
                    p.id = Some(id);
                    self.journal.commit(e)?;
                }
            }
            Note::Waiting(message) => {
                if self.state[i] == OpState::Running {
                    // Waiting holds no slot: other operations start meanwhile.
                    self.state[i] = OpState::Waiting;
                    self.running -= 1;
                }
                let elapsed = self
                    .started_at
                    .get(&i)
                    .map(|s| s.elapsed())
                    .unwrap_or_default();
                self.reporter.event(&Event::Progress {
                    label: self.og.ops[i].label.clone(),
                    message,
                    elapsed,
                });
            }
        }
        Ok(())
    }

    /// The user asked to stop or abort: returns the new level if it goes further than before.
    fn on_cancel(&mut self, new: Cancel) -> Option<Cancel> {
        if new <= self.level {
            return None;
        }
        self.level = new;
        self.outcome.cancelled = Some(new);
        self.reporter.event(&Event::Stopping {
            in_flight: self.in_flight(),
        });
        Some(new)
    }

    /// Ends the run: settles what a successful run settles, records unchanged resources and
    /// outputs, and writes the lockfile a last time.
    fn finish(mut self) -> Result<Outcome, ExecError> {
        let plan = self.plan;
        let mut outcome = self.outcome;
        let mut lf = self.lf;
        outcome.not_started = self.state.iter().filter(|s| **s == OpState::Queued).count();
        if outcome.success()
            && let Some(r) = &mut lf.last_apply
        {
            r.finished = true;
        }
        if outcome.success() {
            // The plan was made from what exists after any earlier interruption, and all of
            // it is done: what earlier runs left journaled as interrupted is settled.
            lf.pending.retain(|p| p.plan_id == plan.plan_id);
        }
        sync_unchanged(&mut lf, plan);
        record_outputs(&mut lf, plan, &self.opts.secrets);
        self.journal.finish(&mut lf)?;
        outcome.lockfile = lf;
        Ok(outcome)
    }

    /// An operation is done: what waited only for it becomes ready.
    fn release(&mut self, i: usize) {
        for nb in self
            .og
            .graph
            .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Outgoing)
        {
            let j = self.og.graph[nb];
            self.indegree[j] -= 1;
            if self.indegree[j] == 0 {
                self.ready.insert(j);
            }
        }
    }

    /// Marks an operation failed and every operation downstream of it skipped.
    fn fail(&mut self, i: usize, error: ProviderError) {
        let og = &self.og;
        self.state[i] = OpState::Failed;
        let label = og.ops[i].label.clone();
        self.reporter.event(&Event::Failed {
            label: label.clone(),
            error: error.clone(),
        });
        self.outcome.failed.push((label.clone(), error));
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            for nb in og
                .graph
                .neighbors_directed(NodeIndex::new(k), petgraph::Direction::Outgoing)
            {
                let j = og.graph[nb];
                if self.state[j] == OpState::Queued {
                    self.state[j] = OpState::Skipped;
                    let skipped = og.ops[j].label.clone();
                    self.reporter.event(&Event::Skipped {
                        label: skipped.clone(),
                        because: label.clone(),
                    });
                    self.outcome.skipped.push((skipped, label.clone()));
                    stack.push(j);
                }
            }
        }
    }
}

/// One provider call's inputs.
struct Call<'a> {
    step: Step,
    id: &'a str,
    action: &'a Action,
    attrs: &'a Attrs,
    prior: &'a Attrs,
    changed: &'a [String],
    token: &'a str,
    stack: &'a str,
    /// The lockfile's lineage, for the ownership tags.
    lineage: &'a str,
    /// Wait until a new resource is usable.
    wait: bool,
    expires: Option<&'a str>,
}

/// What one operation sends.
struct Inputs {
    /// The attributes, resolved.
    attrs: Attrs,
    /// The fields it changes (updates).
    changed: Vec<String>,
    /// References not known yet (`resource.attribute`, `var.NAME`).
    unknown: Vec<String>,
}

/// The inputs of an operation of `action`, given the resource as it is now (`prior`) and
/// whether a `finish` step applies the action's deferred fields after this one.
fn inputs(
    step: Step,
    action: &Action,
    prior: &Attrs,
    finishing: bool,
    lf: &Lockfile,
    resolver: &Resolver<'_>,
) -> Inputs {
    let deferred = strata_model::kinds::find(&action.kind).map_or(&[][..], |k| k.deferred);
    let is_deferred = |f: &str| deferred.contains(&f);
    let (attrs, unknown) = match (step, &action.desired) {
        (Step::Strip, _) => (
            strip_refs(prior, &action.kind, &resolver.deleted_ids),
            Vec::new(),
        ),
        (Step::Create | Step::Update | Step::Adopt, Some(d))
            if step == Step::Create || finishing =>
        {
            // Entries of deferred fields that name what does not exist yet wait for the
            // `finish` step.
            let mut d = d.clone();
            resolver.drop_unresolved(&mut d, deferred, lf);
            resolver.resolve(&d, lf)
        }
        (_, Some(d)) => resolver.resolve(d, lf),
        (_, None) => (Attrs::new(), Vec::new()),
    };
    let planned = action.changes.iter().map(|c| c.field.clone());
    let changed: Vec<String> = match step {
        // The deferred fields the plan changes (for a create, those the documents give).
        Step::Finish => planned.filter(|f| is_deferred(f)).collect(),
        Step::Strip => prior
            .keys()
            .filter(|k| attrs.get(*k) != prior.get(*k))
            .cloned()
            .collect(),
        Step::Update | Step::Adopt if finishing => planned.filter(|f| !is_deferred(f)).collect(),
        _ => planned.collect(),
    };
    Inputs {
        attrs,
        changed,
        unknown,
    }
}

/// The prior attributes without references to resources being deleted, in the fields AWS can
/// change in place: list entries naming one are dropped, a field holding one is cleared.
fn strip_refs(prior: &Attrs, kind: &str, deleted_ids: &HashSet<String>) -> Attrs {
    fn names(v: &Value, ids: &HashSet<String>) -> bool {
        match v {
            Value::String(s) => ids.contains(s),
            Value::Array(a) => a.iter().any(|x| names(x, ids)),
            Value::Object(m) => m.values().any(|x| names(x, ids)),
            _ => false,
        }
    }
    let Some(info) = strata_model::kinds::find(kind) else {
        return prior.clone();
    };
    let mut out = prior.clone();
    for f in info
        .fields
        .iter()
        .filter(|f| f.update == strata_model::kinds::Update::InPlace && f.name != "tags")
    {
        match out.get_mut(f.name) {
            Some(Value::Array(items)) => items.retain(|v| !names(v, deleted_ids)),
            Some(v) if names(v, deleted_ids) => {
                out.remove(f.name);
            }
            _ => {}
        }
    }
    out
}

/// The verifiers of the secrets an operation sent, to record in their place (see
/// [`crate::verifier`]); derived off the event loop, as each takes a moment.
async fn verifiers(kind: &str, step: Step, attrs: &Attrs, changed: &[String]) -> Attrs {
    let Some(kind) = strata_model::kinds::find(kind).filter(|k| k.fields.iter().any(|f| f.secret))
    else {
        return Attrs::new();
    };
    let attrs = attrs.clone();
    let changed = (step != Step::Create).then(|| changed.to_vec());
    tokio::task::spawn_blocking(move || verifier::sent(kind, &attrs, changed.as_deref()))
        .await
        .unwrap_or_default()
}

async fn run_op(
    provider: &dyn Provider,
    call: Call<'_>,
    progress: &Progress,
) -> Result<Option<LiveResource>, ProviderError> {
    let Call {
        step,
        id,
        action,
        attrs,
        prior,
        changed,
        token,
        stack,
        lineage,
        wait,
        expires,
    } = call;
    match step {
        Step::Create => provider
            .create(
                CreateRequest {
                    kind: &action.kind,
                    name: &action.name,
                    stack,
                    lineage,
                    attrs,
                    token,
                    replacing: action.id.as_deref(),
                    wait,
                    expires,
                },
                progress,
            )
            .await
            .map(Some),
        Step::Update | Step::Adopt | Step::Finish | Step::Strip => {
            if changed.is_empty() {
                return Ok(None);
            }
            provider
                .update(
                    UpdateRequest {
                        kind: &action.kind,
                        name: &action.name,
                        stack,
                        lineage,
                        id,
                        prior,
                        attrs,
                        changed,
                        wait,
                        expires,
                    },
                    progress,
                )
                .await
                .map(Some)
        }
        Step::Delete => provider
            .delete(
                DeleteRequest {
                    kind: &action.kind,
                    name: &action.name,
                    id,
                    prior,
                },
                progress,
            )
            .await
            .map(|()| None),
        Step::Forget => Ok(None),
    }
}

/// The create half of a create-before-destroy replacement is about to run: from the moment
/// the new copy may exist, the recorded copy is the old one, deposed (to be deleted by the
/// other half, or by the next run if this one stops). A crash then leaves the new copy to be
/// adopted as the resource by its tags, not taken for a duplicate of the old one.
fn depose_replaced(e: &mut Edit<'_>, action: &Action) {
    if !action.creates_first()
        || e.resources.get(&action.name).map(|r| r.id.as_str()) != action.id.as_deref()
    {
        return;
    }
    if let Some(old) = e.remove_resource(&action.name) {
        e.deposed_mut().push(DeposedResource {
            name: action.name.clone(),
            resource: old,
        });
    }
}

/// The create half of a create-before-destroy replacement failed without making anything: the
/// old copy is the resource again.
fn restore_deposed(e: &mut Edit<'_>, action: &Action) {
    if !action.creates_first() || e.resources.contains_key(&action.name) {
        return;
    }
    if let Some(i) = e
        .deposed
        .iter()
        .position(|d| d.name == action.name && Some(d.resource.id.as_str()) == action.id.as_deref())
    {
        let old = e.deposed_mut().remove(i);
        e.insert_resource(&old.name, old.resource);
    }
}

fn forget(e: &mut Edit<'_>, action: &Action) {
    let id = action.id.as_deref();
    if e.resources.get(&action.name).map(|r| r.id.as_str()) == id {
        e.remove_resource(&action.name);
    }
    if e.deposed.iter().any(|d| Some(d.resource.id.as_str()) == id) {
        e.deposed_mut()
            .retain(|d| Some(d.resource.id.as_str()) != id);
    }
    // An interrupted delete or update of this copy is settled too: it is gone.
    if e.pending
        .iter()
        .any(|p| p.id.is_some() && p.id.as_deref() == id)
    {
        e.pending_mut()
            .retain(|p| p.id.is_none() || p.id.as_deref() != id);
    }
}

fn apply_result(e: &mut Edit<'_>, action: &Action, step: Step, live: Option<&LiveResource>) {
    match step {
        Step::Create => {
            let Some(live) = live else { return };
            let entry = LockedResource {
                kind: action.kind.clone(),
                id: live.id.clone(),
                attributes: live.attrs.clone(),
                dependencies: action.depends_on.clone(),
                soft_dependencies: action.soft_depends_on.clone(),
                prevent_destroy: action.prevent_destroy,
                created_at: Some(lockfile::now_rfc3339()),
                seen_at: None,
            };
            if let Some(old) = e.insert_resource(&action.name, entry)
                && old.id != live.id
                && action.creates_first()
            {
                // The old copy still exists until its delete runs.
                e.deposed_mut().push(DeposedResource {
                    name: action.name.clone(),
                    resource: old,
                });
            }
        }
        Step::Update | Step::Adopt => {
            let id = action.id.clone().unwrap_or_default();
            let mut attributes = match (live, &action.prior) {
                (Some(l), _) => l.attrs.clone(),
                (None, Some(p)) => p.clone(),
                (None, None) => Attrs::new(),
            };
            let old = e.resources.get(&action.name).filter(|r| r.id == id);
            if let Some(old) = old {
                keep_verifiers(&action.kind, &old.attributes, &mut attributes);
            }
            let created_at = old.and_then(|r| r.created_at.clone());
            let seen_at = old.and_then(|r| r.seen_at.clone());
            e.insert_resource(
                &action.name,
                LockedResource {
                    kind: action.kind.clone(),
                    id,
                    attributes,
                    dependencies: action.depends_on.clone(),
                    soft_dependencies: action.soft_depends_on.clone(),
                    prevent_destroy: action.prevent_destroy,
                    created_at,
                    seen_at,
                },
            );
        }
        Step::Finish | Step::Strip => {
            if let (Some(live), Some(r)) = (live, e.resource_mut(&action.name))
                && r.id == live.id
            {
                let mut attributes = live.attrs.clone();
                keep_verifiers(&action.kind, &r.attributes, &mut attributes);
                r.attributes = attributes;
            }
        }
        Step::Delete | Step::Forget => forget(e, action),
    }
}

/// A refreshed resource keeps the verifiers of its secrets (a read never returns them).
fn keep_verifiers(kind: &str, old: &Attrs, new: &mut Attrs) {
    if let Some(k) = strata_model::kinds::find(kind) {
        verifier::keep(k, old, new);
    }
}

/// Resources left as they are still get their recorded dependencies and attributes refreshed.
fn sync_unchanged(lf: &mut Lockfile, plan: &Plan) {
    for a in &plan.actions {
        if a.is_change() {
            continue;
        }
        if let Some(r) = lf.resources.get_mut(&a.name)
            && Some(r.id.as_str()) == a.id.as_deref()
        {
            r.dependencies.clone_from(&a.depends_on);
            r.soft_dependencies.clone_from(&a.soft_depends_on);
            r.prevent_destroy = a.prevent_destroy;
            if let Some(p) = &a.prior {
                let mut attributes = p.clone();
                keep_verifiers(&a.kind, &r.attributes, &mut attributes);
                r.attributes = attributes;
            }
        }
    }
}

/// Evaluates the outputs against what now exists.
fn record_outputs(lf: &mut Lockfile, plan: &Plan, secrets: &Secrets) {
    let mut outputs = std::collections::BTreeMap::new();
    for (name, o) in &plan.outputs {
        let (v, unknown) = {
            let lookup = |r: &str, a: &str| -> Option<Value> {
                let res = lf.resources.get(r)?;
                if a == "id" {
                    Some(Value::String(res.id.clone()))
                } else {
                    res.attributes.get(a).cloned()
                }
            };
            let r = value::resolve(&Value::String(o.template.clone()), &lookup);
            (r.value, !r.unknown.is_empty())
        };
        if unknown {
            continue;
        }
        // An output that shows a secret is sensitive, whether declared so or not.
        let sensitive = o.sensitive || secrets.mask_value(&mut v.clone());
        outputs.insert(
            name.clone(),
            LockedOutput {
                value: if sensitive { Value::Null } else { v },
                sensitive,
            },
        );
    }
    lf.outputs = outputs;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ReplaceMode;

    fn empty_plan() -> Plan {
        serde_json::from_value(serde_json::json!({
            "format_version": crate::plan::PLAN_FORMAT_VERSION,
            "plan_id": "p", "stack": "s", "region": "us-east-1", "mode": "apply",
            "lockfile": null, "actions": [], "outputs": {},
            "summary": {"add": 0, "change": 0, "destroy": 0, "adopt": 0, "forget": 0},
        }))
        .expect("a plan")
    }

    /// A literal `${var.x}` (written `$${var.x}`) is text once resolved: it is neither looked up
    /// again nor reported as a variable without a value, and a deferred entry holding one is
    /// not held back; a reference to a resource not created yet is.
    #[test]
    fn resolved_values_are_data_and_never_parsed_again() {
        let lf = Lockfile::new("s", "us-east-1");
        let plan = empty_plan();
        let secrets = Secrets::new(vec![("pw".into(), "hunter22".into())]);
        let desired: Attrs = serde_json::from_value(serde_json::json!({
            "tags": {"Lit": "$${var.pw}", "Pw": "${var.pw}", "Ref": "$${vpc.id}"},
            "ingress": [
                {"description": "$${other.id}"},
                {"security_group": "${other.id}"},
            ],
        }))
        .expect("attrs");
        let mut d = desired.clone();
        let resolver = Resolver::new(&plan, &secrets);
        resolver.drop_unresolved(&mut d, &["ingress"], &lf);
        let (attrs, unknown) = resolver.resolve(&d, &lf);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(
            Value::Object(attrs),
            serde_json::json!({
                "tags": {"Lit": "${var.pw}", "Pw": "hunter22", "Ref": "${vpc.id}"},
                "ingress": [{"description": "${other.id}"}],
            })
        );
        // Without the variable's value, that is what is missing (and nothing else).
        let mut d = desired;
        let no_secrets = Secrets::default();
        let resolver = Resolver::new(&plan, &no_secrets);
        resolver.drop_unresolved(&mut d, &["ingress"], &lf);
        let (_, unknown) = resolver.resolve(&d, &lf);
        assert_eq!(unknown, ["var.pw"]);
    }

    /// The old copy of a resource being replaced is never the value of a reference: a rule of
    /// a new group naming it waits for the new copy (the old one is about to be deleted, and
    /// would be named still, or gone).
    #[test]
    fn an_old_copy_being_replaced_is_not_known() {
        let mut lf = Lockfile::new("s", "us-east-1");
        let record = |id: &str| LockedResource {
            kind: "ec2.security_group".into(),
            id: id.into(),
            attributes: Attrs::new(),
            dependencies: Vec::new(),
            soft_dependencies: Vec::new(),
            prevent_destroy: false,
            created_at: None,
            seen_at: None,
        };
        lf.resources.insert("old".into(), record("sg-old"));
        lf.resources.insert("kept".into(), record("sg-kept"));
        let mut plan = empty_plan();
        plan.actions.push(
            serde_json::from_value(serde_json::json!({
                "name": "old", "kind": "ec2.security_group", "action": "replace",
                "reason": "changed", "id": "sg-old", "replace_mode": "create_before_delete",
            }))
            .expect("an action"),
        );
        let secrets = Secrets::default();
        let resolver = Resolver::new(&plan, &secrets);
        let mut d: Attrs = serde_json::from_value(serde_json::json!({
            "ingress": [{"security_group": "${old.id}"}, {"security_group": "${kept.id}"}],
        }))
        .expect("attrs");
        resolver.drop_unresolved(&mut d, &["ingress"], &lf);
        let (attrs, unknown) = resolver.resolve(&d, &lf);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(
            Value::Object(attrs),
            serde_json::json!({"ingress": [{"security_group": "sg-kept"}]})
        );
        // Once the new copy is recorded, it is the value.
        lf.resources.insert("old".into(), record("sg-new"));
        let (attrs, _) = resolver.resolve(
            &serde_json::from_value(serde_json::json!({"g": "${old.id}"})).expect("attrs"),
            &lf,
        );
        assert_eq!(attrs["g"], serde_json::json!("sg-new"));
    }

    #[test]
    fn forgetting_a_gone_copy_settles_its_interrupted_delete() {
        // A delete interrupted after AWS deleted the resource: the next run forgets it.
        let mut lf: Lockfile = serde_json::from_value(serde_json::json!({
            "version": 1, "lineage": "l", "serial": 1, "stack": "s", "region": "us-east-1",
            "resources": {"sg": {"kind": "ec2.security_group", "id": "sg-1"}},
            "pending": [
                {"op": "delete", "name": "sg", "kind": "ec2.security_group", "id": "sg-1",
                 "token": "t1", "plan_id": "p", "started_at": "2026-01-01T00:00:00Z"},
                {"op": "create", "name": "vpc", "kind": "ec2.vpc",
                 "token": "t2", "plan_id": "p", "started_at": "2026-01-01T00:00:00Z"},
            ],
        }))
        .expect("a lockfile");
        let action: Action = serde_json::from_value(serde_json::json!({
            "name": "sg", "kind": "ec2.security_group", "action": "forget", "reason": "gone",
            "id": "sg-1",
        }))
        .expect("an action");
        forget(&mut Edit::new(&mut lf), &action);
        assert!(lf.resources.is_empty());
        let left: Vec<&str> = lf.pending.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(left, ["vpc"], "only the other record stays");
    }

    #[test]
    fn a_replacement_creating_first_deposes_the_old_copy_until_its_create_fails() {
        let mut lf: Lockfile = serde_json::from_value(serde_json::json!({
            "version": 1, "lineage": "l", "serial": 1, "stack": "s", "region": "us-east-1",
            "resources": {"a": {"kind": "ec2.subnet", "id": "subnet-old"}},
        }))
        .expect("a lockfile");
        let action: Action = serde_json::from_value(serde_json::json!({
            "name": "a", "kind": "ec2.subnet", "action": "replace", "reason": "changed",
            "id": "subnet-old", "replace_mode": "create_before_delete",
        }))
        .expect("an action");
        depose_replaced(&mut Edit::new(&mut lf), &action);
        assert!(
            lf.resources.is_empty(),
            "the old copy is no longer the resource"
        );
        assert_eq!(lf.deposed.len(), 1);
        assert_eq!(lf.deposed[0].resource.id, "subnet-old");
        restore_deposed(&mut Edit::new(&mut lf), &action);
        assert_eq!(
            lf.resources["a"].id, "subnet-old",
            "the create failed: it is again"
        );
        assert!(lf.deposed.is_empty());

        // Deleting first: nothing to depose.
        let mut dbc = action.clone();
        if let ActionKind::Replace(r) = &mut dbc.action {
            r.replace_mode = ReplaceMode::DeleteBeforeCreate;
        }
        depose_replaced(&mut Edit::new(&mut lf), &dbc);
        assert_eq!(lf.resources["a"].id, "subnet-old");
    }
}
