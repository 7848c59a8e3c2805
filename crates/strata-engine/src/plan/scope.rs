//! What the command line narrows or forces in a plan: `--target` (only some resources and what
//! they depend on, or for a destroy what depends on them), `--replace` (decided by the
//! planner, [`super::plan_replacing`]) and `--refresh-only` (record the live values, change
//! nothing in AWS). Each is a step on a plan the planner made, so the planner's rules stay in
//! one place, and the [`Scope`] travels with the plan into a saved plan.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Action, ActionKind, FieldChange, Mode, Plan, Reason, summarize};
use crate::desired::Desired;
use crate::lockfile::Lockfile;

/// What narrowed or forced a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// `--target`: the names given. The plan holds only them and what they depend on (for a
    /// destroy: what depends on them): it is partial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// `--replace`: the names given, replaced whether or not a field forces it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
    /// `--refresh-only`: the plan records the live values of the resources the lockfile
    /// records (and forgets those that are gone), and changes nothing in AWS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.replace.is_empty() && !self.refresh_only
    }
}

/// A name given on the command line that names no resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option} {name}: no resource is named `{name}` {where_}")]
pub struct UnknownName {
    /// `--target`, `--replace`.
    pub option: &'static str,
    pub name: String,
    /// Where it was looked for: "in the documents or the lockfile".
    pub where_: &'static str,
    /// The closest known name.
    pub close: Option<String>,
}

impl UnknownName {
    pub fn help(&self) -> String {
        match &self.close {
            Some(c) => format!("did you mean `{c}`?"),
            None => "`strata state list` lists the recorded names; the documents give the others"
                .to_string(),
        }
    }
}

/// Checks every name of `names` is among `known`.
pub fn check_names<'a>(
    option: &'static str,
    names: &[String],
    known: &BTreeSet<&'a str>,
    where_: &'static str,
) -> Result<(), UnknownName> {
    for n in names {
        if !known.contains(n.as_str()) {
            return Err(UnknownName {
                option,
                name: n.clone(),
                where_,
                close: strata_model::diag::did_you_mean(n, known.iter().copied())
                    .map(str::to_string),
            });
        }
    }
    Ok(())
}

/// The names a `--target` may give: the documents' resources and the lockfile's.
pub fn target_names<'a>(desired: &'a Desired, lf: Option<&'a Lockfile>) -> BTreeSet<&'a str> {
    let mut out: BTreeSet<&str> = desired.resources.keys().map(String::as_str).collect();
    if let Some(l) = lf {
        out.extend(l.resources.keys().map(String::as_str));
    }
    out
}

/// The names `targets` reach: themselves and, transitively, what they depend on (the
/// documents' references, else what the lockfile records); for a destroy, what depends on
/// them instead (what must go before they can).
pub fn reach(
    targets: &[String],
    mode: Mode,
    desired: &Desired,
    lf: Option<&Lockfile>,
) -> BTreeSet<String> {
    let recorded = lf.map(|l| &l.resources);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if mode == Mode::Apply {
        for (n, r) in &desired.resources {
            deps.entry(n.clone())
                .or_default()
                .extend(r.deps.iter().chain(&r.soft_deps).cloned());
        }
    }
    for (n, r) in recorded.into_iter().flatten() {
        if mode == Mode::Apply && desired.resources.contains_key(n) {
            continue;
        }
        for d in r.dependencies.iter().chain(&r.soft_dependencies) {
            match mode {
                Mode::Apply => deps.entry(n.clone()).or_default().insert(d.clone()),
                // Reversed: a destroy follows dependents.
                Mode::Destroy => deps.entry(d.clone()).or_default().insert(n.clone()),
            };
        }
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = targets.to_vec();
    while let Some(n) = todo.pop() {
        if out.insert(n.clone()) {
            todo.extend(deps.get(&n).into_iter().flatten().cloned());
        }
    }
    out
}

/// Narrows `plan` to the actions of the resources `targets` reach ([`reach`]), recording the
/// targets in its scope. The outputs stay: only those whose resources exist after the apply
/// are recorded.
pub fn restrict(plan: &mut Plan, targets: &[String], desired: &Desired, lf: Option<&Lockfile>) {
    let keep = reach(targets, plan.mode, desired, lf);
    plan.actions.retain(|a| keep.contains(&a.name));
    plan.summary = summarize(&plan.actions);
    plan.scope.targets = targets.to_vec();
}

/// Turns `plan` into a refresh: each resource the lockfile records and that still exists
/// becomes a no-op whose changes are the live values that differ from the recorded ones
/// (`before` recorded, `after` live), so that the apply records them; one that is gone is
/// forgotten. Nothing else is kept: no create, update, replacement or delete reaches AWS.
pub fn refresh_only(plan: &mut Plan, lf: Option<&Lockfile>) {
    let Some(lf) = lf else {
        plan.actions.clear();
        plan.summary = summarize(&plan.actions);
        plan.scope.refresh_only = true;
        return;
    };
    let actions = std::mem::take(&mut plan.actions);
    plan.actions = actions
        .into_iter()
        .filter_map(|a| refreshed(a, lf))
        .collect();
    plan.summary = summarize(&plan.actions);
    plan.scope.refresh_only = true;
}

/// One action of a refresh, if it is about a recorded resource (see [`refresh_only`]).
fn refreshed(a: Action, lf: &Lockfile) -> Option<Action> {
    if matches!(a.action, ActionKind::Forget) {
        return Some(a);
    }
    let rec = lf.resources.get(&a.name)?;
    if a.id.as_deref() != Some(rec.id.as_str()) || a.kind != rec.kind {
        return None;
    }
    let live = a.prior.clone()?;
    let changes = differences(&a.kind, &rec.attributes, &live);
    Some(Action {
        action: ActionKind::NoOp { converging: None },
        reason: if changes.is_empty() {
            Reason::UpToDate
        } else {
            Reason::Drift
        },
        changes,
        set_elsewhere: Vec::new(),
        elsewhere_why: BTreeMap::new(),
        desired: None,
        depends_on: rec.dependencies.clone(),
        soft_depends_on: rec.soft_dependencies.clone(),
        prevent_destroy: rec.prevent_destroy,
        ..a
    })
}

/// The fields whose live value differs from the recorded one. A secret field (recorded as a
/// verifier, never read back) is left out: the refresh keeps its verifier.
fn differences(
    kind: &str,
    recorded: &crate::value::Attrs,
    live: &crate::value::Attrs,
) -> Vec<FieldChange> {
    let secret = |f: &str| {
        strata_model::kinds::find(kind)
            .and_then(|k| k.field(f))
            .is_some_and(|d| d.secret)
    };
    let keys: BTreeSet<&String> = recorded.keys().chain(live.keys()).collect();
    keys.into_iter()
        .filter(|k| !secret(k))
        .filter_map(|k| {
            let (r, l) = (recorded.get(k), live.get(k));
            let null = |v: Option<&Value>| v.is_none_or(Value::is_null);
            if r == l || (null(r) && null(l)) {
                return None;
            }
            Some(FieldChange {
                field: k.clone(),
                before: r.cloned(),
                after: l.cloned(),
                unknown: false,
                forces_replacement: false,
                drift: true,
                sensitive: false,
            })
        })
        .collect()
}
