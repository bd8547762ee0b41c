//! The service's readiness: checks, declarations and attestations. No control is proven twice
//! by the same means: the built-ins and self-probes prove what they check (two checks share a
//! control only where each proves a different part of it: the two configuration structs'
//! secrets; on PostgreSQL, TLS to the database and the served certificate), and the
//! declarations in `api.rs` and `db.rs` link each control to the code that implements it.

use std::time::Duration;

use axum::Router;
use axum::http::Method;
use readiness_axum::{RequestMetrics, Shutdown, probes};
use readiness_core::checks::build_info::build_info_check;
use readiness_core::checks::database as db_checks;
use readiness_core::checks::host;
use readiness_core::checks::secrets::SecretString;
use readiness_core::{
    BuildError, CheckRegistration, CheckSpec, Outcome, Profile, Readiness, State, attestations, build_info, check,
};

use crate::api;
use crate::db::Database;

/// The database answers `SELECT 1` within a probe-sized timeout: the service's own readiness
/// gate on its one dependency. It claims no control: the built-in `db:pool` proves the pool.
#[check(
    name = "db:connections",
    critical,
    timeout = "500ms",
    component_type = "datastore",
    description = "the database pool answers SELECT 1"
)]
async fn database(database: State<Database>) -> Result<Outcome, String> {
    let elapsed = database.ping().await.map_err(|error| format!("SELECT 1 failed: {error}"))?;
    let (size, idle) = database.pool_usage();
    Ok(Outcome::pass()
        .with_output(format!("SELECT 1 answered on {}", database.kind()))
        .observed(elapsed.as_secs_f64() * 1000.0, "ms")
        .evidence("pool_size", size)
        .evidence("pool_idle", idle))
}

attestations! {
    "testing.qa.integration" => { by: "readiness CI", on: "2026-11-22", valid_for: "90d",
                                  evidence: ".ci/run: cargo test --workspace --all-features" },
    "testing.qa.e2e" => { by: "readiness CI", on: "2026-11-22", valid_for: "90d",
                          evidence: "tests/tests/example_service.rs starts this binary and talks HTTP" },
    "security.network.ddos" => waived { reason: "an example service, never exposed to the internet",
                                        until: "2027-06-30" },
}

/// What the host checks and the HTTP self-probes need to know about this instance.
pub(crate) struct Instance<'a> {
    /// The ports the service listens on (HTTP, and gRPC health when served): the only ones.
    pub(crate) ports: Vec<u16>,
    /// The resident memory allowed, in bytes.
    pub(crate) max_rss_bytes: u64,
    /// The certificate served in front of the service, if configured.
    pub(crate) tls_cert_file: Option<&'a std::path::Path>,
    /// The application's routes, which the probes drive in process.
    pub(crate) api: &'a Router,
    /// The token-signing secret, when it was loaded.
    pub(crate) jwt_secret: Option<&'a SecretString>,
    /// The public URL clients reach the service at, if configured.
    pub(crate) public_url: Option<&'a str>,
    /// The directory the service writes its data to.
    pub(crate) data_dir: &'a std::path::Path,
    /// The origins the API accepts (`CORS_ORIGINS`).
    pub(crate) allowed_origins: &'a [String],
}

