//! `apply --json` and `destroy --json`: one JSON event per line on stdout, for pipelines
//! (docs/events.md; schemas/events.schema.json). Every event has `v` (the stream's version),
//! `type` and `time`; secrets are masked as in every output. Once the stream is on, stdout
//! carries events only: the plan and the outputs go into events, notes stay on stderr.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};
use strata_engine::exec::{Event, Outcome, Reporter};
use strata_engine::lockfile::now_rfc3339;
use strata_engine::plan::{Action, Plan};

use crate::ui;

/// The stream's version: a change that breaks readers bumps it (fields are added freely).
pub const VERSION: u64 = 1;

/// How often a `waiting` event is repeated for one operation.
const WAITING_EVERY: Duration = Duration::from_secs(10);

static ON: AtomicBool = AtomicBool::new(false);

/// Turns the stream on for this run.
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// True when stdout carries events.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Writes one event.
fn emit(kind: &str, fields: Value) {
    let mut event = Map::new();
    event.insert("v".into(), json!(VERSION));
    event.insert("type".into(), json!(kind));
    event.insert("time".into(), json!(now_rfc3339()));
    if let Value::Object(fields) = fields {
        event.extend(fields);
    }
    ui::outln(&Value::Object(event).to_string());
}

fn masked(s: &str) -> String {
    ui::mask(s).into_owned()
}

/// The run starts: what it is and on what.
pub fn start(command: &str, stack: &str, region: &str) {
    emit(
        "start",
        json!({
            "command": command,
            "stack": stack,
            "region": region,
            "strata_version": env!("CARGO_PKG_VERSION"),
        }),
    );
}

/// The plan about to run: its counts and every change.
pub fn plan(p: &Plan) {
    let changes: Vec<Value> = p
        .actions
        .iter()
        .filter(|a| a.is_change())
        .map(change)
        .collect();
    emit(
        "plan",
        json!({
            "plan_id": p.plan_id,
            "mode": p.mode,
            "summary": p.summary,
            "changes": changes,
        }),
    );
}

/// One change of the plan: name, kind, action, reason, and id when it exists.
fn change(a: &Action) -> Value {
    let mut v = json!({
        "resource": a.name,
        "kind": a.kind,
        "action": serde_json::to_value(a).ok().and_then(|v| v.get("action").cloned()),
        "reason": a.reason,
    });
    if let (Some(id), Value::Object(m)) = (&a.id, &mut v) {
        m.insert("id".into(), json!(id));
    }
    v
}

/// An error event went out (an operation's, or the run's).
static ERRORED: AtomicBool = AtomicBool::new(false);

/// The run failed: an `error` event for the failure, unless one was already written (an
/// operation's) and this one is only the exit; an empty message means the failure was already
/// reported on stderr (the documents' diagnostics).
pub fn failed(message: &str, help: Option<&str>) {
    if !on() || (message.is_empty() && ERRORED.load(Ordering::Relaxed)) {
        return;
    }
    let message = if message.is_empty() {
        "strata stopped; the diagnostics on stderr say why (for the documents' problems as \
         JSON: `strata validate --json`)"
    } else {
        message
    };
    run_error(message, help);
}

/// An error that stopped the run before or outside an operation (a lock held, a refusal).
fn run_error(message: &str, help: Option<&str>) {
    ERRORED.store(true, Ordering::Relaxed);
    emit(
        "error",
        json!({
            "class": "run",
            "resource": Value::Null,
            "message": masked(message),
            "help": help.map(masked),
        }),
    );
}

