//! Database checks with sqlx (features `postgres` and `sqlite`), each talking to the real
//! database:
//!
//! | check | control | passes when | fails when |
//! |---|---|---|---|
//! | [`postgres_pool`], [`sqlite_pool`] (`db:pool`) | `performance.scalability.db-pooling` | `SELECT 1` answers within the timeout on a pooled connection; the pool's maximum size is at least a floor; acquire time and utilisation as observed values | the pool's maximum size is under the floor, or no connection can be had in time: wrong credentials, a closed port, an exhausted pool, an SQLite file that cannot be opened |
//! | [`postgres_tls`] (`db:tls`) | `security.data.tls-in-transit` | the session is encrypted (`pg_stat_ssl`) | the session is in clear (`sslmode=disable`, or a server without TLS) |
//! | [`postgres_replication`] (`db:replication`) | `reliability.availability.db-replication` | at least N streaming replicas (`pg_stat_replication`), or the server is itself a standby (`pg_is_in_recovery()`) | a primary has fewer streaming replicas than N |
//! | [`postgres_archiving`] (`db:archiving`) | `reliability.backup.automated` | WAL archiving is on, the last archive is recent, and no failure came after it (`pg_stat_archiver`) | `archive_mode` is off, nothing was archived yet, the last archive is older than the limit, or the last attempt failed (a failing `archive_command`) |
//!
//! ```no_run
//! # #[cfg(feature = "postgres")] async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use readiness_core::{Readiness, checks::database};
//!
//! let pool = sqlx::postgres::PgPoolOptions::new().max_connections(10).connect_lazy("postgres://app@db/app")?;
//! let readiness = Readiness::builder()
//!     .register(database::postgres_pool(pool.clone(), 5))
//!     .register(database::postgres_tls(pool.clone()))
//!     .register(database::postgres_replication(pool.clone(), 1))
//!     .register(database::postgres_archiving(pool, Duration::from_secs(3600)))
//!     .build()?;
//! # let _ = readiness; Ok(()) }
//! ```

use std::time::{Duration, Instant};

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// What a pool looks like at one moment.
struct PoolFacts {
    max: u32,
    size: u32,
    idle: usize,
    acquire: Duration,
    round_trip: Duration,
}

fn judge_pool(facts: Result<PoolFacts, String>, floor: u32, kind: &str) -> Outcome {
    let facts = match facts {
        Ok(facts) => facts,
        Err(problem) => return Outcome::fail(problem),
    };
    let busy = facts.size.saturating_sub(u32::try_from(facts.idle).unwrap_or(u32::MAX));
    let utilisation = f64::from(busy) / f64::from(facts.max.max(1));
    let summary = format!(
        "{kind}: SELECT 1 in {:.1} ms after a {:.1} ms acquire; pool max {} (floor {floor}), {} open, {} idle",
        facts.round_trip.as_secs_f64() * 1000.0,
        facts.acquire.as_secs_f64() * 1000.0,
        facts.max,
        facts.size,
        facts.idle
    );
    let outcome = if facts.max < floor {
        Outcome::fail(format!("pool max size {} is under the floor of {floor}: {summary}", facts.max))
    } else {
        Outcome::pass().with_output(summary)
    };
    outcome
        .observed(facts.acquire.as_secs_f64() * 1000.0, "ms")
        .evidence("max_connections", facts.max)
        .evidence("floor", floor)
        .evidence("utilisation", format!("{utilisation:.2}"))
        .evidence("round_trip_ms", format!("{:.2}", facts.round_trip.as_secs_f64() * 1000.0))
}

fn pool_spec(floor: u32) -> CheckSpec {
    CheckSpec::new("db:pool")
        .control("performance.scalability.db-pooling")
        .critical()
        .component_type("datastore")
        .description(format!("SELECT 1 on a pooled connection; pool max size at least {floor}"))
}

/// Defines the pool check for one sqlx database.
macro_rules! pool_check {
    ($(#[$doc:meta])* $name:ident, $pool:ty, $kind:literal) => {
        $(#[$doc])*
        pub fn $name(pool: $pool, floor: u32) -> CheckRegistration {
            CheckRegistration::new(
                pool_spec(floor),
                check_fn(move |_| {
                    let pool = pool.clone();
                    async move {
                        let facts = async {
                            let started = Instant::now();
                            let mut connection = pool.acquire().await.map_err(|error| format!("cannot acquire a connection: {error}"))?;
                            let acquire = started.elapsed();
                            let started = Instant::now();
                            sqlx::query("SELECT 1").execute(&mut *connection).await.map_err(|error| format!("SELECT 1 failed: {error}"))?;
                            let round_trip = started.elapsed();
                            drop(connection);
                            Ok(PoolFacts { max: pool.options().get_max_connections(), size: pool.size(), idle: pool.num_idle(), acquire, round_trip })
                        }
                        .await;
                        judge_pool(facts, floor, $kind)
                    }
                }),
            )
        }
    };
}

#[cfg(feature = "postgres")]
pool_check!(
    /// The pool check (`db:pool`) for PostgreSQL: see the [module docs](self).
    postgres_pool,
    sqlx::PgPool,
    "postgres"
);

#[cfg(feature = "sqlite")]
pool_check!(
    /// The pool check (`db:pool`) for SQLite: see the [module docs](self).
    sqlite_pool,
    sqlx::SqlitePool,
    "sqlite"
);

/// The TLS check (`db:tls`): the PostgreSQL session of a pooled connection is encrypted.
#[cfg(feature = "postgres")]
pub fn postgres_tls(pool: sqlx::PgPool) -> CheckRegistration {
    let spec = CheckSpec::new("db:tls")
        .control("security.data.tls-in-transit")
        .component_type("datastore")
        .description("the database session is encrypted");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let row: Result<(bool, Option<String>, Option<String>), _> =
                    sqlx::query_as("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                        .fetch_one(&pool)
                        .await;
                match row {
                    Ok((true, version, cipher)) => Outcome::pass()
                        .with_output(format!("the session is encrypted ({})", version.as_deref().unwrap_or("TLS")))
                        .evidence("tls_version", version.unwrap_or_default())
                        .evidence("cipher", cipher.unwrap_or_default()),
                    Ok((false, _, _)) => Outcome::fail(
                        "the database session is not encrypted: connect with sslmode=require or verify-full",
                    ),
                    Err(error) => Outcome::fail(format!("cannot read pg_stat_ssl: {error}")),
                }
            }
        }),
    )
}

