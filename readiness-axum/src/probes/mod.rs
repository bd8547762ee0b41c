//! In-process HTTP self-probes: checks that drive the service's own [`Router`] with
//! [`tower::ServiceExt::oneshot`] (no socket, no network) and judge what comes back.
//!
//! Each probe is a builder in the tower-http style: it takes a clone of the application's
//! `Router` (with its state already applied), is configured with paths, methods and
//! expectations that default to something sensible, and ends in `.check()`, which gives a
//! [`CheckRegistration`] for [`readiness_core::ReadinessBuilder::register`] (every builder also
//! converts into one with `From`).
//!
//! | probe | check | control | what a pass proves | fails (or warns) when |
//! |---|---|---|---|---|
//! | [`SecurityHeaders`] | `http:security-headers` | `security.network.headers` | the answer of **every** probed path (any status but a `5xx`) carries `X-Content-Type-Options: nosniff`; a frame guard (a CSP `frame-ancestors` without a wildcard, or, without one, `X-Frame-Options: DENY`/`SAMEORIGIN`); an enforced `Content-Security-Policy` whose `script-src` (or `default-src`) allows no `*`, scheme or wildcard host, no `'unsafe-inline'` (without a nonce or hash) and no `'unsafe-eval'`; a `Referrer-Policy` other than `unsafe-url`/`no-referrer-when-downgrade`; and HSTS with `max-age` ≥ 180 days, unless [`SecurityHeaders::hsts_at_ingress`] says the ingress sets it (a missing header is then reported, not failed) | a header is missing or weak on any path (each path is probed even after one fails, and every weakness of every path is listed: a CSP with `*`/`'unsafe-inline'`/`'unsafe-eval'`, `frame-ancestors https://*` even with `X-Frame-Options`, a report-only CSP alone, `Referrer-Policy: no-referrer-when-downgrade`, a short HSTS even at the ingress), or a path answers a server error or does not answer; nothing warns |
//! | [`Cors`] | `http:cors` | `security.network.cors` | the foreign origins (`https://readiness-probe.invalid`, `null`), and for **every** allowed origin ([`Cors::allowed_origin`] adds one, [`Cors::allowed_origins`] replaces the list) its look-alikes (`<allowed>.readiness-probe.invalid`, `<scheme>://readiness-probe-<host>`, a sub-domain, the host with its first dot as `-`) and its `http://` downgrade, and local development origins (`http://localhost:3000`, `http://127.0.0.1:8080`, `http://[::1]:3000`…) are refused; each allowed origin is accepted and is `https://` on a public host; never `*` with credentials | any of those origins is let in, or `*` (unless [`Cors::allow_wildcard`]); `*` with credentials; an allowed origin is refused; an allowed origin is plain `http://` or a localhost, loopback, private, link-local or private-name (`.local`, `.internal`) host. Under [`Cors::allow_insecure_origins_for_development`] the plain-HTTP and local findings (an allowed origin, a downgrade or a local origin let in) warn instead; an allowed origin echoed without `Vary: Origin` warns |
//! | [`RateLimit`] | `http:rate-limit` | `security.auth.rate-limiting` | a burst from one client gets `429 Too Many Requests`; after it, the same peer is still refused while it claims new addresses in `X-Forwarded-For`, `X-Real-IP` and `Forwarded`; and another client is still served | no request of the burst is refused; the limiter cannot key the request (a server error); it queues requests instead of refusing them (a timeout); or the limiter keys on a client-controlled header (the same peer claiming a new address in one of those headers is served again: `tower_governor`'s `SmartIpKeyExtractor`, or trusting `X-Forwarded-For` with no proxy in front); another client refused too (a global limit) warns |
//! | [`SessionCookie`] | `http:session-cookie` | `security.auth.session-management` | two logins each set a session cookie that is `Secure`, `HttpOnly` and `SameSite=Lax`/`Strict`, with values that differ, each random enough (≥ 64 bits by estimate, [`SessionCookie::min_entropy_bits`]) and differing by at least half that; `Domain` absent or the host itself; a lifetime of at most 24 h ([`SessionCookie::max_lifetime`]) or the browser session | a flag is missing, a `__Host-`/`__Secure-` prefix is broken, the login sets no session cookie, the two logins share a value, a value is low-entropy (`1`, `aaaa…`), the two values differ like a counter or a clock, or `Domain` does not cover [`SessionCookie::host`]; warns on `SameSite=None`, a public-suffix-like or parent `Domain`, a `Max-Age`/`Expires` over the lifetime, and ("cannot tell") when the second login sets no such cookie |
//! | [`JwtValidation`] | `http:jwt` | `security.auth.jwt-validation` | on **every** protected route ([`JwtValidation::path`], [`JwtValidation::paths`], [`JwtValidation::route`]) a valid token is accepted and every [`Forgery`] is refused (401/403): no token, garbage, alg `none`/`None`/`NONE`/`nOnE`, an empty signature, expired, not yet valid, without expiry, another key, a tampered payload, the wrong audience or issuer, key confusion (HS256 keyed with the RS/ES/Ed public key's PEM or DER), `kid` traversal, SQL and command tricks, an unknown `crit` extension | a forgery is accepted on any route (each route and forgery named), the valid token is refused (the probe holds another key, audience, issuer or `kid`), another status answers, or the key given cannot be used; warns when a forgery cannot be made for want of configuration (no [`JwtValidation::audience`]/[`JwtValidation::issuer`], an asymmetric key without [`JwtValidation::with_public_key`]). With the public key only ([`JwtValidation::public_key`], `public_key_der`, `public_jwk`) it sends the forgeries that need no private key and passes when all are refused, saying it **cannot tell** the rest (whether a valid token is accepted, the expired, not-yet-valid, no-expiry, tampered, wrong-audience, wrong-issuer and `crit` forgeries); without an audience or an issuer it is cannot-tell (a warning) |
//! | [`PasswordPolicy`] | `http:password-policy` | `security.auth.password-strength` | on the route that creates accounts (a sign-up, `POST /register` by default) every weak password is refused with 400/422: common ones, composition-rule ones (`P@ssw0rd`) and long weak ones (`aaaaaaaaaaaaaaaaaaaa`, `passwordpassword`, `1234567890123456`, keyboard walks); and, given a strong password ([`PasswordPolicy::strong_password`], or one generated per run with [`PasswordPolicy::strong_password_with`]), it is accepted while a weak password exactly as long is refused | a weak password is accepted (a length-only or character-class rule fails), the strong password is refused, or an answer is neither (a `409`: put [`ID_PLACEHOLDER`] in the user name; `404`, `405`, `415`; a weak password answered `5xx`/`429`); "cannot tell" when the strong password or its same-length twin answers `5xx` or `429` |
//!
//! The probes are built for real middleware and pass with it: tower-http's `CorsLayer` and
//! `SetResponseHeaderLayer`, `tower_governor` keyed on the peer address through `ConnectInfo`
//! (`PeerIpKeyExtractor`; keyed on a forwarded header the client sets, it fails), `jsonwebtoken`
//! validation (with a service-side refusal of `crit`, which `jsonwebtoken` 9 ignores), a login
//! setting a fresh random session id per login, and a sign-up judged by `zxcvbn`. All six can
//! check one router together: each probe's requests come from an address of its own (see
//! below).
//!
//! ```
//! use axum::{Router, http::HeaderValue, middleware::map_response, response::Response, routing::get};
//! use readiness_axum::probes::SecurityHeaders;
//! use readiness_core::{Readiness, Status};
//!
//! async fn harden(mut response: Response) -> Response {
//!     let headers = response.headers_mut();
//!     headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
//!     headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
//!     headers.insert("content-security-policy", HeaderValue::from_static("default-src 'none'"));
//!     headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
//!     headers.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000"));
//!     response
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app: Router = Router::new().route("/", get(|| async { "hello" })).layer(map_response(harden));
//! let readiness = readiness_core::testing::builder()
//!     .register(SecurityHeaders::new(app.clone()).check())
//!     .build()
//!     .unwrap();
//! let report = readiness.readiness().await;
//! let check = report.check("http:security-headers").unwrap();
//! assert_eq!(check.status, Status::Pass, "{:?}", check.outcome.output);
//! # }
//! ```
//!
//! # What every probe has in common
//!
//! * **Client identity.** In-process requests have no peer address, so each probe gives its
//!   requests one: an [`axum::extract::ConnectInfo`]`<SocketAddr>` (and a plain `SocketAddr`) in
//!   the request extensions, and an `X-Forwarded-For` header, both with an address of the
//!   documentation ranges (RFC 5737: `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`), which
//!   no real client has. A rate limiter keyed per peer address therefore counts the probes apart
//!   from real clients, and each probe has an address of its own (`192.0.2.1` for [`RateLimit`],
//!   `192.0.2.2`–`192.0.2.6` for the others), so the rate-limit burst does not make the other
//!   probes see `429`. A limiter that believes `X-Forwarded-For` only from its proxies' addresses
//!   ignores the header here (no probe address is a proxy); one that believes it from anyone
//!   fails [`RateLimit`]. Change the address with `client_ip`, the header with
//!   `identity_header`, and turn the extension off with `connect_info(false)`. A limiter keyed on
//!   something else (an API key, a user) needs that something: give it with `header`.
//! * **Side effects.** The probes send real requests to real handlers. [`PasswordPolicy`] signs
//!   up: a working policy refuses the weak passwords before anything is stored, so a run leaves
//!   one probe account (the strong password's, under a unique user name: give it a password
//!   generated per run with [`PasswordPolicy::strong_password_with`]); a missing policy lets the
//!   weak passwords register accounts too. [`SessionCookie`] logs in twice (two real sessions),
//!   and the rate-limit burst spends the probe address's quota. Point them at a sandbox tenant
//!   where that matters.
//! * **Timing.** Each request must answer within `request_timeout` (250 ms by default; in
//!   process, a healthy handler answers in microseconds), so a hanging route is named in the
//!   output instead of the whole check timing out. Checks are not critical and cache their
//!   result for 60 s by default (the router does not change while the process runs); adjust
//!   with `spec(|spec| spec.critical().ttl(...))` (or `check().map_spec(...)`), or `name` a
//!   second instance of a probe.
//! * **Outcomes.** A `5xx`, a panic in a handler, a timeout or an invalid request is a clear
//!   failing outcome naming the request; a probe never panics. Where a probe cannot observe what
//!   it needs, it says "cannot tell: …" with a hint, a warning that never verifies the control:
//!   [`SessionCookie`] when the second login sets no cookie, [`PasswordPolicy`] when the strong
//!   password (or its same-length twin) answers `5xx` or `429`, [`JwtValidation`] with the
//!   public key only and no audience or issuer. Outputs list what failed; the evidence lists
//!   what was sent and seen (statuses, header names, cookie attribute names). Response bodies
//!   are never read, cookie values and tokens are never shown.

