//! Database checks against the real PostgreSQL on 127.0.0.1:5432 and against SQLite, failing
//! paths included.
#![cfg(all(feature = "postgres", feature = "sqlite"))]

mod support;

use std::time::Duration;

use readiness_core::checks::database;
use readiness_core::{CheckRegistration, Status};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use support::{CLUSTER_CA, postgres_url, replicated_cluster};

/// A pool acquire timeout under the pool check's default timeout of 800 ms.
const PROBE_SIZED: Duration = Duration::from_millis(500);

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
    let pool = PgPoolOptions::new().max_connections(8).acquire_timeout(PROBE_SIZED).connect_lazy(&url).unwrap();
    let (status, output, evidence) = run(database::postgres_pool(pool, 5)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("postgres: SELECT 1 in"), "{output}");
    assert_eq!(evidence["max_connections"], "8");
    assert_eq!((&evidence["acquire_timeout"], &evidence["check_timeout"]), (&"500ms".into(), &"800ms".into()));
}

#[tokio::test]
async fn postgres_pool_warns_when_the_pool_would_wait_longer_than_the_check() {
    let Some(url) = postgres_url() else { return };
    // sqlx's default acquire timeout is 30 s: a request would wait that long for a connection.
    let patient = PgPoolOptions::new().connect_lazy(&url).unwrap();
    let (status, output, evidence) = run(database::postgres_pool(patient, 5)).await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(
        output.starts_with(
            "the pool's acquire timeout of 30s is longer than this check's timeout of 800ms: a request would wait"
        ) && output.contains("set acquire_timeout to at most 800ms"),
        "{output}"
    );
    assert_eq!(evidence["acquire_timeout"], "30s");

    // As long as the check's timeout is fine; a longer check timeout allows a longer wait.
    let equal = PgPoolOptions::new().acquire_timeout(Duration::from_millis(800)).connect_lazy(&url).unwrap();
    let (status, output, _) = run(database::postgres_pool(equal, 5)).await;
    assert_eq!(status, Status::Pass, "{output}");
    let two_seconds = PgPoolOptions::new().acquire_timeout(Duration::from_secs(2)).connect_lazy(&url).unwrap();
    let check = database::PoolCheck::new(two_seconds, 5).timeout(Duration::from_secs(3));
    let (status, output, evidence) = run(check.into()).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(evidence["check_timeout"], "3s");
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
async fn postgres_tls_warns_encrypted_without_verification_and_fails_in_clear() {
    let Some(url) = postgres_url() else { return };
    // Encrypted, but the client accepts any certificate: weaker than verify-full (a pass before).
    let encrypted = PgPoolOptions::new().connect_lazy(&with_param(&url, "sslmode=require")).unwrap();
    let (status, output, evidence) = run(database::postgres_tls(encrypted)).await;
    assert_eq!(status, Status::Warn, "{output} (the local server has ssl = on)");
    assert!(output.contains("sslmode=require does not verify the server's certificate"), "{output}");
    assert!(
        output.ends_with("connect with sslmode=verify-full and sslrootcert set to the CA of the server's certificate")
    );
    assert!(evidence["tls_version"].as_str().unwrap().starts_with("TLS"), "{evidence}");
    assert_eq!(evidence["sslmode"], "require");
    let clear = PgPoolOptions::new().connect_lazy(&with_param(&url, "sslmode=disable")).unwrap();
    let (status, output, _) = run(database::postgres_tls(clear)).await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("not encrypted"), "{output}");
}

/// The CA of the cluster's server certificate (for 127.0.0.1 and localhost).

