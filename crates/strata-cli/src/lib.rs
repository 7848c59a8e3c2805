//! The `strata` command line.

mod args;
mod commands;
mod fail;
mod settings;
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
    match &cli.command {
        Command::Validate { json } => commands::validate(&s, *json),
        Command::Plan(a) => commands::plan_cmd(&s, a).await,
        Command::Apply(a) => commands::apply_cmd(&s, a).await,
        Command::Destroy(a) => commands::destroy_cmd(&s, a).await,
        Command::Graph { format } => commands::graph_cmd(&s, *format),
        Command::State(c) => commands::state_cmd(&s, c),
        Command::Output { name, json } => commands::output_cmd(&s, name.as_deref(), *json),
        Command::ForceUnlock => commands::force_unlock_cmd(&s),
        Command::Schema => {
            print!("{}", strata_model::schema::document_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = cli.global.quiet;
    let no_color = cli.global.no_color;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Calls abandoned on a second interrupt must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(code) => code,
        Err(f) => {
            if !f.reported {
                let s = Settings {
                    quiet,
                    color_err: !no_color && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                    ..Settings::minimal()
                };
                ui::error(&s, &f.message, f.help.as_deref());
            }
            f.exit_code()
        }
    }
}
