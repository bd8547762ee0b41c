//! The reference user of readiness: an axum service that attests its own production readiness.
//!
//! Configuration, all optional:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `ADDR` | where to listen; port `0` picks a free one | `127.0.0.1:3000` |
//! | `DATABASE_URL` (or `DATABASE_URL_FILE`) | `sqlite:…` or `postgres://…` | an SQLite file of its own, `example-service.sqlite` |
//! | `JWT_SECRET` (or `JWT_SECRET_FILE`) | the token-signing secret, at least 32 random characters | none: `secrets:jwt` fails |
//! | `READINESS_TOKEN` (or `READINESS_TOKEN_FILE`) | the bearer token that unlocks readiness details (also the password of the checklist page in a browser), at least 16 characters | a random one for the run, printed once on stdout after the `listening on` line |
//! | `ATTESTATION_KEY` (or `ATTESTATION_KEY_FILE`) | 64 hex characters: the ed25519 seed signing `/readiness/attestation` | none: unsigned statement |
//! | `GRPC_ADDR` | where to serve gRPC health (`grpc.health.v1`: `""`/`readiness`, `liveness`, `startup`); port `0` picks a free one; prints `grpc health on HOST:PORT` on stdout | unset: no gRPC |
//! | `DRAIN_MS` | how long to keep serving after SIGTERM, readiness failing; at least the probe's period × failure threshold | `12000` |
//! | `SHUTDOWN_DEADLINE_MS` | after the drain, how long requests in flight may take before the service exits anyway; a second SIGTERM exits at once | `10000` |
//! | `HEADER_READ_TIMEOUT_MS`, `IDLE_TIMEOUT_MS`, `MAX_CONNECTIONS` | a connection sending its request head for longer, or idle between requests for longer, is closed; past the cap new connections wait in the backlog | `10000`, `60000`, `1024` |
//! | `PROBE_PERIOD_MS`, `PROBE_FAILURE_THRESHOLD` | the readiness probe's `periodSeconds` (in ms) and `failureThreshold`, which the drain must cover | `10000`, `1` |
//! | `MAX_RSS_MB` | the resident memory `host:memory` allows | `512` |
//! | `TRUSTED_PROXIES` | comma-separated CIDRs of the proxies in front (`10.0.0.0/8,127.0.0.1/32`); `X-Forwarded-For` is believed only from them, and the rate limiter keys on the right-most address they did not add (IPv6 by /64) | none: the peer address |
//! | `CORS_ORIGINS` | comma-separated origins allowed to call the API from a browser | `https://orders.example.com` |
//! | `TLS_CERT_FILE` | the PEM certificate served in front of the service (ingress, terminator) | none: `tls:certificate` fails |
//! | `PUBLIC_URL` | the public `https://` URL; `tls:served` verifies the chain served there for its name | none: only the certificate file is checked |
//! | `DATA_DIR` | where the service writes its data; `host:disk` checks its filesystem | the SQLite file's directory (the temporary directory with PostgreSQL) |
//!
//! The first line on stdout is `listening on http://HOST:PORT`; logs go to stderr.
//!
//! The binary (`src/main.rs`) installs logging and serves; this library assembles the service,
//! so its own tests can hold the same `Readiness` in process and `assert_ready!` it.

mod api;
mod checks;
mod config;
mod db;

use std::time::Duration;

use readiness_axum::{RequestMetrics, Routes, Shutdown};
use readiness_core::Readiness;
use readiness_core::checks::secrets::{ExposeSecret, SecretString};

pub use config::Settings;

/// The service, assembled and bound, not yet serving.
pub struct Service {
    /// The bound listener.
    pub listener: tokio::net::TcpListener,
    /// Its address.
    pub local: std::net::SocketAddr,
    /// The service's readiness: every check, declaration and attestation.
    pub readiness: Readiness,
    /// The API and the readiness routes.
    pub app: axum::Router,
    /// The shutdown helper the server must await (`with_graceful_shutdown`).
    pub shutdown: Shutdown,
    /// `sqlite` or `postgres`.
    pub database_kind: &'static str,
    /// Whether `JWT_SECRET` was loaded.
    pub jwt_configured: bool,
    /// The detail token made for this run when `READINESS_TOKEN` is not set: the binary prints
    /// it once on stdout so a newcomer can open the checklist page.
    pub generated_token: Option<SecretString>,
    /// The gRPC health listener and its address, when `GRPC_ADDR` is set.
    pub grpc: Option<(tokio::net::TcpListener, std::net::SocketAddr)>,
}

