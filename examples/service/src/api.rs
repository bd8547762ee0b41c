//! The application's own routes, with the protections that the HTTP self-probes verify in
//! process: security headers, CORS, rate limiting, a JWT-protected route, a session cookie and a
//! password policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use readiness_core::checks::secrets::{ExposeSecret, SecretString};
use readiness_core::control;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::db::Database;

/// The `aud` and `iss` every accepted token must carry.
pub(crate) const JWT_AUDIENCE: &str = "example-service";
/// See [`JWT_AUDIENCE`].
pub(crate) const JWT_ISSUER: &str = "example-service";
/// The session cookie set by `POST /api/session`.
pub(crate) const SESSION_COOKIE: &str = "session";
/// Requests a client may send at once before it gets 429, and how fast the allowance refills.
pub(crate) const RATE_BURST: u32 = 50;
const RATE_REFILL_EVERY: Duration = Duration::from_millis(20);

/// What the routes need besides the database.
#[derive(Clone)]
pub(crate) struct Api {
    database: Database,
    /// `None` when `JWT_SECRET` is missing or weak: protected routes answer 503.
    jwt_key: Option<Arc<DecodingKey>>,
}

impl Api {
    pub(crate) fn new(database: Database, jwt_secret: Option<&SecretString>) -> Self {
        let jwt_key = jwt_secret.map(|secret| Arc::new(DecodingKey::from_secret(secret.expose_secret().as_bytes())));
        Self { database, jwt_key }
    }
}

/// The application's routes with their protections. The request-metrics layer goes around them
/// where they are served (`main.rs`), not here: the self-probes drive this router, and their
/// requests are no traffic of the application's.
#[control(
    "performance.monitoring.apm",
    evidence = "RequestMetrics layer: request count, 5xx count and latency histogram, exported on /readiness/metrics"
)]
#[control("documentation.technical.api", evidence = "every route is listed with a curl example in README.md")]
#[control("security.auth.rate-limiting", evidence = "tower_governor: 50-request burst per client IP, refilled at 50/s")]
#[control("security.network.headers", evidence = "nosniff, frame guard, CSP, Referrer-Policy and HSTS on every answer")]
pub(crate) fn router(api: Api, allowed_origins: Vec<HeaderValue>, client_ip: ClientIp) -> Router {
    let limiter = GovernorConfigBuilder::default()
        .period(RATE_REFILL_EVERY)
        .burst_size(RATE_BURST)
        .key_extractor(client_ip)
        .finish()
        .map(Arc::new);
    let mut routes = Router::new()
        .route("/", get(|| async { "example-service: see /readiness\n" }))
        .route("/api/orders", get(list_orders))
        .route("/api/slow", get(slow))
        .route("/api/me", get(me))
        .route("/api/session", post(open_session))
        .route("/api/password-policy", post(judge_password))
        .with_state(api);
    if let Some(limiter) = limiter {
        // The limiter remembers every client address it saw: forget the idle ones.
        let memory = Arc::clone(limiter.limiter());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                memory.retain_recent();
            }
        });
        routes = routes.layer(GovernorLayer::new(limiter));
    }
    routes = routes.layer(cors(allowed_origins));
    for (name, value) in SECURITY_HEADERS {
        routes = routes.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    routes
}

/// The headers every answer of the application carries (unless a handler set its own).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
];

/// Who a request comes from, for the rate limiter. With no proxy in front (`TRUSTED_PROXY_HOPS=0`)
/// it is the peer's address, which a client cannot choose. Behind `n` proxies that each append
/// the address they saw to `X-Forwarded-For` (an ingress), it is the `n`-th address from the
/// right: the one the outermost trusted proxy saw, which again the client cannot choose;
/// addresses further left are the client's own claims and are ignored. The readiness
/// self-probes give their requests a documentation-range address both ways, so they never spend
/// a real client's allowance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientIp {
    trusted_proxy_hops: usize,
}

impl ClientIp {
    pub(crate) fn behind(trusted_proxy_hops: usize) -> Self {
        Self { trusted_proxy_hops }
    }
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, tower_governor::GovernorError> {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
        if self.trusted_proxy_hops == 0 {
            return peer.ok_or(tower_governor::GovernorError::UnableToExtractKey);
        }
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        forwarded
            .len()
            .checked_sub(self.trusted_proxy_hops)
            .and_then(|index| forwarded[index].parse().ok())
            .or(peer)
            .ok_or(tower_governor::GovernorError::UnableToExtractKey)
    }
}

#[control("security.network.cors", evidence = "tower-http CorsLayer: only CORS_ORIGINS, never `*` with credentials")]
fn cors(allowed_origins: Vec<HeaderValue>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed_origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}

