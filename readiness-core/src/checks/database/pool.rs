//! `db:pool`: a pooled connection answers `SELECT 1` in time, the pool is big enough, waits no
//! longer for a connection than the check does, and (on request) is writable.

use std::fmt;
use std::time::{Duration, Instant};

use readiness_rules::format_duration;

use crate::check::check_fn;
use crate::outcome::Outcome;
use crate::spec::{CheckRegistration, CheckSpec};

/// The timeout of a database pool check unless [`PoolCheck::timeout`] sets another: the runner's
/// default (DESIGN §4), which fits a Kubernetes probe's timeout of 1 s.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// The pool check (`db:pool`) with its options; [`postgres_pool`], [`postgres_pool_read_write`]
/// and [`sqlite_pool`] build the common cases. Register it as it is:
/// `builder.register(PoolCheck::new(pool, 5).timeout(Duration::from_secs(2)))`.
///
/// The check's timeout (its [`CheckSpec::timeout`], 800 ms unless [`PoolCheck::timeout`] sets
/// another) is also the longest the pool may wait for a connection: a pool whose
/// `acquire_timeout` is longer makes the check warn, since a request would wait on a database the
/// probe has long given up on. Set the timeout here, not with
/// [`CheckRegistration::map_spec`]: the comparison reads the value given here.
///
/// [`postgres_pool`]: super::postgres_pool
/// [`postgres_pool_read_write`]: super::postgres_pool_read_write
/// [`sqlite_pool`]: super::sqlite_pool
pub struct PoolCheck<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    floor: u32,
    timeout: Duration,
    read_write: bool,
}

impl<DB: sqlx::Database> PoolCheck<DB> {
    /// The check of `pool`, whose maximum size must be at least `floor`, with the default timeout
    /// of 800 ms, not requiring writes.
    pub fn new(pool: sqlx::Pool<DB>, floor: u32) -> Self {
        Self { pool, floor, timeout: DEFAULT_CHECK_TIMEOUT, read_write: false }
    }

    /// The check's timeout, set on its [`CheckSpec`]: the longest one run may take, and the
    /// longest the pool's `acquire_timeout` may be.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn settings(&self, kind: &'static str) -> Settings {
        Settings {
            kind,
            floor: self.floor,
            timeout: self.timeout,
            pool_acquire_timeout: self.pool.options().get_acquire_timeout(),
            read_write: self.read_write,
        }
    }
}

#[cfg(feature = "postgres")]
impl PoolCheck<sqlx::Postgres> {
    /// Requires a writable session: a pool on a read-only standby (`pg_is_in_recovery()`) or
    /// whose sessions are read-only (`default_transaction_read_only = on`, for the server, the
    /// database or the role) fails. For a service that writes.
    #[must_use]
    pub fn read_write(mut self) -> Self {
        self.read_write = true;
        self
    }
}

impl<DB: sqlx::Database> fmt::Debug for PoolCheck<DB> {
    /// The settings only: the pool's connect options may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolCheck")
            .field("floor", &self.floor)
            .field("timeout", &self.timeout)
            .field("read_write", &self.read_write)
            .finish_non_exhaustive()
    }
}

/// What the check was asked to judge.
#[derive(Clone, Copy)]
pub(super) struct Settings {
    kind: &'static str,
    floor: u32,
    timeout: Duration,
    pool_acquire_timeout: Duration,
    read_write: bool,
}

impl Settings {
    /// The settings of a pool check of another kind of pool (see `tokio_postgres`).
    #[cfg_attr(not(any(feature = "deadpool", feature = "bb8")), allow(dead_code))]
    pub(super) fn new(
        kind: &'static str,
        floor: u32,
        timeout: Duration,
        pool_acquire_timeout: Duration,
        read_write: bool,
    ) -> Self {
        Self { kind, floor, timeout, pool_acquire_timeout, read_write }
    }

    #[cfg_attr(not(any(feature = "deadpool", feature = "bb8")), allow(dead_code))]
    pub(super) fn read_write(&self) -> bool {
        self.read_write
    }

