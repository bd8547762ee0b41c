//! The verdicts of the error-rate and response-time checks on the window's counts.

use std::time::Duration;

use readiness_core::Outcome;

use super::window::Beyond;
use super::{MetricsSnapshot, nearest_rank_99};

const NO_TRAFFIC_FIX: &str = "put RequestMetrics::layer() around the application's routes and let traffic reach them";

/// A duration as the checks write it: `60 s`, `500 ms`, `0.250 ms`.
pub(super) fn show(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 && !duration.is_zero() {
        format!("{} s", duration.as_secs())
    } else if duration.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
    }
}

/// ", and N answered 429 (not counted)" when there were any.
fn refused(recent: &MetricsSnapshot) -> String {
    match recent.rate_limited {
        0 => String::new(),
        n => format!("; {n} answered 429, not counted"),
    }
}

pub(super) fn error_rate(recent: &MetricsSnapshot, window: Duration, max_ratio: f64) -> Outcome {
    let window_text = show(window);
    if recent.requests == 0 {
        return Outcome::cannot_tell(
            format!("no requests in the last {window_text}{}", refused(recent)),
            NO_TRAFFIC_FIX,
        )
        .evidence("rate_limited", recent.rate_limited)
        .evidence("window_s", window.as_secs_f64());
    }
    let errors = recent.errors();
    let ratio = errors as f64 / recent.requests as f64;
    let mut kinds = vec![format!("{} answered 5xx", recent.server_errors)];
    if recent.timeouts > 0 {
        kinds.push(format!("{} answered 408", recent.timeouts));
    }
    if recent.cancelled > 0 {
        kinds.push(format!("{} cancelled before an answer", recent.cancelled));
    }
    let summary = format!(
        "{errors} of {} requests in the last {window_text} failed ({}){}",
        recent.requests,
        kinds.join(", "),
        refused(recent)
    );
    let outcome = if ratio <= max_ratio { Outcome::pass().with_output(summary) } else { Outcome::fail(summary) };
    outcome
        .observed(ratio, "ratio")
        .evidence("max_ratio", max_ratio)
        .evidence("requests", recent.requests)
        .evidence("server_errors", recent.server_errors)
        .evidence("timeouts", recent.timeouts)
        .evidence("cancelled", recent.cancelled)
        .evidence("rate_limited", recent.rate_limited)
        .evidence("window_s", window.as_secs_f64())
}

pub(super) fn latency(recent: &MetricsSnapshot, beyond: Beyond, window: Duration, max_p99: Duration) -> Outcome {
    let window_text = show(window);
    let limit = show(max_p99);
    let n = recent.requests;
    if n == 0 {
        return Outcome::cannot_tell(
            format!("no requests in the last {window_text}{}", refused(recent)),
            NO_TRAFFIC_FIX,
        )
        .evidence("max_p99_ms", max_p99.as_millis())
        .evidence("window_s", window.as_secs_f64());
    }
    // The nearest-rank p99 is at or under the limit exactly when no more than this many
    // requests took longer.
    let allowed = n - nearest_rank_99(n);
    let certain = beyond.over;
    let possible = beyond.over + beyond.unknown;
    let bucket = match recent.p99_bucket() {
        Some((lower, upper)) if upper.is_finite() => {
            format!("; the histogram puts the p99 in {:.0}–{:.0} ms", lower * 1000.0, upper * 1000.0)
        }
        Some((lower, _)) => format!("; the histogram puts the p99 over {:.0} s", lower),
        None => String::new(),
    };
    let outcome = if possible <= allowed {
        Outcome::pass().with_output(format!(
            "p99 latency at or under {limit}: {possible} of {n} requests in the last {window_text} took longer, \
             {allowed} may{bucket}{}",
            refused(recent)
        ))
    } else if certain > allowed {
        Outcome::fail(format!(
            "p99 latency over {limit}: {certain} of {n} requests in the last {window_text} took longer, \
             only {allowed} may{bucket}{}",
            refused(recent)
        ))
    } else {
        Outcome::cannot_tell(
            format!(
                "whether the p99 latency is at or under {limit}: {certain} to {possible} of {n} requests in the last \
                 {window_text} took longer, {allowed} may{bucket}"
            ),
            "the undecided requests were cancelled before the limit, or counted before this check was made; \
             wait one window",
        )
    };
    let outcome = match recent.p99_upper_bound() {
        Some(upper) if upper.is_finite() => outcome.observed(upper * 1000.0, "ms"),
        Some(_) => outcome.observed(f64::MAX, "ms"),
        None => outcome,
    };
    outcome
        .evidence("max_p99_ms", max_p99.as_millis())
        .evidence("requests", n)
        .evidence("over_limit", certain)
        .evidence("undecided", beyond.unknown)
        .evidence("rate_limited", recent.rate_limited)
        .evidence("window_s", window.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(show(Duration::from_secs(60)), "60 s");
        assert_eq!(show(Duration::from_millis(500)), "500 ms");
        assert_eq!(show(Duration::from_micros(250)), "0.250 ms");
        assert_eq!(show(Duration::ZERO), "0 ms");
    }
}
