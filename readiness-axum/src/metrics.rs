//! Request metrics of the application's routes: a tower [`Layer`] and [`Service`] counting
//! requests, 5xx answers and latency, exported on the metrics route and judged by the
//! error-rate and response-time checks.
//!
//! ```
//! use axum::{Router, routing::get};
//! use readiness_axum::RequestMetrics;
//!
//! let metrics = RequestMetrics::new();
//! let app: Router = Router::new().route("/api", get(|| async { "ok" })).layer(metrics.layer());
//! # let _ = app;
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::{Request, Response};
use readiness_core::output::prometheus::MetricsWriter;
use readiness_core::{CheckRegistration, CheckSpec, Outcome, check_fn};
use tower::{Layer, Service};

/// Upper bounds of the latency histogram, in seconds (Prometheus' defaults).
pub const LATENCY_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const SLOTS: usize = LATENCY_BUCKETS.len() + 1;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    server_errors: AtomicU64,
    /// Per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [AtomicU64; SLOTS],
    sum_micros: AtomicU64,
}

/// Counts of the requests seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Requests answered.
    pub requests: u64,
    /// Requests answered with a 5xx status (or failed in the service).
    pub server_errors: u64,
    buckets: [u64; SLOTS],
}

impl MetricsSnapshot {
    /// The counts since `earlier`.
    pub fn since(&self, earlier: &MetricsSnapshot) -> MetricsSnapshot {
        let mut buckets = [0; SLOTS];
        for (slot, (now, then)) in buckets.iter_mut().zip(self.buckets.iter().zip(&earlier.buckets)) {
            *slot = now.saturating_sub(*then);
        }
        MetricsSnapshot {
            requests: self.requests.saturating_sub(earlier.requests),
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            buckets,
        }
    }

    /// The upper bound of the bucket holding the 99th percentile, in seconds; `None` without
    /// requests, infinity past the largest bucket.
    pub fn p99_upper_bound(&self) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let target = (total as f64 * 0.99).ceil() as u64;
        let mut seen = 0;
        for (index, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= target {
                return Some(LATENCY_BUCKETS.get(index).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }
}

/// A shared handle to the counters; cheap to clone.
#[derive(Clone, Default)]
pub struct RequestMetrics {
    counters: Arc<Counters>,
}

impl fmt::Debug for RequestMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetrics").field("snapshot", &self.snapshot()).finish()
    }
}

impl RequestMetrics {
    /// New, zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A layer that counts into these metrics. Put it on the application's routes, not on the
    /// readiness routes, so probes do not count.
    pub fn layer(&self) -> RequestMetricsLayer {
        RequestMetricsLayer { metrics: self.clone() }
    }

