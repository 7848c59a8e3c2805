//! The malformed-document corpus (`tests/corpus/malformed/`, made by
//! `tests/corpus/generate.py`) through the `strata` binary.
//!
//! Each case is copied into a fresh directory as the stack's documents, next to a valid
//! lockfile, and `strata plan` runs there with an unreachable endpoint. It must exit 1 with
//! the diagnostics on stderr: the code `tests/corpus/expected.txt` gives for the case and no
//! code the list does not allow, with a `file:line:col` unless the case is listed in
//! `tests/corpus/unlocated.txt`. It must never panic, finish within ten seconds, and leave the
//! directory exactly as it was: the lockfile byte for byte, no backup, no other file.
//! Besides the corpus: a 50 MB document (made here, not kept in the repository) and an empty
//! directory. `validate` and `validate --json` run on a sample.
//!
//! The same test runs the `load` fuzz target's check (`fuzz/check/load.rs`) in process on the
//! target's seed corpus (`fuzz/corpus/load/`) and on damaged copies of each seed.
//!
//! No emulator is needed: every case fails before any AWS call.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A valid lockfile (crates/strata-engine/src/lockfile/format.rs) for a stack with nothing in it.
const LOCKFILE: &str =
    "{\"version\":1,\"lineage\":\"x\",\"serial\":1,\"stack\":\"lab\",\"region\":\"us-east-1\"}\n";
/// How long one run of strata may take.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Cases run on this many threads at once.
const THREADS: usize = 4;
/// Every this-many-th case also runs `validate` and `validate --json`.
const VALIDATE_EVERY: usize = 15;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

#[path = "../../fuzz/check/load.rs"]
mod fuzz_check;

#[path = "../corpus/lists.rs"]
mod lists;

struct Case {
    name: String,
    /// The files to put in the stack's directory (all of a directory case's files, hidden ones
    /// and variable files too).
    files: Vec<(String, Vec<u8>)>,
    located: bool,
    /// The diagnostic code the case is about, then the codes it may also report.
    codes: Vec<String>,
    /// Text stderr must contain, besides a diagnostic.
    expect: Option<&'static str>,
}

/// Every `strata::CODE` in a text.
fn codes_in(text: &str) -> Vec<&str> {
    text.match_indices("strata::")
        .map(|(i, _)| {
            let rest = &text[i..];
            let len = "strata::".len()
                + rest["strata::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .count();
            &rest[..len]
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let unlocated = lists::unlocated(&corpus());
    let mut expected = lists::expected(&corpus());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus().join("malformed"))
        .expect("the corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    let mut cases = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = if path.is_dir() {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&path)
                .expect("a directory case")
                .map(|e| {
                    let p = e.expect("entry").path();
                    let file = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (file, std::fs::read(&p).expect("read"))
                })
                .collect();
            files.sort();
            files
        } else {
            vec![(name.clone(), std::fs::read(&path).expect("read"))]
        };
        let codes = expected
            .remove(&name)
            .unwrap_or_else(|| panic!("{name} is not in tests/corpus/expected.txt"));
        cases.push(Case {
            located: !unlocated.contains(&name),
            name,
            files,
            codes,
            expect: None,
        });
    }
    assert!(cases.len() >= 220, "the corpus has {} cases", cases.len());
    assert!(
        expected.is_empty(),
        "expected.txt names cases that do not exist: {:?}",
        expected.keys()
    );
    cases.push(Case {
        name: "generated: a 50 MB document".to_string(),
        files: vec![("big.yaml".to_string(), fifty_megabytes())],
        located: false,
        codes: vec!["strata::file_too_large".to_string()],
        expect: Some("bytes; documents larger than 8388608 bytes are refused"),
    });
    cases.push(Case {
        name: "generated: an empty directory".to_string(),
        files: Vec::new(),
        located: false,
        codes: vec!["strata::no_documents".to_string()],
        expect: Some("no stack documents (*.yaml, *.yml) in ."),
    });
    cases
}

/// A well-formed document of 50 MB: only its size is wrong.
fn fifty_megabytes() -> Vec<u8> {
    let mut text = String::with_capacity(50 * 1024 * 1024 + 100);
    text.push_str("stack: lab\nresources:\n");
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "  vpc{i}:\n    kind: ec2.vpc\n    cidr_block: 10.0.0.0/16\n"
        ));
        i += 1;
    }
    text.into_bytes()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

fn read_all(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs strata in `dir`; kills it at the time limit.
fn strata(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(dir)
        .args(["--local", "--no-color"])
        .args(args)
        // Any AWS call would fail at once; none may be made.
        .env("STRATA_LOCAL_ENDPOINT", "http://127.0.0.1:9")
        .env("STRATA_MAX_WAIT_SECS", "5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("STRATA_VAR_") || k.starts_with("AWS_") || k == "NO_COLOR" {
            cmd.env_remove(k);
        }
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("run strata");
    let out = read_all(child.stdout.take().expect("stdout"));
    let err = read_all(child.stderr.take().expect("stderr"));
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for strata") {
            break Some(s);
        }
        if started.elapsed() > TIME_LIMIT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.and_then(|s| s.code()),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed: started.elapsed(),
        timed_out,
    }
}

