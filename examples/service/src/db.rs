//! The database: SQLite by default, PostgreSQL for a `postgres://` URL.

use std::time::Instant;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{PgPool, SqlitePool};

/// A pool of either kind.
#[derive(Clone, Debug)]
pub(crate) enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Connects lazily: the service starts even when the database is down, and the readiness
    /// check says so.
    #[readiness_core::control(
        "performance.scalability.db-pooling",
        evidence = "sqlx pools: 10 connections for PostgreSQL, 5 for SQLite, 500 ms acquire timeout"
    )]
    pub(crate) async fn connect(url: &str) -> Result<Self, String> {
        // Under the checks' timeouts (500 ms and 800 ms): a request never waits for a connection
        // longer than the probe that reports on the pool.
        let timeout = std::time::Duration::from_millis(500);
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(10).acquire_timeout(timeout).connect_lazy(url).map_err(
                |error| {
                    format!(
                        "DATABASE_URL is not a usable PostgreSQL URL: {}",
                        readiness_core::masking::mask(&error.to_string())
                    )
                },
            )?;
            Ok(Self::Postgres(pool))
        } else {
            let pool = SqlitePoolOptions::new()
                .max_connections(5)
                .acquire_timeout(timeout)
                .connect(url)
                .await
                .map_err(|error| {
                    format!("cannot open the SQLite database: {}", readiness_core::masking::mask(&error.to_string()))
                })?;
            sqlx::query("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)")
                .execute(&pool)
                .await
                .map_err(|error| format!("cannot create the orders table: {error}"))?;
            Ok(Self::Sqlite(pool))
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Runs `SELECT 1` and says how long it took.
    pub(crate) async fn ping(&self) -> Result<std::time::Duration, sqlx::Error> {
        let started = Instant::now();
        match self {
            Self::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Self::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(started.elapsed())
    }

    /// The pool's size and idle connections.
    pub(crate) fn pool_usage(&self) -> (u32, usize) {
        match self {
            Self::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Self::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    pub(crate) async fn order_ids(&self) -> Result<Vec<String>, sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar("SELECT id FROM orders ORDER BY id").fetch_all(pool).await,
            Self::Postgres(pool) => {
                sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables LIMIT 0")
                    .fetch_all(pool)
                    .await
            }
        }
    }
}
