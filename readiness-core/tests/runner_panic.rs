//! A panic outside the check body (here, in a tracing layer) fails that run and never leaves
//! the check stuck. Alone in its test binary: tracing caches per callsite whether anyone wants a
//! span, process-wide, so a test running beside it without a subscriber could hide the span
//! from this test's layer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use readiness_core::{CheckSpec, Outcome, Status};

/// A tracing layer that panics when the runner opens its first `readiness.check` span: a panic
/// around the check body, not in it.
struct PanicsOnFirstCheckSpan(AtomicBool);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PanicsOnFirstCheckSpan {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "readiness.check" && !self.0.swap(true, Ordering::SeqCst) {
            panic!("a tracing layer failed");
        }
    }
}

// A current-thread runtime: the runner's spawned runs share this thread, and so its default
// subscriber.
#[tokio::test]
async fn a_panic_around_the_check_body_fails_that_run_and_the_check_runs_again() {
    use tracing_subscriber::prelude::*;
    let _subscriber = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(PanicsOnFirstCheckSpan(AtomicBool::new(false))),
    );
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let readiness = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("dep:cache").critical().ttl(Duration::from_millis(1)), move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Outcome::pass() }
        })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    let result = report.check("dep:cache").unwrap();
    assert_eq!(result.status, Status::Fail);
    let output = result.outcome.output.clone().unwrap_or_default();
    assert_eq!(output, "the runner panicked around this check: a tracing layer failed");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the panic came before the body");
    // Not stuck: the next report runs the check, which passes.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let report = readiness.readiness().await;
    assert_eq!(report.check("dep:cache").unwrap().status, Status::Pass, "{:?}", report.check("dep:cache"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
