//! `db:tls`, `db:replication` and `db:archiving` through sqlx 0.9, deadpool-postgres and
//! bb8-postgres pools, against the real PostgreSQL on 127.0.0.1:5432 and the replicated cluster
//! of `scripts/pg-cluster.sh`: each pool reaches the same verdict a sqlx 0.8 pool does, and a
//! tokio-postgres pool, whose TLS connector the check cannot look into, never passes `db:tls`.
#![cfg(all(feature = "deadpool", feature = "bb8", feature = "sqlx09"))]

use std::sync::Arc;
use std::time::Duration;

use bb8_postgres::PostgresConnectionManager;
use readiness_core::Status;
use readiness_core::checks::database::{self, PostgresPool};
use tokio_postgres::NoTls;

mod support;

use support::{CLUSTER_CA, Ran, postgres_url, replicated_cluster, run_one};

fn deadpool(url: &str) -> deadpool_postgres::Pool {
    let config = deadpool_postgres::Config { url: Some(url.to_owned()), ..deadpool_postgres::Config::default() };
    config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls).unwrap()
}

fn bb8<Tls>(url: &str, tls: Tls) -> bb8::Pool<PostgresConnectionManager<Tls>>
where
    Tls: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Send + Sync + 'static,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream: Send + Sync,
    <Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect: Send,
    <<Tls as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    let manager = PostgresConnectionManager::new_from_stringlike(url, tls).unwrap();
    bb8::Pool::builder().max_size(2).connection_timeout(Duration::from_secs(2)).build_unchecked(manager)
}

fn sqlx09(url: &str) -> sqlx09::PgPool {
    sqlx09::postgres::PgPoolOptions::new().max_connections(2).connect_lazy(url).unwrap()
}

fn sqlx08(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_lazy(url).unwrap()
}

/// A rustls connector trusting only the replicated cluster's CA: it verifies the server's
/// certificate and hostname, which the check cannot see.
fn rustls_connector() -> tokio_postgres_rustls::MakeRustlsConnect {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(CLUSTER_CA).expect("the cluster's CA")).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// The check `make` builds, run through every pool kind on `url`: sqlx 0.8 first, then sqlx 0.9,
/// deadpool and bb8 (both without TLS), each with its kind for the assertion messages.
async fn through_every_pool<R: Into<readiness_core::CheckRegistration>>(
    url: &str,
    make: impl Fn(PoolOf) -> R,
) -> Vec<(&'static str, Ran)> {
    let mut ran = Vec::new();
    for kind in ["sqlx 0.8", "sqlx 0.9", "deadpool-postgres", "bb8-postgres"] {
        let registration = match kind {
            "sqlx 0.8" => make(PoolOf::Sqlx08(sqlx08(url))),
            "sqlx 0.9" => make(PoolOf::Sqlx09(sqlx09(url))),
            "deadpool-postgres" => make(PoolOf::Deadpool(deadpool(url))),
            _ => make(PoolOf::Bb8(bb8(url, NoTls))),
        };
        ran.push((kind, run_one(registration.into()).await));
    }
    ran
}

/// One pool of each kind, so that one closure can build the same check over all of them.
enum PoolOf {
    Sqlx08(sqlx::PgPool),
    Sqlx09(sqlx09::PgPool),
    Deadpool(deadpool_postgres::Pool),
    Bb8(bb8::Pool<PostgresConnectionManager<NoTls>>),
}

impl PoolOf {
    fn with<R>(self, check: impl PoolCheck<R>) -> R {
        match self {
            PoolOf::Sqlx08(pool) => check.build(pool),
            PoolOf::Sqlx09(pool) => check.build(pool),
            PoolOf::Deadpool(pool) => check.build(pool),
            PoolOf::Bb8(pool) => check.build(pool),
        }
    }
}

/// A check built from any pool (a generic closure, which Rust has no syntax for).
trait PoolCheck<R> {
    fn build(self, pool: impl PostgresPool) -> R;
}

