//! Request metrics of the application's routes: a tower [`Layer`](tower::Layer) counting
//! requests, errors and latency, exported on the metrics route and judged by the error-rate and
//! response-time checks.
//!
//! ```
//! use std::time::Duration;
//! use axum::{Router, routing::get};
//! use readiness_axum::RequestMetrics;
//!
//! let metrics = RequestMetrics::new(); // the checks judge the last 60 s
//! let app: Router = Router::new().route("/api", get(|| async { "ok" })).layer(metrics.layer());
//! let error_rate = metrics.error_rate_check(0.01);
//! let p99 = metrics.response_time_check(Duration::from_millis(500));
//! # let _ = (app, error_rate, p99);
//! ```
//!
//! # What is counted
//!
//! Every request through the layer ends one of these ways:
//!
//! | ending | a request | an error | its latency in the histogram |
//! |---|---|---|---|
//! | answered (any status but those below) | yes | no | yes |
//! | answered 5xx, or the service returned an error | yes | yes | yes |
//! | answered 408 (what a timeout layer outside the handler answers) | yes | yes | yes |
//! | cancelled: the response future was dropped before it completed (the client went away, an outer timeout fired, the handler panicked) | yes | yes | no: only "at least this long" is known |
//! | answered 429 | no | no | no: counted on its own (`rate_limited`) |
//!
//! A 429 is the rate limiter refusing a request, not the service answering it: counting it would
//! let a flood of cheap refusals dilute the error rate and the p99. A cancelled request got no
//! answer, so it counts as an error; a layer placed inside a timeout layer sees the timeout as a
//! cancellation, one placed outside sees its 408. Latency runs from the call to the response's
//! head.
//!
//! # The window
//!
//! The checks judge the requests of the last 60 s (or [`RequestMetrics::with_window`]), counted
//! in 60 slices: a request stays in view for at least the window and at most one slice longer.
//! Running a check changes nothing, so an anonymous `GET /readiness/http:error-rate` cannot clear
//! a burst of errors. The Prometheus counters are totals since the start.
//!
//! # The checks
//!
//! | check | passes | cannot tell (a warn) | fails |
//! |---|---|---|---|
//! | `http:error-rate` | errors ≤ `max_ratio` × requests in the window | no request in the window (429s alone do not count) | errors > `max_ratio` × requests |
//! | `http:p99-latency` | at most `n − ⌈0.99 n⌉` of the window's `n` requests took longer than the limit, counting every undecided one as longer | the verdict depends on undecided requests | more than `n − ⌈0.99 n⌉` certainly took longer |
//!
//! The p99 is the nearest-rank 99th percentile, judged against the limit itself, not against a
//! histogram bucket edge: each limit a check was made for (up to 8 distinct ones) is counted
//! exactly as requests finish; past 8, the histogram decides and a limit inside a bucket can
//! leave the verdict undecided. Undecided are requests cancelled before the limit elapsed (they
//! might have finished in time) and, for a check made after traffic began, requests counted
//! before it in a histogram bucket that straddles the limit. They never make a pass or a fail:
//! when they could change the verdict, the check cannot tell. Both checks are not critical: they
//! warn rather than take the instance out of rotation.

mod judge;
mod layer;
mod window;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use readiness_core::output::prometheus::MetricsWriter;
use readiness_core::{CheckRegistration, CheckSpec, check_fn};

pub use layer::{RequestMetricsLayer, RequestMetricsService};
use window::{Counts, Ending};

/// Upper bounds of the latency histogram, in seconds (Prometheus' defaults).
pub const LATENCY_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const SLOTS: usize = LATENCY_BUCKETS.len() + 1;

/// The default window the checks judge.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// Counts of requests: the totals since the start ([`RequestMetrics::snapshot`]) or those of the
/// window ([`RequestMetrics::recent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Requests, cancelled ones included and 429 answers excluded.
    pub requests: u64,
    /// Requests answered with a 5xx status (or failed in the service).
    pub server_errors: u64,
    /// Requests answered 408 Request Timeout.
    pub timeouts: u64,
    /// Requests whose response future was dropped before it completed.
    pub cancelled: u64,
    /// Requests answered 429 Too Many Requests: not in `requests`, errors or latencies.
    pub rate_limited: u64,
    /// Answered requests per latency bucket (not cumulative); the last slot is `+Inf`.
    buckets: [u64; SLOTS],
}

impl MetricsSnapshot {
    /// The requests that count as errors: 5xx, 408 and cancelled.
    pub fn errors(&self) -> u64 {
        self.server_errors + self.timeouts + self.cancelled
    }

    /// The counts since `earlier`.
    pub fn since(&self, earlier: &MetricsSnapshot) -> MetricsSnapshot {
        let mut buckets = [0; SLOTS];
        for (slot, (now, then)) in buckets.iter_mut().zip(self.buckets.iter().zip(&earlier.buckets)) {
            *slot = now.saturating_sub(*then);
        }
        MetricsSnapshot {
            requests: self.requests.saturating_sub(earlier.requests),
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            timeouts: self.timeouts.saturating_sub(earlier.timeouts),
            cancelled: self.cancelled.saturating_sub(earlier.cancelled),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            buckets,
        }
    }