mod cookie;
mod cors;
mod headers;
mod jwt;
mod password;
mod rate_limit;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use futures_util::FutureExt;
use readiness_core::{CheckRegistration, CheckSpec, Outcome, check_fn};
use tower::ServiceExt;

pub use cookie::SessionCookie;
pub use cors::{Cors, DEFAULT_FOREIGN_ORIGINS};
pub use headers::{MIN_HSTS_MAX_AGE, SecurityHeaders};
pub use jwt::{Forgery, JwtValidation};
pub use password::{DEFAULT_WEAK_PASSWORDS, ID_PLACEHOLDER, PASSWORD_PLACEHOLDER, PasswordPolicy};
pub use rate_limit::RateLimit;

/// How long one probe request may take by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_millis(250);

/// How long a probe's result is reused by default before it runs again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The header that carries the probe's client address by default.
pub const DEFAULT_IDENTITY_HEADER: HeaderName = HeaderName::from_static("x-forwarded-for");

/// At most this many items are named in one list of an output; the rest are counted.
const MAX_LISTED: usize = 12;

type SpecEdit = Arc<dyn Fn(CheckSpec) -> CheckSpec + Send + Sync>;

/// What every probe shares: the router, the client identity, extra headers, the request
/// timeout and the check's settings.
#[derive(Clone)]
struct Common {
    router: Router,
    name: String,
    control: &'static str,
    description: &'static str,
    client_ip: IpAddr,
    identity_header: Option<HeaderName>,
    connect_info: bool,
    headers: HeaderMap,
    request_timeout: Duration,
    spec_edits: Vec<SpecEdit>,
}

