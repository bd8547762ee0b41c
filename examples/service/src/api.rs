//! The application's own routes, with the protections that the HTTP self-probes verify in
//! process: security headers, CORS, rate limiting keyed on the client (never on what it claims),
//! a JWT-protected route, a session cookie and a sign-up that enforces the password policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use readiness_core::checks::secrets::{ExposeSecret, SecretString};
use readiness_core::control;
use tokio::sync::OnceCell;
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
const RATE_LIMIT: Limit = Limit { burst: 50, refill_every: Duration::from_millis(20) };

/// A rate limit: a burst per client, refilled one request at a time.
#[derive(Clone, Copy, Debug)]
struct Limit {
    burst: u32,
    refill_every: Duration,
}

/// What the routes need besides the database.
#[derive(Clone)]
pub(crate) struct Api {
    database: Database,
    /// `None` when `JWT_SECRET` is missing or weak: protected routes answer 503.
    jwt_key: Option<Arc<DecodingKey>>,
    /// Set once the accounts table exists (created by the first sign-up).
    accounts_table: Arc<OnceCell<()>>,
}

impl Api {
    pub(crate) fn new(database: Database, jwt_secret: Option<&SecretString>) -> Self {
        let jwt_key = jwt_secret.map(|secret| Arc::new(DecodingKey::from_secret(secret.expose_secret().as_bytes())));
        Self { database, jwt_key, accounts_table: Arc::new(OnceCell::new()) }
    }

    /// Creates the account `username`; `false` when the name is taken. The example has no login,
    /// so it stores no credential: a real service stores an Argon2id hash of the password here.
    async fn create_account(&self, username: &str) -> Result<bool, sqlx::Error> {
        const TABLE: &str =
            "CREATE TABLE IF NOT EXISTS accounts (username TEXT PRIMARY KEY, created_at BIGINT NOT NULL)";
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
        let created = match &self.database {
            Database::Sqlite(pool) => {
                self.accounts_table
                    .get_or_try_init(|| async { sqlx::query(TABLE).execute(pool).await.map(drop) })
                    .await?;
                sqlx::query(
                    "INSERT INTO accounts (username, created_at) VALUES (?, ?) ON CONFLICT (username) DO NOTHING",
                )
                .bind(username)
                .bind(now)
                .execute(pool)
                .await?
            }
            .rows_affected(),
            Database::Postgres(pool) => {
                self.accounts_table
                    .get_or_try_init(|| async { sqlx::query(TABLE).execute(pool).await.map(drop) })
                    .await?;
                sqlx::query(
                    "INSERT INTO accounts (username, created_at) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING",
                )
                .bind(username)
                .bind(now)
                .execute(pool)
                .await?
            }
            .rows_affected(),
        };
        Ok(created == 1)
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
#[control(
    "security.auth.rate-limiting",
    evidence = "tower_governor: 50-request burst per client, refilled at 50/s; keyed on the peer address, on \
                X-Forwarded-For only from TRUSTED_PROXIES, IPv6 clients by their /64, the self-probes apart"
)]
#[control("security.network.headers", evidence = "nosniff, frame guard, CSP, Referrer-Policy and HSTS on every answer")]
pub(crate) fn router(api: Api, allowed_origins: Vec<HeaderValue>, client_ip: ClientIp) -> Router {
    limited_router(api, allowed_origins, client_ip, RATE_LIMIT)
}

