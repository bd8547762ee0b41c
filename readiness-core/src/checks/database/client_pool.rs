//! `db:pool` for other pools than sqlx 0.8's: [deadpool-postgres](https://docs.rs/deadpool-postgres)
//! (feature `deadpool`), [bb8-postgres](https://docs.rs/bb8-postgres) (feature `bb8`) and sqlx
//! 0.9 (feature `sqlx09`, see `sqlx09.rs`). The same judgement as for sqlx 0.8's pools ([`PoolCheck`](super::PoolCheck)): a pooled connection
//! answers `SELECT 1` within the check's timeout, the pool's maximum size is at least a floor, it
//! waits no longer for a connection than the check does, and (with
//! [`ClientPoolCheck::read_write`]) the session is writable.
//!
//! ```no_run
//! # async fn example(pool: deadpool_postgres::Pool) {
//! use readiness_core::checks::database::deadpool_postgres_pool;
//!
//! let readiness = readiness_core::Readiness::builder().register(deadpool_postgres_pool(pool, 5).read_write()).build();
//! # let _ = readiness;
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;
#[cfg(any(feature = "deadpool", feature = "bb8"))]
use std::time::Instant;

use futures_util::future::BoxFuture;

#[cfg(any(feature = "deadpool", feature = "bb8"))]
use super::pool::READ_ONLY_QUERY;
use super::pool::{DEFAULT_CHECK_TIMEOUT, PoolFacts, ReadOnly, Settings, judge};
use crate::check::check_fn;
use crate::spec::CheckRegistration;

/// The pool check of a tokio-postgres pool; [`deadpool_postgres_pool`] and [`bb8_postgres_pool`]
/// make it. Register it as it is.
#[must_use]
pub struct ClientPoolCheck {
    pool: Arc<dyn ClientPool>,
    floor: u32,
    timeout: Duration,
    read_write: bool,
}

impl std::fmt::Debug for ClientPoolCheck {
    /// The settings only: the pool's configuration may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPoolCheck")
            .field("kind", &self.pool.kind())
            .field("floor", &self.floor)
            .field("timeout", &self.timeout)
            .field("read_write", &self.read_write)
            .finish()
    }
}

impl ClientPoolCheck {
    /// The check of `pool`, whose maximum size must be at least `floor`.
    pub(super) fn of(pool: Arc<dyn ClientPool>, floor: u32) -> Self {
        Self { pool, floor, timeout: DEFAULT_CHECK_TIMEOUT, read_write: false }
    }

    /// The check's timeout: the longest one run may take, and the longest the pool may wait for
    /// a connection (800 ms unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Requires a writable session: a standby (`pg_is_in_recovery()`) or read-only sessions
    /// (`default_transaction_read_only`) fail. For a service that writes.
    pub fn read_write(mut self) -> Self {
        self.read_write = true;
        self
    }
}

/// What one probe of a pool found: how long the acquire took, the `SELECT 1` round trip, and
/// why the session cannot write (when asked).
pub(super) type Probed = Result<(Duration, Duration, Option<ReadOnly>), String>;

/// What the check needs of a pool.
pub(super) trait ClientPool: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    /// How long the pool waits for a connection; `None` for ever.
    fn acquire_timeout(&self) -> Option<Duration>;
    /// Maximum size, connections open, idle connections.
    fn sizes(&self) -> (u32, u32, usize);
    /// Takes a connection within `budget` and probes it: how long the acquire took, the
    /// `SELECT 1` round trip, and why the session cannot write (when asked).
    fn probe(&self, budget: Duration, read_write: bool) -> BoxFuture<'_, Probed>;
}

/// `SELECT 1`, and whether the session can write.
#[cfg(any(feature = "deadpool", feature = "bb8"))]
async fn probe_client(
    client: &tokio_postgres::Client,
    read_write: bool,
) -> Result<(Duration, Option<ReadOnly>), String> {
    let started = Instant::now();
    client.simple_query("SELECT 1").await.map_err(|error| format!("SELECT 1 failed: {error}"))?;
    let round_trip = started.elapsed();
    if !read_write {
        return Ok((round_trip, None));
    }
    let row = client
        .query_one(READ_ONLY_QUERY, &[])
        .await
        .map_err(|error| format!("cannot read whether the session is writable: {error}"))?;
    let read_only = ReadOnly::from_row(row.get(0), row.get::<_, String>(1).as_str(), row.get(2));
    Ok((round_trip, read_only))
}

