//! The corpus's lists, written by `generate.py`: `expected.txt` (each case's diagnostic code,
//! then the codes the same mistake may also bring) and `unlocated.txt` (the cases whose
//! diagnostics cannot have a location). Read by the corpus tests of strata-model and of the
//! `strata` binary, which include this file with `#[path]`.

use std::collections::BTreeMap;
use std::path::Path;

/// The entries of a list in the corpus directory: its lines, trimmed, but blank ones and
/// `#` comments.
fn entries(corpus: &Path, list: &str) -> Vec<String> {
    let text = std::fs::read_to_string(corpus.join(list)).expect(list);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Each case's code, then the codes it may also report, from `expected.txt`.
pub fn expected(corpus: &Path) -> BTreeMap<String, Vec<String>> {
    entries(corpus, "expected.txt")
        .iter()
        .map(|l| {
            let mut words = l.split_whitespace().map(String::from);
            let name = words.next().unwrap_or_default();
            (name, words.collect())
        })
        .collect()
}

/// Case names (file or directory names) whose diagnostics have no location, from
/// `unlocated.txt`.
pub fn unlocated(corpus: &Path) -> Vec<String> {
    entries(corpus, "unlocated.txt")
}
