//! strata's benchmarks (BENCHMARKS.md): `scripts/bench` builds strata in release mode and runs
//! `strata-bench all`, which prints each measurement and rewrites BENCHMARKS.md's results.
//!
//! Speed and memory are measured here, never asserted in tests.

mod alloc;
mod ansible;
mod emulator;
mod offline;
mod recipe;
mod runs;
mod scale;
mod stacks;
mod verdict;
mod waits;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

#[derive(Parser)]
#[command(name = "strata-bench", about = "strata's benchmarks (BENCHMARKS.md)")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// The strata binary to measure (a release build).
    #[arg(long, global = true, default_value = "target/release/strata")]
    strata: PathBuf,
    /// The virtualenv with the emulator (and Ansible, installed on demand).
    #[arg(long, global = true, env = "STRATA_VENV", default_value = ".venv")]
    venv: PathBuf,
    /// Rewrite the results section of this file (BENCHMARKS.md).
    #[arg(long, global = true)]
    write: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate and plan N resources in-process, no AWS call.
    Offline {
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
    },
    /// Apply stacks of these sizes on the emulator, then measure no-op plans.
    Plan {
        #[arg(long, value_delimiter = ',', default_value = "100,1000,5000")]
        sizes: Vec<usize>,
    },
    /// Apply under a fixed latency per call, at several parallelisms, against the critical path.
    Apply {
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        #[arg(long, value_delimiter = ',', default_value = "1,4,10,32")]
        parallelism: Vec<u16>,
        /// Cells of the generated stacks (nine resources each), one stack per number.
        #[arg(long, value_delimiter = ',', default_value = "1,6")]
        cells: Vec<usize>,
    },
    /// The same lab built by Ansible (amazon.aws) and by strata, side by side.
    Ansible,
    /// A no-op plan of an example with several services, its calls against their allowance.
    Recipe {
        #[arg(long, default_value = "cookbook-1.7-alb")]
        example: String,
    },
    /// `examples/web-app` with AWS's pending times / 60: apply and destroy against their
    /// longest chain of waits.
    Waits,
    /// Everything.
    All,
}

/// One benchmark's results, as Markdown.
pub struct Section {
    pub title: String,
    pub body: String,
    pub verdict: String,
}

pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

pub fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Where the repository is (the emulator's scripts live there).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kb| format!("{} GiB", kb / 1024 / 1024),
        );
    format!("{cores} cores ({cpu}), {mem} of memory")
}

fn render(sections: &[Section]) -> String {
    let mut out = format!("Machine: {}.\n\n", machine());
    for s in sections {
        out.push_str(&format!("### {}\n\n{}\n{}\n\n", s.title, s.body, s.verdict));
    }
    out
}

/// Rewrites the results block of `path` with `text`'s sections: a section of this run replaces
/// the one of the same title, the others stay (so `scripts/bench recipe` updates its own
/// section only), and new ones are added at the end.
fn write_results(path: &PathBuf, text: &str) -> Result<(), String> {
    const START: &str = "<!-- results: written by strata-bench -->";
    const END: &str = "<!-- /results -->";
    let doc = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(a), Some(b)) = (doc.find(START), doc.find(END)) else {
        return Err(format!("{} has no {START} … {END} block", path.display()));
    };
    let merged = merge_results(&doc[a + START.len()..b], text);
    let out = format!("{}{START}\n{merged}{}", &doc[..a], &doc[b..]);
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

/// A results block as (its lines before the first section, its sections by title).
fn sections_of(block: &str) -> (String, Vec<(String, String)>) {
    let mut parts = block.split("\n### ");
    let head = parts.next().unwrap_or_default().trim().to_string();
    let sections = parts
        .map(|p| {
            let (title, body) = p.split_once('\n').unwrap_or((p, ""));
            (title.trim().to_string(), body.trim().to_string())
        })
        .collect();
    (head, sections)
}

/// The old block's sections, each replaced by this run's section of the same title, then this
/// run's new sections; the head (the machine) is this run's.
fn merge_results(old: &str, new: &str) -> String {
    let (_, mut sections) = sections_of(old);
    let (head, fresh) = sections_of(new);
    for (title, body) in fresh {
        match sections.iter_mut().find(|(t, _)| *t == title) {
            Some(slot) => slot.1 = body,
            None => sections.push((title, body)),
        }
    }
    let mut out = format!("{head}\n\n");
    for (title, body) in sections {
        out.push_str(&format!("### {title}\n\n{body}\n\n"));
    }
    out
}

fn run(cli: &Cli) -> Result<Vec<Section>, String> {
    let python = cli.venv.join("bin/python");
    let env = scale::Env {
        strata: cli.strata.clone(),
        python: python.clone(),
        repo: repo(),
    };
    if !matches!(cli.command, Cmd::Offline { .. }) && !env.strata.exists() {
        return Err(format!(
            "{} does not exist: build it with `cargo build --release --bin strata` (scripts/bench does)",
            env.strata.display()
        ));
    }
    Ok(match &cli.command {
        Cmd::Offline { resources } => vec![offline::run(*resources)?],
        Cmd::Plan { sizes } => scale::plans(&env, sizes)?,
        Cmd::Apply {
            latency_ms,
            parallelism,
            cells,
        } => vec![scale::apply_path(&env, *latency_ms, parallelism, cells)?],
        Cmd::Ansible => vec![ansible::run(&env, &cli.venv)?],
        Cmd::Recipe { example } => vec![recipe::run(&env, example)?],
        Cmd::Waits => vec![waits::run(&env)?],
        Cmd::All => {
            let mut all = scale::plans(&env, &[100, 1000, 5000])?;
            all.push(scale::apply_path(&env, 50, &[1, 4, 10, 32], &[1, 6])?);
            all.push(offline::run(10_000)?);
            all.push(ansible::run(&env, &cli.venv)?);
            all.push(recipe::run(&env, "cookbook-1.7-alb")?);
            all.push(recipe::run(&env, "cookbook-1.12-cloudfront")?);
            all.push(recipe::run(&env, "cookbook-2.1-aurora-serverless")?);
            all.push(recipe::run(&env, "web-app")?);
            all.push(waits::run(&env)?);
            all
        }
    })
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(sections) => {
            let text = render(&sections);
            print!("{text}");
            if let Some(path) = &cli.write
                && let Err(e) = write_results(path, &text)
            {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge_results;

    #[test]
    fn a_run_replaces_its_own_sections_and_keeps_the_others() {
        let old = "\nMachine: old.\n\n### 1. A\n\nold a\n\n### 2. B\n\nold b\n\n";
        let new = "Machine: new.\n\n### 2. B\n\nnew b\n\n### 6. F\n\nnew f\n\n";
        assert_eq!(
            merge_results(old, new),
            "Machine: new.\n\n### 1. A\n\nold a\n\n### 2. B\n\nnew b\n\n### 6. F\n\nnew f\n\n"
        );
    }
}
