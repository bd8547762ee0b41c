//! The hardened HTTP self-probes (issue 9) against a real axum `Router` with tower-http layers:
//! each misconfiguration that used to pass (a CSP that lets any script run, a wildcard
//! `frame-ancestors`, a Referrer-Policy that leaks URLs, a weak path after a failing one, a
//! plain-HTTP or local origin in the CORS allow-list, a look-alike of a second allowed origin,
//! a fixed, guessable or sequential session id, an over-broad `Domain`, a month-long session)
//! is seeded for real and must not pass; the correct setup next to it still passes.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{assert_status, evidence, output, run};

use axum::Router;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, SET_COOKIE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use readiness_axum::probes::{Cors, SecurityHeaders, SessionCookie};
use readiness_core::{CheckResult, Status};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

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

// ----- CORS ----------------------------------------------------------------------------------

const APP_ORIGIN: &str = "https://app.orders.example";
const ADMIN_ORIGIN: &str = "https://admin.orders.example";

/// `/` behind tower-http's `CorsLayer` with credentials and `origins`, as a service configures
/// it from its allow-list.
fn cors_app(origins: AllowOrigin) -> Router {
    Router::new().route("/", get(|| async { "orders" })).layer(
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([CONTENT_TYPE, AUTHORIZATION])
            .allow_credentials(true),
    )
}

fn exact(origins: &[&'static str]) -> AllowOrigin {
    AllowOrigin::list(origins.iter().map(|origin| HeaderValue::from_static(origin)))
}

/// A hand-written check as a regular expression `^<pattern>$` written without escaping its dots
/// would do: each `.` of the pattern matches any character.
fn unescaped_regex(pattern: &'static str) -> AllowOrigin {
    AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let origin = origin.as_bytes();
        origin.len() == pattern.len() && pattern.bytes().zip(origin).all(|(p, o)| p == b'.' || p == *o)
    })
}

#[tokio::test]
async fn cors_fails_on_a_plain_http_origin_in_the_allow_list() {
    let insecure = "http://app.orders.example";
    let result = run(Cors::new(cors_app(exact(&[insecure]))).allowed_origin(insecure).check()).await;
    assert_status(&result, Status::Fail);
    assert!(
        output(&result).contains("the allowed origin http://app.orders.example is plain HTTP"),
        "{}",
        output(&result)
    );
    // The development opt-in makes it a warning: visible, never a verified control.
    let development =
        Cors::new(cors_app(exact(&[insecure]))).allowed_origin(insecure).allow_insecure_origins_for_development();
    let result = run(development.check()).await;
    assert_status(&result, Status::Warn);
    assert!(output(&result).contains("allowed for development: not a production setup"), "{}", output(&result));
}

#[tokio::test]
async fn cors_fails_on_a_development_origin_left_in_the_allow_list() {
    // The probe is told only of the production origin; the service also lets a dev server in.
    for (left, policy) in [
        ("http://localhost:3000", exact(&[APP_ORIGIN, "http://localhost:3000"])),
        ("http://127.0.0.1:8080", exact(&[APP_ORIGIN, "http://127.0.0.1:8080"])),
        (
            "http://localhost:5173",
            AllowOrigin::predicate(|origin: &HeaderValue, _| {
                origin == APP_ORIGIN || origin.as_bytes().starts_with(b"http://localhost:")
            }),
        ),
    ] {
        let result = run(Cors::new(cors_app(policy)).allowed_origin(APP_ORIGIN).check()).await;
        assert_status(&result, Status::Fail);
        assert!(
            output(&result).contains(&format!("allows the local origin {left} with credentials")),
            "{left}: {}",
            output(&result)
        );
    }
}

