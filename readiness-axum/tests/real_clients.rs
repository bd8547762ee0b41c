//! Issue 14: what real clients send, over real HTTP on loopback, and what each gets. Every row
//! asserts the status and `Content-Type`; every answer carries `Vary: Accept, Authorization`
//! and `nosniff`, and every rejection is an `application/problem+json` body that is not cached.

mod support;

use readiness_axum::{Details, Routes};
use readiness_core::{CheckKind, CheckSpec, Outcome};
use support::{Answer, exchange, serve};

const TOKEN: &str = "real-clients-token-0123456789";

const CHROME: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const FIREFOX: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const SAFARI: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const JAVA: &str = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// Prometheus 2 without OpenMetrics enabled: protobuf first, which is not served.
const PROMETHEUS_PROTOBUF: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One request and the answer expected.
struct Row {
    client: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    status: u16,
    content_type: &'static str,
}

const fn row(
    client: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    status: u16,
    content_type: &'static str,
) -> Row {
    Row { client, method, target, headers, status, content_type }
}

const HEALTH: &str = "application/health+json";
const PROBLEM: &str = "application/problem+json";

const ROWS: &[Row] = &[
    row("kubelet", "GET", "/readiness", &[("User-Agent", "kube-probe/1.31"), ("Accept", "*/*")], 200, HEALTH),
    row("kubelet", "GET", "/liveness", &[("User-Agent", "kube-probe/1.31"), ("Accept", "*/*")], 200, HEALTH),
    row("kubelet", "GET", "/startup", &[("User-Agent", "kube-probe/1.31"), ("Accept", "*/*")], 200, HEALTH),
    row("curl", "GET", "/readiness", &[("User-Agent", "curl/8.11.1"), ("Accept", "*/*")], 200, HEALTH),
    row("curl, text", "GET", "/readiness?verbose", &[("Accept", "text/plain")], 200, "text/plain; charset=utf-8"),
    row("Go, no Accept", "GET", "/readiness", &[("User-Agent", "Go-http-client/1.1")], 200, HEALTH),
    row("Java", "GET", "/readiness", &[("User-Agent", "Java/21.0.5"), ("Accept", JAVA)], 200, HEALTH),
    row("JSON client", "GET", "/readiness", &[("Accept", "application/json")], 200, "application/json"),
    row("health+json client", "GET", "/readiness", &[("Accept", "application/health+json")], 200, HEALTH),
    row(
        "JSON with charset",
        "GET",
        "/readiness",
        &[("Accept", "application/json; charset=utf-8")],
        200,
        "application/json",
    ),
    row(
        "Prometheus 3",
        "GET",
        "/readiness/metrics",
        &[("User-Agent", "Prometheus/3.1.0"), ("Accept", PROMETHEUS_3)],
        200,
        OPENMETRICS,
    ),
    row(
        "Prometheus 2, protobuf first",
        "GET",
        "/readiness/metrics",
        &[("Accept", PROMETHEUS_PROTOBUF)],
        200,
        PROMETHEUS_TEXT,
    ),
    row(
        "OpenMetrics only",
        "GET",
        "/readiness/metrics",
        &[("Accept", "application/openmetrics-text")],
        200,
        OPENMETRICS,
    ),
    row(
        "OpenMetrics 0.0.1 only",
        "GET",
        "/readiness/metrics",
        &[("Accept", "application/openmetrics-text;version=0.0.1")],
        406,
        PROBLEM,
    ),
    row("curl, metrics", "GET", "/readiness/metrics", &[("Accept", "*/*")], 200, PROMETHEUS_TEXT),
    // The two wrong answers of the issue.
    row("*/* over text", "GET", "/readiness", &[("Accept", "*/*, text/plain;q=0.9")], 200, HEALTH),
    row("text refused by its own range", "GET", "/readiness", &[("Accept", "text/*, text/plain;q=0")], 406, PROBLEM),
    row("text refused", "GET", "/readiness", &[("Accept", "text/plain;q=0")], 406, PROBLEM),
    row("garbage Accept", "GET", "/readiness", &[("Accept", ";;;")], 400, PROBLEM),
    row("q out of range", "GET", "/readiness", &[("Accept", "text/plain;q=2")], 400, PROBLEM),
    // Browsers: HTML is not offered on /readiness, health+json through their */*.
    row("Chrome", "GET", "/readiness", &[("Accept", CHROME)], 200, HEALTH),
    row("Firefox", "GET", "/readiness", &[("Accept", FIREFOX)], 200, HEALTH),
    // The checklist needs the token: a browser is challenged for it.
    row("Chrome, anonymous", "GET", "/readiness/checklist", &[("Accept", CHROME)], 401, PROBLEM),
    row("Firefox, anonymous", "GET", "/readiness/checklist", &[("Accept", FIREFOX)], 401, PROBLEM),
    row("Safari, anonymous", "GET", "/readiness/checklist", &[("Accept", SAFARI)], 401, PROBLEM),
    row(
        "Chrome, signed in",
        "GET",
        "/readiness/checklist",
        &[("Accept", CHROME), ("Authorization", "Basic dXNlcjpyZWFsLWNsaWVudHMtdG9rZW4tMDEyMzQ1Njc4OQ==")],
        200,
        "text/html; charset=utf-8",
    ),
    row(
        "Firefox, signed in",
        "GET",
        "/readiness/checklist",
        &[("Accept", FIREFOX), ("Authorization", "Basic dXNlcjpyZWFsLWNsaWVudHMtdG9rZW4tMDEyMzQ1Njc4OQ==")],
        200,
        "text/html; charset=utf-8",
    ),
    // Cache-busters of real monitors.
    row("jQuery cache-buster", "GET", "/readiness?_=1733221234", &[("Accept", "*/*")], 200, HEALTH),
    row("monitor ts", "GET", "/readiness?ts=1733221234&nocache", &[], 200, HEALTH),
    row("bad percent-encoding in the query", "GET", "/readiness?_=%ZZ", &[], 400, PROBLEM),
    row("unknown format", "GET", "/readiness?format=xml", &[], 400, PROBLEM),
    // The framework's own rejections.
    row("bad percent-encoding in the path", "GET", "/readiness/%ZZ", &[], 400, PROBLEM),
    row("not UTF-8 in the path", "GET", "/readiness/%FF", &[], 400, PROBLEM),
    row("POST", "POST", "/readiness", &[("Content-Length", "0")], 405, PROBLEM),
    row("CORS preflight", "OPTIONS", "/readiness", &[("Origin", "https://example.com")], 405, PROBLEM),
    row("DELETE a check", "DELETE", "/readiness/db:ping", &[], 405, PROBLEM),
    row(
        "POST with a body",
        "POST",
        "/readiness/metrics",
        &[("Content-Length", "2"), ("Content-Type", "application/json")],
        405,
        PROBLEM,
    ),
    row("unknown sub-path", "GET", "/readiness/checklist/extra", &[], 404, PROBLEM),
    row("unknown check", "GET", "/readiness/nope:check", &[], 404, PROBLEM),
];