impl Common {
    fn new(router: Router, name: &str, control: &'static str, description: &'static str, host: u8) -> Self {
        Self {
            router,
            name: name.to_owned(),
            control,
            description,
            client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)),
            identity_header: Some(DEFAULT_IDENTITY_HEADER),
            connect_info: true,
            headers: HeaderMap::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            spec_edits: Vec::new(),
        }
    }

    fn spec(&self) -> CheckSpec {
        let base =
            CheckSpec::new(self.name.clone()).control(self.control).ttl(DEFAULT_TTL).description(self.description);
        self.spec_edits.iter().fold(base, |spec, edit| edit(spec))
    }

    /// The registration of a probe whose run is `run(config)`.
    fn register<P, F, Fut>(&self, probe: P, run: F) -> CheckRegistration
    where
        P: Send + Sync + 'static,
        F: Fn(Arc<P>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let probe = Arc::new(probe);
        CheckRegistration::new(self.spec(), check_fn(move |_| run(Arc::clone(&probe))))
    }

    /// A request from the probe's client, with the extra headers.
    fn request(&self, method: &Method, path: &str, body: Body) -> Result<Request<Body>, ProbeError> {
        self.request_from(self.client_ip, method, path, body)
    }

    fn request_from(&self, ip: IpAddr, method: &Method, path: &str, body: Body) -> Result<Request<Body>, ProbeError> {
        let label = format!("{method} {path}");
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(body)
            .map_err(|error| ProbeError::Invalid { label: label.clone(), reason: error.to_string() })?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(name) = &self.identity_header {
            headers.insert(name.clone(), ip_header_value(ip));
        }
        if self.connect_info {
            let address = SocketAddr::new(ip, 0);
            request.extensions_mut().insert(ConnectInfo(address));
            request.extensions_mut().insert(address);
        }
        Ok(request)
    }

    /// Sends one request through a clone of the router, within the request timeout, catching a
    /// panicking handler.
    async fn send(&self, mut request: Request<Body>) -> Result<Response<Body>, ProbeError> {
        // Marked, so the request-metrics layer does not count the probes as traffic.
        request.extensions_mut().insert(ProbeRequest);
        let label = format!("{} {}", request.method(), request.uri());
        let call = AssertUnwindSafe(self.router.clone().oneshot(request)).catch_unwind();
        match tokio::time::timeout(self.request_timeout, call).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(never))) => match never {},
            Ok(Err(_panic)) => Err(ProbeError::Panicked { label }),
            Err(_elapsed) => Err(ProbeError::TimedOut { label, after: self.request_timeout }),
        }
    }

    /// [`Common::request`] then [`Common::send`].
    async fn exchange(&self, method: &Method, path: &str, body: Body) -> Result<Response<Body>, ProbeError> {
        self.send(self.request(method, path, body)?).await
    }
}

