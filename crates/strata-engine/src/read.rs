//! Reading the live state: every kind concurrently, each in batched calls.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::Desired;
use crate::lockfile::{Lockfile, PendingKind};
use crate::plan::Plan;
use crate::provider::{DocumentName, LiveResource, Provider, ProviderError, ReadRequest, Recorded};

/// One kind to read: the ids to read, and the names the documents give its resources.
#[derive(Debug, Clone, PartialEq)]
pub struct KindRead {
    pub kind: String,
    pub ids: Vec<String>,
    /// See [`ReadRequest::names`].
    pub names: Option<Vec<DocumentName>>,
}

impl KindRead {
    fn by_ids(kind: String, ids: Vec<String>) -> KindRead {
        KindRead {
            kind,
            ids,
            names: None,
        }
    }
}

/// The kinds to read and, per kind, the ids the lockfile records and the names the documents
/// give.
///
/// Only kinds that appear somewhere are read: in the documents, in the lockfile (resources,
/// deposed copies, or the journal of interrupted calls). A kind that is in none of them can only
/// have orphans left by a run whose lockfile was lost and whose documents no longer mention
/// the kind; `strata destroy` of the old documents finds those.
pub fn read_requests(desired: &Desired, lockfile: Option<&Lockfile>) -> Vec<KindRead> {
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
                            l.journaled_creates()
                                .filter(|(p, _)| p.kind == kind)
                                .map(|(_, id)| id.to_string()),
                        )
                        .collect()
                })
                .unwrap_or_default();
            ids.sort();
            ids.dedup();
            let names = document_names(desired, &kind);
            KindRead { kind, ids, names }
        })
        .collect()
}

/// The names the documents give the resources of `kind`, if every one has a literal `name` or
/// `name_prefix`.
fn document_names(desired: &Desired, kind: &str) -> Option<Vec<DocumentName>> {
    let literal = |a: &crate::value::Attrs, field: &str| {
        a.get(field)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.contains("${"))
            .map(str::to_string)
    };
    let mut names: Vec<DocumentName> = desired
        .resources
        .values()
        .filter(|r| r.kind.name == kind)
        .map(|r| {
            literal(&r.attrs, "name")
                .map(DocumentName::Exact)
                .or_else(|| literal(&r.attrs, "name_prefix").map(DocumentName::Prefix))
        })
        .collect::<Option<_>>()?;
    names.sort();
    names.dedup();
    Some(names)
}

/// The kinds and ids to read to check a saved plan before resuming it: every kind of the plan
/// and the lockfile, with the ids both record.
pub fn plan_requests(plan: &Plan, lf: &Lockfile) -> Vec<KindRead> {
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
    for (p, id) in lf.journaled_creates() {
        by_kind
            .entry(p.kind.clone())
            .or_default()
            .insert(id.to_string());
    }
    by_kind
        .into_iter()
        .filter(|(k, _)| strata_model::kinds::find(k).is_some())
        .map(|(k, ids)| KindRead::by_ids(k, ids.into_iter().collect()))
        .collect()
}

