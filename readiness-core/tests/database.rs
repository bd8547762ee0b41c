//! Database checks against the real PostgreSQL on 127.0.0.1:5432 and against SQLite, failing
//! paths included.
#![cfg(all(feature = "postgres", feature = "sqlite"))]

mod support;

use std::time::Duration;

use readiness_core::checks::database;
use readiness_core::{CheckRegistration, Status};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;

/// `READINESS_TEST_DATABASE_URL`, or `None` after a skip line when no server answers (a
/// missing server fails under `CI=true`).
fn postgres_url() -> Option<String> {
    let url = std::env::var("READINESS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let reachable = std::net::TcpStream::connect_timeout(&"127.0.0.1:5432".parse().unwrap(), Duration::from_secs(2))
        .is_ok()
        || !url.contains("127.0.0.1:5432");
    if reachable {
        return Some(url);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: PostgreSQL must answer");
    println!("SKIPPED: no PostgreSQL server answers at 127.0.0.1:5432");
    None
}

fn with_param(url: &str, param: &str) -> String {
    format!("{url}{}{param}", if url.contains('?') { '&' } else { '?' })
}

async fn run(registration: CheckRegistration) -> (Status, String, serde_json::Value) {
    let ran = support::run_one(registration).await;
    (ran.status, ran.output, ran.evidence)
}

#[tokio::test]
async fn postgres_pool_passes_and_reports_what_it_saw() {
    let Some(url) = postgres_url() else { return };
    let pool = PgPoolOptions::new().max_connections(8).connect_lazy(&url).unwrap();
    let (status, output, evidence) = run(database::postgres_pool(pool, 5)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("postgres: SELECT 1 in"), "{output}");
    assert_eq!(evidence["max_connections"], "8");
}

#[tokio::test]
async fn postgres_pool_fails_under_its_floor_with_wrong_credentials_on_a_closed_port_and_when_exhausted() {
    let Some(url) = postgres_url() else { return };
    let small = PgPoolOptions::new().max_connections(2).connect_lazy(&url).unwrap();
    let (status, output, _) = run(database::postgres_pool(small, 5)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("pool max size 2 is under the floor of 5"), "{output}");

    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let wrong = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(&format!("{scheme}://no_such_role_db_test@{host}"))
        .unwrap();
    let (status, output, _) = run(database::postgres_pool(wrong, 1)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("no_such_role_db_test"), "{output}");

    let closed = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://postgres@127.0.0.1:1/postgres")
        .unwrap();
    let (status, output, _) = run(database::postgres_pool(closed, 1)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("cannot acquire a connection"), "{output}");

    let exhausted = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(300))
        .connect(&url)
        .await
        .unwrap();
    let held = exhausted.acquire().await.unwrap();
    let (status, output, _) = run(database::postgres_pool(exhausted.clone(), 1)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("timed out"), "{output}");
    drop(held);
}

#[tokio::test]
async fn postgres_tls_passes_encrypted_and_fails_in_clear() {
    let Some(url) = postgres_url() else { return };
    let encrypted = PgPoolOptions::new().connect_lazy(&with_param(&url, "sslmode=require")).unwrap();
    let (status, output, evidence) = run(database::postgres_tls(encrypted)).await;
    assert_eq!(status, Status::Pass, "{output} (the local server has ssl = on)");
    assert!(evidence["tls_version"].as_str().unwrap().starts_with("TLS"), "{evidence}");
    let clear = PgPoolOptions::new().connect_lazy(&with_param(&url, "sslmode=disable")).unwrap();
    let (status, output, _) = run(database::postgres_tls(clear)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("not encrypted"), "{output}");
}

#[tokio::test]
async fn postgres_replication_counts_streaming_replicas() {
    let Some(url) = postgres_url() else { return };
    let pool = PgPoolOptions::new().connect_lazy(&url).unwrap();
    // The local server is a primary without replicas.
    let (status, output, evidence) = run(database::postgres_replication(pool.clone(), 1)).await;
    assert_eq!(status, Status::Fail);
    assert_eq!(output, "0 streaming replica(s), want at least 1");
    assert_eq!(evidence["role"], "primary");
    let (status, _, _) = run(database::postgres_replication(pool, 0)).await;
    assert_eq!(status, Status::Pass);
}

/// The replicated cluster of `scripts/pg-cluster.sh` (a primary archiving WAL on 55432, a
/// streaming standby on 55433), started once for this test binary; `None` after a skip line when
/// it cannot be started here (never under `CI=true`).
fn replicated_cluster() -> Option<(String, String)> {
    static STARTED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-cluster.sh");
        let output = std::process::Command::new("bash").args([script, "start"]).output().map_err(|e| e.to_string())?;
        if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
    });
    match started {
        Ok(()) => Some((
            "postgres://postgres@127.0.0.1:55432/postgres".to_owned(),
            "postgres://postgres@127.0.0.1:55433/postgres".to_owned(),
        )),
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: the replicated cluster must start: {error}"
            );
            println!("SKIPPED: scripts/pg-cluster.sh could not start a replicated cluster: {error}");
            None
        }
    }
}

