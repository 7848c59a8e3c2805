//! A failure to report to the user: what went wrong, what to do, and the exit code.

use std::process::ExitCode;

use strata_engine::provider::ProviderError;

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub help: Option<String>,
    /// The underlying error's chain, as text, shown with `-v`.
    pub detail: Option<String>,
    pub code: u8,
    /// Already reported (e.g. diagnostics were printed): print nothing more.
    pub reported: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            help: None,
            detail: None,
            code: 1,
            reported: false,
        }
    }

    /// A failure whose details were already printed.
    pub fn reported(code: u8) -> Failure {
        Failure {
            message: String::new(),
            help: None,
            detail: None,
            code,
            reported: true,
        }
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Failure {
        self.help = Some(help.into());
        self
    }

    /// A provider's error (its action, code, message, help and chain), after `context`
    /// ("reading the live state failed") when there is one.
    pub fn provider(context: Option<&str>, e: &ProviderError) -> Failure {
        let message = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        Failure {
            help: e.help.clone(),
            detail: e.detail.as_deref().map(str::to_string),
            ..Failure::new(message)
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl From<strata_engine::lockfile::LockfileError> for Failure {
    fn from(e: strata_engine::lockfile::LockfileError) -> Self {
        let help = e.help();
        Failure::new(e.to_string()).help(help)
    }
}

impl From<strata_engine::lockfile::LockError> for Failure {
    fn from(e: strata_engine::lockfile::LockError) -> Self {
        let help = match &e {
            strata_engine::lockfile::LockError::Held(_)
            | strata_engine::lockfile::LockError::HeldUnknown => {
                "wait for that run to finish; if it is gone for good, run `strata force-unlock`"
            }
            strata_engine::lockfile::LockError::Io { .. } => "check the directory's permissions",
        };
        Failure::new(e.to_string()).help(help)
    }
}

impl From<strata_engine::exec::ExecError> for Failure {
    fn from(e: strata_engine::exec::ExecError) -> Self {
        match e {
            strata_engine::exec::ExecError::Lockfile(l) => l.into(),
            strata_engine::exec::ExecError::Cycle(c) => Failure::new(c.to_string()).help(
                "this is a bug in strata's ordering; please report it with `strata plan --json`",
            ),
        }
    }
}