    /// Records one answered request (for services that count outside the layer).
    pub fn record(&self, latency: Duration, server_error: bool) {
        let counters = &self.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if server_error {
            counters.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = latency.as_secs_f64();
        let slot = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(SLOTS - 1);
        counters.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        counters.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let counters = &self.counters;
        let mut buckets = [0; SLOTS];
        for (slot, counter) in buckets.iter_mut().zip(&counters.buckets) {
            *slot = counter.load(Ordering::Relaxed);
        }
        MetricsSnapshot {
            requests: counters.requests.load(Ordering::Relaxed),
            server_errors: counters.server_errors.load(Ordering::Relaxed),
            buckets,
        }
    }

    /// Adds `readiness_http_requests_total`, `readiness_http_server_errors_total` and the
    /// `readiness_http_request_duration_seconds` histogram to an exposition.
    pub fn write_prometheus(&self, out: &mut MetricsWriter) {
        let snapshot = self.snapshot();
        out.family("readiness_http_requests_total", "counter", "Requests answered by the application's routes.");
        out.sample("readiness_http_requests_total", &[], snapshot.requests as f64);
        out.family("readiness_http_server_errors_total", "counter", "Requests answered with a 5xx status.");
        out.sample("readiness_http_server_errors_total", &[], snapshot.server_errors as f64);
        out.family("readiness_http_request_duration_seconds", "histogram", "Latency of the application's routes.");
        let mut cumulative = 0;
        for (index, count) in snapshot.buckets.iter().enumerate() {
            cumulative += count;
            let bound = LATENCY_BUCKETS.get(index).map_or_else(|| "+Inf".to_owned(), ToString::to_string);
            out.sample("readiness_http_request_duration_seconds_bucket", &[("le", &bound)], cumulative as f64);
        }
        let sum = self.counters.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.sample("readiness_http_request_duration_seconds_sum", &[], sum);
        out.sample("readiness_http_request_duration_seconds_count", &[], cumulative as f64);
    }

    /// A check of `performance.monitoring.error-rate`: the share of 5xx answers since its last
    /// run stays at or under `max_ratio` (for example `0.01`). Not critical: a high error rate
    /// warns rather than taking the instance out of rotation.
    pub fn error_rate_check(&self, max_ratio: f64) -> CheckRegistration {
        let metrics = self.clone();
        let last = Mutex::new(MetricsSnapshot::default());
        let spec = CheckSpec::new("http:error-rate")
            .control("performance.monitoring.error-rate")
            .description(format!("5xx answers at or under {:.2}% of requests", max_ratio * 100.0));
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let window = advance(&last, metrics.snapshot());
                let outcome = judge_error_rate(&window, max_ratio);
                async move { outcome }
            }),
        )
    }

    /// A check of `performance.monitoring.response-time`: the 99th percentile latency since its
    /// last run (by histogram bucket) stays at or under `max_p99`. Not critical.
    pub fn response_time_check(&self, max_p99: Duration) -> CheckRegistration {
        let metrics = self.clone();
        let last = Mutex::new(MetricsSnapshot::default());
        let spec = CheckSpec::new("http:p99-latency")
            .control("performance.monitoring.response-time")
            .description(format!("p99 latency at or under {} ms", max_p99.as_millis()));
        CheckRegistration::new(
            spec,
            check_fn(move |_| {
                let window = advance(&last, metrics.snapshot());
                let outcome = judge_latency(&window, max_p99);
                async move { outcome }
            }),
        )
    }
}

/// The counts since the previous call, remembering `now` for the next.
fn advance(last: &Mutex<MetricsSnapshot>, now: MetricsSnapshot) -> MetricsSnapshot {
    let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let window = now.since(&last);
    *last = now;
    window
}

fn judge_error_rate(window: &MetricsSnapshot, max_ratio: f64) -> Outcome {
    if window.requests == 0 {
        return Outcome::pass().with_output("no requests since the last check").observed(0.0, "ratio");
    }
    let ratio = window.server_errors as f64 / window.requests as f64;
    let summary = format!("{} of {} requests answered 5xx since the last check", window.server_errors, window.requests);
    let outcome = if ratio <= max_ratio { Outcome::pass().with_output(summary) } else { Outcome::fail(summary) };
    outcome.observed(ratio, "ratio").evidence("max_ratio", max_ratio).evidence("requests", window.requests)
}

fn judge_latency(window: &MetricsSnapshot, max_p99: Duration) -> Outcome {
    let Some(p99) = window.p99_upper_bound() else {
        return Outcome::pass().with_output("no requests since the last check");
    };
    let limit = max_p99.as_secs_f64();
    let shown = if p99.is_finite() { format!("{:.0} ms", p99 * 1000.0) } else { "over 10 s".to_owned() };
    let summary = format!("p99 latency at most {shown} over {} requests", window.requests);
    let outcome = if p99 <= limit { Outcome::pass().with_output(summary) } else { Outcome::fail(summary) };
    let observed = if p99.is_finite() { p99 * 1000.0 } else { f64::MAX };
    outcome.observed(observed, "ms").evidence("max_p99_ms", max_p99.as_millis())
}

/// A [`Layer`] that counts requests into a [`RequestMetrics`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RequestMetricsLayer {
    metrics: RequestMetrics,
}

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetricsService { inner, metrics: self.metrics.clone() }
    }
}

/// The [`Service`] of [`RequestMetricsLayer`].
#[derive(Clone, Debug)]
pub struct RequestMetricsService<S> {
    inner: S,
    metrics: RequestMetrics,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestMetricsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let metrics = self.metrics.clone();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let server_error = result.as_ref().map_or(true, |response| response.status().is_server_error());
            metrics.record(started.elapsed(), server_error);
            result
        })
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
        let mut out = MetricsWriter::new();
        metrics.write_prometheus(&mut out);
        let text = out.finish();
        assert!(text.contains("readiness_http_request_duration_seconds_bucket{le=\"+Inf\"} 102"), "{text}");
        assert!(text.contains("readiness_http_server_errors_total 2"), "{text}");
    }
}
