//! What the user sees on stderr while work happens: a line per operation, a spinner with the
//! elapsed time while waiting. Only the coordinator calls into this (cargo's rule: one thread
//! prints).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::OnceLock;
use std::time::Duration;

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use strata_engine::exec::{Event, Reporter};
use strata_engine::provider::ProviderError;
use strata_engine::secret::Secrets;

use crate::settings::Settings;

/// The run's secrets (sensitive variables' values), masked in everything printed.
static SECRETS: OnceLock<Secrets> = OnceLock::new();

/// Sets the secrets to mask, once they are known (after the documents load).
pub fn set_secrets(secrets: Secrets) {
    let _ = SECRETS.set(secrets);
}

/// A text with every secret masked.
pub fn mask(text: &str) -> Cow<'_, str> {
    match SECRETS.get() {
        Some(s) => s.mask_text(text),
        None => Cow::Borrowed(text),
    }
}

/// Prints to stdout, secrets masked.
pub fn out(text: &str) {
    print!("{}", mask(text));
}

/// Prints a line to stdout, secrets masked.
pub fn outln(text: &str) {
    println!("{}", mask(text));
}

/// Standard error for log lines, secrets masked (the SDK's debug logs show request bodies).
pub struct MaskedStderr;

impl Write for MaskedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(mask(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Prints to stderr unless `-q`.
pub fn note(s: &Settings, msg: &str) {
    if !s.quiet {
        eprintln!("{}", mask(msg));
    }
}

/// An error with its help line.
pub fn error(s: &Settings, message: &str, help: Option<&str>) {
    let head = if s.color_err {
        style("error:").red().bold().to_string()
    } else {
        "error:".to_string()
    };
    eprintln!("{head} {}", mask(message));
    if let Some(h) = help {
        let label = if s.color_err {
            style("help:").cyan().to_string()
        } else {
            "help:".to_string()
        };
        eprintln!("  {label} {}", mask(h));
    }
}

/// Describes a provider error on one line plus help.
pub fn provider_error_text(e: &ProviderError) -> (String, Option<String>) {
    (e.to_string(), e.help.clone())
}

/// Asks for "yes" on the terminal.
pub fn confirm(question: &str) -> bool {
    eprint!("{question}\n  Only 'yes' will be accepted: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    line.trim() == "yes"
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

fn secs(d: Duration) -> String {
    if d.as_secs() >= 60 {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The progress display for apply and destroy.
pub struct Progress {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    color: bool,
    quiet: bool,
    interactive: bool,
    /// Last time a waiting line was printed per operation (non-interactive output).
    last_wait: HashMap<String, Duration>,
}

impl Progress {
    pub fn new(s: &Settings) -> Progress {
        let interactive = s.color_err && !s.quiet;
        let multi = MultiProgress::with_draw_target(if interactive {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Progress {
            multi,
            bars: HashMap::new(),
            color: s.color_err,
            quiet: s.quiet,
            interactive,
            last_wait: HashMap::new(),
        }
    }

    fn line(&self, msg: String) {
        if self.quiet {
            return;
        }
        let msg = mask(&msg).into_owned();
        if self.interactive {
            let _ = self.multi.println(msg);
        } else {
            eprintln!("{msg}");
        }
    }

    fn paint(
        &self,
        s: &str,
        f: fn(console::StyledObject<&str>) -> console::StyledObject<&str>,
    ) -> String {
        if self.color {
            f(style(s)).to_string()
        } else {
            s.to_string()
        }
    }
}

impl Reporter for Progress {
    fn event(&mut self, e: &Event) {
        match e {
            Event::Started { label } => {
                if self.interactive {
                    let pb = self.multi.add(ProgressBar::new_spinner());
                    pb.set_style(
                        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    pb.set_message(label.clone());
                    pb.enable_steady_tick(Duration::from_millis(120));
                    self.bars.insert(label.clone(), pb);
                } else {
                    self.line(format!("{label}: started"));
                }
            }
            Event::Progress {
                label,
                message,
                elapsed,
            } => {
                if let Some(pb) = self.bars.get(label) {
                    pb.set_message(format!("{label}: {message}"));
                } else {
                    // Plain output: one line per 10 seconds of waiting at most.
                    let last = self.last_wait.get(label).copied();
                    if last.is_none_or(|l| *elapsed >= l + Duration::from_secs(10)) {
                        self.last_wait.insert(label.clone(), *elapsed);
                        self.line(format!("{label}: {message} [{} elapsed]", secs(*elapsed)));
                    }
                }
            }
            Event::Finished { label, id, elapsed } => {
                if let Some(pb) = self.bars.remove(label) {
                    pb.finish_and_clear();
                }
                let id = id.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
                let mark = self.paint("✓", |s| s.green());
                self.line(format!("{mark} {label}{id} ({})", secs(*elapsed)));
            }
            Event::Failed { label, error } => {
                if let Some(pb) = self.bars.remove(label) {
                    pb.finish_and_clear();
                }
                let mark = self.paint("✗", |s| s.red());
                self.line(format!("{mark} {label}: {error}"));
            }
            Event::Skipped { label, because } => {
                let mark = self.paint("-", |s| s.dim());
                self.line(format!("{mark} {label}: skipped, because {because} failed"));
            }
            Event::Stopping { in_flight } => {
                self.line(format!(
                    "Interrupted: starting nothing new; {in_flight} operation(s) in flight. Press Ctrl-C again to stop at once (in-flight work stays journaled)."
                ));
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        for (_, pb) in self.bars.drain() {
            pb.finish_and_clear();
        }
    }
}
