//! Database checks with sqlx (features `postgres` and `sqlite`), each talking to the real
//! database. A check that cannot observe what it needs (a missing permission, storage it cannot
//! look into) says "cannot tell: …" with the grant or setting that would let it, a warning that
//! never verifies the control.
//!
//! | check | control | passes when | warns when | fails when |
//! |---|---|---|---|---|
//! | [`postgres_pool`], [`sqlite_pool`], [`postgres_pool_read_write`], [`PoolCheck`] (`db:pool`) | `performance.scalability.db-pooling` | `SELECT 1` answers within the check's timeout (800 ms unless [`PoolCheck::timeout`] sets another) on a pooled connection; the pool's maximum size is at least a floor; the pool's `acquire_timeout` is at most the check's timeout; for a pool the service writes through ([`postgres_pool_read_write`]), the session is writable. Acquire time and utilisation as observed values | the pool's `acquire_timeout` is longer than the check's timeout (sqlx's default is 30 s): a request would wait for a connection the probe gave up on | the pool's maximum size is under the floor; no connection can be had in time (wrong credentials, a closed port, an exhausted pool, an SQLite file that cannot be opened); a read-write pool reaches a standby (`pg_is_in_recovery()`) or read-only sessions (`default_transaction_read_only = on` for the server, the database or the role) |
//! | [`postgres_tls`] (`db:tls`) | `security.data.tls-in-transit` | the session is encrypted (`pg_stat_ssl`) and the pool connects with `sslmode=verify-full` (read from its connect options) | the session is encrypted but the client does not verify whom it talks to: `sslmode=verify-ca` (no hostname check), `require` (no certificate check), `prefer` or `allow` (no check, and a fall-back to clear text) | the session is in clear (`sslmode=disable`, or a server without TLS) |
//! | [`postgres_replication`], [`ReplicationCheck`] (`db:replication`) | `reliability.availability.db-replication` | a primary has at least N replicas: physical standbys in `pg_stat_replication` that stream, replay (a `replay_lsn`) and replay at most 30 s behind (`replay_lag`; [`ReplicationCheck::max_replay_lag`] sets another limit); or the server is itself a standby (`pg_is_in_recovery()`) | cannot tell: the role cannot see `pg_stat_replication`'s details (grant `pg_monitor`) | a primary has fewer than N replicas. Not counted, and listed with the reason: `pg_receivewal` and other WAL receivers that replay nothing, logical-decoding walsenders (a subscription, `pg_recvlogical`), a standby not streaming yet, a standby replaying further behind than the limit |
//! | [`postgres_archiving`] (`db:archiving`) | `reliability.backup.automated` | WAL archiving is on, the `archive_command` copies into a directory of the database server (`cp %p /dir/%f`, `test ! -f /dir/%f && cp %p /dir/%f`, `install`, `rsync`), the last archive is recent, no failure came after it, and the last archived segment is in that directory, whole (`pg_stat_file`) | cannot tell: the command stores WAL where the check cannot look (`wal-g`, `pgbackrest`, a compressing pipe, an `archive_library`), or the role cannot read the archive directory (grant `pg_read_server_files` and `EXECUTE` on `pg_stat_file`) or the settings | `archive_mode` is off; the `archive_command` is empty or stores nothing (`/bin/true`, `true`, `exit 0`, `:`, a command naming neither `%p` nor `%f`); nothing was archived yet; the last archive is older than the limit; the last attempt failed; the last archived segment is missing from the local archive directory, or shorter than a segment |
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
mod pool;
#[cfg(feature = "postgres")]
mod replication;
#[cfg(feature = "postgres")]
mod tls;

#[cfg(feature = "postgres")]
pub use archiving::postgres_archiving;
#[cfg(feature = "sqlite")]
pub use pool::sqlite_pool;
pub use pool::{DEFAULT_CHECK_TIMEOUT, PoolCheck};
#[cfg(feature = "postgres")]
pub use pool::{postgres_pool, postgres_pool_read_write};
#[cfg(feature = "postgres")]
pub use replication::{DEFAULT_MAX_REPLAY_LAG, ReplicationCheck, postgres_replication};
#[cfg(feature = "postgres")]
pub use tls::postgres_tls;
