//! What the `load` fuzz target checks on one input, in one place: the fuzz target
//! (`fuzz_targets/load.rs`) calls it, and so do the tests that run everywhere: the property test
//! `crates/strata-model/tests/fuzz_props.rs` and the hostile-input scenario in
//! `tests/it/corpus.rs` (over this target's seed corpus, `corpus/load/`).
//!
//! `load_sources` parses the YAML, substitutes variables, reads every resource and, when all
//! that succeeds, validates the stack. Bytes that are not UTF-8 are given as the lossy text,
//! which is what the loader would point into. Loading must end in a stack or in diagnostics
//! whose places lie inside the document; rendering them (as text and as JSON) must not panic,
//! and the text must not hold characters a terminal acts on or hides.

use strata_model::diag::{render, to_json};
use strata_model::load::{VarInputs, load_sources};
use strata_model::source::SourceFile;

/// Characters that must not reach a terminal as they are.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}' | '\u{feff}')
}

/// Loads `data` as one stack document and checks the outcome; the error says what is wrong.
/// A panic in the loader is not caught here: the fuzzer and the tests catch it.
pub fn check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data).into_owned();
    let len = text.len();
    let file = SourceFile::new("fuzz.yaml", text);
    match load_sources(vec![file], &VarInputs::default()) {
        Ok(loaded) => {
            // A loaded stack is complete: every resource has its kind and spec.
            for r in loaded.stack.resources.values() {
                let _ = r.spec.to_attrs();
            }
            Ok(())
        }
        Err(e) => {
            if e.diagnostics.is_empty() {
                return Err("a failed load has no diagnostics".to_string());
            }
            for d in e.diagnostics.iter() {
                for label in d.primary.iter().chain(d.secondary.iter()) {
                    let size = e.sources.get(label.span.file).map_or(len, |f| f.text.len());
                    if label.span.start > label.span.end || label.span.end as usize > size {
                        return Err(format!(
                            "{}: span {:?} outside the document ({size} bytes)",
                            d.code, label.span
                        ));
                    }
                }
            }
            let text = render(&e.diagnostics, &e.sources, false, 100);
            if let Some(c) = text.chars().find(|c| hidden(*c)) {
                return Err(format!(
                    "the rendered diagnostics hold {}:\n{text}",
                    c.escape_unicode()
                ));
            }
            let _ = to_json(&e.diagnostics, &e.sources);
            Ok(())
        }
    }
}
