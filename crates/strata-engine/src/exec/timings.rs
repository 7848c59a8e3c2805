//! How long each operation of a run took, and the chains that bound the run's duration
//! (`strata apply --timings`).

use std::collections::HashMap;

/// One operation's timing, relative to the start of the run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpTiming {
    pub label: String,
    /// The operations it waited for.
    pub after: Vec<String>,
    pub start_ms: u64,
    pub end_ms: u64,
    /// HTTP attempts it made.
    pub calls: usize,
    /// The most of them made one after another (concurrent attempts count once).
    pub chain_calls: usize,
    pub ok: bool,
}

/// The longest chain of operations by their durations: (its length in ms, its labels). No
/// schedule can finish faster than this chain takes.
pub fn critical_path(timings: &[OpTiming]) -> (u64, Vec<String>) {
    longest_chain(timings, |t| t.end_ms.saturating_sub(t.start_ms))
}

/// The longest chain of operations by the HTTP calls each made one after the other: under a
/// fixed latency per call, no schedule can finish faster than this many calls.
pub fn critical_calls(timings: &[OpTiming]) -> (u64, Vec<String>) {
    longest_chain(timings, |t| {
        u64::try_from(t.chain_calls).unwrap_or(u64::MAX)
    })
}

fn longest_chain(timings: &[OpTiming], weight: impl Fn(&OpTiming) -> u64) -> (u64, Vec<String>) {
    let index: HashMap<&str, usize> = timings
        .iter()
        .enumerate()
        .map(|(i, t)| (t.label.as_str(), i))
        .collect();
    // Operations in start order: every operation starts after those it waited for.
    let mut order: Vec<usize> = (0..timings.len()).collect();
    order.sort_by_key(|&i| timings[i].start_ms);
    let mut best: Vec<(u64, Option<usize>)> = vec![(0, None); timings.len()];
    for &i in &order {
        let t = &timings[i];
        let own = weight(t);
        let (before, from) = t
            .after
            .iter()
            .filter_map(|a| index.get(a.as_str()).copied())
            .map(|j| (best[j].0, Some(j)))
            .max()
            .unwrap_or((0, None));
        best[i] = (before + own, from);
    }
    let Some((end, _)) = best.iter().enumerate().max_by_key(|(_, b)| b.0) else {
        return (0, Vec::new());
    };
    let mut chain = Vec::new();
    let mut at = Some(end);
    while let Some(i) = at {
        chain.push(timings[i].label.clone());
        at = best[i].1;
    }
    chain.reverse();
    (best[end].0, chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(label: &str, after: &[&str], start_ms: u64, end_ms: u64) -> OpTiming {
        OpTiming {
            label: label.into(),
            after: after.iter().map(|a| a.to_string()).collect(),
            start_ms,
            end_ms,
            calls: 1,
            chain_calls: 1,
            ok: true,
        }
    }

    #[test]
    fn the_critical_path_is_the_longest_chain_of_durations() {
        // vpc (100) -> subnet (300) -> table (100); vpc -> gateway (50) -> table.
        let timings = [
            t("create vpc", &[], 0, 100),
            t("create gateway", &["create vpc"], 100, 150),
            t("create subnet", &["create vpc"], 100, 400),
            t(
                "create table",
                &["create subnet", "create gateway"],
                400,
                500,
            ),
            t("create other", &[], 0, 120),
        ];
        let (ms, chain) = critical_path(&timings);
        assert_eq!(ms, 500);
        assert_eq!(chain, ["create vpc", "create subnet", "create table"]);
        assert_eq!(critical_path(&[]), (0, vec![]));
    }
}
