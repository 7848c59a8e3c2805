//! Feeds arbitrary bytes to the document loader as one stack document.
//!
//! `load_sources` parses the YAML, substitutes variables, reads every resource and, when all
//! that succeeds, validates the stack (references, cycles, tags, each kind's checks). Bytes
//! that are not UTF-8 are given as the lossy text, which is what the loader would point into.
//! Whatever the input, loading must end in a stack or in diagnostics whose places lie inside
//! the document, and rendering them must not panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_model::diag::{render, to_json};
use strata_model::load::{VarInputs, load_sources};
use strata_model::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let len = text.len();
    let file = SourceFile::new("fuzz.yaml", text);
    match load_sources(vec![file], &VarInputs::default()) {
        Ok(loaded) => {
            // A loaded stack is complete: every resource has its kind and spec.
            for r in loaded.stack.resources.values() {
                let _ = r.spec.to_attrs();
            }
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "a failed load has diagnostics");
            for d in e.diagnostics.iter() {
                for label in d.primary.iter().chain(d.secondary.iter()) {
                    let size = e.sources.get(label.span.file).map_or(len, |f| f.text.len());
                    assert!(
                        label.span.start <= label.span.end && label.span.end as usize <= size,
                        "{}: span {:?} outside the document ({size} bytes)",
                        d.code,
                        label.span
                    );
                }
            }
            let _ = render(&e.diagnostics, &e.sources, false, 100);
            let _ = to_json(&e.diagnostics, &e.sources);
        }
    }
});
