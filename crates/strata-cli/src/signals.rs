//! SIGINT, SIGTERM and SIGHUP, watched from the start of the process, before the documents are
//! loaded, whatever disposition strata inherited: a shell starts a background job with SIGINT
//! ignored, and `kill -INT` must still stop it. The one exception is a SIGHUP ignored on entry,
//! which stays ignored: `nohup strata apply` asked to outlive the terminal.
//!
//! Before the first change (loading, locking, reading, planning, asking), a signal stops the
//! command at once: nothing was changed, and the lock is released as the command unwinds. Once
//! the executor runs, the first signal makes it start nothing new and wait briefly for the calls
//! in flight; a second one, or two seconds after a SIGTERM or SIGHUP, stops it at once (calls in
//! flight stay journaled). Either way the lockfile is saved and the lock released. The exit code
//! is 128 + the first signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use strata_engine::exec::Cancel;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::fail::Failure;
use crate::settings::Settings;
use crate::ui;

/// Nothing changed yet: a signal stops the command at once.
const PLANNING: u8 = 0;
/// The executor runs: it handles signals itself.
const CHANGING: u8 = 1;
/// A signal came while planning: the command must not change anything.
const STOPPED: u8 = 2;

struct State {
    cancel: watch::Sender<Cancel>,
    phase: AtomicU8,
    /// The exit code for the first signal (128 + its number); 0 before any.
    code: AtomicU8,
    received: AtomicUsize,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        cancel: watch::Sender::new(Cancel::Run),
        phase: AtomicU8::new(PLANNING),
        code: AtomicU8::new(0),
        received: AtomicUsize::new(0),
    })
}

/// Whether `sig` was ignored when strata started.
#[allow(unsafe_code)]
fn ignored_on_entry(sig: libc::c_int) -> bool {
    // SAFETY: sigaction(2) with no new action only reads the current one into `old`, a
    // zero-initialised plain C struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &raw mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Installs the handlers and starts watching. Call first thing, inside the runtime.
pub fn install() {
    let hup = if ignored_on_entry(libc::SIGHUP) {
        None
    } else {
        signal(SignalKind::hangup()).ok()
    };
    let int = signal(SignalKind::interrupt()).ok();
    let term = signal(SignalKind::terminate()).ok();
    tokio::spawn(watch_signals(int, term, hup));
}

/// The next delivery of a signal; never, for one not watched.
async fn next(s: &mut Option<Signal>) {
    let delivered = match s {
        Some(s) => s.recv().await.is_some(),
        None => false,
    };
    if !delivered {
        std::future::pending::<()>().await;
    }
}

async fn watch_signals(mut int: Option<Signal>, mut term: Option<Signal>, mut hup: Option<Signal>) {
    loop {
        let code = tokio::select! {
            () = next(&mut int) => 130,
            () = next(&mut term) => 143,
            () = next(&mut hup) => 129,
        };
        received(code);
    }
}

fn received(code: u8) {
    let st = state();
    let _ = st
        .code
        .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
    let _ = st
        .phase
        .compare_exchange(PLANNING, STOPPED, Ordering::SeqCst, Ordering::SeqCst);
    st.received.fetch_add(1, Ordering::SeqCst);
    let next = if *st.cancel.borrow() == Cancel::Run {
        Cancel::Stop
    } else {
        Cancel::Abort
    };
    st.cancel.send_replace(next);
    if next == Cancel::Stop && code != 130 {
        // SIGTERM and SIGHUP come from something that will not wait long (CI kills 10 s
        // later; a hung-up terminal cannot press Ctrl-C again).
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            state().cancel.send_replace(Cancel::Abort);
        });
    }
}

/// How many signals came so far.
pub fn received_count() -> usize {
    state().received.load(Ordering::SeqCst)
}

/// The exit code for the first signal, once one came.
pub fn exit_code() -> Option<u8> {
    Some(state().code.load(Ordering::SeqCst)).filter(|c| *c != 0)
}

/// The first signal's name (`SIGINT` before any).
pub fn first_name() -> &'static str {
    name(exit_code().unwrap_or(130))
}

fn name(code: u8) -> &'static str {
    match code {
        129 => "SIGHUP",
        143 => "SIGTERM",
        _ => "SIGINT",
    }
}

/// The executor's cancellation, driven by the signals.
pub fn receiver() -> watch::Receiver<Cancel> {
    state().cancel.subscribe()
}

/// Called right before the first change: from now on the executor handles signals. Fails with
/// the exit code when a signal came before.
pub fn start_changes() -> Result<(), u8> {
    let st = state();
    match st
        .phase
        .compare_exchange(PLANNING, CHANGING, Ordering::SeqCst, Ordering::SeqCst)
    {
        Err(STOPPED) => Err(st.code.load(Ordering::SeqCst)),
        _ => Ok(()),
    }
}

/// Completes, with the exit code, when a signal comes before the first change.
pub async fn before_changes() -> u8 {
    let st = state();
    let mut rx = st.cancel.subscribe();
    loop {
        if st.phase.load(Ordering::SeqCst) == STOPPED {
            return st.code.load(Ordering::SeqCst);
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Says once that a signal stopped the command before it changed anything.
pub fn stopped_before_changes(s: &Settings, code: u8) -> Failure {
    static TOLD: AtomicBool = AtomicBool::new(false);
    if !TOLD.swap(true, Ordering::SeqCst) {
        ui::note(
            s,
            &format!(
                "Interrupted ({}) before any change: nothing was changed.",
                name(code)
            ),
        );
    }
    Failure::reported(code)
}
