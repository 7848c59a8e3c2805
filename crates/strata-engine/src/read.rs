//! Reading the live state: every kind concurrently, each in batched calls.

use std::collections::BTreeSet;

use crate::desired::Desired;
use crate::lockfile::Lockfile;
use crate::provider::{LiveResource, Provider, ProviderError, ReadRequest};

/// The kinds to read and, per kind, the ids the lockfile records.
pub fn read_requests(desired: &Desired, lockfile: Option<&Lockfile>) -> Vec<(String, Vec<String>)> {
    let mut kinds: BTreeSet<String> = strata_model::kinds::all()
        .iter()
        .map(|k| k.name.to_string())
        .collect();
    // Kinds strata does not know (a newer lockfile) cannot be read; validation stops those.
    kinds.retain(|k| strata_model::kinds::find(k).is_some());
    let _ = desired;
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
                        .collect()
                })
                .unwrap_or_default();
            ids.sort();
            ids.dedup();
            (kind, ids)
        })
        .collect()
}

/// Reads every kind at once: one task per kind, all concurrent.
pub async fn read_live(
    provider: &dyn Provider,
    stack: &str,
    requests: &[(String, Vec<String>)],
) -> Result<Vec<LiveResource>, ProviderError> {
    let futures = requests
        .iter()
        .map(|(kind, ids)| provider.read(ReadRequest { kind, ids, stack }));
    let results = futures_util::future::join_all(futures).await;
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}
