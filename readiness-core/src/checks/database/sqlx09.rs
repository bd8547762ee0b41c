//! `db:pool` for sqlx 0.9 pools (feature `sqlx09`): the same judgement as for sqlx 0.8's, while
//! the rest of the database checks still take a sqlx 0.8 `PgPool`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::client_pool::{ClientPool, ClientPoolCheck, Probed, timed_out};
use super::pool::{READ_ONLY_QUERY, ReadOnly};

impl ClientPool for sqlx09::PgPool {
    fn kind(&self) -> &'static str {
        "postgres (sqlx 0.9)"
    }

    fn acquire_timeout(&self) -> Option<Duration> {
        Some(self.options().get_acquire_timeout())
    }

    fn sizes(&self) -> (u32, u32, usize) {
        (self.options().get_max_connections(), self.size(), self.num_idle())
    }

    fn probe(&self, budget: Duration, read_write: bool) -> BoxFuture<'_, Probed> {
        Box::pin(async move {
            let started = Instant::now();
            let mut connection = match tokio::time::timeout(budget, self.acquire()).await {
                Ok(Ok(connection)) => connection,
                Ok(Err(error)) => return Err(format!("cannot acquire a connection: {error}")),
                Err(_) => return Err(timed_out(budget)),
            };
            let acquired = started.elapsed();
            let started = Instant::now();
            sqlx09::query("SELECT 1")
                .execute(&mut *connection)
                .await
                .map_err(|error| format!("SELECT 1 failed: {error}"))?;
            let round_trip = started.elapsed();
            let read_only = if read_write {
                let (standby, read_only, source): (bool, String, Option<String>) = sqlx09::query_as(READ_ONLY_QUERY)
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(|error| format!("cannot read whether the session is writable: {error}"))?;
                ReadOnly::from_row(standby, &read_only, source)
            } else {
                None
            };
            Ok((acquired, round_trip, read_only))
        })
    }
}

/// The pool check (`db:pool`) of a sqlx 0.9 PostgreSQL pool, whose maximum size must be at least
/// `floor`.
pub fn sqlx09_postgres_pool(pool: sqlx09::PgPool, floor: u32) -> ClientPoolCheck {
    ClientPoolCheck::of(Arc::new(pool), floor)
}