impl fmt::Debug for Common {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be credentials (an API key): only their names are shown.
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Common")
            .field("name", &self.name)
            .field("control", &self.control)
            .field("client_ip", &self.client_ip)
            .field("identity_header", &self.identity_header)
            .field("connect_info", &self.connect_info)
            .field("headers", &header_names)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

fn ip_header_value(ip: IpAddr) -> HeaderValue {
    match HeaderValue::from_str(&ip.to_string()) {
        Ok(value) => value,
        // An address is ASCII digits, dots, colons and hex letters: always a valid value.
        Err(_) => HeaderValue::from_static("192.0.2.1"),
    }
}

/// Why a probe request produced no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ProbeError {
    Invalid { label: String, reason: String },
    TimedOut { label: String, after: Duration },
    Panicked { label: String },
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Invalid { label, reason } => write!(f, "cannot build the probe request {label}: {reason}"),
            ProbeError::TimedOut { label, after } => write!(
                f,
                "{label} did not answer within {} ms (in process a route answers in microseconds: is it \
                 waiting on something, or queueing requests?)",
                after.as_millis()
            ),
            ProbeError::Panicked { label } => write!(f, "the handler of {label} panicked"),
        }
    }
}

impl From<ProbeError> for Outcome {
    fn from(error: ProbeError) -> Self {
        Outcome::fail(error.to_string())
    }
}