/// Takes a connection from `get` within `budget` and probes its client (`client` reaches the
/// tokio-postgres client inside the pool's connection guard).
#[cfg(any(feature = "deadpool", feature = "bb8"))]
async fn probe_pooled<C, E: std::fmt::Display>(
    get: impl std::future::Future<Output = Result<C, E>>,
    budget: Duration,
    read_write: bool,
    client: impl Fn(&C) -> &tokio_postgres::Client,
) -> Probed {
    let started = Instant::now();
    let connection = match tokio::time::timeout(budget, get).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => return Err(format!("cannot acquire a connection: {error}")),
        Err(_) => return Err(timed_out(budget)),
    };
    let acquired = started.elapsed();
    let (round_trip, read_only) = probe_client(client(&connection), read_write).await?;
    Ok((acquired, round_trip, read_only))
}

pub(super) fn timed_out(budget: Duration) -> String {
    format!("cannot acquire a connection: timed out after {}", readiness_rules::format_duration(budget))
}

#[cfg(feature = "deadpool")]
impl ClientPool for deadpool_postgres::Pool {
    fn kind(&self) -> &'static str {
        "postgres (deadpool)"
    }

    fn acquire_timeout(&self) -> Option<Duration> {
        self.timeouts().wait
    }

    fn sizes(&self) -> (u32, u32, usize) {
        let status = self.status();
        (
            u32::try_from(status.max_size).unwrap_or(u32::MAX),
            u32::try_from(status.size).unwrap_or(u32::MAX),
            status.available,
        )
    }

    fn probe(&self, budget: Duration, read_write: bool) -> BoxFuture<'_, Probed> {
        Box::pin(probe_pooled(self.get(), budget, read_write, |client| client))
    }
}

#[cfg(feature = "bb8")]
impl<Tls> ClientPool for bb8::Pool<bb8_postgres::PostgresConnectionManager<Tls>>
where
    Tls: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Send + Sync + 'static,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream: Send + Sync,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect: Send,
    <<Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    fn kind(&self) -> &'static str {
        "postgres (bb8)"
    }

    fn acquire_timeout(&self) -> Option<Duration> {
        Some(self.config().connection_timeout)
    }

    fn sizes(&self) -> (u32, u32, usize) {
        let state = self.state();
        (self.config().max_size, state.connections, state.idle_connections as usize)
    }

    fn probe(&self, budget: Duration, read_write: bool) -> BoxFuture<'_, Probed> {
        Box::pin(probe_pooled(self.get(), budget, read_write, |client| client))
    }
}

/// The pool check (`db:pool`) of a deadpool-postgres pool, whose maximum size must be at least
/// `floor`. A pool without a `wait` timeout waits for ever, and the check warns.
#[cfg(feature = "deadpool")]
pub fn deadpool_postgres_pool(pool: deadpool_postgres::Pool, floor: u32) -> ClientPoolCheck {
    ClientPoolCheck::of(Arc::new(pool), floor)
}

/// The pool check (`db:pool`) of a bb8-postgres pool, whose maximum size must be at least
/// `floor`. bb8's default `connection_timeout` (30 s) is longer than the check's: the check
/// warns until it is lowered.
#[cfg(feature = "bb8")]
pub fn bb8_postgres_pool<Tls>(pool: bb8::Pool<bb8_postgres::PostgresConnectionManager<Tls>>, floor: u32) -> ClientPoolCheck
where
    Tls: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Send + Sync + 'static,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream: Send + Sync,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect: Send,
    <<Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    ClientPoolCheck::of(Arc::new(pool), floor)
}

impl From<ClientPoolCheck> for CheckRegistration {
    fn from(check: ClientPoolCheck) -> Self {
        // A pool that waits for ever is judged as one waiting far longer than any check.
        let pool_acquire_timeout = check.pool.acquire_timeout().unwrap_or(Duration::from_secs(24 * 3600));
        let settings =
            Settings::new(check.pool.kind(), check.floor, check.timeout, pool_acquire_timeout, check.read_write);
        let pool = check.pool;
        CheckRegistration::new(
            settings.spec(),
            check_fn(move |_| {
                let pool = Arc::clone(&pool);
                async move {
                    let observed = pool.probe(settings.acquire_budget(), settings.read_write()).await.map(
                        |(acquire, round_trip, read_only)| {
                            let (max, size, idle) = pool.sizes();
                            PoolFacts { max, size, idle, acquire, round_trip, read_only }
                        },
                    );
                    judge(observed, settings)
                }
            }),
        )
    }
}