async fn list_orders(State(api): State<Api>) -> Result<Json<Vec<String>>, (StatusCode, &'static str)> {
    api.database.order_ids().await.map(Json).map_err(|error| {
        tracing::warn!(%error, "listing orders failed");
        (StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable\n")
    })
}

#[derive(serde::Deserialize)]
struct SlowQuery {
    ms: Option<u64>,
}

/// A request that takes a while (at most 10 s): shows graceful shutdown finishing it.
async fn slow(Query(query): Query<SlowQuery>) -> String {
    let wait = Duration::from_millis(query.ms.unwrap_or(1000).min(10_000));
    tokio::time::sleep(wait).await;
    format!("done after {} ms\n", wait.as_millis())
}

/// The claims of an accepted token.
#[derive(serde::Deserialize, serde::Serialize)]
struct Claims {
    sub: String,
}

/// A request carrying a valid bearer token: HS256 only, signed with `JWT_SECRET`, with this
/// service's audience and issuer, not expired and already valid.
struct Authenticated(Claims);

impl FromRequestParts<Api> for Authenticated {
    type Rejection = (StatusCode, [(HeaderName, &'static str); 1], &'static str);

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, Self::Rejection> {
        const CHALLENGE: HeaderName = header::WWW_AUTHENTICATE;
        let Some(key) = &api.jwt_key else {
            return Err((StatusCode::SERVICE_UNAVAILABLE, [(CHALLENGE, "Bearer")], "JWT_SECRET is not configured\n"));
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or((StatusCode::UNAUTHORIZED, [(CHALLENGE, "Bearer")], "a bearer token is required\n"))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[JWT_AUDIENCE]);
        validation.set_issuer(&[JWT_ISSUER]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| Self(data.claims)).map_err(|_| {
            (StatusCode::UNAUTHORIZED, [(CHALLENGE, "Bearer error=\"invalid_token\"")], "the token is not valid\n")
        })
    }
}

#[control(
    "security.auth.jwt-validation",
    evidence = "jsonwebtoken: HS256 only, exp, nbf, aud and iss required and checked (examples/service/src/api.rs)"
)]
async fn me(Authenticated(claims): Authenticated) -> Json<Claims> {
    Json(claims)
}

/// Opens a guest session (a cart, say): a random id in a cookie scripts cannot read, sent only
/// over HTTPS and never on cross-site requests.
#[control(
    "security.auth.session-management",
    evidence = "session cookie: random UUIDv4 id (122 random bits), Secure, HttpOnly, SameSite=Strict, 1 h"
)]
async fn open_session() -> impl IntoResponse {
    let id = uuid::Uuid::new_v4().simple();
    let cookie = format!("{SESSION_COOKIE}={id}; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
    (StatusCode::CREATED, [(header::SET_COOKIE, cookie)], "session opened\n")
}

#[derive(serde::Deserialize)]
struct PasswordCandidate {
    #[serde(default)]
    username: String,
    password: String,
}

/// The sign-up form's password check: 12 to 128 characters and a zxcvbn score of at least 3
/// (more than 10^8 guesses), judged against the user name too. Answers 204 or 422 with the reason.
#[control(
    "security.auth.password-strength",
    evidence = "POST /api/password-policy: 12-128 characters, zxcvbn score >= 3, user name taken into account"
)]
async fn judge_password(Json(candidate): Json<PasswordCandidate>) -> Response {
    let length = candidate.password.chars().count();
    if !(12..=128).contains(&length) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "a password has 12 to 128 characters\n").into_response();
    }
    let score = zxcvbn::zxcvbn(&candidate.password, &[candidate.username.as_str()]).score();
    if (score as u8) < 3 {
        return (StatusCode::UNPROCESSABLE_ENTITY, "this password is too easy to guess\n").into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `CORS_ORIGINS`: a comma-separated list of origins allowed to call the API from a browser.
pub(crate) fn parse_origins(list: &str) -> Result<Vec<HeaderValue>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            if origin == "*" || origin.eq_ignore_ascii_case("null") {
                return Err(format!("CORS_ORIGINS may not be `{origin}`: the API accepts credentials"));
            }
            HeaderValue::from_str(origin).map_err(|_| format!("CORS_ORIGINS: `{origin}` is not a valid origin"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: Option<&str>, forwarded: &[&str]) -> axum::http::Request<()> {
        let mut request = axum::http::Request::new(());
        if let Some(peer) = peer {
            request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        for value in forwarded {
            request.headers_mut().append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        request
    }

    fn key(hops: usize, request: &axum::http::Request<()>) -> Option<IpAddr> {
        ClientIp::behind(hops).extract(request).ok()
    }

    #[test]
    fn without_proxies_the_peer_counts_and_forwarded_for_is_ignored() {
        let spoofed = request(Some("198.51.100.9:5000"), &["203.0.113.1"]);
        assert_eq!(key(0, &spoofed), Some("198.51.100.9".parse().unwrap()));
        assert_eq!(key(0, &request(None, &["203.0.113.1"])), None);
    }

    #[test]
    fn behind_an_ingress_the_address_it_saw_counts_not_the_clients_claims() {
        // The client claims 6.6.6.6; the ingress (the peer) appends the address it saw.
        let through_ingress = request(Some("10.0.0.2:40000"), &["6.6.6.6, 203.0.113.7"]);
        assert_eq!(key(1, &through_ingress), Some("203.0.113.7".parse().unwrap()));
        let two_headers = request(Some("10.0.0.2:40000"), &["6.6.6.6", "203.0.113.7"]);
        assert_eq!(key(1, &two_headers), Some("203.0.113.7".parse().unwrap()));
        // Two proxies: the second from the right is what the outer one saw.
        assert_eq!(key(2, &through_ingress), Some("6.6.6.6".parse().unwrap()));
        // Fewer addresses than proxies, or none: the peer.
        assert_eq!(key(3, &through_ingress), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(key(1, &request(Some("10.0.0.2:1"), &[])), Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn origins_are_exact_and_never_a_wildcard_or_null() {
        assert_eq!(parse_origins(" https://a.example , https://b.example ").unwrap().len(), 2);
        assert!(parse_origins("*").unwrap_err().contains("may not be `*`"));
        assert!(parse_origins("null").unwrap_err().contains("may not be `null`"));
        assert!(parse_origins("https://a.example\n").is_ok());
        assert!(parse_origins("bad\u{7f}origin").is_err());
    }
}