#[tokio::test]
async fn cors_fails_on_a_local_or_private_address_among_the_allowed_origins() {
    for (origin, what) in [
        ("https://localhost", "localhost"),
        ("https://dev.localhost", "localhost"),
        ("https://127.0.0.2", "loopback"),
        ("https://[::1]:8443", "loopback"),
        ("https://10.1.2.3", "private address"),
        ("https://172.20.0.1", "private address"),
        ("https://192.168.1.10", "private address"),
        ("https://[fd12:3456::1]", "unique local"),
        ("https://169.254.10.1", "link-local"),
        ("https://[fe80::1]", "link-local"),
    ] {
        let origins: &'static [&'static str] = Box::leak(Box::new([APP_ORIGIN, origin]));
        // The local origin given last, then first: each allowed origin is judged, not only one.
        for probe in [
            Cors::new(cors_app(exact(origins))).allowed_origin(APP_ORIGIN).allowed_origin(origin),
            Cors::new(cors_app(exact(origins))).allowed_origin(origin).allowed_origin(APP_ORIGIN),
        ] {
            let result = run(probe.check()).await;
            assert_status(&result, Status::Fail);
            assert!(
                output(&result).contains(&format!("the allowed origin {origin} is ")) && output(&result).contains(what),
                "{origin}: {}",
                output(&result)
            );
        }
    }
    // Public addresses next to the private ranges are not local.
    let public = ["https://172.32.0.1", "https://11.0.0.1"];
    let result = run(Cors::new(cors_app(exact(&public))).allowed_origins(public).check()).await;
    assert_status(&result, Status::Pass);
}

#[tokio::test]
async fn cors_tries_look_alikes_of_every_allowed_origin() {
    // The front end's origin is matched exactly, the admin console's by a suffix match.
    let policy = || {
        AllowOrigin::predicate(|origin: &HeaderValue, _| {
            origin == APP_ORIGIN || origin.as_bytes().ends_with(b"admin.orders.example")
        })
    };
    let look_alike = "https://readiness-probe-admin.orders.example";
    for probe in [
        Cors::new(cors_app(policy())).allowed_origin(ADMIN_ORIGIN).allowed_origin(APP_ORIGIN),
        Cors::new(cors_app(policy())).allowed_origins([APP_ORIGIN, ADMIN_ORIGIN]),
    ] {
        let result = run(probe.check()).await;
        assert_status(&result, Status::Fail);
        assert!(
            output(&result).contains(&format!("allows the foreign origin {look_alike} with credentials")),
            "{}",
            output(&result)
        );
    }
}

#[tokio::test]
async fn cors_tries_the_http_downgrade_of_every_allowed_origin() {
    // An allow-list written with both schemes for the second origin.
    let origins = [APP_ORIGIN, ADMIN_ORIGIN, "http://admin.orders.example"];
    let result =
        run(Cors::new(cors_app(exact(&origins))).allowed_origin(ADMIN_ORIGIN).allowed_origin(APP_ORIGIN).check()).await;
    assert_status(&result, Status::Fail);
    assert!(
        output(&result).contains(
            "allows http://admin.orders.example, the plain-HTTP downgrade of an allowed origin with credentials"
        ),
        "{}",
        output(&result)
    );
}

#[tokio::test]
async fn cors_tries_sub_domain_and_unescaped_dot_look_alikes() {
    let sub_domains = AllowOrigin::predicate(|origin: &HeaderValue, _| {
        origin == APP_ORIGIN || origin.as_bytes().ends_with(b".app.orders.example")
    });
    let result = run(Cors::new(cors_app(sub_domains)).allowed_origin(APP_ORIGIN).check()).await;
    assert_status(&result, Status::Fail);
    assert!(
        output(&result).contains("allows the foreign origin https://readiness-probe.app.orders.example"),
        "{}",
        output(&result)
    );
    let result = run(Cors::new(cors_app(unescaped_regex(APP_ORIGIN))).allowed_origin(APP_ORIGIN).check()).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("allows the foreign origin https://app-orders.example"), "{}", output(&result));
}