/// How the run ended: counts, what failed, what still converges, the outputs.
pub fn summary(p: &Plan, o: &Outcome, elapsed: Duration) {
    let outcome = if o.success() {
        "success"
    } else if o.cancelled.is_some() {
        "cancelled"
    } else {
        "failed"
    };
    let outputs: Map<String, Value> = o
        .lockfile
        .outputs
        .iter()
        .map(|(name, out)| {
            let value = if out.sensitive {
                json!("(sensitive)")
            } else {
                out.value.clone()
            };
            (name.clone(), value)
        })
        .collect();
    let converging: Vec<Value> = o
        .converging
        .iter()
        .map(|(name, state)| json!({"resource": name, "state": state}))
        .collect();
    emit(
        "summary",
        json!({
            "outcome": outcome,
            "mode": p.mode,
            "planned": p.summary,
            "completed": o.completed,
            "failed": o.failed.iter().map(|(label, _)| resource_of(label)).collect::<Vec<_>>(),
            "skipped": o.skipped.len(),
            "not_started": o.not_started,
            "converging": converging,
            "outputs": outputs,
            "elapsed_s": secs(elapsed),
        }),
    );
}

/// A run with nothing to change ends: its summary.
pub fn nothing_to_do(p: &Plan) {
    if !on() {
        return;
    }
    emit(
        "summary",
        json!({
            "outcome": "success",
            "mode": p.mode,
            "planned": p.summary,
            "completed": 0,
            "failed": [],
            "skipped": 0,
            "not_started": 0,
            "converging": [],
            "outputs": {},
            "elapsed_s": 0.0,
        }),
    );
}

/// `create vpc` → (`create`, `vpc`).
fn split(label: &str) -> (&str, &str) {
    label.split_once(' ').unwrap_or(("", label))
}

fn resource_of(label: &str) -> &str {
    split(label).1
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// The executor's events as JSON lines.
#[derive(Default)]
pub struct JsonEvents {
    /// Per operation, when its last `waiting` event went out and what it said.
    waiting: HashMap<String, (Duration, String)>,
}

impl JsonEvents {
    /// A `waiting` event when the message changed or [`WAITING_EVERY`] passed.
    fn waiting(&mut self, label: &str, message: &str, elapsed: Duration) {
        let due = match self.waiting.get(label) {
            Some((at, said)) => said != message || elapsed >= *at + WAITING_EVERY,
            None => true,
        };
        if !due {
            return;
        }
        self.waiting
            .insert(label.to_string(), (elapsed, message.to_string()));
        let (action, resource) = split(label);
        emit(
            "waiting",
            json!({
                "operation": label,
                "action": action,
                "resource": resource,
                "for": masked(message),
                "elapsed_s": secs(elapsed),
            }),
        );
    }
}

impl Reporter for JsonEvents {
    fn event(&mut self, e: &Event) {
        match e {
            Event::Started { label } => {
                let (action, resource) = split(label);
                emit(
                    "operation_started",
                    json!({"operation": label, "action": action, "resource": resource}),
                );
            }
            Event::Progress {
                label,
                message,
                elapsed,
            } => self.waiting(label, message, *elapsed),
            Event::Finished { label, id, elapsed } => {
                let (action, resource) = split(label);
                emit(
                    "operation_finished",
                    json!({
                        "operation": label,
                        "action": action,
                        "resource": resource,
                        "id": id,
                        "elapsed_s": secs(*elapsed),
                    }),
                );
            }
            Event::Failed { label, error } => {
                ERRORED.store(true, Ordering::Relaxed);
                let (action, resource) = split(label);
                emit(
                    "error",
                    json!({
                        "class": error.class.name(),
                        "operation": label,
                        "action": action,
                        "resource": resource,
                        "code": error.code,
                        "aws_action": error.action,
                        "message": masked(&error.message),
                        "help": error.help.as_deref().map(masked),
                    }),
                );
            }
            Event::Skipped { label, because } => {
                let (action, resource) = split(label);
                emit(
                    "operation_skipped",
                    json!({
                        "operation": label,
                        "action": action,
                        "resource": resource,
                        "because": because,
                    }),
                );
            }
            Event::Stopping { in_flight } => {
                emit("stopping", json!({"in_flight": in_flight}));
            }
        }
    }
}
