// Everything printed goes through strata_cli's `ui`, which survives a closed pipe.
#![deny(clippy::print_stdout, clippy::print_stderr)]

fn main() -> std::process::ExitCode {
    strata_cli::main()
}
