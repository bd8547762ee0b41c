//! The error-rate and p99 checks of `RequestMetrics` through a real axum `Router`: each
//! misconfiguration that used to pass (no traffic, cancelled requests, 429 floods, a window
//! reset by running the check, a limit between histogram edges) and the correct setup beside it.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use readiness_axum::{Details, RequestMetrics, Routes};
use readiness_core::CheckRegistration;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tower::{BoxError, ServiceBuilder, ServiceExt};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::GlobalKeyExtractor;

const TOKEN: &str = "detail-token-for-the-metrics-tests-0123";
const ERROR_RATE: &str = "http:error-rate";
const P99: &str = "http:p99-latency";
/// How long `/slow` takes: inside the 100–250 ms histogram bucket.
const SLOW: Duration = Duration::from_millis(120);

/// The application's routes, without any layer.
fn api() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/boom", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(SLOW).await;
                "slow"
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
}

/// The readiness routes of `checks`, every run a fresh one (no cache), details with the token.
fn readiness_routes(checks: Vec<CheckRegistration>) -> Router {
    let mut builder = readiness_core::testing::builder().default_ttl(Duration::from_millis(1));
    for check in checks {
        builder = builder.register(check);
    }
    Routes::new(builder.build().unwrap()).details(Details::WhenAuthorized).token(TOKEN).build().unwrap()
}

/// `app` with the request metrics around its routes and the readiness routes beside them.
fn service(metrics: &RequestMetrics, api: Router, checks: Vec<CheckRegistration>) -> Router {
    api.layer(metrics.layer()).merge(readiness_routes(checks))
}

fn both(metrics: &RequestMetrics, max_ratio: f64, max_p99: Duration) -> Vec<CheckRegistration> {
    vec![metrics.error_rate_check(max_ratio), metrics.response_time_check(max_p99)]
}

async fn hit(app: &Router, path: &str) -> StatusCode {
    app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap().status()
}

