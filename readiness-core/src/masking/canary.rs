//! The canary check of `security.data.log-masking`: a registered secret logged through the
//! installed subscriber must come out of a [`MaskingWriter`](super::MaskingWriter) masked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use super::values;
use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// Whether a canary is in flight: the writers look for it only then, so the hot path pays one
/// relaxed load.
static CANARY_ARMED: AtomicBool = AtomicBool::new(false);
/// The last canary the masking writers saw: its nonce, and whether its secret was gone.
static CANARY: LazyLock<Mutex<Option<(String, bool)>>> = LazyLock::new(Mutex::default);
/// The canary currently in flight: `(nonce, secret)`.
static IN_FLIGHT: LazyLock<Mutex<Option<(String, String)>>> = LazyLock::new(Mutex::default);

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

/// The canary check of `security.data.log-masking`: logs a fresh registered secret at WARN
/// (target `readiness::masking_canary`) through the installed global subscriber and passes only
/// when a [`MaskingWriter`](super::MaskingWriter) wrote it masked. It fails when the subscriber
/// does not write through a masking writer or masks nothing; when the subscriber filters WARN
/// events of that target out it cannot tell, and says which directive to add.
pub fn canary_check() -> CheckRegistration {
    let spec = CheckSpec::new("logs:masking")
        .control("security.data.log-masking")
        .critical()
        .description("a canary secret logged through the installed subscriber comes out masked");
    CheckRegistration::new(spec, check_fn(|_| run_canary()))
}

async fn run_canary() -> Outcome {
    // One canary secret per process (registering a new one each run would grow the masker's
    // index for ever); each run is told apart by its nonce.
    static SECRET: LazyLock<String> = LazyLock::new(|| {
        let secret = format!("canary-secret-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        values::register_secret(&secret);
        secret
    });
    // Filtered out, the canary cannot be observed at all: that says nothing about masking.
    if !tracing::enabled!(target: "readiness::masking_canary", tracing::Level::WARN) {
        return Outcome::cannot_tell(
            "the installed subscriber filters out WARN events of `readiness::masking_canary`, so the canary cannot be seen",
            "add the directive `readiness::masking_canary=warn` (for example RUST_LOG=info,readiness::masking_canary=warn)",
        );
    }
    let nonce = format!("readiness-canary-{:016x}", fastrand::u64(..));
    let secret = SECRET.clone();
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((nonce.clone(), secret.clone()));
    CANARY_ARMED.store(true, Ordering::SeqCst);
    tracing::warn!(target: "readiness::masking_canary", canary = %nonce, value = %secret, "log-masking canary");
    // Writers may be asynchronous (non-blocking appenders): give them a moment.
    let mut verdict = None;
    for _ in 0..20 {
        let seen = CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some((seen_nonce, masked)) = seen.filter(|(seen_nonce, _)| *seen_nonce == nonce) {
            verdict = Some(masked);
            let _ = seen_nonce;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    CANARY_ARMED.store(false, Ordering::SeqCst);
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    match verdict {
        Some(true) => Outcome::pass().with_output("a canary secret came out of the installed subscriber masked"),
        Some(false) => Outcome::fail("a canary secret came out of the installed subscriber unmasked"),
        None => Outcome::fail(
            "the installed subscriber did not write the canary through a MaskingWriter: no masking layer is installed",
        ),
    }
}