/// [`router`] with another rate limit (tests use one that does not refill while they run).
fn limited_router(api: Api, allowed_origins: Vec<HeaderValue>, client_ip: ClientIp, limit: Limit) -> Router {
    let limiter = GovernorConfigBuilder::default()
        .period(limit.refill_every)
        .burst_size(limit.burst)
        .key_extractor(client_ip)
        .finish()
        .map(Arc::new);
    let mut routes = Router::new()
        .route("/", get(|| async { "example-service: see /readiness\n" }))
        .route("/api/orders", get(list_orders))
        .route("/api/slow", get(slow))
        .route("/api/me", get(me))
        .route("/api/session", post(open_session))
        .route("/api/signup", post(sign_up))
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

/// The router the in-process readiness probes drive: `api` with every request marked as theirs,
/// so the rate limiter counts the probes in an allowance of their own that no request from
/// outside can reach (a mark in the request's extensions, which no header or address can set).
pub(crate) fn for_probes(api: Router) -> Router {
    api.layer(Extension(InProcess))
}

/// The mark of a request sent by an in-process probe (see [`for_probes`]).
#[derive(Clone, Copy, Debug)]
struct InProcess;

/// The headers every answer of the application carries (unless a handler set its own).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
];

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`): CIDRs such as
/// `10.0.0.0/8` or `127.0.0.1/32`; a bare address is one host. Empty: no proxy is trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TrustedProxies(Vec<Cidr>);

/// One network: an address with its host bits zero, and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxies {
    /// `TRUSTED_PROXIES`: a comma-separated list of CIDRs. A network with host bits set, a prefix
    /// longer than the address, and `/0` (which would believe every client's claim) are refused.
    pub(crate) fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Cidr::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|cidr| cidr.contains(ip))
    }
}

impl Cidr {
    fn parse(text: &str) -> Result<Self, String> {
        let error = |why: &str| format!("TRUSTED_PROXIES: `{text}` {why}");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| error("is not an address or a CIDR (10.0.0.0/8)"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= bits)
                .ok_or_else(|| error(&format!("has a prefix length that is not 0 to {bits}")))?,
        };
        if prefix == 0 {
            return Err(error("trusts every address: any client could then choose its own rate-limit key"));
        }
        let cidr = Self { network, prefix };
        let masked = cidr.masked(network);
        if masked != network {
            return Err(error(&format!("has host bits set: write {masked}/{prefix}")));
        }
        Ok(cidr)
    }

    /// `ip` with the bits past the prefix cleared.
    fn masked(self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    fn contains(self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.network.is_ipv4() && self.masked(ip) == self.network
    }
}

/// Who a request comes from, for the rate limiter: the peer address, which a client cannot
/// choose. When the peer is one of [`TrustedProxies`], the client is the right-most
/// `X-Forwarded-For` address that is not a trusted proxy: the one the outermost trusted proxy
/// saw. Addresses further left are the client's own claims and are ignored, and so are
/// `X-Real-IP` and `Forwarded`. An entry may be `ip`, `ip:port`, `[v6]` or `[v6]:port`; at an entry
/// that is none of these (`unknown`, an obfuscated name) the walk stops at the last address it
/// knows. IPv6 clients are counted by their /64 (one host holds a whole /64 and could otherwise
/// take a new address for every request), IPv4-mapped IPv6 addresses as IPv4. The in-process
/// readiness probes (see [`for_probes`]) are counted apart from every outside caller, so none can
/// spend their allowance and they spend nobody's.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientIp {
    trusted: TrustedProxies,
}

impl ClientIp {
    /// Believing `X-Forwarded-For` from `trusted` peers only.
    pub(crate) fn trusting(trusted: TrustedProxies) -> Self {
        Self { trusted }
    }

    /// The client's address, from the peer's and the `X-Forwarded-For` headers.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusted.contains(client) {
            return client;
        }
        // Right to left: the last header, its last entry first.
        for value in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(value) = value.to_str() else { return client };
            for entry in value.rsplit(',') {
                let Some(address) = forwarded_address(entry) else { return client };
                client = address;
                if !self.trusted.contains(address) {
                    return client;
                }
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry's address: `ip`, `ip:port`, `[v6]` or `[v6]:port`.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<Ipv6Addr>().ok().map(IpAddr::V6))?;
    Some(address.to_canonical())
}

/// What the rate limiter counts requests by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    /// A request of an in-process probe: never the same key as an outside caller's.
    in_process: bool,
    network: Network,
}

/// A client's network: an IPv4 address, or an IPv6 /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Network {
    V4(Ipv4Addr),
    V6Prefix(u64),
}

impl Network {
    fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => Self::V6Prefix(u64::try_from(u128::from(v6) >> 64).unwrap_or(u64::MAX)),
        }
    }
}

impl KeyExtractor for ClientIp {
    type Key = ClientKey;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<ClientKey, tower_governor::GovernorError> {
        let ConnectInfo(peer) = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .ok_or(tower_governor::GovernorError::UnableToExtractKey)?;
        Ok(ClientKey {
            in_process: request.extensions().get::<InProcess>().is_some(),
            network: Network::of(self.client(peer.ip(), request.headers())),
        })
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

/// The orders, for an authenticated caller only (a token as for `/api/me`).
async fn list_orders(
    _caller: Authenticated,
    State(api): State<Api>,
) -> Result<Json<Vec<String>>, (StatusCode, &'static str)> {
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
        if names_critical_extension(token) {
            return Err((
                StatusCode::UNAUTHORIZED,
                [(CHALLENGE, "Bearer error=\"invalid_token\"")],
                "the token is not valid\n",
            ));
        }
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

/// Whether a token's protected header lists an extension in `crit` (or cannot be read): RFC 7515
/// §4.1.11 says a recipient that does not understand one must refuse the token, this service
/// understands none, and jsonwebtoken 9 ignores `crit`.
fn names_critical_extension(token: &str) -> bool {
    let header = token.split('.').next().and_then(base64url_decode);
    header
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_none_or(|header| header.get("crit").is_some())
}

/// Unpadded URL-safe base64 (RFC 4648 §5), as a JWT's parts are written.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for character in text.bytes() {
        let value = match character {
            b'A'..=b'Z' => character - b'A',
            b'a'..=b'z' => character - b'a' + 26,
            b'0'..=b'9' => character - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(bytes)
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
struct SignUp {
    username: String,
    password: String,
}

/// The longest user name accepted.
const MAX_USERNAME: usize = 64;

/// Creates an account, the only way one is made, so the password policy holds for every account:
/// the user name has 1 to 64 characters (no control characters), the password is judged before
/// anything is stored ([`judge_password`]). Answers 201, 409 for a taken name, 422 with the
/// reason, or 503 when the database is unavailable.
#[control(
    "security.auth.password-strength",
    evidence = "POST /api/signup judges the password before it creates the account: 12-128 characters and a \
                zxcvbn score >= 3 with the user name taken into account"
)]
async fn sign_up(State(api): State<Api>, Json(form): Json<SignUp>) -> Response {
    let username = form.username.trim();
    let length = username.chars().count();
    if length == 0 || length > MAX_USERNAME || username.chars().any(char::is_control) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "a user name has 1 to 64 characters\n").into_response();
    }
    if let Err(reason) = judge_password(username, &form.password) {
        return (StatusCode::UNPROCESSABLE_ENTITY, reason).into_response();
    }
    match api.create_account(username).await {
        Ok(true) => (StatusCode::CREATED, Json(serde_json::json!({ "username": username }))).into_response(),
        Ok(false) => (StatusCode::CONFLICT, "this user name is taken\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "creating an account failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable\n").into_response()
        }
    }
}

/// The password policy: 12 to 128 characters and a zxcvbn score of at least 3 (more than 10^8
/// guesses), judged against the user name too. A length rule alone lets `passwordpassword` in.
fn judge_password(username: &str, password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if !(12..=128).contains(&length) {
        return Err("a password has 12 to 128 characters\n");
    }
    if zxcvbn::zxcvbn(password, &[username]).score() < zxcvbn::Score::Three {
        return Err("this password is too easy to guess\n");
    }
    Ok(())
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
    use readiness_axum::probes::{PasswordPolicy, RateLimit};
    use readiness_core::Status;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn client(trusted: &str, peer: &str, forwarded: &[&str]) -> IpAddr {
        ClientIp::trusting(proxies(trusted)).client(peer.parse().unwrap(), &headers(forwarded))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_are_cidrs_and_never_everybody() {
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        let list = proxies(" 10.0.0.0/8 , 127.0.0.1/32, 192.168.1.7, fd00::/8 ");
        for inside in ["10.1.2.3", "127.0.0.1", "192.168.1.7", "fd12::1", "::ffff:10.9.9.9"] {
            assert!(list.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "127.0.0.2", "192.168.1.8", "fe80::1", "2001:db8::1"] {
            assert!(!list.contains(ip(outside)), "{outside}");
        }
        let error = |list: &str| TrustedProxies::parse(list).unwrap_err();
        assert!(error("0.0.0.0/0").contains("trusts every address"), "{}", error("0.0.0.0/0"));
        assert!(error("::/0").contains("trusts every address"));
        assert!(error("10.0.0.1/8").contains("host bits set: write 10.0.0.0/8"), "{}", error("10.0.0.1/8"));
        assert!(error("10.0.0.0/33").contains("prefix length"));
        assert!(error("ingress").contains("is not an address or a CIDR"));
        assert!(error("10.0.0.0/8,nope").starts_with("TRUSTED_PROXIES: `nope`"));
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_claims() {
        assert_eq!(client("", "198.51.100.9", &["203.0.113.1"]), ip("198.51.100.9"));
        assert_eq!(client("10.0.0.0/8", "198.51.100.9", &["203.0.113.1, 10.0.0.2"]), ip("198.51.100.9"));
        // The probes' documentation address claimed by an outside caller counts as its own peer.
        assert_eq!(client("10.0.0.0/8", "198.51.100.9", &["192.0.2.1"]), ip("198.51.100.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_address_is_the_client() {
        let trusted = "10.0.0.0/8,127.0.0.1/32";
        // The client claims 6.6.6.6; the ingress (the peer) appended the address it saw.
        assert_eq!(client(trusted, "10.0.0.2", &["6.6.6.6, 203.0.113.7"]), ip("203.0.113.7"));
        // Two proxies, each appending: the internal hop is skipped.
        assert_eq!(client(trusted, "10.0.0.2", &["6.6.6.6, 203.0.113.7, 10.0.0.3"]), ip("203.0.113.7"));
        // Several headers are one list, in order.
        assert_eq!(client(trusted, "127.0.0.1", &["6.6.6.6", "203.0.113.7"]), ip("203.0.113.7"));
        // Ports and brackets, as some proxies write them.
        assert_eq!(client(trusted, "10.0.0.2", &["203.0.113.7:4711"]), ip("203.0.113.7"));
        assert_eq!(client(trusted, "10.0.0.2", &["[2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(client(trusted, "10.0.0.2", &["[2001:db8::7]"]), ip("2001:db8::7"));
        assert_eq!(client(trusted, "10.0.0.2", &["2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(client(trusted, "10.0.0.2", &["::ffff:203.0.113.7"]), ip("203.0.113.7"));
        // An entry that is no address stops the walk at the last address known.
        assert_eq!(client(trusted, "10.0.0.2", &["203.0.113.7, unknown, 10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client(trusted, "10.0.0.2", &["unknown"]), ip("10.0.0.2"));
        // Every hop trusted (an internal caller): the left-most is the client; no header: the peer.
        assert_eq!(client(trusted, "10.0.0.2", &["10.0.0.9, 10.0.0.3"]), ip("10.0.0.9"));
        assert_eq!(client(trusted, "10.0.0.2", &[]), ip("10.0.0.2"));
        // An IPv4-mapped peer is the IPv4 peer.
        assert_eq!(client(trusted, "::ffff:10.0.0.2", &["203.0.113.7"]), ip("203.0.113.7"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(Network::of(ip("2001:db8:1:2::1")), Network::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(Network::of(ip("2001:db8:1:2::1")), Network::of(ip("2001:db8:1:3::1")));
        assert_eq!(Network::of(ip("::ffff:198.51.100.9")), Network::V4("198.51.100.9".parse().unwrap()));
        assert_ne!(Network::of(ip("198.51.100.9")), Network::of(ip("198.51.100.10")));
    }

    // ----- the real router, over real TCP connections ----------------------------------------

    /// A limit that does not refill while a test runs.
    const SLOW: Limit = Limit { burst: 5, refill_every: Duration::from_secs(60) };

    /// A fresh SQLite database in a directory of its own, and that directory.
    async fn database() -> (Database, std::path::PathBuf) {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "example-service-api-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.join("db.sqlite").display());
        (Database::connect(&url).await.unwrap(), dir)
    }

    async fn app(trusted: &str, limit: Limit) -> (Router, Database, std::path::PathBuf) {
        let (database, dir) = database().await;
        let api = Api::new(database.clone(), None);
        let origins = parse_origins("https://orders.example.com").unwrap();
        (limited_router(api, origins, ClientIp::trusting(proxies(trusted)), limit), database, dir)
    }

    /// Serves `router` on 127.0.0.1 as `main.rs` does (the peer address in `ConnectInfo`).
    async fn serve(router: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        address
    }

    /// One HTTP/1.1 request on a new connection; the answer's status.
    async fn status(address: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() {
            request.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status: {answer}"))
    }

    async fn get(address: SocketAddr, headers: &[(&str, &str)]) -> u16 {
        status(address, "GET", "/", headers, "").await
    }

    /// Spends the allowance of whoever `headers` make the client, up to the first 429.
    async fn exhaust(address: SocketAddr, headers: &[(&str, &str)]) {
        for _ in 0..=SLOW.burst {
            if get(address, headers).await == 429 {
                return;
            }
        }
        panic!("no 429 after {} requests with {headers:?}", SLOW.burst + 1);
    }

    #[tokio::test]
    async fn a_client_claiming_other_addresses_is_still_refused() {
        // The service believes X-Forwarded-For from 10.0.0.0/8 only; this client (127.0.0.1) is
        // not a proxy, so what it claims does not change its key.
        let (router, _, dir) = app("10.0.0.0/8", SLOW).await;
        let address = serve(router).await;
        exhaust(address, &[]).await;
        for (name, value) in [
            ("x-forwarded-for", "203.0.113.1"),
            ("x-forwarded-for", "203.0.113.2, 10.0.0.2"),
            ("x-real-ip", "203.0.113.3"),
            ("forwarded", "for=203.0.113.4"),
        ] {
            assert_eq!(get(address, &[(name, value)]).await, 429, "{name}: {value} got the client out");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn behind_a_trusted_proxy_each_client_and_each_ipv6_64_has_its_own_allowance() {
        // The test connects from 127.0.0.1, trusted here as the proxy in front.
        let (router, _, dir) = app("127.0.0.1/32", SLOW).await;
        let address = serve(router).await;
        exhaust(address, &[("x-forwarded-for", "203.0.113.7")]).await;
        // The same client, claiming another address left of what the proxy appended: refused.
        assert_eq!(get(address, &[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]).await, 429);
        assert_eq!(get(address, &[("x-forwarded-for", "203.0.113.7:5000")]).await, 429);
        // Another client behind the same proxy: served.
        assert_eq!(get(address, &[("x-forwarded-for", "203.0.113.8")]).await, 200);
        // IPv6: the whole /64 shares one allowance, the next /64 has its own.
        exhaust(address, &[("x-forwarded-for", "[2001:db8:1:2::1]:443")]).await;
        assert_eq!(get(address, &[("x-forwarded-for", "2001:db8:1:2::ffff")]).await, 429);
        assert_eq!(get(address, &[("x-forwarded-for", "2001:db8:1:3::1")]).await, 200);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn no_outside_caller_spends_the_probes_allowance_and_the_probes_spend_nobodys() {
        let rate_limit = |router: Router| RateLimit::new(for_probes(router)).burst(SLOW.burst * 2).check();
        // An outside caller, through the trusted proxy, claiming the rate-limit probe's address,
        // spends its whole allowance; the probe still has all of its own: its 429 comes after the
        // burst, not at once.
        let (router, _, first) = app("127.0.0.1/32", SLOW).await;
        let address = serve(router.clone()).await;
        exhaust(address, &[("x-forwarded-for", "192.0.2.1")]).await;
        let result = readiness_core::testing::run_check(rate_limit(router)).await;
        assert_eq!(result.status, Status::Pass, "{:?}", result.outcome);
        assert_eq!(result.outcome.observed_value, Some((SLOW.burst + 1).into()), "{:?}", result.outcome);
        // The other way round: after the probe's burst, that caller is still served.
        let (router, _, second) = app("127.0.0.1/32", SLOW).await;
        let address = serve(router.clone()).await;
        let result = readiness_core::testing::run_check(rate_limit(router)).await;
        assert_eq!(result.status, Status::Pass, "{:?}", result.outcome);
        assert_eq!(get(address, &[("x-forwarded-for", "192.0.2.1")]).await, 200);
        for dir in [first, second] {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    #[tokio::test]
    async fn the_probes_pass_on_the_real_routes() {
        let (database, dir) = database().await;
        let origins = parse_origins("https://orders.example.com").unwrap();
        let api = for_probes(router(Api::new(database.clone(), None), origins, ClientIp::default()));
        let rate = readiness_core::testing::run_check(RateLimit::new(api.clone()).check()).await;
        assert_eq!(rate.status, Status::Pass, "{:?}", rate.outcome);
        let password = PasswordPolicy::new(api)
            .path("/api/signup")
            .template(serde_json::json!({"username": "readiness-probe-<id>", "password": "<pw>"}))
            .strong_password_with(|| uuid::Uuid::new_v4().simple().to_string());
        let result = readiness_core::testing::run_check(password.check()).await;
        assert_eq!(result.status, Status::Pass, "{:?}", result.outcome);
        assert_eq!(result.outcome.evidence["as long as the strong one"], "refused (422)");
        // One account, the probe's; no weak password made one.
        assert_eq!(account_names(&database).await.len(), 1);
        assert!(account_names(&database).await[0].starts_with("readiness-probe-"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    async fn account_names(database: &Database) -> Vec<String> {
        let Database::Sqlite(pool) = database else { unreachable!("the tests use SQLite") };
        sqlx::query_scalar("SELECT username FROM accounts ORDER BY username").fetch_all(pool).await.unwrap()
    }

    #[tokio::test]
    async fn sign_up_creates_accounts_with_strong_passwords_only() {
        let (router, database, dir) = app("", Limit { burst: 100, refill_every: Duration::from_millis(20) }).await;
        let address = serve(router).await;
        let sign_up = |username: &str, password: &str| {
            let body = serde_json::json!({"username": username, "password": password}).to_string();
            async move { status(address, "POST", "/api/signup", &[], &body).await }
        };
        for weak in
            ["password1234", "passwordpassword", "aaaaaaaaaaaaaaaaaaaa", "1qaz2wsx3edc4rfv", "alice-alice-alice"]
        {
            assert_eq!(sign_up("alice", weak).await, 422, "{weak}");
        }
        assert_eq!(sign_up("", "vT7#qL9!mZ2@wX4$kP").await, 422, "a user name is required");
        let Database::Sqlite(pool) = &database else { unreachable!() };
        let none: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(pool).await;
        assert!(none.is_err(), "no table yet: a weak password never reached the database");
        assert_eq!(sign_up("alice", "vT7#qL9!mZ2@wX4$kP").await, 201);
        assert_eq!(sign_up("alice", "another-Str0ng!pass-4711").await, 409);
        assert_eq!(account_names(&database).await, ["alice"]);
        // The route that only judged passwords, for the probe, is gone.
        assert_eq!(status(address, "POST", "/api/password-policy", &[], "{}").await, 404);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_token_naming_a_critical_extension_is_refused() {
        // {"alg":"HS256","typ":"JWT"} and {"alg":"HS256","crit":["exp"],"exp":1}
        assert!(!names_critical_extension("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig"));
        assert!(names_critical_extension("eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl0sImV4cCI6MX0.e30.sig"));
        assert!(names_critical_extension("not base64!.e30.sig"), "an unreadable header is refused");
        assert_eq!(base64url_decode("e30").as_deref(), Some(&b"{}"[..]));
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
