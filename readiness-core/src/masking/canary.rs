//! The canary check of `security.data.log-masking`: a registered secret logged through the
//! installed subscriber must come out of a [`MaskingWriter`](super::MaskingWriter) masked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::values;
use crate::check::{CheckKind, check_fn};
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The interval of [`canary_check`]: each run writes a WARN line, so it runs rarely.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Whether a canary is in flight: the writers look for it only then, so the hot path pays one
/// relaxed load.
static CANARY_ARMED: AtomicBool = AtomicBool::new(false);
/// The last canary the masking writers saw: its nonce, and whether its secret was gone.
static CANARY: LazyLock<Mutex<Option<(String, bool)>>> = LazyLock::new(Mutex::default);
/// The canary currently in flight: `(nonce, secret)`.
static IN_FLIGHT: LazyLock<Mutex<Option<(String, String)>>> = LazyLock::new(Mutex::default);
/// When the last canary line was written, and the verdict it gave. Process-wide, like the
/// subscriber it observes: however many canary checks, reports or forced runs there are, one line
/// per interval. Held across a run, so concurrent runs wait for the one in progress.
static LAST_LINE: tokio::sync::Mutex<Option<(Instant, Outcome)>> = tokio::sync::Mutex::const_new(None);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

pub(super) fn observe_canary(masked: &[u8]) {
    if !CANARY_ARMED.load(Ordering::Relaxed) {
        return;
    }
    let in_flight = IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    if let Some((nonce, secret)) = in_flight
        && contains(masked, nonce.as_bytes())
    {
        *CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((nonce, !contains(masked, secret.as_bytes())));
    }
}

/// The canary check of `security.data.log-masking` (`logs:masking`), run every 5 minutes: see
/// [`canary_check_every`] for another interval.
///
/// It logs a fresh registered secret at WARN (target `readiness::masking_canary`) through the
/// installed subscriber and passes only when a [`MaskingWriter`](super::MaskingWriter) wrote it
/// masked. It fails when the subscriber writes the event without a masking writer or masks
/// nothing. When the event cannot be observed (no subscriber, or one that filters WARN events of
/// that target out, as `RUST_LOG=error` or `info,readiness=error` do) it **cannot tell**: a
/// warning naming the directive to add, `readiness::masking_canary=warn`, never a failure.
///
/// # Never a restart, never an outage
///
/// * **Readiness only**: never a liveness or startup check, so a logging mistake can never make
///   Kubernetes restart the pod, again and again.
/// * **Not critical**: a failing canary makes the readiness report *warn* (HTTP 200), so one
///   logging mistake shipped to every replica does not take them all out of service. Make it
///   critical, if that is what you want, with `canary_check().map_spec(CheckSpec::critical)`.
/// * **Background, slow**: it runs at startup (within the runner's jitter) and then once per
///   interval; probes read its last verdict. It writes **at most one line per interval** in the
///   process, however often it is run (a second `Readiness`, `testing::run_check`, a copy made
///   on-demand with `map_spec`): within the interval it answers the last verdict and logs
///   nothing.
///
/// # What it cannot see
///
/// The canary proves that *one* masking writer masks the event, not that *every* output does: it
/// passes as soon as one [`MaskingWriter`](super::MaskingWriter) masked it. A second layer, or a
/// writer that writes the same events elsewhere unmasked (a raw file appender, a
/// `MakeWriterExt::and` with a plain writer, an OpenTelemetry exporter, `println!` of a value),
/// leaks unseen. Wrap **every** writer the service uses:
///
/// * each `fmt` layer: `.with_writer(MaskingWriter::new(std::io::stderr))`, or
///   [`masked_fmt_layer`](super::masked_fmt_layer);
/// * a non-blocking appender, wrapped outside (masking then runs on the logging thread, before
///   the channel): `let (writer, _guard) = tracing_appender::non_blocking(file);` then
///   `.with_writer(MaskingWriter::new(writer))`;
/// * two outputs through `MakeWriterExt::and`: both wrapped (or the combined writer wrapped
///   once), as below;
/// * and the panic message with [`install_panic_hook`](super::install_panic_hook).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use readiness_core::masking::MaskingWriter;
/// use tracing_subscriber::fmt::writer::MakeWriterExt;
///
/// #[derive(Clone, Default)]
/// struct Buffer(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Buffer {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(bytes);
///         Ok(bytes.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let (console, file) = (Buffer::default(), Buffer::default());
/// let (to_console, to_file) = (console.clone(), file.clone());
/// let writer = MaskingWriter::new(move || to_console.clone()).and(MaskingWriter::new(move || to_file.clone()));
/// let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
/// tracing::subscriber::with_default(subscriber, || tracing::warn!(password = "hunter2", "login failed"));
/// for output in [console, file] {
///     let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
///     assert!(text.contains("login failed") && !text.contains("hunter2"), "{text}");
/// }
/// ```
pub fn canary_check() -> CheckRegistration {
    canary_check_every(DEFAULT_INTERVAL)
}