/// One check's status and output, as an anonymous caller (`token: false`) or with the token.
async fn run(app: &Router, name: &str, token: bool) -> (String, String) {
    tokio::time::sleep(Duration::from_millis(3)).await; // past the 1 ms cache
    let mut request = Request::get(format!("/readiness/{name}"));
    if token {
        request = request.header("authorization", format!("Bearer {TOKEN}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let check = &body["checks"][name][0];
    let status = check["status"].as_str().unwrap_or_else(|| panic!("no status for {name}: {body}")).to_owned();
    (status, check["output"].as_str().unwrap_or_default().to_owned())
}

async fn detail(app: &Router, name: &str) -> (String, String) {
    run(app, name, true).await
}

fn assert_cannot_tell(answer: &(String, String), what: &str) {
    assert_eq!(answer.0, "warn", "{answer:?}");
    assert!(answer.1.starts_with(&format!("cannot tell: {what}")), "{answer:?}");
}

#[tokio::test]
async fn without_requests_neither_check_can_tell() {
    let metrics = RequestMetrics::new();
    let app = service(&metrics, api(), both(&metrics, 0.01, Duration::from_millis(500)));
    for name in [ERROR_RATE, P99] {
        assert_cannot_tell(&detail(&app, name).await, "no requests in the last 60 s");
    }
    // The readiness routes are not the application: probing them is still no traffic.
    for _ in 0..5 {
        hit(&app, "/readiness").await;
    }
    assert_cannot_tell(&detail(&app, ERROR_RATE).await, "no requests in the last 60 s");

    for _ in 0..10 {
        assert_eq!(hit(&app, "/ok").await, StatusCode::OK);
    }
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(rate, ("pass".into(), "0 of 10 requests in the last 60 s failed (0 answered 5xx)".into()));
    assert_eq!(detail(&app, P99).await.0, "pass");
}

#[tokio::test]
async fn a_response_future_dropped_mid_flight_counts_as_a_failed_request() {
    let metrics = RequestMetrics::new();
    let app = service(&metrics, api(), both(&metrics, 0.1, Duration::from_millis(500)));
    for _ in 0..5 {
        hit(&app, "/ok").await;
    }
    // The caller gives up after 50 ms: the future is dropped while the handler sleeps.
    let request = Request::get("/hang").body(Body::empty()).unwrap();
    let gave_up = tokio::time::timeout(Duration::from_millis(50), app.clone().oneshot(request)).await;
    assert!(gave_up.is_err(), "the handler hangs");
    let recent = metrics.recent();
    assert_eq!((recent.requests, recent.cancelled), (6, 1), "{recent:?}");

    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(rate.0, "fail", "{rate:?}");
    assert_eq!(rate.1, "1 of 6 requests in the last 60 s failed (0 answered 5xx, 1 cancelled before an answer)");
    // Dropped at 50 ms, under the 500 ms limit: it may or may not have made it, and with 6
    // requests none may be over, so the p99 is undecided rather than passed.
    let p99 = detail(&app, P99).await;
    assert_cannot_tell(&p99, "whether the p99 latency is at or under 500 ms: 0 to 1 of 6 requests");
}

#[tokio::test]
async fn a_handler_that_panics_is_a_failed_request() {
    let metrics = RequestMetrics::new();
    async fn panics() -> &'static str {
        panic!("seeded handler panic")
    }
    let api = api().route("/panic", get(panics));
    let app = service(&metrics, api, both(&metrics, 0.1, Duration::from_millis(500)));
    for _ in 0..3 {
        hit(&app, "/ok").await;
    }
    // As under a server: the connection's task unwinds, dropping the response future.
    let request = Request::get("/panic").body(Body::empty()).unwrap();
    let unwound = tokio::spawn(app.clone().oneshot(request)).await.unwrap_err();
    assert!(unwound.is_panic());
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(
        rate,
        (
            "fail".into(),
            "1 of 4 requests in the last 60 s failed (0 answered 5xx, 1 cancelled before an answer)".into()
        )
    );
}

#[tokio::test]
async fn a_client_that_disconnects_from_a_real_listener_is_counted() {
    let metrics = RequestMetrics::new();
    let app = service(&metrics, api(), both(&metrics, 0.1, Duration::from_millis(500)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app.clone()).await });

    let client = reqwest::Client::new();
    let base = format!("http://{address}");
    for _ in 0..3 {
        assert_eq!(client.get(format!("{base}/ok")).send().await.unwrap().status(), StatusCode::OK);
    }
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(b"GET /hang HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(socket);
    let mut waited = Duration::ZERO;
    while metrics.snapshot().cancelled == 0 && waited < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += Duration::from_millis(10);
    }
    assert_eq!(metrics.snapshot().cancelled, 1, "the server drops the handler of a closed connection");

    let authorization = format!("Bearer {TOKEN}");
    let answer: Value = client
        .get(format!("{base}/readiness/{ERROR_RATE}"))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let check = &answer["checks"][ERROR_RATE][0];
    assert_eq!(check["status"], "fail", "{answer}");
    assert_eq!(
        check["output"],
        "1 of 4 requests in the last 60 s failed (0 answered 5xx, 1 cancelled before an answer)"
    );
    server.abort();
}

#[tokio::test]
async fn a_handler_past_a_tower_timeout_is_counted_inside_or_outside_it() {
    let timeout = || {
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: BoxError| async { StatusCode::REQUEST_TIMEOUT }))
            .timeout(Duration::from_millis(300))
    };
    let limit = Duration::from_millis(200);

    // The metrics inside the timeout: the timeout drops their future.
    let metrics = RequestMetrics::new();
    let app = api().layer(metrics.layer()).layer(timeout()).merge(readiness_routes(both(&metrics, 0.1, limit)));
    assert_eq!(hit(&app, "/hang").await, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(metrics.snapshot().cancelled, 1);
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(
        rate,
        (
            "fail".into(),
            "1 of 1 requests in the last 60 s failed (0 answered 5xx, 1 cancelled before an answer)".into()
        )
    );
    // Dropped at 300 ms, past the 200 ms limit: certainly over it.
    let p99 = detail(&app, P99).await;
    assert_eq!(p99.0, "fail", "{p99:?}");
    assert!(p99.1.starts_with("p99 latency over 200 ms: 1 of 1 requests in the last 60 s took longer"), "{p99:?}");

    // The metrics outside the timeout: they see its 408.
    let metrics = RequestMetrics::new();
    let app = api().layer(timeout()).layer(metrics.layer()).merge(readiness_routes(both(&metrics, 0.1, limit)));
    assert_eq!(hit(&app, "/hang").await, StatusCode::REQUEST_TIMEOUT);
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(
        rate,
        ("fail".into(), "1 of 1 requests in the last 60 s failed (0 answered 5xx, 1 answered 408)".into())
    );
    assert_eq!(detail(&app, P99).await.0, "fail");

    // The same layers, the handler in time: both pass.
    let healthy = RequestMetrics::new();
    let app = api().layer(timeout()).layer(healthy.layer()).merge(readiness_routes(both(&healthy, 0.1, limit)));
    for _ in 0..20 {
        assert_eq!(hit(&app, "/ok").await, StatusCode::OK);
    }
    assert_eq!(detail(&app, ERROR_RATE).await.0, "pass");
    assert_eq!(detail(&app, P99).await.0, "pass");
}

