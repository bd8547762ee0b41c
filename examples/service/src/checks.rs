//! The service's readiness: checks, declarations and attestations, all declared with the macros.

use std::time::Duration;

use readiness_axum::{RequestMetrics, Shutdown};
use readiness_core::database as db_checks;
use readiness_core::{BuildError, Outcome, Profile, Readiness, State, attestations, check};

use crate::db::Database;

/// The pool answers `SELECT 1` within its timeout.
#[check(
    name = "db:connections",
    controls("performance.scalability.db-pooling"),
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

/// Everything registered above and by `#[derive(Attest)]` comes in through the builder; the
/// checks built from the request metrics and the shutdown helper are added here.
pub(crate) fn readiness(
    database: Database,
    metrics: &RequestMetrics,
    shutdown: &Shutdown,
) -> Result<Readiness, BuildError> {
    // The built-in database checks: the pool everywhere; TLS, replication and WAL archiving on
    // PostgreSQL (not critical: a missing replica warns, it does not take the instance out).
    let builder = match &database {
        Database::Sqlite(pool) => Readiness::builder().register(db_checks::sqlite_pool(pool.clone(), 2)),
        Database::Postgres(pool) => Readiness::builder()
            .register(db_checks::postgres_pool(pool.clone(), 5))
            .register(db_checks::postgres_tls(pool.clone()))
            .register(db_checks::postgres_replication(pool.clone(), 1))
            .register(db_checks::postgres_archiving(pool.clone(), Duration::from_secs(3600))),
    };
    builder
        .service("example-service", env!("CARGO_PKG_VERSION"))
        .description("the reference user of readiness")
        .profile(Profile::production())
        .state(database)
        .register(metrics.error_rate_check(0.01))
        .register(metrics.response_time_check(Duration::from_millis(500)))
        .register(shutdown.check())
        .register(readiness_core::log_masking::canary_check())
        .build()
}
