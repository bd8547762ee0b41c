//! `shutdown:graceful` through a real axum `Router`: the drain is judged against the readiness
//! probe it must outlast (period × failure threshold), and without a probe it cannot tell.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use readiness_axum::{Details, Shutdown};
use readiness_core::Readiness;
use serde_json::Value;
use tower::ServiceExt;

const NAME: &str = "shutdown:graceful";

/// A service with `shutdown`'s check, its hook installed (`Shutdown::signal` awaited) when
/// `hook`; dropping the returned task handle does not uninstall it, aborting it does.
async fn service(shutdown: &Shutdown, hook: bool) -> (Router, Option<tokio::task::JoinHandle<()>>) {
    let readiness: Readiness = readiness_core::testing::builder()
        .default_ttl(Duration::from_millis(1))
        .register(shutdown.check())
        .build()
        .unwrap();
    let router = readiness_axum::Routes::new(readiness.clone()).details(Details::Always).build().unwrap();
    let task = hook.then(|| tokio::spawn(shutdown.clone().signal(readiness)));
    // Let the spawned hook start waiting for the signal.
    tokio::time::sleep(Duration::from_millis(20)).await;
    (router, task)
}

/// The check's status, output and evidence through `GET /readiness/shutdown:graceful`.
async fn judge(shutdown: Shutdown, hook: bool) -> (String, String) {
    let (router, task) = service(&shutdown, hook).await;
    let response =
        router.oneshot(Request::get(format!("/readiness/{NAME}")).body(Body::empty()).unwrap()).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    if let Some(task) = task {
        task.abort();
    }
    let check = &body["checks"][NAME][0];
    (check["status"].as_str().unwrap().to_owned(), check["output"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn without_a_probe_the_drain_cannot_be_judged() {
    let (status, output) = judge(Shutdown::new().drain(Duration::from_millis(500)), true).await;
    assert_eq!(status, "warn", "{output}");
    assert_eq!(
        output,
        "cannot tell: whether the 500 ms drain outlasts the readiness probe, which was not given; give the probe's \
         period and failure threshold: Shutdown::new().drain(..).probe(period, threshold)"
    );
    // The default drain is no exception.
    assert_eq!(judge(Shutdown::new(), true).await.0, "warn");
}

#[tokio::test]
async fn a_drain_shorter_than_the_probe_period_times_its_threshold_fails() {
    // Kubernetes' defaults: a probe every 10 s, out after 3 failures: 30 s.
    let shutdown = Shutdown::new().drain(Duration::from_secs(5)).probe(Duration::from_secs(10), 3);
    assert_eq!(shutdown.probe_budget(), Some(Duration::from_secs(30)));
    let (status, output) = judge(shutdown, true).await;
    assert_eq!(status, "fail", "{output}");
    assert_eq!(
        output,
        "the 5000 ms drain is shorter than the readiness probe's 10000 ms period × 3 failures = 30000 ms: traffic \
         still arrives after the process stops accepting it; drain at least 30000 ms"
    );
    // Longer than one period is not enough when the threshold is above 1.
    let shutdown = Shutdown::new().drain(Duration::from_secs(20)).probe(Duration::from_secs(10), 3);
    assert_eq!(judge(shutdown, true).await.0, "fail");
    // One millisecond short.
    let shutdown = Shutdown::new().drain(Duration::from_millis(9_999)).probe(Duration::from_secs(10), 1);
    assert_eq!(judge(shutdown, true).await.0, "fail");
}

#[tokio::test]
async fn a_drain_covering_the_probe_passes() {
    let shutdown = Shutdown::new().drain(Duration::from_secs(30)).probe(Duration::from_secs(10), 3);
    let (status, output) = judge(shutdown, true).await;
    assert_eq!(status, "pass", "{output}");
    assert_eq!(
        output,
        "graceful shutdown with a 30000 ms drain, covering the readiness probe's 10000 ms period × 3 failures = 30000 ms"
    );
    let shutdown = Shutdown::new().drain(Duration::from_secs(12)).probe(Duration::from_secs(10), 1);
    assert_eq!(judge(shutdown, true).await.0, "pass");
}

#[tokio::test]
async fn a_probe_given_does_not_excuse_a_missing_hook_or_a_zero_drain() {
    let covered = || Shutdown::new().drain(Duration::from_secs(30)).probe(Duration::from_secs(10), 3);
    let (status, output) = judge(covered(), false).await;
    assert_eq!(status, "fail");
    assert!(output.starts_with("no shutdown hook"), "{output}");

    let (status, output) = judge(covered().drain(Duration::ZERO), true).await;
    assert_eq!(status, "fail");
    assert!(output.starts_with("the drain delay is zero"), "{output}");
}

#[tokio::test]
async fn a_probe_that_cannot_exist_is_cannot_tell() {
    for (period, threshold) in [(Duration::ZERO, 3), (Duration::from_secs(10), 0)] {
        let shutdown = Shutdown::new().drain(Duration::from_secs(5)).probe(period, threshold);
        let (status, output) = judge(shutdown, true).await;
        assert_eq!(status, "warn", "{output}");
        assert!(output.starts_with("cannot tell: whether the drain outlasts a probe every"), "{output}");
    }
}