#[tokio::test]
async fn cors_passes_with_an_exact_list_of_secure_public_origins() {
    let origins = [APP_ORIGIN, ADMIN_ORIGIN];
    let result = run(Cors::new(cors_app(exact(&origins))).allowed_origins(origins).check()).await;
    assert_status(&result, Status::Pass);
    let text = output(&result);
    assert!(text.contains("https://readiness-probe-admin.orders.example were refused"), "{text}");
    // Per allowed origin a sub-domain, an unescaped-dot look-alike and the downgrade, and the
    // local development origins.
    assert!(text.contains("so were 16 further origin(s)"), "{text}");
    assert!(text.ends_with(&format!("{APP_ORIGIN}, {ADMIN_ORIGIN} allowed")), "{text}");
    let tried = &result.outcome.evidence["further origins"];
    for origin in ["http://app.orders.example", "http://admin.orders.example", "http://localhost:3000"] {
        assert!(tried.contains(origin), "{origin} not in {tried}");
    }
    // A development setup that allows only its local front end is refused without the opt-in...
    let local = "http://localhost:3000";
    let result = run(Cors::new(cors_app(exact(&[local]))).allowed_origin(local).check()).await;
    assert_status(&result, Status::Fail);
    // ...and warns with it (the other local origins are still refused).
    let result = run(Cors::new(cors_app(exact(&[local])))
        .allowed_origin(local)
        .allow_insecure_origins_for_development()
        .check())
    .await;
    assert_status(&result, Status::Warn);
    assert!(
        output(&result).contains("is plain HTTP") && output(&result).contains("is localhost"),
        "{}",
        output(&result)
    );
}

// ----- session cookie ------------------------------------------------------------------------

const FLAGS: &str = "Path=/; Secure; HttpOnly; SameSite=Strict";
/// A value that looks random, and is the same for everybody.
const FIXED_ID: &str = "k3J9xQ2mP8vL5nR7tY1wZ4bC6dF0gH2j";

/// How the login makes session ids.
#[derive(Clone, Copy, Debug)]
enum Ids {
    /// One constant id for every session.
    Fixed,
    /// `1`, `2`, `3`…
    Counter,
    /// A random-looking constant followed by a counter.
    CounterBehindPrefix,
    /// The time in nanoseconds.
    Clock,
    /// `aaaa…`, then `bbbb…`: different, and guessable.
    Repeated,
    /// 128 random bits in hex.
    RandomHex,
    /// A random UUIDv4.
    Uuid,
    /// 22 random alphanumeric characters.
    RandomAlphanumeric,
    /// Random, but only the first login succeeds.
    OnceOnly,
}

/// `POST /login` setting `session=<id>; <attributes>`; every id issued is recorded.
fn cookie_app(ids: Ids, attributes: &'static str) -> (Router, Arc<Mutex<Vec<String>>>) {
    let issued = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&issued);
    let logins = Arc::new(AtomicU64::new(0));
    let router = Router::new().route(
        "/login",
        post(move || {
            let (record, logins) = (Arc::clone(&record), Arc::clone(&logins));
            async move {
                let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
                let id = match ids {
                    Ids::Fixed => FIXED_ID.to_owned(),
                    Ids::Counter => n.to_string(),
                    Ids::CounterBehindPrefix => format!("{FIXED_ID}-{n}"),
                    Ids::Clock => std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_nanos()
                        .to_string(),
                    Ids::Repeated => char::from(b'a' + u8::try_from(n % 26).unwrap()).to_string().repeat(32),
                    Ids::RandomHex | Ids::OnceOnly => format!("{:032x}", fastrand::u128(..)),
                    Ids::Uuid => {
                        let hex = format!("{:032x}", fastrand::u128(..));
                        format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
                    }
                    Ids::RandomAlphanumeric => std::iter::repeat_with(fastrand::alphanumeric).take(22).collect(),
                };
                if matches!(ids, Ids::OnceOnly) && n > 1 {
                    return StatusCode::CONFLICT.into_response();
                }
                record.lock().unwrap().push(id.clone());
                (StatusCode::OK, [(SET_COOKIE, format!("session={id}; {attributes}"))], "welcome").into_response()
            }
        }),
    );
    (router, issued)
}