/// The server of `app` on `listener` with the connection limits and the shutdown deadline of
/// `settings` (`HEADER_READ_TIMEOUT_MS`, `IDLE_TIMEOUT_MS`, `MAX_CONNECTIONS`,
/// `SHUTDOWN_DEADLINE_MS`).
pub fn server(settings: &Settings, listener: tokio::net::TcpListener, app: axum::Router) -> readiness_axum::Server {
    readiness_axum::Server::new(listener, app)
        .header_read_timeout(Duration::from_millis(settings.header_read_timeout_ms))
        .idle_timeout(Duration::from_millis(settings.idle_timeout_ms))
        .max_connections(settings.max_connections)
        .shutdown_deadline(Duration::from_millis(settings.shutdown_deadline_ms))
}

/// Connects the database, binds `settings.addr`, and assembles readiness and the routes. A
/// missing or weak `JWT_SECRET` does not stop it: the `secrets:jwt` check reports it.
pub async fn assemble(settings: &Settings) -> Result<Service, Box<dyn std::error::Error>> {
    // A missing or weak JWT_SECRET does not stop the service: the `secrets:jwt` check reports it.
    let secrets = match config::Secrets::from_env() {
        Ok(secrets) => Some(secrets),
        Err(error) => {
            tracing::warn!("{error}");
            None
        }
    };
    let database_url = settings.database_url.as_ref().map_or(config::DEFAULT_DATABASE_URL, |url| url.expose_secret());
    let database = db::Database::connect(database_url).await?;
    let data_dir = config::data_dir(settings.data_dir.as_deref(), database_url);

    // Bound before the checks are built: `host:ports` declares the port actually bound.
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", settings.addr))?;
    let local = listener.local_addr()?;
    let grpc = match settings.grpc_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|error| format!("cannot listen for gRPC on {addr}: {error}"))?;
            let local = listener.local_addr()?;
            Some((listener, local))
        }
        None => None,
    };

    let metrics = RequestMetrics::new();
    let shutdown = Shutdown::new()
        .drain(Duration::from_millis(settings.drain_ms))
        .probe(Duration::from_millis(settings.probe_period_ms), settings.probe_failure_threshold);
    let origins = api::parse_origins(&settings.cors_origins)?;
    let allowed_origins: Vec<String> =
        origins.iter().filter_map(|origin| origin.to_str().ok()).map(str::to_owned).collect();
    let jwt_secret = secrets.as_ref().map(|secrets| &secrets.jwt_secret);
    let client_ip = api::ClientIp::trusting(config::trusted_proxies(settings.trusted_proxies.as_deref())?);
    let api = api::router(api::Api::new(database.clone(), jwt_secret), origins, client_ip);
    let instance = checks::Instance {
        ports: std::iter::once(local.port()).chain(grpc.as_ref().map(|(_, grpc)| grpc.port())).collect(),
        max_rss_bytes: settings.max_rss_mb.saturating_mul(1024 * 1024),
        tls_cert_file: settings.tls_cert_file.as_deref(),
        data_dir: &data_dir,
        public_url: settings.public_url.as_deref(),
        api: &api,
        jwt_secret,
        allowed_origins: &allowed_origins,
    };
    let readiness = checks::readiness(database.clone(), &metrics, &shutdown, &instance)?;

    let mut routes = Routes::new(readiness.clone()).request_metrics(metrics.clone());
    let generated_token = settings.readiness_token.is_none().then(run_token);
    if let Some(token) = settings.readiness_token.as_ref().or(generated_token.as_ref()) {
        routes = routes.secret_token(token);
    }
    if let Some(seed) = &settings.attestation_key {
        routes = routes.signing_key(config::signing_key(seed)?);
    }
    let app = api.layer(metrics.layer()).merge(routes.build()?);
    Ok(Service {
        listener,
        local,
        readiness,
        app,
        shutdown,
        database_kind: database.kind(),
        jwt_configured: secrets.is_some(),
        generated_token,
        grpc,
    })
}

/// A detail token for this run only: 122 random bits from the operating system (a version-4
/// UUID), registered with the masker so no log line can carry it.
fn run_token() -> SecretString {
    let token = uuid::Uuid::new_v4().simple().to_string();
    readiness_core::masking::register_secret(&token);
    SecretString::from(token)
}