    pub(super) fn spec(&self) -> CheckSpec {
        let writes = if self.read_write { "; the session is writable" } else { "" };
        CheckSpec::new("db:pool")
            .control("performance.scalability.db-pooling")
            .critical()
            .component_type("datastore")
            .timeout(self.timeout)
            .description(format!(
                "SELECT 1 on a pooled connection; pool max size at least {}; acquire timeout at most {}{writes}",
                self.floor,
                format_duration(self.timeout)
            ))
    }

    /// How long the check itself waits for a connection: the pool's own acquire timeout, but
    /// never so long that the runner's timeout cuts the check off before it can say why.
    pub(super) fn acquire_budget(&self) -> Duration {
        let margin = (self.timeout / 4).min(Duration::from_millis(100));
        self.pool_acquire_timeout.min(self.timeout.saturating_sub(margin))
    }
}

/// Why a session cannot write. Only PostgreSQL checks it.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(super) enum ReadOnly {
    /// The server is a standby in recovery.
    Standby,
    /// `default_transaction_read_only` is on; where it was set (`pg_settings.source`).
    Session(String),
}

/// Whether a session can write: a standby, the session's `transaction_read_only`, and where
/// `default_transaction_read_only` was set. One row; [`ReadOnly::from_row`] reads it.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(super) const READ_ONLY_QUERY: &str = "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'), \
     (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only')";

impl ReadOnly {
    /// Why a session cannot write, from the row of [`READ_ONLY_QUERY`]; `None` when it can.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) fn from_row(standby: bool, read_only: &str, source: Option<String>) -> Option<Self> {
        if standby {
            Some(Self::Standby)
        } else if read_only == "on" {
            Some(Self::Session(source.unwrap_or_else(|| "unknown".to_owned())))
        } else {
            None
        }
    }
}

/// What a pool looks like at one moment.
pub(super) struct PoolFacts {
    pub(super) max: u32,
    pub(super) size: u32,
    pub(super) idle: usize,
    pub(super) acquire: Duration,
    pub(super) round_trip: Duration,
    pub(super) read_only: Option<ReadOnly>,
}

/// A connection within the check's budget, and how long it took.
async fn acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    settings: Settings,
) -> Result<(sqlx::pool::PoolConnection<DB>, Duration), String> {
    let budget = settings.acquire_budget();
    let started = Instant::now();
    match tokio::time::timeout(budget, pool.acquire()).await {
        Ok(Ok(connection)) => Ok((connection, started.elapsed())),
        Ok(Err(error)) => Err(format!("cannot acquire a connection: {error}")),
        Err(_) => Err(format!(
            "cannot acquire a connection: timed out after {} (the pool itself would wait {})",
            format_duration(budget),
            format_duration(settings.pool_acquire_timeout)
        )),
    }
}

fn facts<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    acquire: Duration,
    round_trip: Duration,
    read_only: Option<ReadOnly>,
) -> PoolFacts {
    PoolFacts {
        max: pool.options().get_max_connections(),
        size: pool.size(),
        idle: pool.num_idle(),
        acquire,
        round_trip,
        read_only,
    }
}

#[cfg(feature = "postgres")]
async fn observe_postgres(pool: &sqlx::PgPool, settings: Settings) -> Result<PoolFacts, String> {
    let (mut connection, acquired) = acquire(pool, settings).await?;
    let started = Instant::now();
    sqlx::query("SELECT 1").execute(&mut *connection).await.map_err(|error| format!("SELECT 1 failed: {error}"))?;
    let round_trip = started.elapsed();
    let read_only = if settings.read_write {
        let (standby, read_only, source): (bool, String, Option<String>) = sqlx::query_as(READ_ONLY_QUERY)
            .fetch_one(&mut *connection)
            .await
            .map_err(|error| format!("cannot read whether the session is writable: {error}"))?;
        ReadOnly::from_row(standby, &read_only, source)
    } else {
        None
    };
    drop(connection);
    Ok(facts(pool, acquired, round_trip, read_only))
}

#[cfg(feature = "sqlite")]
async fn observe_sqlite(pool: &sqlx::SqlitePool, settings: Settings) -> Result<PoolFacts, String> {
    let (mut connection, acquired) = acquire(pool, settings).await?;
    let started = Instant::now();
    sqlx::query("SELECT 1").execute(&mut *connection).await.map_err(|error| format!("SELECT 1 failed: {error}"))?;
    let round_trip = started.elapsed();
    drop(connection);
    Ok(facts(pool, acquired, round_trip, None))
}