#[tokio::test]
async fn postgres_tls_passes_only_when_the_client_verifies_the_certificate_and_hostname() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let verified = with_param(&primary, &format!("sslmode=verify-full&sslrootcert={CLUSTER_CA}"));
    let (status, output, evidence) =
        run(database::postgres_tls(PgPoolOptions::new().connect_lazy(&verified).unwrap())).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("the session is encrypted (TLSv1."), "{output}");
    assert_eq!(evidence["sslmode"], "verify-full");

    for (mode, weakness) in [
        ("verify-ca", "sslmode=verify-ca verifies the server's certificate chain but not its hostname"),
        ("require", "sslmode=require does not verify the server's certificate"),
        ("prefer", "sslmode=prefer does not verify the server's certificate and falls back to clear text"),
    ] {
        let url = with_param(&primary, &format!("sslmode={mode}&sslrootcert={CLUSTER_CA}"));
        let (status, output, _) = run(database::postgres_tls(PgPoolOptions::new().connect_lazy(&url).unwrap())).await;
        assert_eq!(status, Status::Warn, "{mode}: {output}");
        assert!(output.contains(weakness), "{mode}: {output}");
    }
    // No sslmode at all is sqlx's default, prefer.
    let (status, output, _) = run(database::postgres_tls(PgPoolOptions::new().connect_lazy(&primary).unwrap())).await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.contains("sslmode=prefer"), "{output}");
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
    // Issue 9: a minimum of 0 replicas used to pass on any server; it proves nothing.
    let (status, output, _) = run(database::postgres_replication(pool, 0)).await;
    assert_eq!(status, Status::Warn);
    assert!(output.starts_with("cannot tell: "), "{output}");
}

/// Held by each test that changes the replicated cluster or asserts its exact state.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where the cluster's own `archive_command` copies WAL.
const CLUSTER_ARCHIVE: &str = "/tmp/readiness-pg-cluster/archive";

#[tokio::test]
async fn postgres_replication_passes_on_a_primary_with_a_streaming_standby_and_on_the_standby() {
    let Some((primary, standby)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
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
    let _cluster = CLUSTER.lock().await;
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
    // The cluster archives with `test ! -f …/%f && cp %p …/%f`: the segment is looked for there.
    assert!(output.ends_with(&format!("is in {CLUSTER_ARCHIVE}")), "{output}");
    assert_eq!(evidence["archive_directory"], CLUSTER_ARCHIVE);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, output, _) = run(database::postgres_archiving(pool.clone(), Duration::from_secs(1))).await;
    assert_eq!(status, Status::Fail);
    assert!(output.starts_with("the last WAL archive is") && output.ends_with("over 1 s"), "{output}");

    // An archive directory that does not exist: `false` would also fail, but a command naming
    // neither %p nor %f is refused before the statistics are read.
    set_archive_command(&pool, Some("cp %p /nonexistent-readiness-archive/%f")).await;
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
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(PROBE_SIZED)
        .connect("sqlite::memory:")
        .await
        .unwrap();
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

async fn execute(pool: &sqlx::PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// `url` for another role, with its password (the servers may not trust every local role).
fn as_role(url: &str, role: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}:{password}@{host}")
}

/// `url` for another database.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, params) =
        rest.split_once('?').map_or((rest, None), |(authority, params)| (authority, Some(params)));
    let (user_host, _) = authority.rsplit_once('/').unwrap_or((authority, ""));
    format!("{scheme}://{user_host}/{database}{}", params.map(|params| format!("?{params}")).unwrap_or_default())
}

