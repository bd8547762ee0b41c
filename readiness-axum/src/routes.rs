//! The readiness routes and their options.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use ed25519_dalek::SigningKey;
use readiness_core::output::{Disclosure, checklist, health_json, html, jwks, oscal, prometheus, text};
use readiness_core::{Readiness, Report, Selection};
use secrecy::SecretString;

use crate::attestation::{self, Attestation};
use crate::metrics::RequestMetrics;
use crate::problem::Problem;
use crate::rejection::{self, Refusal};
use crate::request::{Format, Params, accepts_html, is_authorized, negotiate, parse_query, path_is_well_formed};

/// Who may see details: outputs, observed values, evidence, source locations, the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Details {
    /// Nobody: every caller sees statuses only, and the checklist is refused.
    Never,
    /// Callers presenting `Authorization: Bearer <token>` with the configured token (the
    /// default). Without a token configured, nobody.
    #[default]
    WhenAuthorized,
    /// Everybody. Only for services that are not reachable from outside.
    Always,
}

/// A route configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoutesError {
    /// A path does not start with `/`, ends with `/`, or has characters other than
    /// `a-z A-Z 0-9 - _ . /`.
    #[error("invalid path `{0}`: start with `/`, no trailing `/`, only letters, digits and `-_./`")]
    InvalidPath(String),
    /// Two routes have the same path.
    #[error("two routes share the path `{0}`")]
    DuplicatePath(String),
    /// The detail token is shorter than 16 bytes.
    #[error("the detail token is shorter than 16 bytes")]
    WeakToken,
}

/// The paths of the routes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Paths {
    readiness: String,
    liveness: String,
    startup: String,
    checklist: String,
    metrics: String,
    attestation: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            readiness: "/readiness".into(),
            liveness: "/liveness".into(),
            startup: "/startup".into(),
            checklist: "/readiness/checklist".into(),
            metrics: "/readiness/metrics".into(),
            attestation: "/readiness/attestation".into(),
        }
    }
}

/// Builds the readiness routes. [`crate::routes`] is `Routes::new(readiness).build()` with the
/// defaults.
///
/// ```
/// use readiness_axum::{Details, Routes};
/// use readiness_core::Readiness;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let readiness = readiness_core::testing::builder().build().unwrap();
/// let router: axum::Router = Routes::new(readiness)
///     .details(Details::WhenAuthorized)
///     .token("a-long-random-detail-token")
///     .readiness_path("/health/ready")
///     .build()
///     .unwrap();
/// # let _ = router;
/// # }
/// ```
#[must_use = "call `.build()` to get the router"]
pub struct Routes {
    readiness: Readiness,
    details: Details,
    token: Option<SecretString>,
    paths: Paths,
    metrics: Option<RequestMetrics>,
    signing: Option<SigningKey>,
    attestation_validity: Duration,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("details", &self.details)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("paths", &self.paths)
            .field("metrics", &self.metrics.is_some())
            .field("signing_key", &self.signing.as_ref().map(|key| jwks::key_id(&key.verifying_key())))
            .field("attestation_validity", &self.attestation_validity)
            .finish_non_exhaustive()
    }
}

impl Routes {
    /// The routes of `readiness` with the default paths and [`Details::WhenAuthorized`].
    pub fn new(readiness: Readiness) -> Self {
        Self {
            readiness,
            details: Details::default(),
            token: None,
            paths: Paths::default(),
            metrics: None,
            signing: None,
            attestation_validity: attestation::DEFAULT_VALIDITY,
        }
    }

    /// Who may see details.
    pub fn details(mut self, details: Details) -> Self {
        self.details = details;
        self
    }