struct Tls;
impl PoolCheck<readiness_core::CheckRegistration> for Tls {
    fn build(self, pool: impl PostgresPool) -> readiness_core::CheckRegistration {
        database::postgres_tls(pool)
    }
}

struct Replication(u32);
impl PoolCheck<database::ReplicationCheck> for Replication {
    fn build(self, pool: impl PostgresPool) -> database::ReplicationCheck {
        database::ReplicationCheck::new(pool, self.0)
    }
}

struct Archiving(Duration);
impl PoolCheck<readiness_core::CheckRegistration> for Archiving {
    fn build(self, pool: impl PostgresPool) -> readiness_core::CheckRegistration {
        database::postgres_archiving(pool, self.0)
    }
}

#[tokio::test]
async fn tls_in_clear_fails_through_every_pool_and_tokio_postgres_pools_name_their_connector() {
    let Some(url) = postgres_url() else { return };
    let clear = format!("{url}{}sslmode=disable", if url.contains('?') { '&' } else { '?' });
    for (kind, ran) in through_every_pool(&clear, |pool| pool.with(Tls)).await {
        assert_eq!(ran.status, Status::Fail, "{kind}: {}", ran.output);
        assert!(ran.output.starts_with("the database session is not encrypted ("), "{kind}: {}", ran.output);
        assert_eq!(ran.evidence["pool"], kind);
    }
    // Without sslmode=disable a tokio-postgres pool with `NoTls` is in clear too, and says with
    // what connector.
    let ran = run_one(database::postgres_tls(bb8(&url, NoTls))).await;
    assert_eq!(ran.status, Status::Fail, "{}", ran.output);
    assert!(ran.output.contains("connector tokio_postgres::tls::NoTls"), "{}", ran.output);
    assert_eq!(ran.evidence["sslmode"], "set by the TLS connector");
    // sqlx 0.9 reads its sslmode as sqlx 0.8 does: encrypted without verification warns.
    let require = format!("{url}{}sslmode=require", if url.contains('?') { '&' } else { '?' });
    let ran = run_one(database::postgres_tls(sqlx09(&require))).await;
    assert_eq!(ran.status, Status::Warn, "{} (the local server has ssl = on)", ran.output);
    assert!(ran.output.contains("sslmode=require does not verify the server's certificate"), "{}", ran.output);
}

#[tokio::test]
async fn tls_passes_through_sqlx09_verify_full_and_an_encrypting_connector_cannot_tell() {
    let Some((primary, _)) = replicated_cluster() else { return };
    let verified = format!("{primary}?sslmode=verify-full&sslrootcert={CLUSTER_CA}");
    let ran = run_one(database::postgres_tls(sqlx09(&verified))).await;
    assert_eq!(ran.status, Status::Pass, "{}", ran.output);
    assert_eq!(ran.evidence["sslmode"], "verify-full");
    assert_eq!(ran.evidence["pool"], "sqlx 0.9");

    // A connector that does verify: the session is encrypted, yet the check cannot see the
    // verification, so it is no pass.
    let ran = run_one(database::postgres_tls(bb8(&format!("{primary}?sslmode=require"), rustls_connector()))).await;
    assert_eq!(ran.status, Status::Warn, "{}", ran.output);
    assert!(ran.output.starts_with("cannot tell: the session is encrypted (TLSv1."), "{}", ran.output);
    assert!(ran.output.contains("tokio_postgres_rustls"), "{}", ran.output);
    assert!(ran.evidence["tls_version"].as_str().is_some_and(|version| version.starts_with("TLSv1.")));
}