/// Whether `text` holds a rendered location: `NAME.yaml:LINE:COL` (or `.yml`).
fn has_location(text: &str) -> bool {
    [".yaml:", ".yml:"].iter().any(|ext| {
        text.match_indices(ext).any(|(i, m)| {
            let rest = &text[i + m.len()..];
            let line = rest.chars().take_while(char::is_ascii_digit).count();
            let rest = &rest[line..];
            let col = rest
                .strip_prefix(':')
                .map_or(0, |r| r.chars().take_while(char::is_ascii_digit).count());
            line > 0 && col > 0
        })
    })
}

/// Every file of a directory with its bytes.
fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list the stack directory")
        .map(|e| {
            let p = e.expect("entry").path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = if p.is_file() {
                std::fs::read(&p).expect("read")
            } else {
                b"(a directory)".to_vec()
            };
            (name, bytes)
        })
        .collect()
}

/// Checks one run; returns what is wrong with it.
fn check_run(case: &Case, what: &str, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    let say = |m: String| format!("{} ({what}): {m}", case.name);
    if run.timed_out {
        problems.push(say(format!("still running after {TIME_LIMIT:?} (a hang)")));
        return problems;
    }
    if run.code != Some(1) {
        problems.push(say(format!(
            "exit code {:?}, expected 1\n--- stderr\n{}",
            run.code, run.stderr
        )));
    }
    if run.stderr.contains("panicked") || run.stdout.contains("panicked") {
        problems.push(say(format!("panicked:\n{}", run.stderr)));
    }
    let diagnostics = if what.ends_with("--json") {
        &run.stdout
    } else {
        &run.stderr
    };
    let codes = codes_in(diagnostics);
    if !codes.contains(&case.codes[0].as_str()) {
        problems.push(say(format!(
            "no {} diagnostic in the output:\n--- stdout\n{}\n--- stderr\n{}",
            case.codes[0], run.stdout, run.stderr
        )));
    }
    for c in codes.iter().filter(|c| !case.codes.iter().any(|a| a == *c)) {
        problems.push(say(format!(
            "reports {c}, which tests/corpus/expected.txt does not allow (allowed: {}):\n{}",
            case.codes.join(", "),
            diagnostics
        )));
    }
    if !what.ends_with("--json")
        && !run.stderr.contains("problem in the documents")
        && !run.stderr.contains("problems in the documents")
    {
        problems.push(say(format!(
            "no `N problems in the documents` line:\n{}",
            run.stderr
        )));
    }
    if case.located && !what.ends_with("--json") && !has_location(&run.stderr) {
        problems.push(say(format!("no file:line:col in:\n{}", run.stderr)));
    }
    if let Some(text) = case.expect
        && !what.ends_with("--json")
        && !run.stderr.contains(text)
    {
        problems.push(say(format!("stderr lacks `{text}`:\n{}", run.stderr)));
    }
    problems
}

/// `validate --json` prints an array of diagnostics; located cases have a line and column.
fn check_json(case: &Case, run: &Run) -> Vec<String> {
    let mut problems = check_run(case, "validate --json", run);
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&run.stdout) else {
        problems.push(format!(
            "{} (validate --json): not JSON:\n{}",
            case.name, run.stdout
        ));
        return problems;
    };
    let list = v.as_array().cloned().unwrap_or_default();
    if list.is_empty() || list.iter().any(|d| !d["code"].is_string()) {
        problems.push(format!(
            "{} (validate --json): expected diagnostics with codes, got {v}",
            case.name
        ));
    }
    let located = list.iter().any(|d| {
        d["file"].is_string() && d["line"].as_u64() > Some(0) && d["column"].as_u64() > Some(0)
    });
    if case.located && !located {
        problems.push(format!(
            "{} (validate --json): no diagnostic has file, line and column: {v}",
            case.name
        ));
    }
    problems
}