/// The API behind a real limiter (tower_governor, one quota for everybody): the first 10
/// requests go through, the rest are answered 429 for the next minute.
fn limited(metrics: &RequestMetrics, checks: Vec<CheckRegistration>) -> Router {
    let config = GovernorConfigBuilder::default()
        .per_second(60)
        .burst_size(10)
        .key_extractor(GlobalKeyExtractor)
        .finish()
        .unwrap();
    api().layer(GovernorLayer::new(config)).layer(metrics.layer()).merge(readiness_routes(checks))
}

#[tokio::test]
async fn a_flood_of_429s_dilutes_neither_the_error_rate_nor_the_p99() {
    let metrics = RequestMetrics::new();
    let app = limited(&metrics, both(&metrics, 0.1, Duration::from_millis(50)));
    // 10 answered: 2 errors (20 %) and one slow request (the p99 of 10 is the slowest).
    assert_eq!(hit(&app, "/slow").await, StatusCode::OK);
    for path in ["/boom", "/boom", "/ok", "/ok", "/ok", "/ok", "/ok", "/ok", "/ok"] {
        hit(&app, path).await;
    }
    // 90 refusals: as requests, they would make it 2 % errors and a fast 99th percentile.
    for _ in 0..90 {
        assert_eq!(hit(&app, "/ok").await, StatusCode::TOO_MANY_REQUESTS);
    }
    let recent = metrics.recent();
    assert_eq!((recent.requests, recent.rate_limited, recent.server_errors), (10, 90, 2), "{recent:?}");
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(
        rate,
        (
            "fail".into(),
            "2 of 10 requests in the last 60 s failed (2 answered 5xx); 90 answered 429, not counted".into()
        )
    );
    let p99 = detail(&app, P99).await;
    assert_eq!(p99.0, "fail", "{p99:?}");
    assert!(
        p99.1.starts_with("p99 latency over 50 ms: 1 of 10 requests in the last 60 s took longer, only 0 may"),
        "{p99:?}"
    );

    // Only refusals: nothing to judge.
    let only_429 = RequestMetrics::new();
    let app429 = Router::new()
        .route("/ok", get(|| async { StatusCode::TOO_MANY_REQUESTS }))
        .layer(only_429.layer())
        .merge(readiness_routes(both(&only_429, 0.1, Duration::from_millis(50))));
    for _ in 0..5 {
        hit(&app429, "/ok").await;
    }
    assert_cannot_tell(&detail(&app429, ERROR_RATE).await, "no requests in the last 60 s; 5 answered 429, not counted");
    assert_cannot_tell(&detail(&app429, P99).await, "no requests in the last 60 s; 5 answered 429, not counted");

    // The correct setup: the answered requests are healthy, the refusals change nothing.
    let healthy = RequestMetrics::new();
    let app = limited(&healthy, both(&healthy, 0.1, Duration::from_millis(50)));
    for _ in 0..100 {
        hit(&app, "/ok").await;
    }
    assert_eq!(healthy.recent().rate_limited, 90);
    assert_eq!(detail(&app, ERROR_RATE).await.0, "pass");
    assert_eq!(detail(&app, P99).await.0, "pass");
}

#[tokio::test]
async fn running_the_check_anonymously_does_not_reset_its_window() {
    let metrics = RequestMetrics::new();
    let app = service(&metrics, api(), both(&metrics, 0.01, Duration::from_millis(500)));
    for _ in 0..5 {
        hit(&app, "/ok").await;
        hit(&app, "/boom").await;
    }
    // Anyone may run the check (an anonymous caller sees its status): each run is a fresh one.
    for round in 0..3 {
        let (status, output) = run(&app, ERROR_RATE, false).await;
        assert_eq!(status, "fail", "anonymous run {round}");
        assert_eq!(output, "", "an anonymous caller sees no output");
    }
    let rate = detail(&app, ERROR_RATE).await;
    assert_eq!(rate, ("fail".into(), "5 of 10 requests in the last 60 s failed (5 answered 5xx)".into()));
    assert_eq!(metrics.recent().server_errors, 5, "reading the window leaves it as it was");
}

