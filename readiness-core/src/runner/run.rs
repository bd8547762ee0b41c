//! One run of one check: a concurrency permit, the check's timeout, panic isolation, a tracing
//! span, and the masking and bounding of everything the check wrote.

use std::borrow::Cow;
use std::collections::BTreeMap;
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
    /// Runs `check` once: its outcome, masked and bounded, how long it took and when it ended.
    pub(super) async fn run_once(
        &self,
        name: &Arc<str>,
        check: &dyn Check,
        timeout: Duration,
    ) -> (Outcome, Duration, Instant) {
        // Only when a subscriber may want it: otherwise `tracing`'s `log` fallback (a feature a
        // dependency may turn on) still costs on every enter, exit and record, a third of a
        // no-op check's run.
        let span = if tracing::Level::INFO <= tracing::level_filters::STATIC_MAX_LEVEL
            && tracing::Level::INFO <= tracing::level_filters::LevelFilter::current()
        {
            tracing::info_span!(
                "readiness.check",
                check = %name,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            )
        } else {
            tracing::Span::none()
        };
        let outcome = async {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = self.permits.acquire().await;
            let started = Instant::now();
            let context = CheckContext::new(Arc::clone(name), Arc::clone(&self.state));
            // The check may panic while making its future or while it runs: catch both.
            let run = AssertUnwindSafe(async { check.run(context).await }).catch_unwind();
            // Not `timeout_at(started + timeout)`: the sum panics for a timeout of `Duration::MAX`.
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(panic)) => Outcome::fail(format!("panicked: {}", panic_message(panic.as_ref()))),
                Err(_) => Outcome::fail(format!("timed out after {}", format_duration(timeout))),
            };
            let finished = Instant::now();
            (outcome, finished - started, finished)
        }
        .instrument(span.clone())
        .await;
        let (outcome, duration, finished) = outcome;
        let outcome = self.sanitize(outcome);
        if !span.is_none() {
            span.record("status", outcome.status.as_str());
            span.record("duration_ms", duration.as_secs_f64() * 1000.0);
        }
        (outcome, duration, finished)
    }

    /// Masks registered secrets and bounds the size of everything a check wrote: each text to
    /// `max_output_bytes`, the observed value (masked throughout, whatever its shape) to
    /// `max_output_bytes` of JSON, the evidence to [`MAX_EVIDENCE_ENTRIES`].
    fn sanitize(&self, mut outcome: Outcome) -> Outcome {
        // Most passing checks write nothing: skip rebuilding an empty outcome.
        let wrote = outcome.output.is_some()
            || outcome.observed_unit.is_some()
            || outcome.observed_value.is_some()
            || !outcome.evidence.is_empty();
        if !wrote {
            return outcome;
        }
        let limit = self.settings.max_output_bytes;
        let clean = |text: &str| masking::bound(&masking::mask(text), limit).into_owned();
        outcome.output = outcome.output.as_deref().map(clean);
        outcome.observed_unit = outcome.observed_unit.as_deref().map(clean);
        outcome.observed_value = outcome.observed_value.take().map(|value| match value {
            serde_json::Value::String(text) => serde_json::Value::String(clean(&text)),
            other => bound_value(mask_value(other), limit),
        });
        outcome.evidence = bound_evidence(std::mem::take(&mut outcome.evidence), clean);
        outcome
    }
}

/// The most evidence entries a result keeps: past it, the first 127 (in key order) and one more,
/// [`LEFT_OUT_KEY`], saying how many were left out. A check dumping a table into its evidence
/// would otherwise make every report, and every probe answer that shows details, as large.
/// (The JWT probe writes a dozen entries per route it probes: a few routes must fit.)
const MAX_EVIDENCE_ENTRIES: usize = 128;

/// The key of the entry that says how many evidence entries were left out.
const LEFT_OUT_KEY: &str = "evidence_left_out";

fn bound_evidence(evidence: BTreeMap<String, String>, clean: impl Fn(&str) -> String) -> BTreeMap<String, String> {
    let total = evidence.len();
    let keep = if total > MAX_EVIDENCE_ENTRIES { MAX_EVIDENCE_ENTRIES - 1 } else { total };
    let mut bounded: BTreeMap<String, String> =
        evidence.iter().take(keep).map(|(key, value)| (clean(key), clean(value))).collect();
    if keep < total {
        bounded.insert(
            LEFT_OUT_KEY.to_owned(),
            format!("{} more entries left out (at most {MAX_EVIDENCE_ENTRIES} are kept)", total - keep),
        );
    }
    bounded
}

/// Masks every string and object key of `value`, and turns a number whose digits hold a
/// registered secret into the marker. Iterative, so no depth of nesting can overflow the stack.
fn mask_value(mut value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let mut pending: Vec<&mut Value> = vec![&mut value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => {
                if let Cow::Owned(masked) = masking::mask(text) {
                    *text = masked;
                }
            }
            Value::Number(number) => {
                let digits = number.to_string();
                if masking::mask(&digits) != digits.as_str() {
                    *value = Value::String(masking::MARKER.to_owned());
                }
            }
            Value::Array(items) => pending.extend(items.iter_mut()),
            Value::Object(map) => {
                if map.keys().any(|key| masking::mask(key) != key.as_str()) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(key, item)| (masking::mask(&key).into_owned(), item))
                        .collect();
                }
                pending.extend(map.values_mut());
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
    value
}

/// `value` as it is when its JSON fits in `limit` bytes, otherwise the first `limit` bytes of
/// its JSON as a string. Serialization stops just past the limit, so a huge value costs no more.
fn bound_value(value: serde_json::Value, limit: usize) -> serde_json::Value {
    /// Keeps up to `cap` bytes, then refuses more, which stops the serializer.
    struct Capped {
        bytes: Vec<u8>,
        cap: usize,
    }
    impl std::io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let room = self.cap - self.bytes.len();
            if room == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let taken = bytes.len().min(room);
            self.bytes.extend_from_slice(&bytes[..taken]);
            Ok(taken)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // A few bytes past the limit: enough to know it is over, and to end on a whole character.
    let mut capped = Capped { bytes: Vec::new(), cap: limit.saturating_add(4) };
    if serde_json::to_writer(&mut capped, &value).is_ok() && capped.bytes.len() <= limit {
        return value;
    }
    let text = match std::str::from_utf8(&capped.bytes) {
        Ok(text) => text,
        // Cut inside a character: keep what precedes it (at least `limit` bytes, still over).
        Err(error) => std::str::from_utf8(&capped.bytes[..error.valid_up_to()]).unwrap_or_default(),
    };
    serde_json::Value::String(masking::bound(text, limit).into_owned())
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string payload".to_owned()
    }
}
