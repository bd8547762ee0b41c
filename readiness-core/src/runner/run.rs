//! One run of one check: a concurrency permit, the check's timeout, panic isolation, a tracing
//! span, and the masking and bounding of everything the check wrote.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::time::Instant;
use tracing::Instrument;

use super::Engine;
use crate::attestation::format_duration;
use crate::check::{Check, CheckContext};
use crate::masking;
use crate::outcome::Outcome;

impl Engine {
    /// Runs `check` once: its outcome, masked and bounded, and how long it took.
    pub(super) async fn run_once(&self, name: &Arc<str>, check: &dyn Check, timeout: Duration) -> (Outcome, Duration) {
        let span = tracing::info_span!(
            "readiness.check",
            check = %name,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let outcome = async {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = self.permits.acquire().await;
            let started = Instant::now();
            let context = CheckContext::new(Arc::clone(name), Arc::clone(&self.state));
            // The check may panic while making its future or while it runs: catch both.
            let run = AssertUnwindSafe(async { check.run(context).await }).catch_unwind();
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(panic)) => Outcome::fail(format!("panicked: {}", panic_message(panic.as_ref()))),
                Err(_) => Outcome::fail(format!("timed out after {}", format_duration(timeout))),
            };
            (outcome, started.elapsed())
        }
        .instrument(span.clone())
        .await;
        let (outcome, duration) = outcome;
        let outcome = self.sanitize(outcome);
        span.record("status", outcome.status.as_str());
        span.record("duration_ms", duration.as_secs_f64() * 1000.0);
        (outcome, duration)
    }

    /// Masks registered secrets and bounds the size of everything a check wrote.
    fn sanitize(&self, mut outcome: Outcome) -> Outcome {
        let limit = self.settings.max_output_bytes;
        let clean = |text: &str| masking::bound(&masking::mask(text), limit).into_owned();
        outcome.output = outcome.output.as_deref().map(clean);
        outcome.observed_unit = outcome.observed_unit.as_deref().map(clean);
        if let Some(serde_json::Value::String(text)) = &outcome.observed_value {
            outcome.observed_value = Some(serde_json::Value::String(clean(text)));
        }
        outcome.evidence = outcome.evidence.iter().map(|(key, value)| (clean(key), clean(value))).collect();
        outcome
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string payload".to_owned()
    }
}