#[tokio::test]
async fn the_window_forgets_by_time_only() {
    let window = Duration::from_millis(1_200);
    let metrics = RequestMetrics::with_window(window);
    assert_eq!(metrics.window(), window);
    let app = service(&metrics, api(), both(&metrics, 0.01, Duration::from_millis(500)));
    for _ in 0..5 {
        hit(&app, "/boom").await;
    }
    assert_eq!(detail(&app, ERROR_RATE).await.0, "fail");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(detail(&app, ERROR_RATE).await.0, "fail", "still within the window");
    // A window and one slice (20 ms) after the burst, it is gone.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_cannot_tell(&detail(&app, ERROR_RATE).await, "no requests in the last 1200 ms");
    for _ in 0..5 {
        hit(&app, "/ok").await;
    }
    assert_eq!(detail(&app, ERROR_RATE).await.0, "pass");
    assert_eq!(metrics.snapshot().server_errors, 5, "the Prometheus totals keep counting");
}

/// `n` concurrent requests to `/slow` (each ~120 ms).
async fn slow_burst(app: &Router, n: usize) {
    let requests = (0..n).map(|_| hit(app, "/slow"));
    for status in futures_util::future::join_all(requests).await {
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_p99_limit_is_judged_against_the_limit_not_a_bucket_edge() {
    // Every request at ~120 ms, in the 100–250 ms bucket.
    for (limit, expected) in [(230, "pass"), (300, "pass"), (110, "fail"), (100, "fail")] {
        let metrics = RequestMetrics::new();
        let app = service(&metrics, api(), vec![metrics.response_time_check(Duration::from_millis(limit))]);
        slow_burst(&app, 20).await;
        let p99 = detail(&app, P99).await;
        assert_eq!(p99.0, expected, "limit {limit} ms: {p99:?}");
        let verdict =
            if expected == "pass" { format!("at or under {limit} ms: 0") } else { format!("over {limit} ms: 20") };
        assert!(
            p99.1.starts_with(&format!("p99 latency {verdict} of 20 requests in the last 60 s took longer")),
            "{p99:?}"
        );
        assert!(p99.1.contains("the histogram puts the p99 in 100–250 ms"), "{p99:?}");
    }

    // One slow request in 100 is the 1 % a p99 allows; two are not.
    let metrics = RequestMetrics::new();
    let app = service(&metrics, api(), vec![metrics.response_time_check(Duration::from_millis(200))]);
    for _ in 0..99 {
        hit(&app, "/ok").await;
    }
    hit(&app, "/hang-free").await; // a 404 is an answer too
    assert_eq!(detail(&app, P99).await.0, "pass");
    metrics.record(Duration::from_millis(450), false);
    assert_eq!(detail(&app, P99).await.0, "pass", "1 of 101 over: the 100th of 101 is in time");
    metrics.record(Duration::from_millis(450), false);
    let p99 = detail(&app, P99).await;
    assert_eq!(p99.0, "fail", "2 of 102 over: {p99:?}");
}

#[tokio::test]
async fn a_check_made_after_traffic_began_does_not_guess_from_buckets() {
    let metrics = RequestMetrics::new();
    let api = api().layer(metrics.layer());
    slow_burst(&api, 10).await;
    // Made now, the check never counted those requests against its limit: 200 ms falls inside
    // their bucket (100–250 ms), so they might be over it or not.
    let app = api.clone().merge(readiness_routes(vec![metrics.response_time_check(Duration::from_millis(200))]));
    assert_cannot_tell(&detail(&app, P99).await, "whether the p99 latency is at or under 200 ms: 0 to 10 of 10");
    // A limit the buckets decide needs no exact counts.
    let app = api.clone().merge(readiness_routes(vec![metrics.response_time_check(Duration::from_millis(250))]));
    assert_eq!(detail(&app, P99).await.0, "pass");
    let app = api.merge(readiness_routes(vec![metrics.response_time_check(Duration::from_millis(100))]));
    assert_eq!(detail(&app, P99).await.0, "fail");
}

#[tokio::test]
async fn in_process_probes_are_not_traffic() {
    // The probes driven through a router that carries the metrics layer: they must neither
    // count as requests (which would turn "no traffic" into a pass) nor dilute real errors.
    let metrics = RequestMetrics::new();
    let app = api().layer(metrics.layer());
    let probe = readiness_axum::probes::SecurityHeaders::new(app.clone()).path("/ok");
    let _ = readiness_core::testing::run_check(probe).await;
    assert_eq!(metrics.snapshot().requests, 0, "the probe's requests were counted as traffic");
    let result = readiness_core::testing::run_check(metrics.error_rate_check(0.01)).await;
    assert!(result.outcome.output.as_deref().unwrap_or_default().starts_with("cannot tell: "), "{:?}", result.outcome);
}