async fn run_cookie(
    ids: Ids,
    attributes: &'static str,
    edit: impl FnOnce(SessionCookie) -> SessionCookie,
) -> CheckResult {
    let (router, issued) = cookie_app(ids, attributes);
    let result = run(edit(SessionCookie::new(router).cookie("session")).check()).await;
    let shown = format!("{:?}", result.outcome);
    // (Ids of a few characters, `1`, appear in any text.)
    for id in issued.lock().unwrap().iter().filter(|id| id.len() >= 8) {
        assert!(!shown.contains(id.as_str()), "{ids:?}: a session id is shown: {shown}");
    }
    result
}

#[tokio::test]
async fn session_cookie_fails_when_two_logins_share_a_value() {
    let result = run_cookie(Ids::Fixed, FLAGS, |probe| probe).await;
    assert_status(&result, Status::Fail);
    assert_eq!(
        output(&result),
        "weak session cookie: session: two logins got the same value: the session id is fixed, shared or holds \
         nothing unique"
    );
    assert_eq!(result.outcome.evidence["second login"], "200; cookies: session");
}

#[tokio::test]
async fn session_cookie_fails_on_a_guessable_value() {
    for ids in [Ids::Counter, Ids::Repeated, Ids::Clock] {
        let result = run_cookie(ids, FLAGS, |probe| probe).await;
        assert_status(&result, Status::Fail);
        assert!(output(&result).contains("session: low-entropy value (about "), "{ids:?}: {}", output(&result));
        assert!(output(&result).contains("under 64): a session id an attacker can guess"), "{}", output(&result));
    }
    // `session=1` then `session=2`: also a counter.
    let result = run_cookie(Ids::Counter, FLAGS, |probe| probe).await;
    assert!(output(&result).contains("a counter or a clock"), "{}", output(&result));
}

#[tokio::test]
async fn session_cookie_fails_on_a_counter_behind_a_constant_prefix() {
    // Each value alone looks random enough; the two side by side do not.
    let result = run_cookie(Ids::CounterBehindPrefix, FLAGS, |probe| probe).await;
    assert_status(&result, Status::Fail);
    assert!(!output(&result).contains("low-entropy"), "{}", output(&result));
    assert!(
        output(&result).contains("two logins got values that differ by about 6 bits (under 32): a counter or a clock"),
        "{}",
        output(&result)
    );
}

#[tokio::test]
async fn session_cookie_passes_with_random_ids() {
    for ids in [Ids::RandomHex, Ids::Uuid, Ids::RandomAlphanumeric] {
        for attributes in [FLAGS, "Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"] {
            let result = run_cookie(ids, attributes, |probe| probe).await;
            assert_status(&result, Status::Pass);
        }
    }
}

#[tokio::test]
async fn session_cookie_warns_on_an_over_broad_domain() {
    for (domain, host, named) in [
        ("Domain=.com", None, "Domain=.com is a public suffix"),
        ("Domain=co.uk", Some("shop.orders.co.uk"), "Domain=co.uk is a public suffix"),
        (
            "Domain=orders.example",
            Some("app.orders.example"),
            "Domain=orders.example is a parent of app.orders.example",
        ),
        ("Domain=.orders.example", Some("app.orders.example:8443"), "is a parent of app.orders.example"),
    ] {
        let attributes: &'static str = Box::leak(format!("{FLAGS}; {domain}").into_boxed_str());
        let result = run_cookie(Ids::RandomHex, attributes, |probe| match host {
            Some(host) => probe.host(host),
            None => probe,
        })
        .await;
        assert_status(&result, Status::Warn);
        assert!(output(&result).contains(named), "{domain}: {}", output(&result));
        assert!(evidence(&result).contains(&domain.to_ascii_lowercase()), "{}", evidence(&result));
    }
    // The host may come from a Host header given to the probe.
    let host = HeaderValue::from_static("app.orders.example");
    let attributes = "Path=/; Secure; HttpOnly; SameSite=Strict; Domain=orders.example";
    let result = run_cookie(Ids::RandomHex, attributes, |probe| probe.header(HOST, host)).await;
    assert_status(&result, Status::Warn);
    // A Domain that is not the host's at all is dropped by browsers.
    let result = run_cookie(Ids::RandomHex, attributes, |probe| probe.host("app.other.example")).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("does not cover the host app.other.example"), "{}", output(&result));
    // The host itself, or no Domain at all, passes.
    let own = "Path=/; Secure; HttpOnly; SameSite=Strict; Domain=app.orders.example";
    assert_status(&run_cookie(Ids::RandomHex, own, |probe| probe.host("app.orders.example")).await, Status::Pass);
    assert_status(&run_cookie(Ids::RandomHex, FLAGS, |probe| probe.host("app.orders.example")).await, Status::Pass);
}

