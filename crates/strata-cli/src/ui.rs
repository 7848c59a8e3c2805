//! Everything strata writes to its standard streams, and the progress display.
//!
//! This module owns stdout and stderr: nothing else in the crate prints (clippy's
//! `print_stdout`, `print_stderr` and the `disallowed-methods` of `clippy.toml` enforce it).
//! A write never panics. When one fails (the reader went away, as in `strata apply | head`, the
//! terminal hung up, the disk is full), that stream is closed for the rest of the run: nothing
//! more is written to it, and the work goes on to its end, lockfile and lock included. A closed
//! pipe changes nothing else, not even the exit code; any other failure to write stdout, whose
//! text a script may be reading, is reported at the end on stderr and makes a run that
//! succeeded exit 1 (see [`output_failure`]). Only the coordinator calls into the progress
//! display (cargo's rule: one thread prints).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use strata_engine::exec::{Event, Reporter};
use strata_engine::secret::Secrets;

use crate::settings::Settings;
use crate::signals;

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

/// One standard stream: open until a write to it fails.
struct Stream {
    closed: AtomicBool,
    /// The first failure to write that was not a closed pipe.
    failure: OnceLock<String>,
}

impl Stream {
    const fn new() -> Stream {
        Stream {
            closed: AtomicBool::new(false),
            failure: OnceLock::new(),
        }
    }

    /// Writes and flushes all of `bytes`, or closes the stream.
    fn write(&self, mut w: impl Write, bytes: &[u8]) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        if let Err(e) = w.write_all(bytes).and_then(|()| w.flush()) {
            self.closed.store(true, Ordering::Relaxed);
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = self.failure.set(e.to_string());
            }
        }
    }
}

static STDOUT: Stream = Stream::new();
static STDERR: Stream = Stream::new();

#[allow(clippy::disallowed_methods)] // the one place that writes stdout
fn write_stdout(bytes: &[u8]) {
    STDOUT.write(io::stdout().lock(), bytes);
}

#[allow(clippy::disallowed_methods)] // the one place that writes stderr
fn write_stderr(bytes: &[u8]) {
    STDERR.write(io::stderr().lock(), bytes);
}

#[allow(clippy::disallowed_methods)]
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

#[allow(clippy::disallowed_methods)]
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// The width of the terminal on stderr, for diagnostics (100 when it is not a terminal).
#[allow(clippy::disallowed_methods)]
pub fn stderr_width() -> usize {
    console::Term::stderr()
        .size_checked()
        .map_or(100, |(_, w)| usize::from(w).max(60))
}

/// Prints to stdout, secrets masked.
pub fn out(text: &str) {
    write_stdout(mask(text).as_bytes());
}

/// Prints a line to stdout, secrets masked.
pub fn outln(text: &str) {
    write_stdout(format!("{}\n", mask(text)).as_bytes());
}

/// Prints to stderr, secrets masked, whatever `-q` says (diagnostics, errors).
pub fn err(text: &str) {
    write_stderr(mask(text).as_bytes());
}

/// Prints a line to stderr, secrets masked, whatever `-q` says.
pub fn errln(text: &str) {
    write_stderr(format!("{}\n", mask(text)).as_bytes());
}

/// Why what was written to stdout is incomplete, if a write failed for another reason than a
/// reader that went away (a full disk, an I/O error): a script reading it must not take it for
/// the whole. `None` when stdout took everything, or when its reader closed the pipe.
pub fn output_failure() -> Option<String> {
    STDOUT.failure.get().cloned()
}

/// Standard error for log lines, secrets masked (the SDK's debug logs show request bodies).
pub struct MaskedStderr;

