//! The malformed-document corpus: `tests/corpus/malformed/` (made by `tests/corpus/generate.py`).
//!
//! Every case must fail to load for the reason its name gives: with the diagnostic code
//! `tests/corpus/expected.txt` lists for it, and no code besides those the list allows as
//! consequences of the same mistake. Except for the cases listed in `tests/corpus/unlocated.txt`,
//! at least one diagnostic has a location: a file, line and column. What the user sees is
//! snapshotted, one snapshot per case, in `snapshots/corpus/`, and holds no character a
//! terminal would act on or hide (control characters, bidirectional overrides). A case that
//! panics or takes more than five seconds fails the test with its name.
//!
//! Cases without a location, by decision:
//! * files with no YAML document at all (empty, only whitespace, only comments, only a byte
//!   order mark): there is nothing to point at, the diagnostic is "no document sets `stack:`";
//! * a directory with no documents: the diagnostic names the directory;
//! * a document over the size limit (made at run time, below): the diagnostic names the file
//!   and its size, the problem is the file as a whole.
//!
//! Bytes that are not UTF-8, even at the very start of a file, do get a location: the
//! diagnostic points at the first bad byte (line 1, column 1 when it is the first one).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use strata_model::diag::render;
use strata_model::load::{LoadError, VarInputs, discover, load_sources};
use strata_model::source::{SourceFile, SourceMap};
use strata_model::{Diagnostic, Diagnostics};

/// How long one case may take to load and render.
const TIME_LIMIT: Duration = Duration::from_secs(5);
/// The terminal width the snapshots are rendered at.
const WIDTH: usize = 100;

#[path = "../../../tests/corpus/lists.rs"]
mod lists;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus")
        .canonicalize()
        .expect("tests/corpus")
}

fn malformed_dir() -> PathBuf {
    corpus().join("malformed")
}

/// What is wrong with a case's codes: its own missing, or one that the list does not allow.
fn code_problems(name: &str, codes: &[&str], allowed: Option<&Vec<String>>) -> Vec<String> {
    let Some(allowed) = allowed.filter(|a| !a.is_empty()) else {
        return vec![format!("{name}: not in expected.txt")];
    };
    let mut problems = Vec::new();
    if !codes.contains(&allowed[0].as_str()) {
        problems.push(format!(
            "{name}: no {} diagnostic (got {})",
            allowed[0],
            codes.join(", ")
        ));
    }
    for c in codes {
        if !allowed.iter().any(|a| a == c) {
            problems.push(format!(
                "{name}: reports {c}, which expected.txt does not allow (allowed: {})",
                allowed.join(", ")
            ));
        }
    }
    problems
}

/// Characters that must not reach a terminal as they are (see `diag::render`).
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}' | '\u{feff}')
}

/// What loading one case gave.
struct Outcome {
    /// The stack loaded: a malformed case that loads is a failure of the corpus or the loader.
    loaded: bool,
    diagnostics: usize,
    /// `file:line:col` of every diagnostic that has a location.
    locations: Vec<String>,
    /// Problems with the diagnostics themselves (spans outside their file).
    bad_spans: Vec<String>,
    codes: Vec<&'static str>,
    rendered: String,
}

impl Outcome {
    fn from_error(e: &LoadError, strip: &str) -> Outcome {
        Outcome::from_diagnostics(&e.diagnostics, &e.sources, strip)
    }

    fn from_diagnostics(diags: &Diagnostics, sources: &SourceMap, strip: &str) -> Outcome {
        let mut locations = Vec::new();
        let mut bad_spans = Vec::new();
        for d in diags.iter() {
            let Some(p) = &d.primary else { continue };
            let Some(file) = sources.get(p.span.file) else {
                bad_spans.push(format!("{}: its span names no file", d.code));
                continue;
            };
            if p.span.end as usize > file.text.len() {
                bad_spans.push(format!(
                    "{}: span {}..{} is past the end of {} ({} bytes)",
                    d.code,
                    p.span.start,
                    p.span.end,
                    file.name(),
                    file.text.len()
                ));
            }
            let loc = sources.location(p.span);
            if loc.line >= 1 && loc.col >= 1 {
                locations.push(loc.to_string().replace(strip, ""));
            }
        }
        Outcome {
            loaded: false,
            diagnostics: diags.len(),
            locations,
            bad_spans,
            codes: diags.iter().map(|d| d.code).collect(),
            rendered: render(diags, sources, false, WIDTH).replace(strip, ""),
        }
    }

    fn loaded() -> Outcome {
        Outcome {
            loaded: true,
            diagnostics: 0,
            locations: Vec::new(),
            bad_spans: Vec::new(),
            codes: Vec::new(),
            rendered: "ok".to_string(),
        }
    }
}

/// Loads a case as the command line would: a file, or the documents of a directory (the
/// command line's rule: `*.yaml` and `*.yml`, not hidden, not `*.vars.yaml`). Documents go
/// through `load_sources`, named by their path inside the corpus; a case with bytes that are not
/// UTF-8 cannot be a `SourceFile`, so it goes through `load`, which reads the files itself.
fn load_case(path: &Path) -> Outcome {
    let path = &path.canonicalize().expect("a corpus case");
    let base = malformed_dir();
    let strip = format!("{}/", base.display());
    let files = if path.is_dir() {
        match discover(path) {
            Ok(files) => files,
            Err(mut d) => {
                // The message names the directory: without the corpus's own place, so that
                // the text (and where it wraps) is the same wherever the clone is.
                d.message = d.message.replace(&strip, "");
                return Outcome::from_diagnostics(
                    &Diagnostics::from(d),
                    &SourceMap::default(),
                    &strip,
                );
            }
        }
    } else {
        vec![path.to_path_buf()]
    };
    let mut sources = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read a corpus file");
        let name = file.strip_prefix(&base).unwrap_or(file).to_path_buf();
        match String::from_utf8(bytes) {
            Ok(text) => sources.push(SourceFile::new(name, text)),
            Err(_) => {
                return match strata_model::load(path, &VarInputs::default()) {
                    Ok(_) => Outcome::loaded(),
                    Err(e) => Outcome::from_error(&e, &strip),
                };
            }
        }
    }
    match load_sources(sources, &VarInputs::default()) {
        Ok(_) => Outcome::loaded(),
        Err(e) => Outcome::from_error(&e, &strip),
    }
}