/// The in-process HTTP self-probes of the application's routes (see `api.rs`).
fn http_probes(instance: &Instance<'_>) -> Vec<CheckRegistration> {
    // Every probe request is marked as in-process: the rate limiter counts the probes apart, so
    // no outside caller can spend their allowance and they spend no client's.
    let api = &api::for_probes(instance.api.clone());
    // Probed on routes that answer without the database or the JWT secret, so that an outage
    // of either fails its own check only; the sign-up needs the database for the one account
    // it creates (without it the password probe cannot tell).
    let mut cors = probes::Cors::new(api.clone()).path("/");
    if !instance.allowed_origins.is_empty() {
        // Every origin of CORS_ORIGINS: the probe judges each and tries its look-alikes.
        cors = cors.allowed_origins(instance.allowed_origins.iter().cloned());
    }
    let jwt = match instance.jwt_secret {
        // Every route that needs a token: a forgery accepted on any of them fails the check.
        Some(secret) => probes::JwtValidation::hs256(api.clone(), "/api/me", secret)
            .path("/api/orders")
            .audience(api::JWT_AUDIENCE)
            .issuer(api::JWT_ISSUER)
            .check(),
        None => CheckRegistration::not_configured(
            CheckSpec::new("http:jwt").control("security.auth.jwt-validation"),
            "JWT_SECRET is not loaded, so /api/me refuses every token: set a strong JWT_SECRET",
        ),
    };
    vec![
        probes::SecurityHeaders::new(api.clone()).paths(["/", "/api/signup"]).check(),
        cors.check(),
        probes::RateLimit::new(api.clone()).request(Method::GET, "/").check(),
        probes::SessionCookie::new(api.clone())
            .request(Method::POST, "/api/session")
            .cookie(api::SESSION_COOKIE)
            .check(),
        jwt,
        // The policy is proven where accounts are made. A run creates one account, the strong
        // password's: named `readiness-probe-<id>`, with a random password nobody is told (and the
        // example has no login); once an hour, since the routes do not change while the process
        // runs. Weak passwords are refused before anything is stored.
        probes::PasswordPolicy::new(api.clone())
            .path("/api/signup")
            .template(serde_json::json!({"username": "readiness-probe-<id>", "password": "<pw>"}))
            .strong_password_with(|| uuid::Uuid::new_v4().simple().to_string())
            .spec(|spec| spec.ttl(Duration::from_secs(3600)))
            .check(),
    ]
}

/// The certificate check, or, without `TLS_CERT_FILE`, a failing check that says how to fix it.
fn tls_certificate(file: Option<&std::path::Path>) -> CheckRegistration {
    match file {
        Some(file) => host::tls_certificate(file, 30),
        None => CheckRegistration::not_configured(
            CheckSpec::new("tls:certificate").control("security.data.tls-in-transit"),
            "set TLS_CERT_FILE to the PEM file served in front of this service",
        ),
    }
}

/// Everything registered above and by `#[derive(Attest)]` comes in through the builder; the
/// checks built from the request metrics, the shutdown helper and the host are added here.
pub(crate) fn readiness(
    database: Database,
    metrics: &RequestMetrics,
    shutdown: &Shutdown,
    instance: &Instance<'_>,
) -> Result<Readiness, BuildError> {
    // The built-in database checks prove the controls: the pool (`db:pool`, with its size floor,
    // acquire time and utilisation) everywhere; TLS, replication and WAL archiving on PostgreSQL
    // (not critical: a missing replica warns, it does not take the instance out).
    let database_checks = match &database {
        Database::Sqlite(pool) => vec![db_checks::sqlite_pool(pool.clone(), 2)],
        Database::Postgres(pool) => vec![
            // The service writes (sign-ups): a pool on a standby or in read-only sessions is not ready.
            db_checks::postgres_pool_read_write(pool.clone(), 5),
            db_checks::postgres_tls(pool.clone()),
            db_checks::postgres_replication(pool.clone(), 1),
            db_checks::postgres_archiving(pool.clone(), Duration::from_secs(3600)),
        ],
    };
    // Captured once, when this crate compiles: the report's build facts and `build:info` agree.
    let build = build_info!();
    Readiness::builder()
        .service("example-service", env!("CARGO_PKG_VERSION"))
        .description("the reference user of readiness")
        .profile(Profile::production())
        .build_info(build.clone())
        .state(database)
        .register_all(database_checks)
        .register_all(http_probes(instance))
        .register(metrics.error_rate_check(0.01))
        .register(metrics.response_time_check(Duration::from_millis(500)))
        .register(shutdown.check())
        .register(readiness_core::masking::canary_check())
        .register(build_info_check(build))
        .register(tls_certificate(instance.tls_cert_file))
        .register_all(instance.public_url.map(|url| host::tls_served(url, 30)))
        .register(host::listening_ports(instance.ports.iter().copied()))
        .register(host::memory(instance.max_rss_bytes))
        .register(host::disk_free_percent(instance.data_dir, 5.0))
        .build()
}