    /// The bearer token that unlocks details (at least 16 bytes). It is registered with the
    /// masker, so it never appears in an output or a masked log line.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        readiness_core::masking::register_secret(&token);
        self.token = Some(SecretString::from(token));
        self
    }

    /// Like [`Routes::token`], for a token already in a `SecretString`.
    pub fn secret_token(self, token: &SecretString) -> Self {
        self.token(secrecy::ExposeSecret::expose_secret(token).to_owned())
    }

    /// Where the readiness report is served (default `/readiness`); single checks are served
    /// under it (`/readiness/{check}`).
    pub fn readiness_path(mut self, path: impl Into<String>) -> Self {
        self.paths.readiness = path.into();
        self
    }

    /// Where the liveness report is served (default `/liveness`).
    pub fn liveness_path(mut self, path: impl Into<String>) -> Self {
        self.paths.liveness = path.into();
        self
    }

    /// Where the startup report is served (default `/startup`).
    pub fn startup_path(mut self, path: impl Into<String>) -> Self {
        self.paths.startup = path.into();
        self
    }

    /// Where the checklist is served (default `/readiness/checklist`).
    pub fn checklist_path(mut self, path: impl Into<String>) -> Self {
        self.paths.checklist = path.into();
        self
    }

    /// Where the Prometheus metrics are served (default `/readiness/metrics`).
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.paths.metrics = path.into();
        self
    }

    /// Where the in-toto attestation is served (default `/readiness/attestation`).
    pub fn attestation_path(mut self, path: impl Into<String>) -> Self {
        self.paths.attestation = path.into();
        self
    }

    /// Signs the attestation with this ed25519 key: the route then answers a DSSE envelope
    /// (`application/vnd.dsse.envelope.v1+json`) instead of a statement marked unsigned. The
    /// envelope's `keyid` is the key's RFC 7638 thumbprint, the `kid` of the key served (public
    /// part only, to anyone) at `{attestation path}/keys` as a JWK Set.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing = Some(key);
        self
    }

    /// How long after it is generated a statement may be believed: its predicate's
    /// `expires_at` (default 10 minutes).
    pub fn attestation_validity(mut self, validity: Duration) -> Self {
        self.attestation_validity = validity;
        self
    }

    /// Adds the request metrics of the application's routes to the Prometheus output.
    pub fn request_metrics(mut self, metrics: RequestMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Validates the configuration and builds the router.
    ///
    /// # Errors
    ///
    /// [`RoutesError`] for a malformed or duplicate path, or a token shorter than 16 bytes.
    pub fn build<S>(self) -> Result<Router<S>, RoutesError>
    where
        S: Clone + Send + Sync + 'static,
    {
        let paths = &self.paths;
        let all =
            [&paths.readiness, &paths.liveness, &paths.startup, &paths.checklist, &paths.metrics, &paths.attestation];
        for path in all {
            let valid = path.len() > 1
                && path.starts_with('/')
                && !path.ends_with('/')
                && !path.contains("//")
                && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
            if !valid {
                return Err(RoutesError::InvalidPath(path.to_string()));
            }
        }
        for (index, path) in all.iter().enumerate() {
            if all[..index].contains(path) {
                return Err(RoutesError::DuplicatePath(path.to_string()));
            }
        }
        if self.token.as_ref().is_some_and(|token| secrecy::ExposeSecret::expose_secret(token).len() < 16) {
            return Err(RoutesError::WeakToken);
        }
        let paths = self.paths.clone();
        let shared = Arc::new(Shared {
            readiness: self.readiness,
            details: self.details,
            token: self.token,
            metrics: self.metrics,
            attestation: Attestation::new(self.signing, self.attestation_validity),
            rendered: Default::default(),
        });
        let keys = format!("{}/keys", paths.attestation);
        let trailing = format!("{}/", paths.readiness);
        let single = format!("{}/{{check}}", paths.readiness);
        let deeper = format!("{}/{{check}}/{{*rest}}", paths.readiness);
        Ok(Router::new()
            .route(&paths.readiness, probe_route(Probe::Readiness))
            .route(&paths.liveness, probe_route(Probe::Liveness))
            .route(&paths.startup, probe_route(Probe::Startup))
            .route(&paths.checklist, only_get(checklist_handler))
            .route(&paths.metrics, only_get(metrics_handler))
            .route(&paths.attestation, only_get(attestation_handler))
            .route(&keys, only_get(keys_handler))
            .route(&trailing, only_get(too_deep_handler))
            .route(&single, only_get(single_check_handler))
            .route(&deeper, only_get(too_deep_handler))
            .with_state(shared))
    }
}

/// What the handlers share.
struct Shared {
    readiness: Readiness,
    details: Details,
    token: Option<SecretString>,
    metrics: Option<RequestMetrics>,
    attestation: Attestation,
    /// The last minimal health+json body of liveness, readiness and startup.
    rendered: [Mutex<Option<Rendered>>; 3],
}

/// A rendered answer and the [`Readiness::version`] it was rendered at.
struct Rendered {
    version: u64,
    status: StatusCode,
    body: Bytes,
    /// Its headers, `Content-Length` included: a copy of them costs half of inserting them one
    /// by one, and axum adds none.
    headers: HeaderMap,
}

impl Rendered {
    fn new(version: u64, status: StatusCode, body: Bytes) -> Self {
        let mut headers = answer_headers(health_json::CONTENT_TYPE);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        Self { version, status, body, headers }
    }