fn run_case(index: usize, case: &Case) -> (Vec<String>, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, bytes) in &case.files {
        std::fs::write(dir.path().join(file), bytes).expect("write a document");
    }
    std::fs::write(dir.path().join("strata.lock"), LOCKFILE).expect("write the lockfile");
    let before = snapshot_dir(dir.path());

    let run = strata(dir.path(), &["plan"]);
    let mut problems = check_run(case, "plan", &run);
    let mut slowest = run.elapsed;
    if index.is_multiple_of(VALIDATE_EVERY) || case.files.len() != 1 {
        let run = strata(dir.path(), &["validate"]);
        slowest = slowest.max(run.elapsed);
        problems.extend(check_run(case, "validate", &run));
        let run = strata(dir.path(), &["validate", "--json"]);
        slowest = slowest.max(run.elapsed);
        problems.extend(check_json(case, &run));
    }

    let after = snapshot_dir(dir.path());
    if after != before {
        let changed: Vec<&String> = after
            .keys()
            .chain(before.keys())
            .filter(|k| after.get(*k) != before.get(*k))
            .collect();
        problems.push(format!(
            "{}: the stack directory changed: {changed:?}",
            case.name
        ));
    }
    if dir.path().join("strata.lock.backup").exists() {
        problems.push(format!("{}: strata.lock.backup was created", case.name));
    }
    (problems, slowest)
}

/// What the fuzz check found on its inputs.
struct FuzzRun {
    seeds: usize,
    inputs: usize,
    problems: Vec<String>,
}

/// The `load` fuzz target's check, in process, on every file of its seed corpus and on three
/// damaged copies of each: cut short, one bit flipped, a stretch of up to 64 bytes removed, at
/// places drawn from a fixed seed (the same inputs on every run).
fn fuzz_check_seeds() -> FuzzRun {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/load");
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fuzz/corpus/load")
        .map(|e| e.expect("entry").path())
        .collect();
    seeds.sort();
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut draw = move |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % below.max(1)
    };
    let mut run = FuzzRun {
        seeds: seeds.len(),
        inputs: 0,
        problems: Vec::new(),
    };
    for path in &seeds {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(path).expect("read a seed");
        let mut inputs = vec![("as it is", bytes.clone())];
        if !bytes.is_empty() {
            let len = bytes.len();
            inputs.push(("cut short", bytes[..draw(len)].to_vec()));
            let mut flipped = bytes.clone();
            flipped[draw(len)] ^= 1 << draw(8);
            inputs.push(("a bit flipped", flipped));
            let mut cut = bytes.clone();
            let start = draw(len);
            let end = (start + 1 + draw(64)).min(len);
            cut.drain(start..end);
            inputs.push(("a stretch removed", cut));
        }
        for (what, input) in inputs {
            run.inputs += 1;
            match std::panic::catch_unwind(|| fuzz_check::check(&input)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => run.problems.push(format!("fuzz seed {name} ({what}): {e}")),
                Err(_) => run
                    .problems
                    .push(format!("fuzz seed {name} ({what}): the loader panicked")),
            }
        }
    }
    run
}

#[test]
fn every_malformed_document_fails_cleanly_and_leaves_the_stack_alone() {
    let sc = crate::support::Scenario::start(
        "hostile and broken input",
        "the malformed corpus (tests/corpus/malformed: YAML syntax errors, wrong types, bad \
         references, cycles, invalid CIDRs, duplicate keys, non-UTF-8 bytes, control \
         characters, deep nesting, alias bombs, an empty file, …) plus a 50 MB document and an \
         empty directory, through `strata plan` (and `validate`, `validate --json` on a sample) \
         next to a valid lockfile, each case expecting its own diagnostic code \
         (tests/corpus/expected.txt); and the fuzz target's check (fuzz/check/load.rs) in \
         process on its seed corpus and damaged copies of each seed",
    );
    let started = Instant::now();
    let cases = cases();
    let results: Vec<(Vec<String>, Duration, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let cases = &cases;
                s.spawn(move || {
                    cases
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % THREADS == t)
                        .map(|(i, c)| {
                            let (problems, took) = run_case(i, c);
                            (problems, took, c.name.clone())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker thread"))
            .collect()
    });
    let slowest = results
        .iter()
        .max_by_key(|(_, took, _)| *took)
        .map(|(_, took, name)| format!("{:.1} s, {name}", took.as_secs_f64()))
        .unwrap_or_default();
    let mut problems: Vec<String> = results.into_iter().flat_map(|(p, _, _)| p).collect();
    eprintln!(
        "{} cases through the binary in {:?}; the slowest run took {slowest}",
        cases.len(),
        started.elapsed()
    );
    let fuzz_started = Instant::now();
    let fuzz = fuzz_check_seeds();
    eprintln!(
        "the fuzz check on {} inputs from {} seeds in {:?}",
        fuzz.inputs,
        fuzz.seeds,
        fuzz_started.elapsed()
    );
    assert!(fuzz.seeds > 400, "only {} fuzz seeds", fuzz.seeds);
    problems.extend(fuzz.problems);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    sc.pass(format!(
        "{} cases: exit 1 with the case's own diagnostic code and no code it does not allow \
         (file:line:col where the input has a place), no panic, no hang (slowest run \
         {slowest}), the stack directory byte-for-byte unchanged; the fuzz check held on {} \
         inputs ({} seeds and {} damaged copies)",
        cases.len(),
        fuzz.inputs,
        fuzz.seeds,
        fuzz.inputs - fuzz.seeds
    ));
}