#[tokio::test]
async fn session_cookie_warns_on_a_long_lifetime() {
    let month = "Path=/; Max-Age=2592000; Secure; HttpOnly; SameSite=Strict";
    let result = run_cookie(Ids::RandomHex, month, |probe| probe).await;
    assert_status(&result, Status::Warn);
    assert_eq!(
        output(&result),
        "session: Max-Age=2592000 keeps the session 2592000 s (30.0 days), over 86400 s: a stolen cookie stays usable \
         that long"
    );
    let far = "Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Secure; HttpOnly; SameSite=Strict";
    let result = run_cookie(Ids::RandomHex, far, |probe| probe).await;
    assert_status(&result, Status::Warn);
    assert!(output(&result).starts_with("session: Expires keeps the session"), "{}", output(&result));
    // Max-Age wins over Expires, and the lifetime is configurable.
    let short = "Path=/; Max-Age=3600; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Secure; HttpOnly; SameSite=Strict";
    assert_status(&run_cookie(Ids::RandomHex, short, |probe| probe).await, Status::Pass);
    let result =
        run_cookie(Ids::RandomHex, month, |probe| probe.max_lifetime(Duration::from_secs(31 * 24 * 60 * 60))).await;
    assert_status(&result, Status::Pass);
}

#[tokio::test]
async fn session_cookie_cannot_tell_without_a_second_session() {
    let result = run_cookie(Ids::OnceOnly, FLAGS, |probe| probe).await;
    assert_status(&result, Status::Warn);
    assert!(
        output(&result).starts_with(
            "cannot tell: a second POST /login (answered 409) set no session cookie, so two sessions could not be \
             compared"
        ),
        "{}",
        output(&result)
    );
    // What the first login shows is still judged.
    let result = run_cookie(Ids::OnceOnly, "Path=/; Secure; SameSite=Strict", |probe| probe).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("no HttpOnly") && output(&result).contains("cannot tell"), "{}", output(&result));
}

#[tokio::test]
async fn a_cookie_set_on_a_refused_login_is_no_session() {
    use axum::http::header::SET_COOKIE;
    use axum::response::IntoResponse;
    // The login refuses the credentials but hands out a random tracking cookie with every flag.
    let router = axum::Router::new().route(
        "/login",
        axum::routing::post(|| async {
            let cookie = format!("session={:032x}; Secure; HttpOnly; SameSite=Strict; Path=/", fastrand::u128(..));
            (axum::http::StatusCode::UNAUTHORIZED, [(SET_COOKIE, cookie)], "who are you?").into_response()
        }),
    );
    let probe = readiness_axum::probes::SessionCookie::new(router).request(axum::http::Method::POST, "/login");
    let result = readiness_core::testing::run_check(probe).await;
    assert_eq!(result.outcome.status, readiness_core::Status::Fail, "{:?}", result.outcome);
    assert!(result.outcome.output.as_deref().unwrap_or_default().contains("a cookie on a refused login is no session"));
}
