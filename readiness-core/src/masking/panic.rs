//! A panic hook that masks the panic message: std's default hook prints it raw to stderr, so
//! `panic!("cannot connect with {url}")` would put a password in the logs past every masking
//! writer.

use std::backtrace::Backtrace;
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};

use super::mask_line;

/// Whether a panic was already reported: std prints the backtrace note only for the first one
/// and sets the later ones apart with a blank line, and so does this hook.
static PANICKED_BEFORE: AtomicBool = AtomicBool::new(false);

/// Installs a panic hook that writes every panic to stderr in the shape of std's default hook,
/// with the message masked like a log line (sensitive `key=value` fields, registered secrets,
/// the default patterns):
///
/// ```text
/// thread 'worker' panicked at src/db.rs:42:9:
/// cannot connect: password=[REDACTED]
/// note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
/// ```
///
/// With `RUST_BACKTRACE` set (`1`, or `full` for every frame) the backtrace is printed instead
/// of the note, masked too. The thread id std prints after the name is left out.
///
/// Call it once at startup, right after installing the subscriber:
///
/// ```no_run
/// tracing_subscriber::fmt()
///     .with_writer(readiness_core::masking::MaskingWriter::new(std::io::stderr))
///     .init();
/// readiness_core::masking::install_panic_hook();
/// ```
///
/// It **replaces** the current hook (std's default one, or one set before) and does not call
/// it: chaining would print the raw message again. A hook set after this one replaces it in
/// turn. Calling it again installs the same hook again, so a panic is still printed once; called
/// from a thread that is already panicking it does nothing (std would abort).
///
/// Only what the hook prints is masked: the payload that `std::panic::catch_unwind` or
/// `JoinHandle::join` returns is unchanged. The runner masks a check's panic message in the
/// check's output on its own.
pub fn install_panic_hook() {
    if std::thread::panicking() {
        return;
    }
    std::panic::set_hook(Box::new(masking_hook));
}

fn masking_hook(info: &PanicHookInfo<'_>) {
    let first = !PANICKED_BEFORE.swap(true, Ordering::Relaxed);
    let thread = std::thread::current();
    let mut report = String::new();
    if !first {
        report.push('\n');
    }
    // Writing to a String cannot fail.
    let _ = write!(report, "thread '{}' panicked", thread.name().unwrap_or("<unnamed>"));
    if let Some(location) = info.location() {
        let _ = write!(report, " at {}:{}:{}", location.file(), location.line(), location.column());
    }
    let _ = writeln!(report, ":\n{}", info.payload_as_str().unwrap_or("Box<dyn Any>"));
    // The thread name and the message are both the program's text: mask them together, so a
    // registered value written across lines (a PEM key) is still found whole.
    let mut report = mask_line(&report).into_owned();
    match backtrace_style() {
        Some(full) => {
            let backtrace = Backtrace::force_capture();
            let backtrace = if full { format!("{backtrace:#}") } else { format!("{backtrace}") };
            report.push_str("stack backtrace:\n");
            report.push_str(&mask_line(&backtrace));
            if !backtrace.ends_with('\n') {
                report.push('\n');
            }
            if !full {
                report.push_str(
                    "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n",
                );
            }
        }
        None if first => {
            report.push_str("note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n");
        }
        None => {}
    }
    // One write, so that panics of two threads do not interleave; an error has nowhere to go.
    let _ = std::io::stderr().lock().write_all(report.as_bytes());
}

/// Whether to print a backtrace, read as std reads `RUST_BACKTRACE`: `Some(true)` for `full`,
/// `Some(false)` for any other value but `0`, `None` when unset or `0`.
fn backtrace_style() -> Option<bool> {
    match std::env::var_os("RUST_BACKTRACE") {
        None => None,
        Some(value) if value == "0" => None,
        Some(value) => Some(value == "full"),
    }
}