    fn to_response(&self) -> Response {
        let mut response = Response::new(axum::body::Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

impl Shared {
    fn disclosure(&self, headers: &HeaderMap) -> Disclosure {
        match self.details {
            Details::Always => Disclosure::Full,
            Details::Never => Disclosure::Minimal,
            Details::WhenAuthorized if is_authorized(headers, self.token.as_ref()) => Disclosure::Full,
            Details::WhenAuthorized => Disclosure::Minimal,
        }
    }

    /// Refuses callers who may not see details.
    fn require_details(&self, headers: &HeaderMap) -> Result<(), Problem> {
        match (self.details, self.disclosure(headers)) {
            (_, Disclosure::Full) => Ok(()),
            (Details::Never, _) => {
                Err(Problem::new(StatusCode::FORBIDDEN, "Forbidden", "details are disabled on this service"))
            }
            _ if accepts_html(headers) => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "this page needs the service's detail token: sign in with any user name and the token as the password",
            )
            .with_basic_challenge()),
            _ => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "this page needs `Authorization: Bearer <token>` with the service's detail token",
            )),
        }
    }
}

type AppState = State<Arc<Shared>>;

/// Which report a probe route serves.
#[derive(Clone, Copy)]
enum Probe {
    Liveness = 0,
    Readiness = 1,
    Startup = 2,
}

/// A route answering GET (and HEAD) with `handler`, and any other method with a 405 problem.
fn only_get<H, T>(handler: H) -> MethodRouter<Arc<Shared>>
where
    H: Handler<T, Arc<Shared>>,
    T: 'static,
{
    get(handler).fallback(rejection::method_not_allowed)
}

/// The route of one probe: the same handler, told which report it serves.
fn probe_route(which: Probe) -> MethodRouter<Arc<Shared>> {
    // The request itself rather than the `HeaderMap` and `RawQuery` extractors, which copy the
    // headers and the query on every probe.
    only_get(move |State(shared): AppState, request: Request| async move {
        probe(&shared, which, request.uri().query(), request.headers()).await
    })
}

const REPORT_FORMATS: [Format; 3] = [Format::HealthJson, Format::Json, Format::Text];

async fn probe(
    shared: &Shared,
    which: Probe,
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let query = parse_query(raw_query, Params::Report)?;
    let format = negotiate(&query, headers, &REPORT_FORMATS)?;
    let disclosure = shared.disclosure(headers);
    let mut selection = match which {
        Probe::Liveness => Selection::liveness(),
        Probe::Readiness => Selection::readiness(),
        Probe::Startup => Selection::startup(),
    };
    for name in &query.exclude {
        selection = selection.exclude(name.clone());
    }
    // The hot path of a probe: nothing to run, nothing changed, the same body as last time.
    let reusable = query.is_empty() && format == Format::HealthJson && disclosure == Disclosure::Minimal;
    let slot = &shared.rendered[which as usize];
    let reuse = || {
        if !reusable || !shared.readiness.is_cached(&selection) {
            return None;
        }
        let version = shared.readiness.version();
        lock(slot).as_ref().filter(|rendered| rendered.version == version).map(Rendered::to_response)
    };
    if let Some(response) = reuse() {
        return Ok(response);
    }
    let version = shared.readiness.version();
    let mut report = shared.readiness.report(&selection).await.map_err(|_| not_found())?;
    report.notes.extend(query.ignored);
    let status = status_of(&report);
    let response = render_report(&report, format, disclosure, query.verbose);
    if reusable && shared.readiness.is_cached(&selection) && shared.readiness.version() == version {
        *lock(slot) = Some(Rendered::new(version, status, response.1.clone()));
    }
    Ok(respond(status, response.0, response.1))
}

async fn single_check_handler(
    State(shared): AppState,
    name: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<Response, Refusal> {
    // Before the name: `Path` takes a malformed `%` sequence literally.
    let Some(Path(name)) = name.ok().filter(|_| path_is_well_formed(request.uri().path())) else {
        return Err(rejection::malformed_path());
    };
    // An invalid name cannot be a check: 404, without echoing it.
    if !readiness_core::is_valid_check_name(&name) || shared.readiness.check_spec(&name).is_none() {
        return Err(not_found().into());
    }
    let (query, headers) = (request.uri().query(), request.headers());
    let query = parse_query(query, Params::Plain)?;
    let format = negotiate(&query, headers, &REPORT_FORMATS)?;
    let mut report = shared.readiness.report(&Selection::check(name)).await.map_err(|_| not_found())?;
    report.notes.extend(query.ignored);
    let (content_type, body) = render_report(&report, format, shared.disclosure(headers), true);
    Ok(respond(status_of(&report), content_type, body))
}

/// Paths under the readiness path that cannot name a check.
async fn too_deep_handler(request: Request) -> Refusal {
    if path_is_well_formed(request.uri().path()) { not_found().into() } else { rejection::malformed_path() }
}

fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "Not found", "no check has that name")
}