#[tokio::test]
async fn real_clients_get_the_answers_of_the_table() {
    let readiness = readiness_core::testing::builder()
        .service("orders", "1.2.3")
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("process:up").kind(CheckKind::Liveness), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    readiness.readiness().await;
    let router = Routes::new(readiness).details(Details::WhenAuthorized).token(TOKEN).build().unwrap();
    let address = serve(router).await;
    let mut failures = Vec::new();
    let head = exchange(address, "HEAD", "/readiness", &[("Accept", "*/*")]).await;
    assert_eq!((head.status, head.header("content-type"), head.body.as_str()), (200, HEALTH, ""), "{head:?}");
    for row in ROWS {
        let answer = exchange(address, row.method, row.target, row.headers).await;
        if let Err(failure) = judge(row, &answer) {
            failures.push(format!("{} ({} {}): {failure}\n  {answer:?}", row.client, row.method, row.target));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows failed:\n{}", failures.len(), ROWS.len(), failures.join("\n"));
}

fn judge(row: &Row, answer: &Answer) -> Result<(), String> {
    let expect = |what: &str, actual: &str, expected: &str| {
        if actual == expected { Ok(()) } else { Err(format!("{what} is `{actual}`, expected `{expected}`")) }
    };
    if answer.status != row.status {
        return Err(format!("status {}, expected {}", answer.status, row.status));
    }
    expect("Content-Type", answer.header("content-type"), row.content_type)?;
    expect("Vary", answer.header("vary"), "Accept, Authorization")?;
    expect("X-Content-Type-Options", answer.header("x-content-type-options"), "nosniff")?;
    expect("Cache-Control", answer.header("cache-control"), "no-store")?;
    if row.status >= 400 {
        let problem: serde_json::Value =
            serde_json::from_str(&answer.body).map_err(|error| format!("the problem is not JSON: {error}"))?;
        if problem["status"] != row.status || !problem["title"].is_string() || !problem["detail"].is_string() {
            return Err(format!("not a problem body: {problem}"));
        }
        if answer.body.contains("%ZZ") || answer.body.contains("%FF") || answer.body.contains(";;;") {
            return Err("the problem repeats the request".into());
        }
    }
    if row.content_type == OPENMETRICS && !answer.body.ends_with("# EOF\n") {
        return Err("OpenMetrics without its `# EOF`".into());
    }
    match row.status {
        405 => expect("Allow", answer.header("allow"), "GET,HEAD")?,
        401 => {
            // A browser gets the Basic challenge first, so it can ask for the token.
            let challenges: Vec<&str> =
                answer.headers.iter().filter(|(name, _)| name == "www-authenticate").map(|(_, v)| v.as_str()).collect();
            if challenges.first().is_none_or(|first| !first.starts_with("Basic realm=\"readiness\"")) {
                return Err(format!("no Basic challenge first: {challenges:?}"));
            }
        }
        _ => {}
    }
    if (row.target.contains("_=") || row.target.contains("ts=")) && row.status == 200 {
        let report: serde_json::Value = serde_json::from_str(&answer.body).map_err(|error| error.to_string())?;
        let notes = report["notes"].to_string();
        let named = if row.target.contains("ts=") { "`ts`" } else { "`_`" };
        if !notes.contains(&format!("ignored unknown query parameter {named}")) {
            return Err(format!("no note of the ignored parameter: {notes}"));
        }
    }
    Ok(())
}
