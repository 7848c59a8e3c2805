//! The `strata` command line.

// Only `ui` writes to stdout and stderr (it never panics on a closed pipe); see also
// clippy.toml's disallowed methods.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod events;
mod expiry;
mod fail;
mod generate;
mod import;
mod migrate;
mod scoped;
mod settings;
mod signals;
mod state_edit;
mod store;
mod sweep;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::fail::Failure;
use crate::settings::Settings;

/// `-vv`: debug logs; `-vvv`: trace logs. Never the SDK's dumps of requests and responses
/// (`aws_smithy_runtime` at trace level): they hold credentials' session tokens and values
/// strata cannot know to mask (a secret's previous value in a live resource).
fn init_logging(s: &Settings) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = match s.verbose {
        0 | 1 => return,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_default(level)
        .with_target("aws_smithy_runtime", level.min(LevelFilter::DEBUG))
        .with_target("aws_smithy_http_client", level.min(LevelFilter::DEBUG))
        .with_target("hyper", level.min(LevelFilter::DEBUG))
        .with_target("hyper_util", level.min(LevelFilter::DEBUG))
        // The canonical request it logs holds the session token.
        .with_target("aws_sigv4", level.min(LevelFilter::INFO));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(|| ui::MaskedStderr)
                .with_ansi(s.color_err),
        )
        .with(filter)
        .try_init();
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let s = Settings::from_args(&cli.global)?;
    init_logging(&s);
    tokio::select! {
        biased;
        r = command(&s, &cli.command) => r,
        code = signals::before_changes() => Err(signals::stopped_before_changes(&s, code)),
    }
}

async fn command(s: &Settings, command: &Command) -> Result<ExitCode, Failure> {
    let many_regions = matches!(command, Command::Sweep(a) if a.expired);
    if s.regions.len() > 1 && !many_regions {
        return Err(Failure::new(format!(
            "--region is given {} times: this command works in one region",
            s.regions.len()
        ))
        .help("give --region once (only `strata sweep --expired` looks in several regions)"));
    }
    match command {
        Command::Validate { json } => commands::validate(s, *json),
        Command::Plan(a) => commands::plan_cmd(s, a).await,
        Command::Apply(a) => commands::apply_cmd(s, a).await,
        Command::Destroy(a) => commands::destroy_cmd(s, a).await,
        Command::Graph { format } => commands::graph_cmd(s, *format),
        Command::Cost { json } => commands::cost_cmd(s, *json),
        Command::State(c) => commands::state_cmd(s, c).await,
        Command::Import { name, id } => import::import_cmd(s, name, id).await,
        Command::Generate(a) => generate::generate_cmd(s, &generate::GenerateOpts::of(s, a)?).await,
        Command::Output { name, json, raw } => {
            commands::output_cmd(s, name.as_deref(), commands::OutputForm::of(*json, *raw)).await
        }
        Command::Wait(a) => commands::wait_cmd(s, a).await,
        Command::Sweep(a) => {
            let o = sweep::SweepOpts {
                stack: a.stack.clone().unwrap_or_default(),
                region: s.region.clone(),
                auto_approve: a.rounds.auto_approve,
                parallelism: a.rounds.parallelism,
                rounds: a.rounds.rounds,
                state: s.state.clone(),
            };
            if a.expired {
                expiry::sweep_expired(s, a.confirm, &o).await
            } else {
                sweep::sweep(s, &o).await
            }
        }
        Command::ForceUnlock { id } => commands::force_unlock_cmd(s, *id).await,
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell.shell(), &mut cli_definition(), "strata", &mut out);
            ui::out(&String::from_utf8_lossy(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { plan_file, format } => commands::show_cmd(s, plan_file, *format),
        Command::Schema => {
            ui::out(&strata_model::schema::document_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The command line's definition (clap's), for tests and generated documentation.
pub fn cli_definition() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// `--help`, `--version` (stdout, exit 0) and usage errors (stderr, exit 2), printed as clap
/// would, through [`ui`].
fn clap_exit(e: &clap::Error) -> ExitCode {
    let to_stderr = e.use_stderr();
    let terminal = if to_stderr {
        ui::stderr_is_terminal()
    } else {
        ui::stdout_is_terminal()
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::args_os().any(|a| a == "--no-color");
    let text = if terminal && !no_color {
        e.render().ansi().to_string()
    } else {
        e.render().to_string()
    };
    if to_stderr {
        ui::err(&text);
    } else {
        ui::out(&text);
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Runs the command line and returns the process exit code.
///
/// Exit codes: 0 done; 1 an error (reported); 2 a usage error, or `plan --detailed-exitcode`
/// with changes; 130, 143, 129 stopped by SIGINT, SIGTERM, SIGHUP (the lockfile saved, the lock
/// released). A closed stdout or stderr changes none of them (see [`ui`]).
pub fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            ui::errln(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    // Before anything else, so that no signal is lost or kills strata half-way.
    runtime.block_on(async { signals::install() });
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let quiet = cli.global.quiet;
    let no_color = cli.global.no_color;
    let verbose = cli.global.verbose;
    let result = runtime.block_on(run(cli));
    // Calls abandoned on a second interrupt must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let s = Settings {
        quiet,
        verbose,
        color_err: !no_color && ui::stderr_is_terminal(),
        ..Settings::minimal()
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            if !f.reported {
                ui::error_with_detail(&s, &f.message, f.help.as_deref(), f.detail.as_deref());
            }
            events::failed(&f.message, f.help.as_deref());
            f.exit_code()
        }
    };
    match ui::output_failure() {
        Some(e) => {
            ui::error(
                &s,
                &format!("could not write all of the output to stdout: {e}"),
                Some(
                    "fix where stdout goes and run the command again to see it; what an apply \
                     changed is in the lockfile either way",
                ),
            );
            if code == ExitCode::SUCCESS {
                ExitCode::FAILURE
            } else {
                code
            }
        }
        None => code,
    }
}

#[cfg(test)]
mod tests {
    /// A command's own argument never shares its id with a global option: clap would then
    /// give both one value (`state push FILE` once became the documents' `--file`).
    #[test]
    fn no_command_argument_shares_an_id_with_a_global_option() {
        let cli = super::cli_definition();
        let globals: Vec<String> = cli
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .collect();
        let mut stack: Vec<(String, &clap::Command)> = cli
            .get_subcommands()
            .map(|c| (c.get_name().to_string(), c))
            .collect();
        while let Some((path, c)) = stack.pop() {
            for a in c.get_arguments().filter(|a| !a.is_global_set()) {
                let id = a.get_id().to_string();
                assert!(
                    !globals.contains(&id),
                    "`strata {path}`'s argument `{id}` has a global option's id"
                );
            }
            stack.extend(
                c.get_subcommands()
                    .map(|s| (format!("{path} {}", s.get_name()), s)),
            );
        }
    }
}