pub(super) fn judge(facts: Result<PoolFacts, String>, settings: Settings) -> Outcome {
    let Settings { kind, floor, timeout, pool_acquire_timeout, read_write } = settings;
    let too_patient = pool_acquire_timeout > timeout;
    let facts = match facts {
        Ok(facts) => facts,
        Err(problem) => {
            return Outcome::fail(problem)
                .evidence("acquire_timeout", format_duration(pool_acquire_timeout))
                .evidence("check_timeout", format_duration(timeout));
        }
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
    } else if let Some(read_only) = &facts.read_only {
        Outcome::fail(match read_only {
            ReadOnly::Standby => format!(
                "the pool is connected to a read-only standby (pg_is_in_recovery() is true) and this service \
                 writes: point it at the primary; {summary}"
            ),
            ReadOnly::Session(source) => format!(
                "the pool's sessions are read-only (default_transaction_read_only = on, set by: {source}) and \
                 this service writes: ALTER ROLE … RESET default_transaction_read_only (or ALTER DATABASE, or \
                 the server's configuration, where it was set); {summary}"
            ),
        })
    } else if too_patient {
        Outcome::warn(format!(
            "the pool's acquire timeout of {} is longer than this check's timeout of {}: a request would wait for a \
             connection the probe has given up on; set acquire_timeout to at most {} (or give the check a longer \
             timeout); {summary}",
            format_duration(pool_acquire_timeout),
            format_duration(timeout),
            format_duration(timeout)
        ))
    } else {
        Outcome::pass().with_output(summary)
    };
    let outcome = outcome
        .observed(facts.acquire.as_secs_f64() * 1000.0, "ms")
        .evidence("max_connections", facts.max)
        .evidence("floor", floor)
        .evidence("utilisation", format!("{utilisation:.2}"))
        .evidence("round_trip_ms", format!("{:.2}", facts.round_trip.as_secs_f64() * 1000.0))
        .evidence("acquire_timeout", format_duration(pool_acquire_timeout))
        .evidence("check_timeout", format_duration(timeout));
    if read_write { outcome.evidence("writable", facts.read_only.is_none()) } else { outcome }
}

#[cfg(feature = "postgres")]
impl From<PoolCheck<sqlx::Postgres>> for CheckRegistration {
    fn from(check: PoolCheck<sqlx::Postgres>) -> Self {
        let settings = check.settings("postgres");
        let pool = check.pool;
        CheckRegistration::new(
            settings.spec(),
            check_fn(move |_| {
                let pool = pool.clone();
                async move { judge(observe_postgres(&pool, settings).await, settings) }
            }),
        )
    }
}

#[cfg(feature = "sqlite")]
impl From<PoolCheck<sqlx::Sqlite>> for CheckRegistration {
    fn from(check: PoolCheck<sqlx::Sqlite>) -> Self {
        let settings = check.settings("sqlite");
        let pool = check.pool;
        CheckRegistration::new(
            settings.spec(),
            check_fn(move |_| {
                let pool = pool.clone();
                async move { judge(observe_sqlite(&pool, settings).await, settings) }
            }),
        )
    }
}

/// The pool check (`db:pool`) for PostgreSQL, not requiring writes, with the default timeout:
/// see [`PoolCheck`] and the [module docs](super).
#[cfg(feature = "postgres")]
pub fn postgres_pool(pool: sqlx::PgPool, floor: u32) -> CheckRegistration {
    PoolCheck::new(pool, floor).into()
}

/// The pool check (`db:pool`) for a PostgreSQL pool this service writes through: as
/// [`postgres_pool`], and the session must be writable (not a standby, not
/// `default_transaction_read_only`). See [`PoolCheck::read_write`].
#[cfg(feature = "postgres")]
pub fn postgres_pool_read_write(pool: sqlx::PgPool, floor: u32) -> CheckRegistration {
    PoolCheck::new(pool, floor).read_write().into()
}

/// The pool check (`db:pool`) for SQLite, with the default timeout: see [`PoolCheck`] and the
/// [module docs](super).
#[cfg(feature = "sqlite")]
pub fn sqlite_pool(pool: sqlx::SqlitePool, floor: u32) -> CheckRegistration {
    PoolCheck::new(pool, floor).into()
}
