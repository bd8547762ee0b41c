//! The pool check (`db:pool`) for deadpool-postgres, bb8-postgres and sqlx 0.9 pools against
//! the real PostgreSQL on 127.0.0.1:5432: the same judgement as for sqlx 0.8's pools, failing
//! paths included.
#![cfg(all(feature = "deadpool", feature = "bb8", feature = "sqlx09"))]

use std::time::Duration;

use bb8_postgres::PostgresConnectionManager;
use deadpool_postgres::{ManagerConfig, PoolConfig, Runtime, Timeouts};
use readiness_core::Status;
use readiness_core::checks::database::{
    ClientPoolCheck, bb8_postgres_pool, deadpool_postgres_pool, sqlx09_postgres_pool,
};
use tokio_postgres::NoTls;

mod support;

use support::postgres_url;

fn deadpool(url: &str, max_size: usize, wait: Option<Duration>) -> deadpool_postgres::Pool {
    let config = deadpool_postgres::Config {
        url: Some(url.to_owned()),
        manager: Some(ManagerConfig::default()),
        pool: Some(PoolConfig {
            max_size,
            timeouts: Timeouts { wait, create: wait, recycle: wait },
            ..PoolConfig::default()
        }),
        ..deadpool_postgres::Config::default()
    };
    config.create_pool(Some(Runtime::Tokio1), NoTls).unwrap()
}

async fn bb8(url: &str, max_size: u32, timeout: Option<Duration>) -> bb8::Pool<PostgresConnectionManager<NoTls>> {
    let manager = PostgresConnectionManager::new_from_stringlike(url, NoTls).unwrap();
    let mut builder = bb8::Pool::builder().max_size(max_size);
    if let Some(timeout) = timeout {
        builder = builder.connection_timeout(timeout);
    }
    builder.build_unchecked(manager)
}

fn sqlx09(url: &str, max: u32, acquire: Duration) -> sqlx09::PgPool {
    sqlx09::postgres::PgPoolOptions::new().max_connections(max).acquire_timeout(acquire).connect_lazy(url).unwrap()
}

async fn run(check: ClientPoolCheck) -> (Status, String) {
    let result = readiness_core::testing::run_check(check).await;
    (result.status, result.outcome.output.unwrap_or_default())
}

const SIZED: Option<Duration> = Some(Duration::from_millis(500));

#[tokio::test]
async fn deadpool_and_bb8_pools_pass_with_a_bounded_wait() {
    let Some(url) = postgres_url() else { return };
    let (status, output) = run(deadpool_postgres_pool(deadpool(&url, 10, SIZED), 5)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("postgres (deadpool): SELECT 1 in "), "{output}");
    let (status, output) = run(bb8_postgres_pool(bb8(&url, 10, SIZED).await, 5).read_write()).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("postgres (bb8): SELECT 1 in "), "{output}");
    let (status, output) = run(sqlx09_postgres_pool(sqlx09(&url, 10, SIZED.unwrap()), 5).read_write()).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("postgres (sqlx 0.9): SELECT 1 in "), "{output}");
    // sqlx's default acquire timeout (30 s) is longer than the check's: a warning.
    let (status, output) = run(sqlx09_postgres_pool(sqlx09(&url, 10, Duration::from_secs(30)), 5)).await;
    assert_eq!(status, Status::Warn, "{output}");
    let (status, output) = run(sqlx09_postgres_pool(sqlx09(&url, 2, SIZED.unwrap()), 5)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("pool max size 2 is under the floor of 5"), "{output}");
}

#[tokio::test]
async fn a_small_pool_a_patient_pool_and_a_closed_port_are_caught() {
    let Some(url) = postgres_url() else { return };
    let (status, output) = run(deadpool_postgres_pool(deadpool(&url, 2, SIZED), 5)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("pool max size 2 is under the floor of 5"), "{output}");
    // No wait timeout (deadpool's default) and bb8's default 30 s: a request would wait on a
    // database the probe has given up on.
    let (status, output) = run(deadpool_postgres_pool(deadpool(&url, 10, None), 5)).await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.contains("longer than this check's timeout"), "{output}");
    let (status, output) = run(bb8_postgres_pool(bb8(&url, 10, None).await, 5)).await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.contains("acquire timeout of 30s"), "{output}");
    let closed = "postgres://postgres@127.0.0.1:1/postgres";
    let (status, output) = run(deadpool_postgres_pool(deadpool(closed, 10, SIZED), 5)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("cannot acquire a connection"), "{output}");
    let (status, output) = run(bb8_postgres_pool(bb8(closed, 10, SIZED).await, 5)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("cannot acquire a connection"), "{output}");
}

#[tokio::test]
async fn wrong_credentials_and_an_exhausted_pool_fail() {
    let Some(url) = postgres_url() else { return };
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let wrong = format!("{scheme}://no_such_role_pools_test@{host}");
    for check in [
        deadpool_postgres_pool(deadpool(&wrong, 2, SIZED), 1),
        bb8_postgres_pool(bb8(&wrong, 2, SIZED).await, 1),
        sqlx09_postgres_pool(sqlx09(&wrong, 2, SIZED.unwrap()), 1),
    ] {
        let (status, output) = run(check).await;
        assert_eq!(status, Status::Fail, "{output}");
        assert!(output.starts_with("cannot acquire a connection"), "{output}");
    }

    // Every connection held by the service: the check waits no longer than its budget.
    let short = Duration::from_millis(300);
    let pool = deadpool(&url, 1, Some(short));
    let held = pool.get().await.unwrap();
    let (status, output) = run(deadpool_postgres_pool(pool.clone(), 1)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("cannot acquire a connection"), "{output}");
    drop(held);
    let pool = bb8(&url, 1, Some(short)).await;
    let held = pool.get().await.unwrap();
    let (status, output) = run(bb8_postgres_pool(pool.clone(), 1)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("cannot acquire a connection"), "{output}");
    drop(held);
    let pool = sqlx09(&url, 1, short);
    let held = pool.acquire().await.unwrap();
    let (status, output) = run(sqlx09_postgres_pool(pool.clone(), 1)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("cannot acquire a connection"), "{output}");
    drop(held);
}

#[tokio::test]
async fn a_read_write_pool_on_read_only_sessions_fails() {
    let Some(url) = postgres_url() else { return };
    let admin = deadpool(&url, 2, SIZED).get().await.unwrap();
    let (role, password) = ("readiness_pools_read_only", "readiness-pools-read-only");
    admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}")).await.unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{password}'; ALTER ROLE {role} SET default_transaction_read_only = on"
        ))
        .await
        .unwrap();
    let as_role = url.replacen("postgres://postgres@", &format!("postgres://{role}:{password}@"), 1);
    for check in [
        deadpool_postgres_pool(deadpool(&as_role, 4, SIZED), 2).read_write(),
        bb8_postgres_pool(bb8(&as_role, 4, SIZED).await, 2).read_write(),
        sqlx09_postgres_pool(sqlx09(&as_role, 4, SIZED.unwrap()), 2).read_write(),
    ] {
        let (status, output) = run(check).await;
        assert_eq!(status, Status::Fail, "{output}");
        assert!(output.contains("the pool's sessions are read-only"), "{output}");
    }
    // The same pool, not asked to write, passes.
    let (status, _) = run(deadpool_postgres_pool(deadpool(&as_role, 4, SIZED), 2)).await;
    assert_eq!(status, Status::Pass);
    drop(admin);
}