/// What an unexpected status most likely means, for outputs.
fn status_hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "no such route: check the probe's path",
        405 => "the route does not take this method",
        415 => "the route does not take this content type",
        429 => "rate limited: give this probe a client address of its own, or exempt it from the limiter",
        500..=599 => {
            "a server error: the route must answer, not fail (a rate limiter that cannot find the client's \
             address answers 500 too: see `connect_info` and `identity_header`)"
        }
        _ => "not the answer the probe expects",
    }
}

/// `items` joined with `, `, at most [`MAX_LISTED`] of them, then how many more there are.
fn list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: fmt::Display,
{
    let mut text = String::new();
    let mut more = 0usize;
    for (index, item) in items.into_iter().enumerate() {
        if index >= MAX_LISTED {
            more += 1;
            continue;
        }
        if index > 0 {
            text.push_str(", ");
        }
        text.push_str(&item.to_string());
    }
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    if text.is_empty() { "none".to_owned() } else { text }
}

/// The names of an answer's headers, sorted, for evidence.
fn header_names(headers: &HeaderMap) -> String {
    let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// Seconds since the Unix epoch (0 for a clock before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// The request a probe sends (method, path, body), for the probes that let the user choose it.
/// Its `Debug` shows only the body's content type: a login body holds a password.
#[derive(Clone)]
struct RequestTemplate {
    method: Method,
    path: String,
    body: Option<(HeaderValue, axum::body::Bytes)>,
}

impl RequestTemplate {
    fn new(method: Method, path: &str) -> Self {
        Self { method, path: path.to_owned(), body: None }
    }

    /// `METHOD /path`, for outputs.
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The request from `ip`, with the body and its content type.
    fn build(&self, common: &Common, ip: IpAddr) -> Result<Request<Body>, ProbeError> {
        let body = self.body.as_ref().map_or_else(Body::empty, |(_, bytes)| Body::from(bytes.clone()));
        let mut request = common.request_from(ip, &self.method, &self.path, body)?;
        if let Some((content_type, _)) = &self.body {
            request.headers_mut().insert(axum::http::header::CONTENT_TYPE, content_type.clone());
        }
        Ok(request)
    }
}

impl fmt::Debug for RequestTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestTemplate")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body", &self.body.as_ref().map(|(content_type, _)| (content_type, "[REDACTED]")))
            .finish()
    }
}