/// Cuts lines longer than 300 characters in the middle, so that the snapshots of the cases
/// with very long lines stay readable (the test itself sees the whole text).
fn shorten_long_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let chars = line.chars().count();
        if chars > 300 {
            let head: String = line.chars().take(150).collect();
            let tail: String = line.chars().skip(chars - 100).collect();
            out.push_str(&format!("{head}[… {} characters …]{tail}", chars - 250));
        } else {
            out.push_str(line);
        }
    }
    out
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Runs `f` on its own thread under `catch_unwind`; a panic or a run longer than the time
/// limit is an error naming the case.
fn guarded<T: Send + 'static>(
    case: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::Builder::new()
        .name(format!("case {case}"))
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn a thread");
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(p)) => Err(format!("{case}: panicked: {}", panic_message(&*p))),
        // The thread is left running: there is no way to stop it, and the test fails anyway.
        Err(_) => Err(format!(
            "{case}: still loading after {:?} (a hang)",
            started.elapsed()
        )),
    }
}

#[test]
fn malformed() {
    let unlocated = lists::unlocated(&corpus());
    let expected = lists::expected(&corpus());
    let mut seen = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut cases = 0;
    let mut slowest = (Duration::ZERO, String::new());
    insta::with_settings!({
        snapshot_path => "snapshots/corpus",
        prepend_module_to_snapshot => false,
    }, {
        insta::glob!("../../../tests/corpus", "malformed/*", |path| {
            cases += 1;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let started = Instant::now();
            let owned = path.to_path_buf();
            let outcome = match guarded(&name, move || load_case(&owned)) {
                Ok(o) => o,
                Err(e) => {
                    failures.push(e);
                    return;
                }
            };
            if started.elapsed() > slowest.0 {
                slowest = (started.elapsed(), name.clone());
            }
            seen.push(name.clone());
            if outcome.loaded {
                failures.push(format!("{name}: loaded without an error"));
                return;
            }
            if outcome.diagnostics == 0 {
                failures.push(format!("{name}: failed with no diagnostic"));
            }
            for b in &outcome.bad_spans {
                failures.push(format!("{name}: {b}"));
            }
            failures.extend(code_problems(&name, &outcome.codes, expected.get(&name)));
            if let Some(c) = outcome.rendered.chars().find(|c| hidden(*c)) {
                failures.push(format!(
                    "{name}: the rendered diagnostics hold {}",
                    c.escape_unicode()
                ));
            }
            let expect_location = !unlocated.contains(&name);
            if expect_location && outcome.locations.is_empty() {
                failures.push(format!(
                    "{name}: no diagnostic has a location ({})",
                    outcome.codes.join(", ")
                ));
            }
            if !expect_location && !outcome.locations.is_empty() {
                failures.push(format!(
                    "{name}: listed in unlocated.txt but located at {}",
                    outcome.locations.join(", ")
                ));
            }
            insta::assert_snapshot!(shorten_long_lines(&outcome.rendered));
        });
    });
    eprintln!(
        "{cases} corpus cases; the slowest took {:?} ({})",
        slowest.0, slowest.1
    );
    assert!(cases >= 220, "the corpus has {cases} cases");
    for name in expected.keys().filter(|n| !seen.contains(n)) {
        failures.push(format!("{name}: in expected.txt, but no such case"));
    }
    assert!(
        failures.is_empty(),
        "{} corpus case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A document far over the size limit (50 MB; not in the repository) is refused by its size,
/// without being parsed, quickly.
#[test]
fn a_50_mb_document_is_refused_by_its_size() {
    let outcome = guarded("50 MB document", || {
        let mut text = String::with_capacity(50 * 1024 * 1024 + 100);
        text.push_str("stack: lab\nresources:\n");
        let mut i = 0;
        while text.len() < 50 * 1024 * 1024 {
            text.push_str(&format!(
                "  vpc{i}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"
            ));
            i += 1;
        }
        let size = text.len();
        let r = load_sources(
            vec![SourceFile::new("big.yaml", text)],
            &VarInputs::default(),
        );
        (size, r.err().map(|e| Outcome::from_error(&e, "")))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (size, outcome) = outcome;
    let outcome = outcome.expect("a 50 MB document does not load");
    assert_eq!(
        outcome.codes,
        vec!["strata::file_too_large"],
        "{}",
        outcome.rendered
    );
    assert!(
        outcome.rendered.contains(&format!(
            "big.yaml is {size} bytes; documents larger than 8388608 bytes are refused"
        )),
        "{}",
        outcome.rendered
    );
}

/// A directory without documents (the command line's case; the corpus holds one with other
/// files, as git keeps no empty directory).
#[test]
fn an_empty_directory_has_no_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = strata_model::load(dir.path(), &VarInputs::default()).expect_err("nothing to load");
    let codes: Vec<&str> = e.diagnostics.iter().map(|d: &Diagnostic| d.code).collect();
    assert_eq!(codes, vec!["strata::no_documents"]);
    let text = render(&e.diagnostics, &e.sources, false, WIDTH);
    assert!(
        text.contains("no stack documents (*.yaml, *.yml) in"),
        "{text}"
    );
}