/// The replication check (`db:replication`): at least `min_replicas` streaming replicas, or the
/// server is a standby itself.
#[cfg(feature = "postgres")]
pub fn postgres_replication(pool: sqlx::PgPool, min_replicas: u32) -> CheckRegistration {
    let spec = CheckSpec::new("db:replication")
        .control("reliability.availability.db-replication")
        .component_type("datastore")
        .description(format!("at least {min_replicas} streaming replica(s), or a standby"));
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let facts: Result<(bool, i64), sqlx::Error> = async {
                    let (standby,): (bool,) = sqlx::query_as("SELECT pg_is_in_recovery()").fetch_one(&pool).await?;
                    let (streaming,): (i64,) =
                        sqlx::query_as("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                            .fetch_one(&pool)
                            .await?;
                    Ok((standby, streaming))
                }
                .await;
                match facts {
                    Err(error) => Outcome::fail(format!("cannot read the replication state: {error}")),
                    Ok((true, _)) => {
                        Outcome::pass().with_output("this server is a standby replica").evidence("role", "standby")
                    }
                    Ok((false, streaming)) if streaming >= i64::from(min_replicas) => Outcome::pass()
                        .with_output(format!("{streaming} streaming replica(s)"))
                        .observed(streaming, "replicas")
                        .evidence("role", "primary"),
                    Ok((false, streaming)) => {
                        Outcome::fail(format!("{streaming} streaming replica(s), want at least {min_replicas}"))
                            .observed(streaming, "replicas")
                            .evidence("role", "primary")
                    }
                }
            }
        }),
    )
}

/// The WAL-archiving check (`db:archiving`): `archive_mode` is on, a WAL segment was archived
/// within `max_age`, and no archiving failure came after the last success.
#[cfg(feature = "postgres")]
pub fn postgres_archiving(pool: sqlx::PgPool, max_age: Duration) -> CheckRegistration {
    let spec = CheckSpec::new("db:archiving")
        .control("reliability.backup.automated")
        .component_type("datastore")
        .description("WAL archiving is on, recent and not failing");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let pool = pool.clone();
            async move {
                let facts: Result<(String, i64, Option<f64>, Option<f64>), sqlx::Error> = async {
                    let (mode,): (String,) =
                        sqlx::query_as("SELECT current_setting('archive_mode')").fetch_one(&pool).await?;
                    let (archived, since_archive, since_failure): (i64, Option<f64>, Option<f64>) = sqlx::query_as(
                        "SELECT archived_count, extract(epoch FROM now() - last_archived_time)::float8, \
                         extract(epoch FROM now() - last_failed_time)::float8 FROM pg_stat_archiver",
                    )
                    .fetch_one(&pool)
                    .await?;
                    Ok((mode, archived, since_archive, since_failure))
                }
                .await;
                let (mode, archived, since_archive, since_failure) = match facts {
                    Ok(facts) => facts,
                    Err(error) => return Outcome::fail(format!("cannot read pg_stat_archiver: {error}")),
                };
                if mode != "on" && mode != "always" {
                    return Outcome::fail(format!("WAL archiving is off (archive_mode = {mode})"))
                        .evidence("archive_mode", mode);
                }
                let Some(age) = since_archive else {
                    return Outcome::fail("WAL archiving is on but nothing was archived yet")
                        .evidence("archive_mode", mode);
                };
                let outcome = if let Some(failure) = since_failure.filter(|failure| *failure < age) {
                    Outcome::fail(format!(
                        "the last archiving attempt failed {failure:.0} s ago, after the last success {age:.0} s ago"
                    ))
                } else if age > max_age.as_secs_f64() {
                    Outcome::fail(format!("the last WAL archive is {age:.0} s old, over {} s", max_age.as_secs()))
                } else {
                    Outcome::pass().with_output(format!("last WAL archive {age:.0} s ago, {archived} archived"))
                };
                outcome.observed(age, "s").evidence("archive_mode", mode).evidence("archived_count", archived)
            }
        }),
    )
}