/// The builder methods of the probes whose request the user chooses (a field `request` of type
/// [`RequestTemplate`]), documented once; `$what` says what the request is for.
macro_rules! request_methods {
    ($what:literal, $default:literal) => {
        #[doc = concat!("The request ", $what, " (default `", $default, "`).")]
        pub fn request(mut self, method: axum::http::Method, path: impl Into<String>) -> Self {
            self.request.method = method;
            self.request.path = path.into();
            self
        }

        /// The request's body with its content type. It is never shown (it may hold a password).
        pub fn body(mut self, content_type: axum::http::HeaderValue, body: impl Into<axum::body::Bytes>) -> Self {
            self.request.body = Some((content_type, body.into()));
            self
        }

        /// A JSON body for the request.
        pub fn json(self, body: &serde_json::Value) -> Self {
            let bytes = serde_json::to_vec(body).unwrap_or_default();
            self.body(axum::http::HeaderValue::from_static("application/json"), bytes)
        }

        /// A form body (`application/x-www-form-urlencoded`) for the request.
        pub fn form<'a>(self, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
            self.body(axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"), body)
        }
    };
}
use request_methods;

/// The builder methods every probe shares, documented once.
macro_rules! common_methods {
    ($default_name:literal) => {
        #[doc = concat!("Names the check (default `", $default_name, "`): needed to register a second")]
        /// instance of the same probe, since check names are unique.
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.common.name = name.into();
            self
        }

        /// Adjusts the check's settings: criticality, kinds, timeout, TTL or background interval
        /// (by default a probe is a non-critical readiness check whose result is reused for 60 s).
        /// Several calls apply in order.
        pub fn spec(
            mut self,
            edit: impl Fn(readiness_core::CheckSpec) -> readiness_core::CheckSpec + Send + Sync + 'static,
        ) -> Self {
            self.common.spec_edits.push(std::sync::Arc::new(edit));
            self
        }

        /// The client address the probe's requests come from (see the module docs); keep it in
        /// the documentation ranges (`192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`) so no
        /// real client shares its rate-limit quota.
        pub fn client_ip(mut self, ip: std::net::IpAddr) -> Self {
            self.common.client_ip = ip;
            self
        }

        /// The header carrying the client address (default `X-Forwarded-For`, which a limiter
        /// behind a proxy reads, from the proxy's peer address only); `None` sends no such header.
        pub fn identity_header(mut self, header: Option<axum::http::HeaderName>) -> Self {
            self.common.identity_header = header;
            self
        }

        /// Whether to put `ConnectInfo<SocketAddr>` (and a plain `SocketAddr`) with the client
        /// address into each request's extensions, as `into_make_service_with_connect_info` does
        /// for real connections (default `true`).
        pub fn connect_info(mut self, insert: bool) -> Self {
            self.common.connect_info = insert;
            self
        }

        /// A header sent with every request of the probe (an API key, a `Host`, a tenant).
        /// Its value is never shown, in outputs or in `Debug`.
        pub fn header(mut self, name: axum::http::HeaderName, value: axum::http::HeaderValue) -> Self {
            self.common.headers.append(name, value);
            self
        }

        /// How long one request may take before the probe fails naming it (default 250 ms).
        /// Keep it under the check's timeout (800 ms by default, see [`Self::spec`]).
        pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.request_timeout = timeout;
            self
        }
    };
}
use common_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded() {
        assert_eq!(list(Vec::<String>::new()), "none");
        assert_eq!(list(["a", "b"]), "a, b");
        let long = list(0..20);
        assert!(long.ends_with("11 and 8 more"), "{long}");
    }

    #[test]
    fn hints_name_the_likely_cause() {
        assert!(status_hint(StatusCode::NOT_FOUND).contains("path"));
        assert!(status_hint(StatusCode::INTERNAL_SERVER_ERROR).contains("connect_info"));
        assert!(status_hint(StatusCode::TOO_MANY_REQUESTS).contains("client address"));
    }
}

/// The mark on every request an in-process probe sends: the request-metrics layer leaves such
/// requests out, so probes neither count as traffic nor dilute real errors. Only this crate can
/// make one, so no outside request can carry it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProbeRequest;