#[tokio::test]
async fn postgres_replication_passes_on_a_primary_with_a_streaming_standby_and_on_the_standby() {
    let Some((primary, standby)) = replicated_cluster() else { return };
    let primary = PgPoolOptions::new().connect_lazy(&primary).unwrap();
    let (status, output, evidence) = run(database::postgres_replication(primary.clone(), 1)).await;
    assert_eq!((status, output.as_str()), (Status::Pass, "1 streaming replica(s)"));
    assert_eq!(evidence["role"], "primary");
    let (status, output, _) = run(database::postgres_replication(primary, 2)).await;
    assert_eq!((status, output.as_str()), (Status::Fail, "1 streaming replica(s), want at least 2"));

    let standby = PgPoolOptions::new().connect_lazy(&standby).unwrap();
    let (status, output, evidence) = run(database::postgres_replication(standby, 1)).await;
    assert_eq!((status, output.as_str()), (Status::Pass, "this server is a standby replica"));
    assert_eq!(evidence["role"], "standby");
}

/// Writes some WAL, switches segments and waits until the archiver reports `done`.
async fn archive_a_segment(pool: &sqlx::PgPool, done: &str) {
    sqlx::query("CREATE TABLE IF NOT EXISTS readiness_wal (n int)").execute(pool).await.unwrap();
    sqlx::query("INSERT INTO readiness_wal SELECT generate_series(1, 100)").execute(pool).await.unwrap();
    sqlx::query("SELECT pg_switch_wal()").execute(pool).await.unwrap();
    for _ in 0..100 {
        let (reached,): (bool,) = sqlx::query_as(done).fetch_one(pool).await.unwrap();
        if reached {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the archiver never reached: {done}");
}

async fn set_archive_command(pool: &sqlx::PgPool, command: Option<&str>) {
    let statement = match command {
        Some(command) => format!("ALTER SYSTEM SET archive_command = '{command}'"),
        None => "ALTER SYSTEM RESET archive_command".to_owned(),
    };
    sqlx::query(&statement).execute(pool).await.unwrap();
    sqlx::query("SELECT pg_reload_conf()").execute(pool).await.unwrap();
    // The archiver picks the new setting up on its next cycle.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn postgres_archiving_passes_when_recent_and_fails_when_stale_or_failing() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let pool = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    // A run cut short earlier may have left the failing command in place.
    set_archive_command(&pool, None).await;
    archive_a_segment(
        &pool,
        "SELECT coalesce(last_archived_time > coalesce(last_failed_time, '-infinity'), false) FROM pg_stat_archiver",
    )
    .await;

    // The archiver may still hold a backlog (segments left by an earlier failing run); drain it,
    // or an archive landing during the sleep below would make the last archive fresh again.
    archive_a_segment(&pool, "SELECT NOT EXISTS (SELECT 1 FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')")
        .await;

    let (status, output, evidence) = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("last WAL archive"), "{output}");
    assert_eq!(evidence["archive_mode"], "on");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, output, _) = run(database::postgres_archiving(pool.clone(), Duration::from_secs(1))).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("the last WAL archive is") && output.ends_with("over 1 s"), "{output}");

    set_archive_command(&pool, Some("false")).await;
    archive_a_segment(
        &pool,
        "SELECT coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) FROM pg_stat_archiver",
    )
    .await;
    let (status, output, _) = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    set_archive_command(&pool, None).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("the last archiving attempt failed"), "{output}");
}

#[tokio::test]
async fn postgres_archiving_fails_when_archive_mode_is_off() {
    let Some(url) = postgres_url() else { return };
    let pool = PgPoolOptions::new().connect_lazy(&url).unwrap();
    let mode: (String,) = sqlx::query_as("SELECT current_setting('archive_mode')").fetch_one(&pool).await.unwrap();
    let (status, output, _) = run(database::postgres_archiving(pool, Duration::from_secs(3600))).await;
    if mode.0 == "off" {
        assert_eq!(status, Status::Fail);
        assert_eq!(output, "WAL archiving is off (archive_mode = off)");
    } else {
        println!("archive_mode is {} on this server: only checking the check answers", mode.0);
    }
}

#[tokio::test]
async fn sqlite_pool_passes_and_fails_on_its_floor_and_an_unopenable_file() {
    let pool = SqlitePoolOptions::new().max_connections(4).connect("sqlite::memory:").await.unwrap();
    let (status, output, _) = run(database::sqlite_pool(pool.clone(), 2)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("sqlite: SELECT 1"), "{output}");
    let (status, _, _) = run(database::sqlite_pool(pool, 8)).await;
    assert_eq!(status, Status::Fail);
    let missing = SqlitePoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("sqlite:/nonexistent-dir-for-readiness/db.sqlite")
        .unwrap();
    let (status, output, _) = run(database::sqlite_pool(missing, 1)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("cannot acquire a connection"), "{output}");
}