impl Write for MaskedStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        err(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Prints to stderr unless `-q`.
pub fn note(s: &Settings, msg: &str) {
    if !s.quiet {
        errln(msg);
    }
}

/// An error with its help line, rendered as the documents' diagnostics are (miette).
pub fn error(s: &Settings, message: &str, help: Option<&str>) {
    error_with_detail(s, message, help, None);
}

/// An error with its help line and, with `-v`, the underlying error's chain (text, never the
/// SDK's `Debug` forms), rendered as the documents' diagnostics are (miette's graphical
/// handler): one printing path for every error strata reports.
pub fn error_with_detail(s: &Settings, message: &str, help: Option<&str>, detail: Option<&str>) {
    use miette::{GraphicalReportHandler, GraphicalTheme, MietteDiagnostic};
    let mut d = MietteDiagnostic::new(message);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    let theme = if s.color_err {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Wrapped to the terminal's width; unwrapped when stderr is a file or a pipe, so that a
    // log keeps each message on one line.
    let width = if stderr_is_terminal() {
        stderr_width()
    } else {
        usize::MAX / 2
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut text = String::new();
    if handler.render_report(&mut text, &d).is_err() {
        text = format!("error: {message}\n");
        if let Some(h) = help {
            text.push_str(&format!("  help: {h}\n"));
        }
    }
    if s.verbose > 0
        && let Some(detail) = detail
    {
        text.push_str(&format!("  cause: {detail}\n"));
    }
    err(&text);
}

/// Asks for "yes" on the terminal. The answer is read on a blocking thread, so that a signal
/// stops the command while it waits.
pub async fn confirm(question: &str) -> bool {
    err(&format!("{question}\n  Only 'yes' will be accepted: "));
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await;
    matches!(answer, Ok(Ok(line)) if line.trim() == "yes")
}

pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// The progress display's terminal: stderr, through [`write_stderr`].
#[derive(Debug)]
struct StderrTerm;

impl TermLike for StderrTerm {
    #[allow(clippy::disallowed_methods)]
    fn width(&self) -> u16 {
        console::Term::stderr().size().1
    }

    #[allow(clippy::disallowed_methods)]
    fn height(&self) -> u16 {
        console::Term::stderr().size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        write_stderr(format!("{s}\n").as_bytes());
        Ok(())
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        write_stderr(s.as_bytes());
        Ok(())
    }

    fn clear_line(&self) -> io::Result<()> {
        write_stderr(b"\r\x1b[2K");
        Ok(())
    }

    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

impl StderrTerm {
    fn escape(&self, n: usize, code: char) -> io::Result<()> {
        if n > 0 {
            write_stderr(format!("\x1b[{n}{code}").as_bytes());
        }
        Ok(())
    }
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
    /// Signals already told about ("Interrupted" is printed once per signal).
    signals_told: usize,
}

impl Progress {
    pub fn new(s: &Settings) -> Progress {
        let interactive = s.color_err && !s.quiet;
        let multi = MultiProgress::with_draw_target(if interactive {
            ProgressDrawTarget::term_like(Box::new(StderrTerm))
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
            signals_told: 0,
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
            errln(&msg);
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

    /// The executor stops: "Interrupted" for each signal that came since the last time, else
    /// (the grace after SIGTERM or SIGHUP is over) why it stops at once.
    fn stopping(&mut self, in_flight: usize) {
        let received = signals::received_count();
        let told = std::mem::replace(&mut self.signals_told, received);
        let name = signals::first_name();
        let msg = if received == told {
            format!(
                "Stopping at once, 2 s after {name}: {in_flight} operation(s) in flight stay \
                 journaled for the next run."
            )
        } else if told == 0 {
            format!(
                "Interrupted ({name}): starting nothing new; {in_flight} operation(s) in flight. \
                 Interrupt again to stop at once (in-flight work stays journaled)."
            )
        } else {
            format!(
                "Interrupted again: stopping at once; {in_flight} operation(s) in flight stay \
                 journaled for the next run."
            )
        };
        self.line(msg);
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
            Event::Stopping { in_flight } => self.stopping(*in_flight),
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
