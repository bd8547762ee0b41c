//! Database checks with sqlx (features `postgres` and `sqlite`), each talking to the real
//! database. Only a pass verifies a control. A check that cannot observe what it needs (a missing
//! permission, storage it cannot look into) says "cannot tell: …" with the grant or setting that
//! would let it: a warning, never a pass.
//!
//! ## `db:pool`: [`postgres_pool`], [`postgres_pool_read_write`], [`sqlite_pool`], [`PoolCheck`]
//!
//! Control `performance.scalability.db-pooling`. The check's timeout is set on its spec: 800 ms
//! ([`DEFAULT_CHECK_TIMEOUT`], the runner's default) unless [`PoolCheck::timeout`] sets another.
//! Acquire time (the observed value), utilisation and both timeouts are in the evidence.
//!
//! - **Passes**: a pooled connection answers `SELECT 1` within the check's timeout, the pool's
//!   maximum size is at least the floor, and its `acquire_timeout` is at most the check's timeout;
//!   for a pool the service writes through ([`postgres_pool_read_write`],
//!   [`PoolCheck::read_write`]), the session is writable.
//! - **Warns**: the pool's `acquire_timeout` is longer than the check's timeout (sqlx's default is
//!   30 s): a request would wait for a connection the probe has given up on. The fix: an
//!   `acquire_timeout` of at most the check's timeout.
//! - **Fails**: the maximum size is under the floor; no connection within the timeout (wrong
//!   credentials, a closed port, an exhausted pool, an SQLite file that cannot be opened); a
//!   read-write pool reaches a standby (`pg_is_in_recovery()`) or read-only sessions
//!   (`default_transaction_read_only = on`, for the server, the database or the role; the output
//!   says which). A pool that only reads may use a standby.
//!
//! ## `db:tls`: [`postgres_tls`]
//!
//! Control `security.data.tls-in-transit`. The client's `sslmode` is read from the pool's connect
//! options; the session's TLS version and cipher from `pg_stat_ssl`.
//!
//! - **Passes**: the session is encrypted and the pool connects with `sslmode=verify-full` (the
//!   server's certificate chain and hostname verified).
//! - **Warns**: encrypted, but the client does not verify whom it talks to: `verify-ca` (no
//!   hostname check), `require` (no certificate check), `prefer` (sqlx's default) or `allow` (no
//!   check, and a fall-back to clear text). The fix: `sslmode=verify-full` with `sslrootcert`.
//! - **Fails**: the session is in clear (`sslmode=disable`, or a server without TLS), or
//!   `pg_stat_ssl` cannot be read.
//!
//! ## `db:replication`: [`postgres_replication`], [`ReplicationCheck`]
//!
//! Control `reliability.availability.db-replication`. A replica is a row of
//! `pg_stat_replication` that streams, is physical (no database, no logical slot) and replays
//! (`replay_lsn`) at most 30 s behind ([`DEFAULT_MAX_REPLAY_LAG`], `replay_lag`;
//! [`ReplicationCheck::max_replay_lag`] sets another limit). Every other row is listed in the
//! output as not counted, with its reason: `pg_receivewal` and other WAL receivers that replay
//! nothing, logical decoding (a subscription, `pg_recvlogical`), a standby still catching up, a
//! standby replaying further behind than the limit. The worst replay lag of the counted replicas
//! (seconds and bytes) is in the evidence.
//!
//! - **Passes**: a primary has at least N replicas, or the server is itself a standby.
//! - **Cannot tell**: the role cannot see the details of `pg_stat_replication` (it needs the
//!   privileges of `pg_read_all_stats`): grant `pg_monitor`.
//! - **Fails**: a primary has fewer than N replicas.
//!
//! ## `db:archiving`: [`postgres_archiving`]
//!
//! Control `reliability.backup.automated`. What the `archive_command` stores is read from its
//! text: a copy (`cp %p /dir/%f`, `test ! -f /dir/%f && cp %p /dir/%f`, `install`, `rsync`, also
//! inside `sh -c`) into a directory of the database server is looked into with `pg_stat_file`.
//!
//! - **Passes**: archiving is on, a segment was archived within the limit with no failure after
//!   it, and the last archived segment is in the local archive directory, whole.
//! - **Cannot tell**: the command stores WAL where the check cannot look (`wal-g`, `pgbackrest`,
//!   `rsync` to another host, a compressing pipe, an `archive_library`): restore from it to know;
//!   the role cannot look into the archive directory (grant `pg_read_server_files` and `EXECUTE`
//!   on `pg_stat_file(text, boolean)`) or cannot read `archive_command`.
//! - **Fails**: `archive_mode` is off; the `archive_command` is empty or stores nothing (only
//!   `/bin/true`, `true`, `exit 0`, `:`, `echo`…, a copy into `/dev/null`, a command naming
//!   neither `%p` nor `%f`), since PostgreSQL counts each such "archive" as a success; nothing was
//!   archived yet; the last archive is older than the limit; the last attempt failed; the last
//!   archived segment is missing from the local archive directory, or shorter than a segment.
//!
//! **Pools**: every PostgreSQL check takes sqlx 0.8 (feature `postgres`) and sqlx 0.9 (feature
//! `sqlx09`) pools, deadpool-postgres (feature `deadpool`) and bb8-postgres (feature `bb8`) pools,
//! judged alike. The pool check has one constructor per pool (`postgres_pool`,
//! `sqlx09_postgres_pool`, `deadpool_postgres_pool`, `bb8_postgres_pool`); the TLS, replication
//! and archiving checks take any [`PostgresPool`]. One difference: a tokio-postgres pool
//! (deadpool, bb8) leaves certificate verification to its TLS connector, which `db:tls` cannot
//! look into, so an encrypted session there is "cannot tell", never a pass.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")] async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use readiness_core::{Readiness, checks::database};
//!
//! let pool = sqlx::postgres::PgPoolOptions::new()
//!     .max_connections(10)
//!     .acquire_timeout(Duration::from_millis(500))
//!     .connect_lazy("postgres://app@db/app?sslmode=verify-full&sslrootcert=/etc/db-ca.pem")?;
//! let readiness = Readiness::builder()
//!     .register(database::postgres_pool_read_write(pool.clone(), 5))
//!     .register(database::postgres_tls(pool.clone()))
//!     .register(database::ReplicationCheck::new(pool.clone(), 1).max_replay_lag(Duration::from_secs(10)))
//!     .register(database::postgres_archiving(pool, Duration::from_secs(3600)))
//!     .build()?;
//! # let _ = readiness; Ok(()) }
//! ```