/// A fresh directory that the database server (its own user) can write into.
fn scratch_dir(name: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("readiness-db-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir.to_str().unwrap().to_owned()
}

/// A PostgreSQL client program of the newest installed server version.
fn pg_bin(tool: &str) -> std::path::PathBuf {
    let mut versions: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .collect();
    versions.sort();
    versions.last().map_or_else(|| tool.into(), |(_, bin)| bin.join(tool))
}

/// A child process killed when dropped.
struct Running(std::process::Child);

impl Running {
    fn spawn(tool: &str, args: &[&str]) -> Self {
        let child = std::process::Command::new(pg_bin(tool))
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {tool}: {error}"));
        Self(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until(pool: &sqlx::PgPool, condition: &str) {
    for _ in 0..150 {
        let (reached,): (bool,) = sqlx::query_as(condition).fetch_one(pool).await.unwrap();
        if reached {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached: {condition}");
}

#[tokio::test]
async fn postgres_pool_read_write_fails_on_read_only_sessions_of_a_role_or_a_database() {
    let Some(url) = postgres_url() else { return };
    let admin = PgPoolOptions::new().max_connections(1).acquire_timeout(PROBE_SIZED).connect_lazy(&url).unwrap();
    let (role, password) = ("readiness_read_only_role", "readiness-read-only-test");
    execute(&admin, "DROP DATABASE IF EXISTS readiness_read_only_db WITH (FORCE)").await;
    execute(&admin, &format!("DROP ROLE IF EXISTS {role}")).await;
    execute(&admin, &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'")).await;
    execute(&admin, &format!("ALTER ROLE {role} SET default_transaction_read_only = on")).await;
    let role_pool =
        PgPoolOptions::new().acquire_timeout(PROBE_SIZED).connect_lazy(&as_role(&url, role, password)).unwrap();
    let role_read_write = run(database::postgres_pool_read_write(role_pool.clone(), 1)).await;
    let role_plain = run(database::postgres_pool(role_pool.clone(), 1)).await;
    role_pool.close().await;
    execute(&admin, &format!("DROP ROLE {role}")).await;

    execute(&admin, "CREATE DATABASE readiness_read_only_db TEMPLATE template0").await;
    execute(&admin, "ALTER DATABASE readiness_read_only_db SET default_transaction_read_only = on").await;
    let db_pool = PgPoolOptions::new()
        .acquire_timeout(PROBE_SIZED)
        .connect_lazy(&with_database(&url, "readiness_read_only_db"))
        .unwrap();
    let db_read_write = run(database::postgres_pool_read_write(db_pool.clone(), 1)).await;
    db_pool.close().await;
    execute(&admin, "DROP DATABASE readiness_read_only_db WITH (FORCE)").await;

    let (status, output, _) = role_read_write;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(
        output.starts_with(
            "the pool's sessions are read-only (default_transaction_read_only = on, set by: user) and this service writes"
        ),
        "{output}"
    );
    // A pool that only reads may be read-only.
    let (status, output, _) = role_plain;
    assert_eq!(status, Status::Pass, "{output}");
    let (status, output, _) = db_read_write;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.contains("(default_transaction_read_only = on, set by: database)"), "{output}");

    let (status, output, evidence) = run(database::postgres_pool_read_write(admin, 1)).await;
    assert_eq!(status, Status::Pass, "{output}");
    assert_eq!(evidence["writable"], "true");
}

#[tokio::test]
async fn postgres_pool_read_write_fails_on_a_standby() {
    let Some((primary, standby)) = replicated_cluster() else { return };
    let standby = PgPoolOptions::new().acquire_timeout(PROBE_SIZED).connect_lazy(&standby).unwrap();
    let (status, output, evidence) = run(database::postgres_pool_read_write(standby.clone(), 1)).await;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(
        output.starts_with(
            "the pool is connected to a read-only standby (pg_is_in_recovery() is true) and this service writes: \
             point it at the primary"
        ),
        "{output}"
    );
    assert_eq!(evidence["writable"], "false");
    // SELECT 1 answers on a standby: a pool that only reads is fine there.
    let (status, output, _) = run(database::postgres_pool(standby, 1)).await;
    assert_eq!(status, Status::Pass, "{output}");
    let primary = PgPoolOptions::new().acquire_timeout(PROBE_SIZED).connect_lazy(&primary).unwrap();
    let (status, output, _) = run(database::PoolCheck::new(primary, 1).read_write().into()).await;
    assert_eq!(status, Status::Pass, "{output}");
}

#[tokio::test]
async fn postgres_replication_counts_neither_pg_receivewal_nor_logical_decoding() {
    let Some((primary_url, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let primary = PgPoolOptions::new().max_connections(2).connect_lazy(&primary_url).unwrap();
    let wal = scratch_dir("receivewal");
    let connect = ["-h", "127.0.0.1", "-p", "55432", "-U", "postgres"];
    let receivewal = Running::spawn("pg_receivewal", &[&connect[..], &["-D", &wal, "--no-loop"]].concat());
    // A slot left by a run cut short.
    execute(
        &primary,
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
         WHERE slot_name = 'readiness_test_logical' AND NOT active",
    )
    .await;
    execute(&primary, "SELECT pg_create_logical_replication_slot('readiness_test_logical', 'test_decoding')").await;
    let recvlogical = Running::spawn(
        "pg_recvlogical",
        &[&connect[..], &["-d", "postgres", "--slot", "readiness_test_logical", "--start", "-f", "/dev/null"]].concat(),
    );
    wait_until(&primary, "SELECT count(*) = 3 FROM pg_stat_replication WHERE state = 'streaming'").await;
    let one = run(database::postgres_replication(primary.clone(), 1)).await;
    let two = run(database::postgres_replication(primary.clone(), 2)).await;
    drop((recvlogical, receivewal));
    wait_until(
        &primary,
        "SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'readiness_test_logical' AND active)",
    )
    .await;
    execute(&primary, "SELECT pg_drop_replication_slot('readiness_test_logical')").await;
    let _ = std::fs::remove_dir_all(&wal);

    let receiver = "`pg_receivewal` (receives WAL but replays none, as pg_receivewal does)";
    let logical = "`pg_recvlogical` (logical decoding, not a copy of this server)";
    let (status, output, evidence) = one;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.starts_with("1 streaming replica(s); not counted: "), "{output}");
    assert!(output.contains(receiver) && output.contains(logical), "{output}");
    assert_eq!(evidence["not_counted"], "2");
    // Three walsenders stream, one of them a replica.
    let (status, output, _) = two;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.starts_with("1 streaming replica(s), want at least 2; not counted: "), "{output}");
    assert!(output.contains(receiver) && output.contains(logical), "{output}");
}

#[tokio::test]
async fn postgres_replication_fails_when_the_standby_replays_too_far_behind() {
    let Some((primary, standby)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let primary = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    let standby = PgPoolOptions::new().max_connections(1).connect_lazy(&standby).unwrap();
    execute(&primary, "CREATE TABLE IF NOT EXISTS readiness_lag (n int)").await;
    wait_until(&primary, "SELECT bool_and(replay_lsn = pg_current_wal_lsn()) FROM pg_stat_replication").await;
    execute(&standby, "SELECT pg_wal_replay_pause()").await;
    // The standby still receives the writes, and replays none of them.
    let mut lag = 0.0;
    for _ in 0..60 {
        execute(&primary, "INSERT INTO readiness_lag VALUES (1)").await;
        let (seen,): (Option<f64>,) = sqlx::query_as(
            "SELECT max(extract(epoch FROM replay_lag))::float8 FROM pg_stat_replication WHERE replay_lsn IS NOT NULL",
        )
        .fetch_one(&primary)
        .await
        .unwrap();
        lag = seen.unwrap_or(0.0);
        if lag > 1.5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let strict =
        run(database::ReplicationCheck::new(primary.clone(), 1).max_replay_lag(Duration::from_secs(1)).into()).await;
    let default = run(database::postgres_replication(primary.clone(), 1)).await;
    execute(&standby, "SELECT pg_wal_replay_resume()").await;
    execute(&primary, "DROP TABLE readiness_lag").await;

    assert!(lag > 1.5, "the paused standby never lagged 1.5 s: {lag}");
    let (status, output, _) = strict;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(
        output.starts_with("0 streaming replica(s), want at least 1; not counted: `walreceiver` (replays ")
            && output.ends_with(" s behind, over the 1s limit)"),
        "{output}"
    );
    // Within the default limit of 30 s, the same standby counts.
    let (status, output, evidence) = default;
    assert_eq!((status, output.as_str()), (Status::Pass, "1 streaming replica(s)"));
    assert_eq!(evidence["max_replay_lag"], "30s");
}

#[tokio::test]
async fn postgres_replication_cannot_tell_without_pg_monitor() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let admin = PgPoolOptions::new().max_connections(1).connect_lazy(&primary).unwrap();
    let (role, password) = ("readiness_no_monitor", "readiness-no-monitor-test");
    execute(&admin, &format!("DROP ROLE IF EXISTS {role}")).await;
    execute(&admin, &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'")).await;
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy(&as_role(&primary, role, password)).unwrap();
    let hidden = run(database::postgres_replication(pool.clone(), 1)).await;
    execute(&admin, &format!("GRANT pg_monitor TO {role}")).await;
    let granted = run(database::postgres_replication(pool.clone(), 1)).await;
    pool.close().await;
    execute(&admin, &format!("DROP ROLE {role}")).await;

    // Without pg_read_all_stats the standby's row has no state: it is not "0 replicas".
    let (status, output, _) = hidden;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(
        output.starts_with("cannot tell: the role `readiness_no_monitor` cannot see the replication state")
            && output.ends_with("; grant pg_monitor to readiness_no_monitor"),
        "{output}"
    );
    let (status, output, _) = granted;
    assert_eq!((status, output.as_str()), (Status::Pass, "1 streaming replica(s)"));
}

/// Sets the primary's `archive_command` (or its configured one) and archives a segment with it:
/// the archiver's last success after any failure, and no backlog left.
async fn archive_with(pool: &sqlx::PgPool, command: Option<&str>) {
    set_archive_command(pool, command).await;
    archive_a_segment(
        pool,
        "SELECT coalesce(last_archived_time > coalesce(last_failed_time, '-infinity'), false) FROM pg_stat_archiver",
    )
    .await;
    archive_a_segment(pool, "SELECT NOT EXISTS (SELECT 1 FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')")
        .await;
}

#[tokio::test]
async fn postgres_archiving_fails_when_the_archive_command_stores_nothing() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let pool = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    // PostgreSQL counts each segment as archived: a fresh success with no failure.
    archive_with(&pool, Some("/bin/true")).await;
    let mut seen = Vec::new();
    for (command, runs) in [("/bin/true", "`/bin/true`"), ("true", "`true`"), ("exit 0", "`exit`"), (":", "`:`")] {
        set_archive_command(&pool, Some(command)).await;
        let (status, output, _) = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
        seen.push((command, runs, status, output));
    }
    archive_with(&pool, None).await;
    for (command, runs, status, output) in seen {
        assert_eq!(status, Status::Fail, "{command}: {output}");
        assert!(output.starts_with(&format!("archive_command stores nothing (it runs only {runs})")), "{output}");
    }
}

#[tokio::test]
async fn postgres_archiving_reads_the_archive_commands_in_common_use() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let pool = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    // The last segment is in the cluster's archive; each command below is only read, never run.
    archive_with(&pool, None).await;
    let archive = CLUSTER_ARCHIVE;
    let found = format!("is in {archive}");
    let cases = [
        (format!("cp -i %p {archive}/%f </dev/null"), Status::Pass, found.as_str()),
        (format!("sh -c \"test ! -f {archive}/%f && cp %p {archive}/%f\""), Status::Pass, &found),
        (format!("rsync -a %p {archive}/"), Status::Pass, &found),
        (format!("/usr/bin/env LC_ALL=C install -m 0600 %p {archive}/%f 2>&1"), Status::Pass, &found),
        (
            "rsync -a %p backup.example:/wal/%f".to_owned(),
            Status::Warn,
            "but `rsync` stores WAL where this check cannot look",
        ),
        ("pgbackrest --stanza=main archive-push %p".to_owned(), Status::Warn, "but `pgbackrest` stores WAL"),
        (
            "cp %p /dev/null".to_owned(),
            Status::Fail,
            "archive_command stores nothing (it runs only `cp` into /dev/null)",
        ),
        ("echo %p >> /tmp/readiness-archive-log".to_owned(), Status::Fail, "stores nothing (it runs only `echo`)"),
        ("false".to_owned(), Status::Fail, "stores nothing (it names neither %p nor %f, so no segment reaches it)"),
        (String::new(), Status::Fail, "archive_mode is on but archive_command is empty"),
    ];
    let mut seen = Vec::new();
    for (command, _, _) in &cases {
        set_archive_command(&pool, Some(command)).await;
        seen.push(run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await);
    }
    set_archive_command(&pool, None).await;
    for ((command, want, text), (status, output, _)) in cases.iter().zip(seen) {
        assert_eq!((status, output.contains(text)), (*want, true), "{command}: {output}");
    }
}

#[tokio::test]
async fn postgres_archiving_fails_when_the_last_segment_is_not_in_the_local_archive() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let pool = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    let archive = scratch_dir("archive");
    archive_with(&pool, Some(&format!("cp %p {archive}/%f"))).await;
    let (wal,): (String,) =
        sqlx::query_as("SELECT last_archived_wal FROM pg_stat_archiver").fetch_one(&pool).await.unwrap();
    let segment = std::path::Path::new(&archive).join(&wal);
    let present = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    // Emptied by a cleanup job, or never written whole.
    std::fs::remove_file(&segment).unwrap();
    std::fs::write(&segment, [0_u8; 100]).unwrap();
    let truncated = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    std::fs::remove_file(&segment).unwrap();
    let missing = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    archive_with(&pool, None).await;
    let _ = std::fs::remove_dir_all(&archive);

    let (status, output, evidence) = present;
    assert_eq!(status, Status::Pass, "{output}");
    assert!(output.ends_with(&format!("; {wal} is in {archive}")), "{output}");
    assert_eq!(evidence["archive_directory"], archive.as_str());
    let (status, output, _) = truncated;
    assert_eq!(status, Status::Fail, "{output}");
    assert_eq!(
        output,
        format!("the last archived segment {archive}/{wal} holds 100 bytes, not the 16777216 of a whole segment")
    );
    let (status, output, _) = missing;
    assert_eq!(status, Status::Fail, "{output}");
    assert!(output.starts_with(&format!("the last archived segment {wal} is not in {archive}")), "{output}");
}

#[tokio::test]
async fn postgres_archiving_cannot_tell_what_it_cannot_look_into() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let _cluster = CLUSTER.lock().await;
    let pool = PgPoolOptions::new().max_connections(2).connect_lazy(&primary).unwrap();
    let archive = scratch_dir("compressed");
    archive_with(&pool, Some(&format!("gzip -c %p > {archive}/%f.gz"))).await;
    let compressed = run(database::postgres_archiving(pool.clone(), Duration::from_secs(3600))).await;
    let stored = std::fs::read_dir(&archive).unwrap().count();
    archive_with(&pool, None).await;
    let _ = std::fs::remove_dir_all(&archive);

    // A role that may not look into the archive directory on the database server.
    let (role, password) = ("readiness_archive_reader", "readiness-archive-reader-test");
    execute(&pool, &format!("DROP ROLE IF EXISTS {role}")).await;
    execute(&pool, &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'")).await;
    let reader = PgPoolOptions::new().max_connections(1).connect_lazy(&as_role(&primary, role, password)).unwrap();
    let unprivileged = run(database::postgres_archiving(reader.clone(), Duration::from_secs(3600))).await;
    execute(&pool, &format!("GRANT pg_read_server_files TO {role}")).await;
    execute(&pool, &format!("GRANT EXECUTE ON FUNCTION pg_stat_file(text, boolean) TO {role}")).await;
    let granted = run(database::postgres_archiving(reader.clone(), Duration::from_secs(3600))).await;
    reader.close().await;
    execute(&pool, &format!("REVOKE EXECUTE ON FUNCTION pg_stat_file(text, boolean) FROM {role}")).await;
    execute(&pool, &format!("DROP ROLE {role}")).await;

    assert!(stored > 0, "gzip stored nothing in {archive}");
    let (status, output, evidence) = compressed;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(
        output.starts_with("cannot tell: last WAL archive")
            && output.contains("but `gzip` stores WAL where this check cannot look"),
        "{output}"
    );
    assert_eq!(evidence["archive_target"], "not checked");
    let (status, output, _) = unprivileged;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(
        output.starts_with(&format!(
            "cannot tell: the role `{role}` cannot look into the archive directory {CLUSTER_ARCHIVE} on the database server"
        )) && output.ends_with(&format!("GRANT EXECUTE ON FUNCTION pg_stat_file(text, boolean) TO {role}")),
        "{output}"
    );
    let (status, output, _) = granted;
    assert_eq!(status, Status::Pass, "{output}");
}
