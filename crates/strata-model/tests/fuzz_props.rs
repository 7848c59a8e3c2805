//! Property tests that run the `load` fuzz target's check (`fuzz/check/load.rs`, the same code
//! the fuzz target runs) in the normal suite, on damaged corpus and example documents, arbitrary
//! bytes and fragments of YAML: loading ends in a stack or in diagnostics whose places lie inside
//! the document, rendering them holds no character a terminal acts on, and nothing panics. The
//! fuzzer (`fuzz/README.md`) explores the same check for longer. Bytes that are not UTF-8 are
//! also loaded from a file, as the command line reads them: refused as `strata::not_utf8`.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use strata_model::diag::render;
use strata_model::load::{LoadError, VarInputs};

#[path = "../../../fuzz/check/load.rs"]
mod fuzz_check;

/// Seeds larger than this are left out, to keep each case fast.
const MAX_SEED: usize = 16 * 1024;

/// The corpus's documents (files of directory cases too) and the examples' documents.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut paths = Vec::new();
        for dir in [root.join("tests/corpus/malformed"), root.join("examples")] {
            for entry in std::fs::read_dir(&dir).expect("a seed directory") {
                let p = entry.expect("entry").path();
                if p.is_dir() {
                    for inner in std::fs::read_dir(&p).expect("a case directory") {
                        paths.push(inner.expect("entry").path());
                    }
                } else {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        let seeds: Vec<Vec<u8>> = paths
            .iter()
            .filter(|p| p.is_file())
            .map(|p| std::fs::read(p).expect("read a seed"))
            .filter(|b| b.len() <= MAX_SEED)
            .collect();
        assert!(seeds.len() > 200, "only {} seeds", seeds.len());
        seeds
    })
}

/// One change to a document. Positions are taken modulo the document's length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: usize, bit: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    DuplicateLine { at: usize },
}

/// Fragments that matter to YAML and to strata, besides random bytes.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "&a ",
    "*a",
    "${",
    "}",
    "${var.x}",
    "${vpc.id}",
    "\"",
    "'",
    "\t",
    "\n",
    "\r\n",
    "---\n",
    "...\n",
    "<<: ",
    "!!str ",
    "!x ",
    "%YAML 1.2\n",
    "#",
    "? ",
    "|\n",
    ">-\n",
    "~",
    "\u{feff}",
    "\u{202e}",
    "é",
    "kind: ec2.vpc\n",
    "depends_on: [vpc]",
    "cidr_block: 10.0.0.0/16",
    "    ",
    "\\u0000",
    "\0",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), bytes).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        any::<usize>().prop_map(|at| Mutation::DuplicateLine { at }),
    ]
}

fn apply(doc: &mut Vec<u8>, m: &Mutation) {
    let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
    match m {
        Mutation::FlipBit { at, bit } => {
            if !doc.is_empty() {
                let i = at % doc.len();
                doc[i] ^= 1 << bit;
            }
        }
        Mutation::Insert { at, bytes } => {
            let i = pos(*at, doc.len());
            doc.splice(i..i, bytes.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let i = pos(*at, doc.len());
            let end = (i + len).min(doc.len());
            doc.drain(i..end);
        }
        Mutation::Truncate { at } => {
            let i = pos(*at, doc.len());
            doc.truncate(i);
        }
        Mutation::DuplicateLine { at } => {
            let i = pos(*at, doc.len());
            let start = doc[..i]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let end = doc[i..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(doc.len(), |p| i + p + 1);
            let line = doc[start..end].to_vec();
            doc.splice(start..start, line);
        }
    }
}

/// A failure must have diagnostics, with places inside their files, that render.
fn check_error(e: &LoadError) -> Result<(), TestCaseError> {
    prop_assert!(!e.diagnostics.is_empty(), "a failed load has diagnostics");
    for d in e.diagnostics.iter() {
        for label in d.primary.iter().chain(d.secondary.iter()) {
            let size = e.sources.get(label.span.file).map(|f| f.text.len());
            prop_assert!(size.is_some(), "{}: a span in no file", d.code);
            prop_assert!(
                label.span.start <= label.span.end && Some(label.span.end as usize) <= size,
                "{}: span {:?} outside its file ({size:?} bytes)",
                d.code,
                label.span
            );
        }
    }
    let _ = render(&e.diagnostics, &e.sources, false, 100);
    Ok(())
}

/// The fuzz target's check; bytes that are not UTF-8 also from a file, through `load` (a
/// `SourceFile` holds text only), which must refuse them.
fn check_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    fuzz_check::check(bytes).map_err(TestCaseError::fail)?;
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(_) => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("mutated.yaml");
            std::fs::write(&path, bytes).expect("write");
            match strata_model::load(&path, &VarInputs::default()) {
                Ok(_) => Err(TestCaseError::fail("bytes that are not UTF-8 loaded")),
                Err(e) => {
                    prop_assert!(
                        e.diagnostics.iter().any(|d| d.code == "strata::not_utf8"),
                        "not UTF-8, but no strata::not_utf8 diagnostic"
                    );
                    check_error(&e)
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Corpus and example documents, damaged: byte flips, insertions, deletions,
    /// truncation, duplicated lines.
    #[test]
    fn damaged_documents(seed in 0..seeds().len(), mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut doc = seeds()[seed].clone();
        for m in &mutations {
            apply(&mut doc, m);
        }
        check_bytes(&doc)?;
    }

    /// Arbitrary bytes.
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_bytes(&bytes)?;
    }

    /// Arbitrary text made of YAML and strata fragments.
    #[test]
    fn fragment_soup(parts in proptest::collection::vec(proptest::sample::select(TOKENS), 0..64)) {
        check_bytes(parts.concat().as_bytes())?;
    }
}