#[cfg(feature = "postgres")]
mod archiving;
#[cfg(any(feature = "deadpool", feature = "bb8", feature = "sqlx09"))]
mod client_pool;
mod pool;
#[cfg(feature = "postgres")]
mod replication;
#[cfg(feature = "postgres")]
mod session;
#[cfg(feature = "sqlx09")]
mod sqlx09;
#[cfg(feature = "postgres")]
mod tls;

#[cfg(feature = "postgres")]
pub use archiving::postgres_archiving;
#[cfg(any(feature = "deadpool", feature = "bb8", feature = "sqlx09"))]
pub use client_pool::ClientPoolCheck;
#[cfg(feature = "bb8")]
pub use client_pool::bb8_postgres_pool;
#[cfg(feature = "deadpool")]
pub use client_pool::deadpool_postgres_pool;
#[cfg(feature = "sqlite")]
pub use pool::sqlite_pool;
pub use pool::{DEFAULT_CHECK_TIMEOUT, PoolCheck};
#[cfg(feature = "postgres")]
pub use pool::{postgres_pool, postgres_pool_read_write};
#[cfg(feature = "postgres")]
pub use replication::{DEFAULT_MAX_REPLAY_LAG, ReplicationCheck, postgres_replication};
#[cfg(feature = "postgres")]
pub use session::PostgresPool;
#[cfg(feature = "sqlx09")]
pub use sqlx09::sqlx09_postgres_pool;
#[cfg(feature = "postgres")]
pub use tls::postgres_tls;
