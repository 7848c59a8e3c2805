//! Reading the live state: every kind concurrently, each in batched calls.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::Desired;
use crate::lockfile::{Lockfile, PendingKind};
use crate::plan::Plan;
use crate::provider::{LiveResource, Provider, ProviderError, ReadRequest, Recorded};

/// The kinds to read and, per kind, the ids the lockfile records.
///
/// Only kinds that appear somewhere are read: in the documents, in the lockfile (resources,
/// deposed copies, or the journal of interrupted calls). A kind that is in none of them can only
/// have orphans left by a run whose lockfile was lost and whose documents no longer mention
/// the kind; `strata destroy` of the old documents finds those.
pub fn read_requests(desired: &Desired, lockfile: Option<&Lockfile>) -> Vec<(String, Vec<String>)> {
    let mut kinds: BTreeSet<String> = desired
        .resources
        .values()
        .map(|r| r.kind.name.to_string())
        .collect();
    if let Some(l) = lockfile {
        kinds.extend(l.resources.values().map(|r| r.kind.clone()));
        kinds.extend(l.deposed.iter().map(|d| d.resource.kind.clone()));
        kinds.extend(l.pending.iter().map(|p| p.kind.clone()));
    }
    // Kinds this strata does not know (a newer lockfile) cannot be read.
    kinds.retain(|k| strata_model::kinds::find(k).is_some());
    kinds
        .into_iter()
        .map(|kind| {
            let mut ids: Vec<String> = lockfile
                .map(|l| {
                    l.resources
                        .values()
                        .filter(|r| r.kind == kind)
                        .map(|r| r.id.clone())
                        .chain(
                            l.deposed
                                .iter()
                                .filter(|d| d.resource.kind == kind)
                                .map(|d| d.resource.id.clone()),
                        )
                        .chain(
                            // An interrupted create whose id AWS gave before the interruption.
                            l.pending
                                .iter()
                                .filter(|p| p.op == PendingKind::Create && p.kind == kind)
                                .filter_map(|p| p.id.clone()),
                        )
                        .collect()
                })
                .unwrap_or_default();
            ids.sort();
            ids.dedup();
            (kind, ids)
        })
        .collect()
}

/// The kinds and ids to read to check a saved plan before resuming it: every kind of the plan
/// and the lockfile, with the ids both record.
pub fn plan_requests(plan: &Plan, lf: &Lockfile) -> Vec<(String, Vec<String>)> {
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in &plan.actions {
        let ids = by_kind.entry(a.kind.clone()).or_default();
        ids.extend(a.id.clone());
    }
    for r in lf
        .resources
        .values()
        .chain(lf.deposed.iter().map(|d| &d.resource))
    {
        by_kind
            .entry(r.kind.clone())
            .or_default()
            .insert(r.id.clone());
    }
    for p in lf.pending.iter().filter(|p| p.op == PendingKind::Create) {
        if let Some(id) = &p.id {
            by_kind.entry(p.kind.clone()).or_default().insert(id.clone());
        }
    }
    by_kind
        .into_iter()
        .filter(|(k, _)| strata_model::kinds::find(k).is_some())
        .map(|(k, ids)| (k, ids.into_iter().collect()))
        .collect()
}

/// The kinds and ids to read to see the recorded resources as they are (`strata wait`).
pub fn lockfile_requests(lf: &Lockfile) -> Vec<(String, Vec<String>)> {
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in lf.resources.values() {
        by_kind
            .entry(r.kind.clone())
            .or_default()
            .insert(r.id.clone());
    }
    by_kind
        .into_iter()
        .filter(|(k, _)| strata_model::kinds::find(k).is_some())
        .map(|(k, ids)| (k, ids.into_iter().collect()))
        .collect()
}

/// How far the recorded resources are from usable.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Convergence {
    /// Recorded resources AWS is still making: name and state.
    pub converging: Vec<(String, String)>,
    /// Recorded resources that are not there: `name (kind id)`.
    pub gone: Vec<String>,
}

/// Which recorded resources are usable, from a read of them.
pub fn convergence(lf: &Lockfile, live: &[LiveResource]) -> Convergence {
    let mut out = Convergence::default();
    for (name, r) in &lf.resources {
        match live.iter().find(|l| l.kind == r.kind && l.id == r.id) {
            Some(l) => {
                if let Some(state) = &l.converging {
                    out.converging.push((name.clone(), state.clone()));
                }
            }
            None if strata_model::kinds::find(&r.kind).is_some() => {
                out.gone.push(format!("{name} ({} {})", r.kind, r.id));
            }
            None => {}
        }
    }
    out
}

/// Reads every kind at once: one task per kind, all concurrent.
pub async fn read_live(
    provider: &dyn Provider,
    stack: &str,
    requests: &[(String, Vec<String>)],
    recorded: Option<&Lockfile>,
) -> Result<Vec<LiveResource>, ProviderError> {
    let records: Vec<Vec<Recorded<'_>>> = requests
        .iter()
        .map(|(kind, _)| recorded.map(|l| records_of(l, kind)).unwrap_or_default())
        .collect();
    let futures = requests.iter().zip(&records).map(|((kind, ids), records)| {
        provider.read(ReadRequest {
            kind,
            ids,
            stack,
            records,
        })
    });
    let results = futures_util::future::join_all(futures).await;
    let mut out = Vec::new();
    for ((_, ids), r) in requests.iter().zip(results) {
        // Keep only what was asked for, whatever the API returned: a resource of the lockfile,
        // or one carrying this stack's tag (some implementations ignore tag filters).
        out.extend(
            r?.into_iter()
                .filter(|l| ids.contains(&l.id) || l.stack.as_deref() == Some(stack)),
        );
    }
    Ok(out)
}

/// What the lockfile records of one kind: its resources and deposed copies.
fn records_of<'a>(lf: &'a Lockfile, kind: &str) -> Vec<Recorded<'a>> {
    let resources = lf.resources.iter().map(|(name, r)| (name.as_str(), r));
    let deposed = lf.deposed.iter().map(|d| (d.name.as_str(), &d.resource));
    resources
        .chain(deposed)
        .filter(|(_, r)| r.kind == kind)
        .map(|(name, r)| Recorded {
            name,
            id: &r.id,
            attrs: &r.attributes,
        })
        .collect()
}