/// The kinds and ids to read to see the recorded resources as they are (`strata wait`).
pub fn lockfile_requests(lf: &Lockfile) -> Vec<KindRead> {
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
        .map(|(k, ids)| KindRead::by_ids(k, ids.into_iter().collect()))
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
    requests: &[KindRead],
    recorded: Option<&Lockfile>,
) -> Result<Vec<LiveResource>, ProviderError> {
    provider.start_read();
    let records: Vec<Vec<Recorded<'_>>> = requests
        .iter()
        .map(|r| recorded.map(|l| records_of(l, &r.kind)).unwrap_or_default())
        .collect();
    let futures = requests.iter().zip(&records).map(|(r, records)| {
        provider.read(ReadRequest {
            kind: &r.kind,
            ids: &r.ids,
            stack,
            records,
            names: r.names.as_deref(),
        })
    });
    let results = futures_util::future::join_all(futures).await;
    let mut out = Vec::new();
    for (req, r) in requests.iter().zip(results) {
        // Keep only what was asked for, whatever the API returned: a resource of the lockfile,
        // or one carrying this stack's tag (some implementations ignore tag filters).
        out.extend(
            r?.into_iter()
                .filter(|l| req.ids.contains(&l.id) || l.stack.as_deref() == Some(stack)),
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

/// How long after its creation a resource may still be missing from AWS's describes.
const SETTLE_WINDOW: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether a read may not show everything yet: AWS's describes are eventually consistent, so a
/// resource the lockfile records as created within the last minutes may be missing or
/// untagged, and an interrupted create's resource may not show yet.
pub fn unsettled(lf: &Lockfile, live: &[LiveResource]) -> bool {
    // An interrupted create's resource is a copy of its name the lockfile does not record
    // yet: a recorded copy (the old one of a replacement creating first) is not it.
    let recorded = |id: &str| {
        lf.resources.values().any(|r| r.id == id) || lf.deposed.iter().any(|d| d.resource.id == id)
    };
    let journaled = lf.pending.iter().any(|p| {
        p.op == PendingKind::Create
            && !live.iter().any(|r| {
                r.kind == p.kind
                    && (p.id.as_deref() == Some(r.id.as_str())
                        || (r.name.as_deref() == Some(&p.name) && !recorded(&r.id)))
            })
    });
    // A resource whose delete was interrupted is missing because it is gone, not because it
    // does not show yet.
    let deleting = |r: &crate::lockfile::LockedResource| {
        lf.pending
            .iter()
            .any(|p| p.op == PendingKind::Delete && p.id.as_deref() == Some(r.id.as_str()))
    };
    // Only a resource no read has found since its create may not show yet: one seen before
    // and missing now was deleted.
    let recent = lf.resources.values().any(|r| {
        r.created_within(SETTLE_WINDOW) && r.seen_at.is_none() && !deleting(r) && !seen(r, live)
    });
    journaled || recent
}

/// Whether a read found the recorded resource, with its ownership tags (which may show later
/// than the resource), unless its kind carries none (read by its recorded id only: an object,
/// a bucket policy).
fn seen(r: &crate::lockfile::LockedResource, live: &[LiveResource]) -> bool {
    let untagged = strata_model::kinds::find(&r.kind).is_some_and(|k| k.policy.id_from_documents);
    live.iter()
        .any(|x| x.id == r.id && (x.stack.is_some() || untagged))
}

/// Records in the lockfile when a read first found each resource created recently
/// (`LockedResource::seen_at`); returns whether a record changed.
pub fn mark_seen(lf: &mut Lockfile, live: &[LiveResource]) -> bool {
    let mut changed = false;
    for r in lf.resources.values_mut() {
        if r.seen_at.is_none() && r.created_within(SETTLE_WINDOW) && seen(r, live) {
            r.seen_at = Some(crate::lockfile::now_rfc3339());
            changed = true;
        }
    }
    changed
}

/// Reads the live state, and while it is [`unsettled`], again every second for up to
/// `recheck` (`STRATA_PENDING_RECHECK_SECS`), calling `on_recheck` before each new read.
pub async fn read_settled(
    provider: &dyn Provider,
    stack: &str,
    requests: &[KindRead],
    lf: Option<&Lockfile>,
    recheck: std::time::Duration,
    mut on_recheck: impl FnMut(),
) -> Result<Vec<LiveResource>, ProviderError> {
    let mut live = read_live(provider, stack, requests, lf).await?;
    let Some(l) = lf else { return Ok(live) };
    let started = std::time::Instant::now();
    while started.elapsed() < recheck && unsettled(l, &live) {
        on_recheck();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        live = read_live(provider, stack, requests, lf).await?;
    }
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::LockedResource;

    fn created_now(kind: &str, id: &str) -> LockedResource {
        LockedResource {
            kind: kind.into(),
            id: id.into(),
            attributes: Default::default(),
            dependencies: vec![],
            soft_dependencies: vec![],
            prevent_destroy: false,
            created_at: Some(crate::lockfile::now_rfc3339()),
            seen_at: None,
        }
    }

    /// A resource created moments ago that no read has found may not show yet; once a read
    /// found it, missing means gone.
    #[test]
    fn only_a_recent_resource_never_seen_is_looked_for_again() {
        let mut lf = Lockfile::new("s", "us-east-1");
        lf.resources
            .insert("vpc".into(), created_now("ec2.vpc", "vpc-1"));
        assert!(unsettled(&lf, &[]));
        let live = LiveResource::new("ec2.vpc", "vpc-1", Default::default()).owned_by(
            crate::provider::Owner {
                stack: "s",
                name: "vpc",
                lineage: &lf.lineage.clone(),
                expires: None,
            },
        );
        assert!(!unsettled(&lf, std::slice::from_ref(&live)));
        assert!(mark_seen(&mut lf, &[live]));
        assert!(lf.resources["vpc"].seen_at.is_some());
        assert!(!mark_seen(&mut lf, &[]), "marked once");
        assert!(!unsettled(&lf, &[]), "seen, then missing: deleted");
    }
}
