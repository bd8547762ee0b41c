//! Every route of DESIGN §5 through the real `Router`: formats, detail gating, bad input.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use readiness_axum::{Details, RequestMetrics, Routes, RoutesError, Shutdown};
use readiness_core::attestation::Declaration;
use readiness_core::{CheckKind, CheckSpec, Outcome, Readiness, Status};
use tower::ServiceExt;

const TOKEN: &str = "detail-token-for-tests-0123456789";
const SECRET: &str = "pw-that-must-never-show-9f8e7d";

fn readiness() -> Readiness {
    readiness_core::masking::register_secret(SECRET);
    readiness_core::testing::builder()
        .service("orders", "1.2.3")
        .declare(Declaration::new("security.auth.rbac", "roles <checked> & enforced"))
        .check_fn(
            CheckSpec::new("db:connections").control("performance.scalability.db-pooling").critical(),
            |_| async { Outcome::pass().observed(4, "connections").with_output("4 of 10 in use") },
        )
        .check_fn(CheckSpec::new("cache:ping").control("performance.scalability.caching"), |_| async {
            Outcome::fail(format!("refused by redis://:{SECRET}@cache"))
        })
        .check_fn(CheckSpec::new("process:alive").kind(CheckKind::Liveness), |_| async { Outcome::pass() })
        .build()
        .unwrap()
}

fn router(details: Details) -> Router {
    Routes::new(readiness()).details(details).token(TOKEN).build().unwrap()
}