async fn checklist_handler(
    State(shared): AppState,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let headers = &headers;
    let query = parse_query(query.as_deref(), Params::Plain)?;
    let format = negotiate(&query, headers, &[Format::Json, Format::Html, Format::Markdown, Format::Oscal])?;
    shared.require_details(headers)?;
    let report = shared.readiness.checklist().await;
    let mut response = match format {
        Format::Html => respond(StatusCode::OK, html::CONTENT_TYPE, Bytes::from(html::render(&report))),
        Format::Markdown => {
            respond(StatusCode::OK, checklist::MARKDOWN_CONTENT_TYPE, Bytes::from(checklist::markdown(&report)))
        }
        Format::Oscal => respond(
            StatusCode::OK,
            oscal::CONTENT_TYPE,
            Bytes::from(oscal::assessment_results(&checklist::json(&report)).to_string()),
        ),
        _ => respond(StatusCode::OK, checklist::JSON_CONTENT_TYPE, Bytes::from(checklist::json(&report).to_string())),
    };
    if format == Format::Html {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(html::CONTENT_SECURITY_POLICY));
    }
    Ok(response)
}

async fn metrics_handler(
    State(shared): AppState,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let headers = &headers;
    let query = parse_query(query.as_deref(), Params::Plain)?;
    let format = negotiate(&query, headers, &[Format::Prometheus, Format::OpenMetrics])?;
    let report = shared.readiness.snapshot().await;
    let (mut out, content_type) = if format == Format::OpenMetrics {
        (prometheus::MetricsWriter::openmetrics(), prometheus::OPENMETRICS_CONTENT_TYPE)
    } else {
        (prometheus::MetricsWriter::new(), prometheus::CONTENT_TYPE)
    };
    // Anonymous scrapers get what anonymous `/readiness` shows; Prometheus sends the token with
    // `authorization` in its scrape config for the rest.
    match shared.disclosure(headers) {
        Disclosure::Full => {
            prometheus::write_report(&mut out, &report);
            if let Some(metrics) = &shared.metrics {
                metrics.write_prometheus(&mut out);
            }
        }
        Disclosure::Minimal => prometheus::write_statuses(&mut out, &report),
    }
    Ok(respond(StatusCode::OK, content_type, Bytes::from(out.finish())))
}

async fn attestation_handler(
    State(shared): AppState,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let headers = &headers;
    let query = parse_query(query.as_deref(), Params::Attestation)?;
    let format = negotiate(&query, headers, shared.attestation.formats())?;
    shared.require_details(headers)?;
    let report = shared.readiness.checklist().await;
    let (content_type, body) = shared.attestation.render(&report, query.nonce.as_deref(), format)?;
    Ok(respond(StatusCode::OK, content_type, body))
}

/// The verifying key, to anyone: a public key is no secret, and a verifier must get it
/// without the detail token.
async fn keys_handler(State(shared): AppState, RawQuery(query): RawQuery) -> Result<Response, Refusal> {
    parse_query(query.as_deref(), Params::Plain)?;
    Ok(respond(StatusCode::OK, jwks::CONTENT_TYPE, shared.attestation.keys()))
}

fn status_of(report: &Report) -> StatusCode {
    StatusCode::from_u16(report.status.http_code()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

fn render_report(report: &Report, format: Format, disclosure: Disclosure, verbose: bool) -> (&'static str, Bytes) {
    match format {
        Format::Text => (text::CONTENT_TYPE, Bytes::from(text::render(report, disclosure, verbose))),
        Format::Json => ("application/json", Bytes::from(health_json::render(report, disclosure).to_string())),
        _ => (health_json::CONTENT_TYPE, Bytes::from(health_json::render(report, disclosure).to_string())),
    }
}

fn lock(slot: &Mutex<Option<Rendered>>) -> std::sync::MutexGuard<'_, Option<Rendered>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = answer_headers(content_type);
    response
}

/// The headers of an answer of the readiness routes with a body of `content_type`.
fn answer_headers(content_type: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    rejection::common_headers(&mut headers);
    headers
}