#[tokio::test]
async fn replication_is_judged_alike_through_every_pool() {
    let Some(url) = postgres_url() else { return };
    // The local server is a primary without replicas.
    for (kind, ran) in through_every_pool(&url, |pool| pool.with(Replication(1))).await {
        assert_eq!(
            (ran.status, ran.output.as_str()),
            (Status::Fail, "0 streaming replica(s), want at least 1"),
            "{kind}"
        );
        assert_eq!(ran.evidence["role"], "primary", "{kind}");
    }
    let Some((primary, standby)) = replicated_cluster() else { return };
    for (kind, ran) in through_every_pool(&primary, |pool| pool.with(Replication(1))).await {
        assert_eq!((ran.status, ran.output.as_str()), (Status::Pass, "1 streaming replica(s)"), "{kind}");
        assert_eq!(ran.observed, 1, "{kind}");
    }
    for (kind, ran) in through_every_pool(&primary, |pool| pool.with(Replication(2))).await {
        assert_eq!(
            (ran.status, ran.output.as_str()),
            (Status::Fail, "1 streaming replica(s), want at least 2"),
            "{kind}"
        );
    }
    for (kind, ran) in through_every_pool(&standby, |pool| pool.with(Replication(1))).await {
        assert_eq!((ran.status, ran.output.as_str()), (Status::Pass, "this server is a standby replica"), "{kind}");
    }
}

/// Writes some WAL, switches segments and waits until the archiver has stored it.
async fn archive_a_segment(url: &str) {
    let pool = sqlx08(url);
    let before: (Option<f64>,) =
        sqlx::query_as("SELECT extract(epoch FROM last_archived_time)::float8 FROM pg_stat_archiver")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS readiness_pool_kinds (at timestamptz)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO readiness_pool_kinds VALUES (now())").execute(&pool).await.unwrap();
    sqlx::query("SELECT pg_switch_wal()").execute(&pool).await.unwrap();
    for _ in 0..100 {
        let now: (Option<f64>,) =
            sqlx::query_as("SELECT extract(epoch FROM last_archived_time)::float8 FROM pg_stat_archiver")
                .fetch_one(&pool)
                .await
                .unwrap();
        if now.0 > before.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the cluster's archiver stored no segment within 10 s");
}

#[tokio::test]
async fn archiving_is_judged_alike_through_every_pool() {
    let Some(url) = postgres_url() else { return };
    let mode: (String,) =
        sqlx::query_as("SELECT current_setting('archive_mode')").fetch_one(&sqlx08(&url)).await.unwrap();
    if mode.0 == "off" {
        for (kind, ran) in through_every_pool(&url, |pool| pool.with(Archiving(Duration::from_secs(3600)))).await {
            assert_eq!(
                (ran.status, ran.output.as_str()),
                (Status::Fail, "WAL archiving is off (archive_mode = off)"),
                "{kind}"
            );
        }
    } else {
        println!("archive_mode is {} on the local server: its off path is not checked here", mode.0);
    }
    let Some((primary, _)) = replicated_cluster() else { return };
    archive_a_segment(&primary).await;
    // The cluster copies each segment into its archive directory: every pool reads the same
    // statistics and looks the same segment up with `pg_stat_file`.
    for (kind, ran) in through_every_pool(&primary, |pool| pool.with(Archiving(Duration::from_secs(3600)))).await {
        assert_eq!(ran.status, Status::Pass, "{kind}: {}", ran.output);
        assert!(ran.output.starts_with("last WAL archive"), "{kind}: {}", ran.output);
        assert_eq!(ran.evidence["archive_directory"], "/tmp/readiness-pg-cluster/archive", "{kind}");
        assert_eq!(ran.evidence["archive_mode"], "on", "{kind}");
    }
    // A limit every archive is older than fails alike.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (kind, ran) in through_every_pool(&primary, |pool| pool.with(Archiving(Duration::from_millis(500)))).await {
        assert_eq!(ran.status, Status::Fail, "{kind}: {}", ran.output);
        assert!(ran.output.starts_with("the last WAL archive is"), "{kind}: {}", ran.output);
    }
}