    fn plus(&self, other: &MetricsSnapshot) -> MetricsSnapshot {
        let mut buckets = self.buckets;
        for (slot, more) in buckets.iter_mut().zip(&other.buckets) {
            *slot += more;
        }
        MetricsSnapshot {
            requests: self.requests + other.requests,
            server_errors: self.server_errors + other.server_errors,
            timeouts: self.timeouts + other.timeouts,
            cancelled: self.cancelled + other.cancelled,
            rate_limited: self.rate_limited + other.rate_limited,
            buckets,
        }
    }

    /// The upper bound of the bucket holding the 99th percentile of the answered requests, in
    /// seconds; `None` without answered requests, infinity past the largest bucket.
    pub fn p99_upper_bound(&self) -> Option<f64> {
        self.p99_bucket().map(|(_, upper)| upper)
    }

    /// The bounds `(lower, upper]` of the bucket holding the 99th percentile, in seconds.
    fn p99_bucket(&self) -> Option<(f64, f64)> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let target = nearest_rank_99(total);
        let mut seen = 0;
        for (index, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= target {
                let lower = if index == 0 { 0.0 } else { LATENCY_BUCKETS[index - 1] };
                return Some((lower, LATENCY_BUCKETS.get(index).copied().unwrap_or(f64::INFINITY)));
            }
        }
        Some((LATENCY_BUCKETS[LATENCY_BUCKETS.len() - 1], f64::INFINITY))
    }
}

/// The rank of the 99th percentile among `n` values: ⌈0.99 n⌉.
fn nearest_rank_99(n: u64) -> u64 {
    n - n / 100
}

/// A shared handle to the counters; cheap to clone.
#[derive(Clone)]
pub struct RequestMetrics {
    counts: Arc<Counts>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RequestMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetrics")
            .field("window", &self.counts.window())
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl RequestMetrics {
    /// New, zeroed counters whose checks judge the last 60 s.
    pub fn new() -> Self {
        Self::with_window(DEFAULT_WINDOW)
    }

    /// New, zeroed counters whose checks judge the last `window` (at least 60 ms). A longer
    /// window needs more traffic to forget a burst; a shorter one decides on fewer requests.
    pub fn with_window(window: Duration) -> Self {
        Self { counts: Arc::new(Counts::new(window)) }
    }

    /// The window the checks judge.
    pub fn window(&self) -> Duration {
        self.counts.window()
    }

    /// A layer that counts into these metrics. Put it on the application's routes, not on the
    /// readiness routes, so probes do not count; put it outside a rate limiter, so its 429s are
    /// seen (and kept apart).
    pub fn layer(&self) -> RequestMetricsLayer {
        RequestMetricsLayer::new(self.clone())
    }

    /// Records one answered request that is not a 429 (for services that count outside the
    /// layer); `server_error` for a 5xx answer.
    pub fn record(&self, latency: Duration, server_error: bool) {
        self.counts.record(latency, if server_error { Ending::ServerError } else { Ending::Answered });
    }

    /// Records one request answered `status` after `latency`, classified as the layer does.
    pub fn record_status(&self, latency: Duration, status: StatusCode) {
        self.counts.record(latency, ending_of(status));
    }

    /// Records one request given up `elapsed` after it started, before an answer.
    pub fn record_cancelled(&self, elapsed: Duration) {
        self.counts.record(elapsed, Ending::Cancelled);
    }

    /// The totals since the start.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.counts.totals().0
    }

    /// The counts of the window the checks judge.
    pub fn recent(&self) -> MetricsSnapshot {
        self.counts.recent(None).0
    }

    /// Adds `readiness_http_requests_total`, `readiness_http_server_errors_total`,
    /// `readiness_http_request_timeouts_total`, `readiness_http_requests_cancelled_total`,
    /// `readiness_http_rate_limited_total` and the `readiness_http_request_duration_seconds`
    /// histogram (answered requests, 429s excluded) to an exposition: totals since the start.
    pub fn write_prometheus(&self, out: &mut MetricsWriter) {
        let (snapshot, sum) = self.counts.totals();
        let counters = [
            (
                "readiness_http_requests_total",
                "Requests to the application's routes, cancelled ones included, 429 answers excluded.",
                snapshot.requests,
            ),
            (
                "readiness_http_server_errors_total",
                "Requests answered with a 5xx status (or failed in the service).",
                snapshot.server_errors,
            ),
            ("readiness_http_request_timeouts_total", "Requests answered 408 Request Timeout.", snapshot.timeouts),
            (
                "readiness_http_requests_cancelled_total",
                "Requests dropped before an answer (client gone, timeout, panic).",
                snapshot.cancelled,
            ),
            ("readiness_http_rate_limited_total", "Requests answered 429, counted only here.", snapshot.rate_limited),
        ];
        for (name, help, value) in counters {
            out.family(name, "counter", help);
            out.sample(name, &[], value as f64);
        }
        out.family(
            "readiness_http_request_duration_seconds",
            "histogram",
            "Latency of the application's answered requests, 429 answers excluded.",
        );
        let mut cumulative = 0;
        for (index, count) in snapshot.buckets.iter().enumerate() {
            cumulative += count;
            let bound = LATENCY_BUCKETS.get(index).map_or_else(|| "+Inf".to_owned(), ToString::to_string);
            out.sample("readiness_http_request_duration_seconds_bucket", &[("le", &bound)], cumulative as f64);
        }
        out.sample("readiness_http_request_duration_seconds_sum", &[], sum);
        out.sample("readiness_http_request_duration_seconds_count", &[], cumulative as f64);
    }