struct Answer {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, content_type, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

async fn get(router: &Router, uri: &str) -> Answer {
    send(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_with(router: &Router, uri: &str, name: header::HeaderName, value: &str) -> Answer {
    send(router, Request::get(uri).header(name, value).body(Body::empty()).unwrap()).await
}

fn json(answer: &Answer) -> serde_json::Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {}", answer.body))
}

#[tokio::test]
async fn anonymous_callers_see_statuses_only() {
    let router = router(Details::WhenAuthorized);
    let answer = get(&router, "/readiness").await;
    assert_eq!(answer.status, StatusCode::OK, "a non-critical failure only warns");
    assert_eq!(answer.content_type, "application/health+json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let body = json(&answer);
    assert_eq!(body["status"], "warn");
    assert_eq!(body["checks"]["cache:ping"][0], serde_json::json!({"status": "fail"}));
    assert!(!answer.body.contains("4 of 10") && !answer.body.contains("refused"), "{}", answer.body);

    // A wrong token is anonymous, not an error.
    let wrong = get_with(&router, "/readiness", header::AUTHORIZATION, "Bearer not-the-token-at-all-000000").await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(!wrong.body.contains("4 of 10"));
    let checklist = get_with(&router, "/readiness/checklist", header::AUTHORIZATION, "Basic abc").await;
    assert_eq!(checklist.status, StatusCode::UNAUTHORIZED);
    assert_eq!(checklist.content_type, "application/problem+json");
    assert_eq!(checklist.headers[header::WWW_AUTHENTICATE], "Bearer realm=\"readiness\"");
}

#[tokio::test]
async fn the_token_unlocks_details_and_secrets_stay_masked() {
    let router = router(Details::WhenAuthorized);
    let bearer = format!("Bearer {TOKEN}");
    let answer = get_with(&router, "/readiness", header::AUTHORIZATION, &bearer).await;
    let body = json(&answer);
    assert_eq!(body["checks"]["db:connections"][0]["output"], "4 of 10 in use");
    assert_eq!(body["checks"]["db:connections"][0]["observedValue"], 4);
    assert_eq!(body["checks"]["cache:ping"][0]["output"], "refused by redis://:[REDACTED]@cache");
    for path in [
        "/readiness",
        "/readiness/checklist",
        "/readiness/checklist?format=html",
        "/readiness/checklist?format=markdown",
        "/readiness/metrics",
        "/readiness?verbose&format=text",
    ] {
        let answer = get_with(&router, path, header::AUTHORIZATION, &bearer).await;
        assert!(!answer.body.contains(SECRET), "{path} leaked the secret");
        assert!(!answer.body.contains(TOKEN), "{path} leaked the token");
    }
}

#[tokio::test]
async fn details_never_and_always_override_the_token() {
    let never = router(Details::Never);
    let bearer = format!("Bearer {TOKEN}");
    let answer = get_with(&never, "/readiness", header::AUTHORIZATION, &bearer).await;
    assert!(!answer.body.contains("4 of 10"));
    assert_eq!(
        get_with(&never, "/readiness/checklist", header::AUTHORIZATION, &bearer).await.status,
        StatusCode::FORBIDDEN
    );
    let always = router(Details::Always);
    assert!(get(&always, "/readiness").await.body.contains("4 of 10"));
    assert_eq!(get(&always, "/readiness/checklist").await.status, StatusCode::OK);
}

#[tokio::test]
async fn kubernetes_text_with_verbose_and_accept() {
    let router = router(Details::WhenAuthorized);
    let answer = get_with(&router, "/readiness?verbose", header::ACCEPT, "text/plain").await;
    assert_eq!(answer.content_type, "text/plain; charset=utf-8");
    assert_eq!(answer.body, "[+]db:connections ok\n[-]cache:ping failed: reason withheld\nreadiness check passed\n");
    let terse = get(&router, "/readiness?format=text").await;
    assert_eq!(terse.body, "readiness check passed\n");
    let detailed =
        get_with(&router, "/readiness?verbose&format=text", header::AUTHORIZATION, &format!("Bearer {TOKEN}")).await;
    assert!(
        detailed.body.contains("[-]cache:ping failed: refused by redis://:[REDACTED]@cache\n"),
        "{}",
        detailed.body
    );
    assert_eq!(
        get(&router, "/liveness?verbose&format=text").await.body,
        "[+]process:alive ok\nliveness check passed\n"
    );
}

#[tokio::test]
async fn exclude_leaves_checks_out_and_notes_unknown_names() {
    let router = router(Details::WhenAuthorized);
    let answer = get(&router, "/readiness?exclude=cache:ping&exclude=ghost:check").await;
    let body = json(&answer);
    assert_eq!(body["status"], "pass");
    assert!(body["checks"].get("cache:ping").is_none());
    assert_eq!(body["notes"], serde_json::json!(["excluded check `ghost:check` does not exist"]));
}

#[tokio::test]
async fn a_single_check_answers_for_itself_and_unknown_ones_are_404() {
    let router = router(Details::WhenAuthorized);
    let cache = get(&router, "/readiness/cache:ping").await;
    assert_eq!(cache.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(&cache)["checks"]["cache:ping"][0]["status"], "fail");
    assert_eq!(get(&router, "/readiness/db%3Aconnections").await.status, StatusCode::OK);
    for path in [
        "/readiness/nope",
        "/readiness/..%2F..%2Fetc",
        "/readiness/%3Cscript%3E",
        "/readiness/db:connections/extra/parts",
    ] {
        let answer = get(&router, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.content_type, "application/problem+json", "{path}");
        assert_eq!(json(&answer)["status"], 404);
    }
}

#[tokio::test]
async fn bad_input_is_a_problem_never_a_server_error() {
    let router = router(Details::WhenAuthorized);
    let long = format!("/readiness?exclude={}", "a".repeat(3000));
    for (uri, expected) in [
        ("/readiness?verbose&verbose", StatusCode::BAD_REQUEST),
        ("/readiness?format=xml", StatusCode::BAD_REQUEST),
        ("/readiness?format=html", StatusCode::NOT_ACCEPTABLE),
        ("/readiness?exclude=", StatusCode::BAD_REQUEST),
        ("/readiness?exclude=%ZZ", StatusCode::BAD_REQUEST),
        ("/readiness?exclude=%3Cscript%3E", StatusCode::BAD_REQUEST),
        (long.as_str(), StatusCode::BAD_REQUEST),
        ("/readiness/checklist?format=text", StatusCode::NOT_ACCEPTABLE),
        ("/readiness/metrics?exclude=x", StatusCode::BAD_REQUEST),
    ] {
        let answer = get(&router, uri).await;
        assert_eq!(answer.status, expected, "{uri}: {}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json", "{uri}");
        assert!(!answer.body.contains("<script"), "{uri} reflected its input");
        let problem = json(&answer);
        assert_eq!(problem["status"], expected.as_u16());
        assert!(problem["title"].is_string() && problem["detail"].is_string());
    }
    // Issue 14: an unknown parameter (a monitor's cache-buster) is ignored and noted, not a 400.
    let busted = get(&router, "/readiness?bogus=1&%3Cscript%3E=1").await;
    assert_eq!(busted.status, StatusCode::OK, "{}", busted.body);
    assert_eq!(
        json(&busted)["notes"],
        serde_json::json!([
            "ignored unknown query parameter `bogus`",
            "ignored an unknown query parameter (its name is not repeated)"
        ])
    );
    assert_eq!(get_with(&router, "/readiness", header::ACCEPT, "image/png").await.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(get_with(&router, "/readiness", header::ACCEPT, "nonsense").await.status, StatusCode::BAD_REQUEST);
    let odd = send(
        &router,
        Request::get("/readiness").header(header::ACCEPT, &[0xE2_u8, 0x82][..]).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_checklist_comes_as_json_markdown_and_parseable_html() {
    let router = router(Details::Always);
    let checklist = json(&get(&router, "/readiness/checklist").await);
    assert_eq!(checklist["service"]["name"], "orders");
    assert_eq!(checklist["coverage"]["total"], 83);
    let controls = checklist["controls"].as_array().unwrap();
    let pooling = controls.iter().find(|c| c["id"] == "performance.scalability.db-pooling").unwrap();
    for key in ["id", "title", "catalog", "section", "group", "attestation", "checks", "evidence", "source"] {
        assert!(pooling.get(key).is_some(), "missing {key}");
    }
    assert_eq!(pooling["attestation"], "verified");
    assert_eq!(pooling["checks"], serde_json::json!(["db:connections"]));

    let markdown = get_with(&router, "/readiness/checklist", header::ACCEPT, "text/markdown").await;
    assert_eq!(markdown.content_type, "text/markdown; charset=utf-8");
    assert!(markdown.body.contains("## Security\n\n### Authentication & Authorization\n"));
    assert!(markdown.body.contains("- [x] Database connection pooling configured — **verified**"));
    assert!(markdown.body.contains("- [ ] Caching mechanisms implemented — **failing**"));

    let page =
        get_with(&router, "/readiness/checklist", header::ACCEPT, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
            .await;
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
    let document = scraper::Html::parse_document(&page.body);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    assert_eq!(document.select(&select("script, link, img, iframe")).count(), 0, "no scripts or external assets");
    // The catalog's sections (the summary sections before them carry an id).
    let sections: Vec<String> = document.select(&select("h2:not([id])")).map(|h| h.text().collect()).collect();
    assert_eq!(
        &sections[..7],
        ["Security", "Performance", "Reliability", "Compliance", "Operations", "Documentation", "Testing"]
    );
    assert_eq!(document.select(&select("h3")).count(), 15 + 8, "15 osgb groups and 8 requirement steps");
    let row = document.select(&select("tr[id='security.auth.rbac']")).next().expect("a row per control");
    let text: String = row.text().collect();
    assert!(text.contains("Role-based access control verified") && text.contains("declared"), "{text}");
    assert!(text.contains("roles <checked> & enforced"), "the evidence, unescaped by the parser: {text}");
    assert!(page.body.contains("roles &lt;checked&gt; &amp; enforced"));
    let failing = document.select(&select("tr[id='performance.scalability.caching'] .state.failing")).next().unwrap();
    assert_eq!(failing.text().collect::<String>(), "failing", "status by text as well as colour");
    assert_eq!(document.select(&select("tr[id]")).count(), 83, "one row per control");
}

#[tokio::test]
async fn metrics_come_from_the_cache_and_pass_promtool() {
    let metrics = RequestMetrics::new();
    metrics.record(Duration::from_millis(12), false);
    metrics.record(Duration::from_millis(700), true);
    let readiness = readiness();
    let router: Router = Routes::new(readiness.clone()).token(TOKEN).request_metrics(metrics).build().unwrap();
    let bearer = format!("Bearer {TOKEN}");
    let cold = get_with(&router, "/readiness/metrics", header::AUTHORIZATION, &bearer).await;
    assert!(
        cold.body.contains(
            r#"readiness_check_status{check="db:connections",kind="readiness",critical="true",status="fail"} 1"#
        ),
        "a scrape never runs checks: {}",
        cold.body
    );
    readiness.readiness().await;
    let answer = get_with(&router, "/readiness/metrics", header::AUTHORIZATION, &bearer).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
    let text = &answer.body;
    assert!(text.contains(
        r#"readiness_check_status{check="db:connections",kind="readiness",critical="true",status="pass"} 1"#
    ));
    assert!(text.contains(r#"readiness_control_attestation{control="security.auth.rbac",catalog="osgb",required="false",attestation="declared"} 1"#));
    assert!(text.contains(r#"readiness_coverage_controls{attestation="verified"} 1"#));
    assert!(text.contains("readiness_shutting_down 0"));
    assert!(text.contains("readiness_http_server_errors_total 1"));
    assert!(text.contains(r#"readiness_http_request_duration_seconds_bucket{le="1"} 2"#));
    assert!(text.contains(r#"readiness_instance_info{service_instance=""#), "the instance, under its own label");
    assert!(
        !text.contains("instance=\"") || !text.contains("{instance="),
        "no label collides with Prometheus' `instance`"
    );
    promtool_check_metrics(text);

    // Issue 14: the same samples as OpenMetrics to a scraper preferring it (Prometheus 3's Accept).
    let prometheus_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let request = Request::get("/readiness/metrics")
        .header(header::ACCEPT, prometheus_3)
        .header(header::AUTHORIZATION, &bearer)
        .body(Body::empty())
        .unwrap();
    let open = send(&router, request).await;
    assert_eq!(open.status, StatusCode::OK);
    assert_eq!(open.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(open.body.ends_with("\n# EOF\n"), "{}", open.body);
    assert!(open.body.contains("# TYPE readiness_http_server_errors counter\nreadiness_http_server_errors_total 1\n"));
    assert!(open.body.contains(r#"readiness_http_request_duration_seconds_bucket{le="+Inf"} 2"#));
    let samples =
        |text: &str| text.lines().filter(|line| !line.starts_with('#')).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(samples(&open.body), samples(&answer.body), "the same samples in both formats");
    openmetrics_parse(&open.body);
    let anonymous_open = get_with(&router, "/readiness/metrics", header::ACCEPT, "application/openmetrics-text").await;
    assert_eq!(anonymous_open.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(!anonymous_open.body.contains("readiness_http_"));
    openmetrics_parse(&anonymous_open.body);

    // Anonymous: no more than anonymous `/readiness` shows, check names and statuses.
    let anonymous = get(&router, "/readiness/metrics").await;
    assert_eq!(anonymous.status, StatusCode::OK);
    let text = &anonymous.body;
    assert!(text.contains(
        r#"readiness_check_status{check="db:connections",kind="readiness",critical="true",status="pass"} 1"#
    ));
    assert!(text.contains(r#"readiness_info{service="orders",version="1.2.3",profile="informative"} 1"#), "{text}");
    for detail in [
        "readiness_control_attestation",
        "readiness_coverage",
        "readiness_check_duration_seconds",
        "readiness_http_",
        "readiness_instance_info",
        "readiness_level",
    ] {
        assert!(!text.contains(detail), "{detail} is a detail: {text}");
    }
    promtool_check_metrics(text);
}

/// Runs `promtool check metrics` on `text`. Without promtool the assertion is skipped with a
/// message, except under `CI=true` (`.ci/run` installs it).
fn promtool_check_metrics(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: promtool is required ({error})");
            println!("SKIPPED: promtool is not installed ({error}); install Debian's `prometheus` package");
            return;
        }
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "promtool check metrics failed:\n{report}");
    assert!(report.trim().is_empty(), "promtool found problems:\n{report}");
}

/// Parses `text` with prometheus_client's OpenMetrics parser (`tests/interop/openmetrics.py`,
/// from the venv of `tests/interop/setup.sh`). Without it the assertion is skipped with a
/// message, except under `CI=true`.
fn openmetrics_parse(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/interop-venv/bin/python");
    let usable =
        Command::new(&python).args(["-c", "import prometheus_client"]).output().is_ok_and(|o| o.status.success());
    if !usable {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: {} with prometheus_client is required",
            python.display()
        );
        println!("SKIPPED: no {} with prometheus_client; run `bash tests/interop/setup.sh`", python.display());
        return;
    }
    let mut child = Command::new(&python)
        .arg(root.join("tests/interop/openmetrics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the OpenMetrics parser refused it:\n{report}\n{text}");
    assert!(report.contains("readiness_check_status gauge"), "{report}");
}

#[tokio::test]
async fn paths_are_configurable_and_validated() {
    let router: Router = Routes::new(readiness())
        .readiness_path("/health/ready")
        .liveness_path("/health/live")
        .startup_path("/health/started")
        .checklist_path("/health/checklist")
        .metrics_path("/metrics")
        .build()
        .unwrap();
    assert_eq!(get(&router, "/health/ready").await.status, StatusCode::OK);
    assert_eq!(get(&router, "/health/ready/db:connections").await.status, StatusCode::OK);
    assert_eq!(get(&router, "/health/live").await.status, StatusCode::OK);
    assert_eq!(get(&router, "/metrics").await.status, StatusCode::OK);
    assert_eq!(get(&router, "/readiness").await.status, StatusCode::NOT_FOUND);
    let invalid = Routes::new(readiness()).readiness_path("ready").build::<()>().unwrap_err();
    assert_eq!(invalid, RoutesError::InvalidPath("ready".into()));
    let duplicate = Routes::new(readiness()).metrics_path("/liveness").build::<()>().unwrap_err();
    assert_eq!(duplicate, RoutesError::DuplicatePath("/liveness".into()));
    assert_eq!(Routes::new(readiness()).token("short").build::<()>().unwrap_err(), RoutesError::WeakToken);
}

#[tokio::test]
async fn generated_input_never_gets_a_server_error() {
    let router = router(Details::WhenAuthorized);
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    let paths = [
        "/readiness",
        "/liveness",
        "/startup",
        "/readiness/checklist",
        "/readiness/metrics",
        "/readiness/db:connections",
        "/readiness/cache:ping",
        "/readiness/",
    ];
    let keys = ["verbose", "format", "exclude", "x", "", "%", "verbose%00", "format[]", "exclude%3D"];
    let values = [
        "",
        "text",
        "json",
        "html",
        "markdown",
        "prometheus",
        "db:connections",
        "<x-probe>",
        "%E2%82",
        "%zz",
        "true",
        "a b",
        "\u{1F600}",
    ];
    let accepts =
        ["*/*", "text/plain", "application/json;q=0.1", "text/html", "image/*", ";;;", "text/plain;q=abc", "*/*;q=0"];
    let auths =
        ["Bearer x", "Bearer ", "Basic Zm9vOmJhcg==", "bearer detail-token-for-tests-0123456789", "Bearer <x-probe>"];
    for round in 0..3000 {
        let mut uri = paths[rng.usize(..paths.len())].to_owned();
        if rng.bool() {
            uri.push_str(&format!("/{}", ["x", "..", "%2e%2e", "<x-probe>", "%00", "a/b/c"][rng.usize(..6)]));
        }
        let pairs = rng.usize(..5);
        for index in 0..pairs {
            uri.push(if index == 0 { '?' } else { '&' });
            uri.push_str(keys[rng.usize(..keys.len())]);
            if rng.bool() {
                uri.push('=');
                uri.push_str(values[rng.usize(..values.len())]);
            }
        }
        let uri: String =
            uri.chars().map(|c| if c == ' ' || c == '<' || c == '>' || !c.is_ascii() { '_' } else { c }).collect();
        let mut request = Request::get(uri.as_str());
        if rng.bool() {
            request = request.header(header::ACCEPT, accepts[rng.usize(..accepts.len())]);
        }
        if rng.bool() {
            request = request.header(header::AUTHORIZATION, auths[rng.usize(..auths.len())]);
        }
        let answer = send(&router, request.body(Body::empty()).unwrap()).await;
        let designed = answer.status == StatusCode::SERVICE_UNAVAILABLE;
        assert!(!answer.status.is_server_error() || designed, "round {round}: {uri} answered {}", answer.status);
        assert!(!answer.body.contains("<x-probe>"), "round {round}: {uri} reflected input");
        let path = uri.split('?').next().unwrap_or_default();
        let ours = paths.contains(&path) || path.starts_with("/readiness/");
        if ours && answer.status.is_client_error() {
            assert_eq!(answer.content_type, "application/problem+json", "round {round}: {uri}");
        }
        if ours {
            assert_eq!(answer.headers[header::VARY], "Accept, Authorization", "round {round}: {uri}");
            assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "round {round}: {uri}");
        }
    }
}

#[tokio::test]
async fn the_request_metrics_layer_counts_only_the_application_and_feeds_its_checks() {
    let metrics = RequestMetrics::new();
    let error_rate = metrics.error_rate_check(0.1);
    let latency = metrics.response_time_check(Duration::from_millis(50));
    let readiness = readiness_core::testing::builder().register(error_rate).register(latency).build().unwrap();
    let app: Router = Router::new()
        .route("/ok", axum::routing::get(|| async { "ok" }))
        .route("/boom", axum::routing::get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(120)).await;
                "slow"
            }),
        )
        .layer(metrics.layer())
        .merge(Routes::new(readiness.clone()).details(Details::Always).build().unwrap());

    for _ in 0..20 {
        assert_eq!(get(&app, "/ok").await.status, StatusCode::OK);
    }
    get(&app, "/readiness").await;
    assert_eq!(metrics.snapshot().requests, 20, "probes are not counted");
    let report = readiness.readiness().await;
    assert_eq!(report.check("http:error-rate").unwrap().status, Status::Pass);
    assert_eq!(report.check("http:p99-latency").unwrap().status, Status::Pass);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for _ in 0..5 {
        get(&app, "/ok").await;
        get(&app, "/boom").await;
    }
    get(&app, "/slow").await;
    let report = readiness.readiness().await;
    let rate = report.check("http:error-rate").unwrap();
    assert_eq!(rate.status, Status::Fail, "{:?}", rate.outcome);
    // Issue 9: the window is time-based (60 s), so the 20 earlier requests still count; the old
    // "since the last check" let any caller of the check reset it.
    assert_eq!(rate.outcome.output.as_deref(), Some("5 of 31 requests in the last 60 s failed (5 answered 5xx)"));
    assert_eq!(report.check("http:p99-latency").unwrap().status, Status::Fail);
    assert_eq!(report.status, Status::Warn, "both are non-critical");
}

#[tokio::test]
async fn the_shutdown_check_needs_the_hook_and_a_drain() {
    // The drain covers a probe of 250 ms × 2 failures (issue 9: the drain is judged against it).
    let installed = Shutdown::new().drain(Duration::from_millis(500)).probe(Duration::from_millis(250), 2);
    let zero = Shutdown::new().drain(Duration::ZERO);
    let readiness = readiness_core::testing::builder().register(installed.check()).build().unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.checks[0].status, Status::Fail);
    assert!(report.checks[0].outcome.output.as_deref().unwrap().contains("no shutdown hook"));

    let signal = tokio::spawn(installed.clone().signal(readiness.clone()));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let report = readiness.readiness().await;
    assert_eq!(report.checks[0].status, Status::Pass, "{:?}", report.checks[0].outcome);
    signal.abort();

    let readiness = readiness_core::testing::builder().register(zero.check()).build().unwrap();
    let hook = tokio::spawn(zero.clone().signal(readiness.clone()));
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let report = readiness.readiness().await;
    assert!(report.checks[0].outcome.output.as_deref().unwrap().contains("drain delay is zero"));
    hook.abort();
}

#[tokio::test]
async fn the_attestation_is_an_in_toto_statement_signed_when_a_key_is_set() {
    use base64::Engine;
    use ed25519_dalek::{Signature, Verifier};
    use readiness_core::output::{in_toto, jwks};
    use sha2::Digest;

    let own_digest = {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let unsigned = router(Details::Always);
    assert_eq!(get(&router(Details::WhenAuthorized), "/readiness/attestation").await.status, StatusCode::UNAUTHORIZED);
    // The digest is read on a thread of its own at startup: wait for it rather than race it.
    let answer = loop {
        let answer = get(&unsigned, "/readiness/attestation?nonce=n-1").await;
        if answer.status != StatusCode::SERVICE_UNAVAILABLE {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    // Unsigned: plain JSON, never a signed-looking media type, and marked so in the predicate.
    assert_eq!(answer.content_type, "application/json");
    let statement = json(&answer);
    assert!(statement["predicate"]["unsigned"].as_str().unwrap().contains("no signing key"), "{statement}");
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["subject"][0]["name"], "orders");
    assert_eq!(statement["subject"][0]["digest"]["sha256"], own_digest.as_str());
    assert_eq!(statement["predicateType"], in_toto::PREDICATE_TYPE);
    assert_eq!(statement["predicate"]["coverage"]["total"], 83);
    assert_eq!(statement["predicate"]["nonce"], "n-1");
    let generated = time::OffsetDateTime::parse(
        statement["predicate"]["generated_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        statement["predicate"]["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires - generated, time::Duration::minutes(10), "the default validity");
    // A nonce that is not 1..=64 URL-safe characters is refused, never echoed.
    for bad in ["nonce=", "nonce=a%20b", "nonce=%3Cscript%3E", &format!("nonce={}", "x".repeat(65)), "nonce=a&nonce=b"]
    {
        let answer = get(&unsigned, &format!("/readiness/attestation?{bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!answer.body.contains("script"), "{bad}");
    }
    // Without a key the key set is empty.
    assert_eq!(json(&get(&unsigned, "/readiness/attestation/keys").await)["keys"], serde_json::json!([]));

    let key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let signed: Router = Routes::new(readiness())
        .details(Details::WhenAuthorized)
        .token(TOKEN)
        .signing_key(key.clone())
        .attestation_validity(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let answer = get_with(
        &signed,
        "/readiness/attestation?nonce=abc_DEF-123",
        header::AUTHORIZATION,
        &format!("Bearer {TOKEN}"),
    )
    .await;
    assert_eq!(answer.content_type, "application/vnd.dsse.envelope.v1+json");
    // A verifier may ask for the envelope's own type, or for JSON (then the envelope is
    // labelled JSON); the unsigned statement is no envelope, so asking for one alone gets 406,
    // never an unsigned statement.
    let ask = |router: &Router, accept: &'static str| {
        let request = Request::get("/readiness/attestation")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap();
        let router = router.clone();
        async move {
            let answer = send(&router, request).await;
            (answer.status, answer.content_type)
        }
    };
    let envelope_type = "application/vnd.dsse.envelope.v1+json";
    for accept in [envelope_type, "application/*", "*/*", "text/html, application/*;q=0.5"] {
        assert_eq!(ask(&signed, accept).await, (StatusCode::OK, envelope_type.to_owned()), "{accept}");
    }
    for accept in ["application/json", "application/vnd.dsse.envelope.v1+json;q=0, application/json"] {
        assert_eq!(ask(&signed, accept).await, (StatusCode::OK, "application/json".to_owned()), "{accept}");
    }
    assert_eq!(ask(&signed, "text/plain").await.0, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(ask(&unsigned, envelope_type).await.0, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(ask(&unsigned, "application/json").await, (StatusCode::OK, "application/json".to_owned()));
    let envelope = json(&answer);
    assert_eq!(envelope["payloadType"], in_toto::PAYLOAD_TYPE);
    // The key id is derived from the key, and the key set (anonymous) serves it under that id.
    let keyid = jwks::key_id(&key.verifying_key());
    assert_eq!(envelope["signatures"][0]["keyid"], keyid.as_str());
    let keys = get(&signed, "/readiness/attestation/keys").await;
    assert_eq!((keys.status, keys.content_type.as_str()), (StatusCode::OK, "application/jwk-set+json"));
    let set = json(&keys);
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(set["keys"][0]["kid"], keyid.as_str());
    assert!(set["keys"][0].get("d").is_none(), "public parts only: {set}");
    assert_eq!(jwks::verifying_key(&set["keys"][0]).unwrap(), key.verifying_key());
    let engine = base64::engine::general_purpose::STANDARD;
    let payload = engine.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let signature =
        Signature::from_slice(&engine.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap()).unwrap();
    key.verifying_key()
        .verify(&in_toto::pae(in_toto::PAYLOAD_TYPE, &payload), &signature)
        .expect("the signature verifies");
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    assert!(key.verifying_key().verify(&in_toto::pae(in_toto::PAYLOAD_TYPE, &tampered), &signature).is_err());
    let inner: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(inner["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(inner["subject"][0]["digest"]["sha256"], own_digest.as_str());
    assert_eq!(inner["predicate"]["nonce"], "abc_DEF-123");
    assert!(inner["predicate"].get("unsigned").is_none());
}

#[tokio::test]
async fn a_browser_is_challenged_for_basic_credentials_whose_password_is_the_token() {
    use base64::Engine;
    let router = router(Details::WhenAuthorized);
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let refused = get_with(&router, "/readiness/checklist", header::ACCEPT, browser).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let challenges: Vec<&str> =
        refused.headers.get_all(header::WWW_AUTHENTICATE).iter().map(|value| value.to_str().unwrap()).collect();
    assert_eq!(challenges[0], "Basic realm=\"readiness\", charset=\"UTF-8\"", "{challenges:?}");
    assert!(challenges.contains(&"Bearer realm=\"readiness\""));
    // A program asking for JSON gets no Basic challenge: no dialog to offer.
    let program = get_with(&router, "/readiness/checklist", header::ACCEPT, "application/json").await;
    let challenges: Vec<&str> =
        program.headers.get_all(header::WWW_AUTHENTICATE).iter().map(|value| value.to_str().unwrap()).collect();
    assert_eq!(challenges, ["Bearer realm=\"readiness\""]);

    let basic = |credentials: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
    let request = |authorization: String| {
        Request::get("/readiness/checklist")
            .header(header::ACCEPT, browser)
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap()
    };
    let page = send(&router, request(basic(&format!("anyone:{TOKEN}")))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
    // The picture per section, inline, and the list of what to do next.
    assert!(page.body.contains("<h2 id=\"by-section\">Coverage by section</h2>"), "{}", page.body);
    assert!(page.body.contains("<svg") && page.body.contains("role=\"img\""), "{}", page.body);
    assert!(!page.body.contains("href=\"http") && !page.body.contains("src="), "no external assets");
    // The same gating as the bearer token: a wrong password, or the token as the user name, is anonymous.
    for wrong in [format!("anyone:{TOKEN}x"), format!("{TOKEN}:"), "anyone:".to_owned()] {
        assert_eq!(send(&router, request(basic(&wrong))).await.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    // Basic credentials unlock the details of the other routes as the bearer token does.
    let detailed = send(
        &router,
        Request::get("/readiness")
            .header(header::AUTHORIZATION, basic(&format!("me:{TOKEN}")))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(detailed.body.contains("4 of 10 in use"), "{}", detailed.body);
}
