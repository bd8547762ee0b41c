//! The hardened HTTP self-probes (issue 9) against a real axum `Router` with tower-http layers:
//! each misconfiguration that used to pass (a CSP that lets any script run, a wildcard
//! `frame-ancestors`, a Referrer-Policy that leaks URLs, a weak path after a failing one, a
//! plain-HTTP or local origin in the CORS allow-list, a look-alike of a second allowed origin,
//! a fixed, guessable or sequential session id, an over-broad `Domain`, a month-long session)
//! is seeded for real and must not pass; the correct setup next to it still passes.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::get;
use readiness_axum::probes::SecurityHeaders;
use readiness_core::{CheckRegistration, CheckResult, Status};
use tower_http::set_header::SetResponseHeaderLayer;

/// Runs one probe through a real `Readiness` and returns its result.
async fn run(registration: CheckRegistration) -> CheckResult {
    readiness_core::testing::run_check(registration).await
}

fn output(result: &CheckResult) -> &str {
    result.outcome.output.as_deref().unwrap_or_default()
}

fn evidence(result: &CheckResult) -> String {
    format!("{:?}", result.outcome.evidence)
}

fn assert_status(result: &CheckResult, status: Status) {
    assert_eq!(
        result.status, status,
        "{}: {:?}\nevidence: {:#?}",
        result.name, result.outcome.output, result.outcome.evidence
    );
}

// ----- security headers ----------------------------------------------------------------------