    /// A check of `performance.monitoring.error-rate`: the share of errors (5xx, 408, cancelled)
    /// among the window's requests stays at or under `max_ratio` (for example `0.01`); without
    /// requests it cannot tell. Not critical.
    pub fn error_rate_check(&self, max_ratio: f64) -> CheckRegistration {
        let counts = Arc::clone(&self.counts);
        let spec = CheckSpec::new("http:error-rate")
            .control("performance.monitoring.error-rate")
            .description(format!("errors (5xx, 408, cancelled) at or under {:.2}% of requests", max_ratio * 100.0));
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let (recent, _) = counts.recent(None);
                let outcome = judge::error_rate(&recent, counts.window(), max_ratio);
                async move { outcome }
            }),
        )
    }

    /// A check of `performance.monitoring.response-time`: the window's 99th percentile latency
    /// stays at or under `max_p99`, judged exactly (see the module docs); without requests, or
    /// when undecided requests could change the verdict, it cannot tell. Not critical.
    pub fn response_time_check(&self, max_p99: Duration) -> CheckRegistration {
        let counts = Arc::clone(&self.counts);
        let index = counts.register_limit(max_p99);
        let spec = CheckSpec::new("http:p99-latency")
            .control("performance.monitoring.response-time")
            .description(format!("p99 latency at or under {}", judge::show(max_p99)));
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let (recent, beyond) = counts.recent(Some((max_p99, index)));
                let outcome = judge::latency(&recent, beyond, counts.window(), max_p99);
                async move { outcome }
            }),
        )
    }

    fn finish(&self, latency: Duration, ending: Ending) {
        self.counts.record(latency, ending);
    }
}

/// How a request answered `status` is counted.
fn ending_of(status: StatusCode) -> Ending {
    match status {
        StatusCode::TOO_MANY_REQUESTS => Ending::RateLimited,
        StatusCode::REQUEST_TIMEOUT => Ending::Timeout,
        status if status.is_server_error() => Ending::ServerError,
        _ => Ending::Answered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_is_the_bucket_holding_the_99th_request() {
        let metrics = RequestMetrics::new();
        for _ in 0..99 {
            metrics.record(Duration::from_millis(3), false);
        }
        metrics.record(Duration::from_millis(40), false);
        assert_eq!(metrics.snapshot().p99_upper_bound(), Some(0.005));
        metrics.record(Duration::from_millis(40), true);
        metrics.record(Duration::from_secs(30), true);
        assert_eq!(metrics.snapshot().p99_upper_bound(), Some(0.05));
        assert_eq!(metrics.snapshot().server_errors, 2);
        metrics.record_status(Duration::from_secs(20), StatusCode::TOO_MANY_REQUESTS);
        metrics.record_cancelled(Duration::from_secs(20));
        let mut out = MetricsWriter::new();
        metrics.write_prometheus(&mut out);
        let text = out.finish();
        assert!(text.contains("readiness_http_request_duration_seconds_bucket{le=\"+Inf\"} 102"), "{text}");
        assert!(text.contains("readiness_http_requests_total 103"), "{text}");
        assert!(text.contains("readiness_http_server_errors_total 2"), "{text}");
        assert!(text.contains("readiness_http_requests_cancelled_total 1"), "{text}");
        assert!(text.contains("readiness_http_rate_limited_total 1"), "{text}");
    }

    #[test]
    fn the_nearest_rank_is_the_ceiling_of_99_percent() {
        for n in 1..=1_000_u64 {
            assert_eq!(nearest_rank_99(n), (n * 99).div_ceil(100), "n = {n}");
        }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(ending_of(StatusCode::TOO_MANY_REQUESTS), Ending::RateLimited);
        assert_eq!(ending_of(StatusCode::REQUEST_TIMEOUT), Ending::Timeout);
        assert_eq!(ending_of(StatusCode::BAD_GATEWAY), Ending::ServerError);
        assert_eq!(ending_of(StatusCode::NOT_FOUND), Ending::Answered);
    }
}
