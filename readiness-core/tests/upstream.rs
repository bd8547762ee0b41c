//! `upstream:<name>` against real HTTP servers on loopback: health reports that pass, warn and
//! fail, and the ways an upstream cannot be asked. (Against a second example-service instance:
//! `tests/tests/upstream.rs`.)
#![cfg(feature = "upstream")]

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use readiness_core::checks::upstream::{InvalidUpstream, UpstreamCheck};
use readiness_core::{Status, testing};

/// Serves `body` with `status` and `content_type` at `/readiness`; the base URL.
async fn upstream(status: StatusCode, content_type: &'static str, body: &'static str) -> String {
    let app = axum::Router::new().route(
        "/readiness",
        axum::routing::get(move || async move { (status, [("content-type", content_type)], body).into_response() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/readiness", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

const HEALTH: &str = "application/health+json";

async fn run(check: UpstreamCheck) -> readiness_core::CheckResult {
    testing::run_check(check).await
}

fn output(result: &readiness_core::CheckResult) -> &str {
    result.outcome.output.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn pass_passes_and_warn_stays_warn_with_the_checks_named() {
    let url = upstream(StatusCode::OK, HEALTH, r#"{"status":"pass","checks":{}}"#).await;
    let result = run(UpstreamCheck::new("payments", &url).unwrap()).await;
    assert_eq!((result.name.as_str(), result.status), ("upstream:payments", Status::Pass), "{}", output(&result));
    assert_eq!(result.outcome.observed_unit.as_deref(), Some("ms"));
    let url = upstream(
        StatusCode::OK,
        HEALTH,
        r#"{"status":"warn","checks":{"cache:ping":[{"status":"warn"}],"db:pool":[{"status":"pass"}]}}"#,
    )
    .await;
    let result = run(UpstreamCheck::new("payments", &url).unwrap()).await;
    assert_eq!(result.status, Status::Warn);
    assert!(output(&result).ends_with(": warn (1 of its checks warn: `cache:ping`)"), "{}", output(&result));
}

#[tokio::test]
async fn an_upstream_reporting_fail_is_a_warning_here_unless_propagated() {
    let url = upstream(
        StatusCode::SERVICE_UNAVAILABLE,
        HEALTH,
        r#"{"status":"fail","checks":{"db:pool":[{"status":"fail"}],"cache:ping":[{"status":"pass"}]}}"#,
    )
    .await;
    let result = run(UpstreamCheck::new("orders", &url).unwrap()).await;
    assert_eq!(result.status, Status::Warn, "no cascade: {}", output(&result));
    assert!(
        output(&result).contains("the upstream reports fail (1 of its checks fail: `db:pool`)"),
        "{}",
        output(&result)
    );
    let result = run(UpstreamCheck::new("orders", &url).unwrap().propagate_failure()).await;
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.outcome.evidence["http_status"], "503");
}

#[tokio::test]
async fn an_upstream_that_cannot_be_asked_fails() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let result = run(UpstreamCheck::new("gone", &format!("http://{closed}/readiness")).unwrap()).await;
    assert_eq!(result.status, Status::Fail);
    assert!(output(&result).contains("cannot be reached"), "{}", output(&result));

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let started = std::time::Instant::now();
    let check =
        UpstreamCheck::new("silent", &format!("http://{address}/")).unwrap().timeout(Duration::from_millis(200));
    let result = run(check).await;
    assert_eq!(result.status, Status::Fail);
    assert!(output(&result).contains("did not answer within 200ms"), "{}", output(&result));
    assert!(started.elapsed() < Duration::from_millis(800));

    for (status, content_type, body, expected) in [
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "oops",
            "answered 500 Internal Server Error without a health report",
        ),
        (StatusCode::OK, "text/html", "<html>login</html>", "answered 200 OK, and no health report"),
        (StatusCode::OK, HEALTH, r#"{"status":"splendid"}"#, "with an unknown status \"splendid\""),
    ] {
        let url = upstream(status, content_type, body).await;
        let result = run(UpstreamCheck::new("odd", &url).unwrap()).await;
        assert_eq!(result.status, Status::Fail, "{expected}");
        assert!(output(&result).contains(expected), "{expected}: {}", output(&result));
    }
}

#[tokio::test]
async fn not_critical_unless_configured_and_no_password_shown() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://probe:upstream-pass-7f6e5d@{closed}/readiness");
    let readiness = testing::builder().register(UpstreamCheck::new("gone", &url).unwrap()).build().unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Warn, "a failing upstream warns this service's readiness");
    let result = report.check("upstream:gone").unwrap();
    assert!(
        !output(result).contains("upstream-pass-7f6e5d") && !output(result).contains("probe:"),
        "{}",
        output(result)
    );
    assert!(!format!("{:?}", UpstreamCheck::new("gone", &url).unwrap()).contains("upstream-pass-7f6e5d"));
    let critical = testing::builder().register(UpstreamCheck::new("gone", &url).unwrap().critical()).build().unwrap();
    assert_eq!(critical.readiness().await.status, Status::Fail);
    assert_eq!(UpstreamCheck::new("x", "ftp://host/").unwrap_err(), InvalidUpstream::Url);
    assert!(matches!(UpstreamCheck::new("has space", "http://h/"), Err(InvalidUpstream::Name(_))));
}