/// [`canary_check`], run at startup and then every `interval` (above zero, or the builder refuses
/// it), writing at most one canary line per `interval`.
///
/// ```
/// use std::time::Duration;
/// use readiness_core::CheckKind;
///
/// let canary = readiness_core::masking::canary_check_every(Duration::from_secs(60));
/// assert_eq!(canary.spec().run_interval(), Some(Duration::from_secs(60)));
/// assert!(!canary.spec().is_critical());
/// assert!(canary.spec().kinds().contains(CheckKind::Readiness));
/// assert!(!canary.spec().kinds().contains(CheckKind::Liveness));
/// ```
pub fn canary_check_every(interval: Duration) -> CheckRegistration {
    let spec = CheckSpec::new("logs:masking")
        .control("security.data.log-masking")
        .kind(CheckKind::Readiness)
        .interval(interval)
        .description("a canary secret logged through the installed subscriber comes out masked");
    CheckRegistration::new(spec, check_fn(move |_| run_canary(interval)))
}

async fn run_canary(interval: Duration) -> Outcome {
    // Checked on every run, since it logs nothing: a reloaded filter is seen at once.
    if let Some(unobservable) = unobservable() {
        return unobservable;
    }
    let mut last = LAST_LINE.lock().await;
    if let Some((_, verdict)) = last.as_ref().filter(|(at, _)| at.elapsed() < interval) {
        return verdict.clone();
    }
    let at = Instant::now();
    let verdict = log_canary().await;
    *last = Some((at, verdict.clone()));
    verdict
}

/// "Cannot tell" when nothing would write the canary: that says nothing about masking.
fn unobservable() -> Option<Outcome> {
    let no_subscriber = tracing::dispatcher::get_default(|dispatch| dispatch.is::<tracing::subscriber::NoSubscriber>());
    if no_subscriber {
        return Some(Outcome::cannot_tell(
            "no tracing subscriber is installed, so the canary cannot be seen",
            "install one that writes through MaskingWriter, for example tracing_subscriber::fmt().with_writer(MaskingWriter::new(std::io::stderr)).init()",
        ));
    }
    if !tracing::enabled!(target: "readiness::masking_canary", tracing::Level::WARN) {
        return Some(Outcome::cannot_tell(
            "the installed subscriber filters out WARN events of `readiness::masking_canary`, so the canary cannot be seen",
            "add the directive `readiness::masking_canary=warn` (for example RUST_LOG=info,readiness::masking_canary=warn)",
        ));
    }
    None
}

/// Disarms the writers when the run ends, also when the runner's timeout drops it mid-wait.
struct Armed;

impl Armed {
    fn arm(nonce: &str, secret: &str) -> Self {
        *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((nonce.to_owned(), secret.to_owned()));
        CANARY_ARMED.store(true, Ordering::SeqCst);
        Armed
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        CANARY_ARMED.store(false, Ordering::SeqCst);
        *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// Writes one canary line and reads what the masking writers saw of it.
async fn log_canary() -> Outcome {
    // One canary secret per process (registering a new one each run would grow the masker's
    // index for ever); each run is told apart by its nonce.
    static SECRET: LazyLock<String> = LazyLock::new(|| {
        let secret = format!("canary-secret-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        values::register_secret(&secret);
        secret
    });
    let nonce = format!("readiness-canary-{:016x}", fastrand::u64(..));
    let secret = SECRET.as_str();
    let armed = Armed::arm(&nonce, secret);
    tracing::warn!(target: "readiness::masking_canary", canary = %nonce, value = %secret, "log-masking canary");
    // Masking runs in the writer's `write`, even in front of a non-blocking appender, but a
    // writer of the caller's own may defer it: give it a moment.
    let mut verdict = None;
    for _ in 0..20 {
        let seen = CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some((_, masked)) = seen.filter(|(seen_nonce, _)| *seen_nonce == nonce) {
            verdict = Some(masked);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(armed);
    match verdict {
        Some(true) => Outcome::pass().with_output("a canary secret came out of the installed subscriber masked"),
        Some(false) => Outcome::fail("a canary secret came out of the installed subscriber unmasked"),
        None => Outcome::fail(
            "the installed subscriber did not write the canary through a MaskingWriter: no masking layer is installed",
        ),
    }
}