const NOSNIFF: (&str, &str) = ("x-content-type-options", "nosniff");
const DENY: (&str, &str) = ("x-frame-options", "DENY");
const STRICT_CSP: (&str, &str) = ("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
const NO_REFERRER: (&str, &str) = ("referrer-policy", "no-referrer");
const HSTS: (&str, &str) = ("strict-transport-security", "max-age=63072000; includeSubDomains");

/// `/`, `/api/me` (401) and `/boom` (500), every answer with `headers` unless a route set its own;
/// `/admin` sets its own `overrides` first (a route-level layer, as a sub-router often has).
fn headers_app(headers: &[(&'static str, &'static str)], overrides: &[(&'static str, &'static str)]) -> Router {
    let mut admin = Router::new().route("/admin", get(|| async { "admin" }));
    for (name, value) in overrides {
        admin = admin
            .layer(SetResponseHeaderLayer::overriding(HeaderName::from_static(name), HeaderValue::from_static(value)));
    }
    let mut router = Router::new()
        .route("/", get(|| async { "orders" }))
        .route("/api/me", get(|| async { StatusCode::UNAUTHORIZED }))
        .route("/boom", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .merge(admin);
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// The correct set with one header replaced.
fn good_headers_but(replaced: (&'static str, &'static str)) -> Vec<(&'static str, &'static str)> {
    let mut headers: Vec<_> =
        [NOSNIFF, DENY, STRICT_CSP, NO_REFERRER, HSTS].into_iter().filter(|(name, _)| *name != replaced.0).collect();
    headers.push(replaced);
    headers
}

#[tokio::test]
async fn security_headers_fail_on_a_csp_that_lets_any_script_run() {
    for (policy, named) in [
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            "script-src allows 'unsafe-inline'",
        ),
        (
            "default-src 'self'; script-src 'self' 'unsafe-eval'; frame-ancestors 'none'",
            "script-src allows 'unsafe-eval'",
        ),
        ("script-src *; frame-ancestors 'none'", "script-src allows *"),
        ("default-src *; frame-ancestors 'none'", "default-src (no script-src) allows *"),
        (
            "default-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            "default-src (no script-src) allows 'unsafe-inline'",
        ),
        ("default-src 'self' https:; frame-ancestors 'none'", "default-src (no script-src) allows https:"),
        ("frame-ancestors 'none'", "CSP does not restrict scripts"),
    ] {
        let app = headers_app(&good_headers_but(("content-security-policy", policy)), &[]);
        let result = run(SecurityHeaders::new(app).check()).await;
        assert_status(&result, Status::Fail);
        assert!(output(&result).contains(named), "{policy}: {named:?} not in {}", output(&result));
    }
}

#[tokio::test]
async fn security_headers_pass_with_a_strict_nonce_based_csp() {
    // Google's "strict CSP": 'unsafe-inline' and https: are there only for old browsers, which
    // ignore the nonce; a browser that knows nonces and 'strict-dynamic' ignores them both.
    let policy = "script-src 'nonce-r4nd0m' 'strict-dynamic' 'unsafe-inline' https:; object-src 'none'; base-uri \
                  'none'; frame-ancestors 'none'";
    let app = headers_app(&good_headers_but(("content-security-policy", policy)), &[]);
    let result = run(SecurityHeaders::new(app).paths(["/", "/api/me"]).check()).await;
    assert_status(&result, Status::Pass);
    assert!(output(&result).contains("2 answer(s) carry"), "{}", output(&result));
}

#[tokio::test]
async fn security_headers_fail_on_a_wildcard_frame_ancestors_even_with_x_frame_options() {
    // Browsers ignore X-Frame-Options: DENY once frame-ancestors is set: any HTTPS site may frame.
    for ancestors in ["default-src 'none'; frame-ancestors https://*", "default-src 'none'; frame-ancestors *"] {
        let app = headers_app(&good_headers_but(("content-security-policy", ancestors)), &[]);
        let result = run(SecurityHeaders::new(app).check()).await;
        assert_status(&result, Status::Fail);
        assert!(output(&result).contains("CSP frame-ancestors allows any site"), "{ancestors}: {}", output(&result));
    }
    // A list of the application's own sites (a sub-domain wildcard included) is a frame guard.
    let own = "default-src 'none'; frame-ancestors 'self' https://*.orders.example";
    let result =
        run(SecurityHeaders::new(headers_app(&good_headers_but(("content-security-policy", own)), &[])).check()).await;
    assert_status(&result, Status::Pass);
}

#[tokio::test]
async fn security_headers_fail_on_a_referrer_policy_that_sends_full_urls() {
    for (policy, named) in [
        ("no-referrer-when-downgrade", "`no-referrer-when-downgrade` sends full URLs"),
        ("unsafe-url", "`unsafe-url` sends full URLs"),
        // Browsers skip the policy they do not know and use unsafe-url.
        ("unsafe-url, a-policy-from-the-future", "`unsafe-url` sends full URLs"),
    ] {
        let app = headers_app(&good_headers_but(("referrer-policy", policy)), &[]);
        let result = run(SecurityHeaders::new(app).check()).await;
        assert_status(&result, Status::Fail);
        assert!(output(&result).contains(named), "{policy}: {}", output(&result));
    }
    let fallback =
        headers_app(&good_headers_but(("referrer-policy", "no-referrer, strict-origin-when-cross-origin")), &[]);
    assert_status(&run(SecurityHeaders::new(fallback).check()).await, Status::Pass);
}

#[tokio::test]
async fn security_headers_probe_every_path_even_after_one_fails() {
    let good = [NOSNIFF, DENY, STRICT_CSP, NO_REFERRER, HSTS];
    let weak_admin = [("content-security-policy", "default-src 'self' 'unsafe-inline'; frame-ancestors 'none'")];
    // The weak sub-router behind a good first path is found...
    let result = run(SecurityHeaders::new(headers_app(&good, &weak_admin)).paths(["/", "/admin"]).check()).await;
    assert_status(&result, Status::Fail);
    assert!(
        output(&result).contains("GET /admin (200): CSP default-src (no script-src) allows 'unsafe-inline'"),
        "{}",
        output(&result)
    );
    assert!(!output(&result).contains("GET / (200)"), "the first path is fine: {}", output(&result));
    // ...and so it is behind a path that answers 500: every path is probed and named.
    let result =
        run(SecurityHeaders::new(headers_app(&good, &weak_admin)).paths(["/boom", "/admin", "/api/me"]).check()).await;
    assert_status(&result, Status::Fail);
    let text = output(&result);
    assert!(text.starts_with("GET /boom answered 500: a server error"), "{text}");
    assert!(text.contains("GET /admin (200): CSP default-src"), "{text}");
    assert!(
        evidence(&result).contains("GET /api/me") && evidence(&result).contains("401; headers:"),
        "{}",
        evidence(&result)
    );
    assert_eq!(result.outcome.observed_value, Some(2.into()), "/boom and /admin");
    // The correct setup on the same paths passes.
    let result = run(SecurityHeaders::new(headers_app(&good, &[])).paths(["/", "/admin", "/api/me"]).check()).await;
    assert_status(&result, Status::Pass);
    assert!(output(&result).contains("3 answer(s)"), "{}", output(&result));
}

#[tokio::test]
async fn hsts_set_by_the_ingress_is_a_configuration_not_a_failure() {
    let without_hsts = [NOSNIFF, DENY, STRICT_CSP, NO_REFERRER];
    // Without the option, a missing HSTS header still fails.
    let result = run(SecurityHeaders::new(headers_app(&without_hsts, &[])).check()).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("Strict-Transport-Security missing"), "{}", output(&result));
    // Declared as set by the ingress, it is reported as such.
    let result = run(SecurityHeaders::new(headers_app(&without_hsts, &[])).hsts_at_ingress().check()).await;
    assert_status(&result, Status::Pass);
    assert_eq!(result.outcome.evidence["hsts"], "HSTS set by the ingress (configured)");
    assert!(output(&result).ends_with("HSTS set by the ingress (configured)"), "{}", output(&result));
    // A header the application sends itself is still judged.
    let short = good_headers_but(("strict-transport-security", "max-age=60"));
    let result = run(SecurityHeaders::new(headers_app(&short, &[])).hsts_at_ingress().check()).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("max-age=60 is under"), "{}", output(&result));
}
