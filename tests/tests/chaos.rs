//! Dependency chaos (issue 14): the example service reaches PostgreSQL through a TCP proxy this
//! test controls. Cutting it makes `/readiness` 503 within the check's TTL + timeout, restoring
//! it recovers within a TTL, `/liveness` stays 200 throughout, and 20 cut/restore cycles leave
//! no server connection behind (`pg_stat_activity`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use readiness_tests::{ExampleService, STRONG_JWT_SECRET, postgres_url};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to PostgreSQL that can be cut (every open connection closed at both ends, new
/// ones closed at once) and restored.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (accept_cut, accept_pipes) = (Arc::clone(&cut), Arc::clone(&pipes));
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { continue };
                if accept_cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut pipes = accept_pipes.lock().unwrap();
                pipes.retain(|pipe| !pipe.is_finished());
                pipes.push(pipe.abort_handle());
            }
        });
        Self { port, cut, pipes }
    }

    /// Closes every connection through the proxy, at both ends, and refuses new ones.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// The server connections whose `application_name` is `name`.
async fn server_connections(url: &str, name: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row =
        client.query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", &[&name]).await.unwrap();
    row.get(0)
}

async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client.get(url).send().await.map(|response| response.status().as_u16()).unwrap_or(0)
}

/// Polls `/readiness` until it answers `want`, checking `/liveness` stays 200 meanwhile; how
/// long that took, or `None` past `limit`.
async fn until_readiness(
    client: &reqwest::Client,
    service: &ExampleService,
    want: u16,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        assert_eq!(status(client, &service.url("/liveness")).await, 200, "liveness must not follow the database");
        if status(client, &service.url("/readiness")).await == want {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_postgresql_fails_readiness_in_time_restoring_recovers_and_nothing_leaks() {
    let Some(url) = postgres_url() else { return };
    let authority = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap().to_owned();
    let proxy = Proxy::start(host_port.clone()).await;
    let application = format!("readiness-chaos-{}", std::process::id());
    let proxied = url.replacen(&host_port, &format!("127.0.0.1:{}", proxy.port), 1);
    let proxied = format!("{proxied}{}application_name={application}", if proxied.contains('?') { '&' } else { '?' });
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("DATABASE_URL", &proxied)]);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().unwrap();
    until_readiness(&client, &service, 200, Duration::from_secs(10)).await.expect("ready through the proxy");
    let baseline = server_connections(&url, &application).await;
    assert!(baseline >= 1, "the service's pool holds a connection through the proxy");

    // db:connections: TTL 1 s (the default), timeout 500 ms.
    let fail_within = Duration::from_millis(1000 + 500);
    let recover_within = Duration::from_millis(1000);
    let slack = Duration::from_millis(1500);
    let (mut slowest_fail, mut slowest_recovery) = (Duration::ZERO, Duration::ZERO);
    for cycle in 0..20 {
        proxy.cut();
        let failed = until_readiness(&client, &service, 503, fail_within + slack).await;
        let failed = failed.unwrap_or_else(|| panic!("cycle {cycle}: readiness still 200 after the cut"));
        assert!(failed <= fail_within + slack, "cycle {cycle}: 503 after {failed:?}");
        slowest_fail = slowest_fail.max(failed);
        proxy.restore();
        let recovered = until_readiness(&client, &service, 200, recover_within + slack).await;
        let recovered = recovered.unwrap_or_else(|| panic!("cycle {cycle}: readiness still 503 after the restore"));
        assert!(recovered <= recover_within + slack, "cycle {cycle}: 200 again after {recovered:?}");
        slowest_recovery = slowest_recovery.max(recovered);
    }
    println!("20 cycles: 503 at most {slowest_fail:?} after a cut, 200 at most {slowest_recovery:?} after a restore");
    // What the cuts closed is gone on the server too, and the pool did not grow past its size.
    let mut after = server_connections(&url, &application).await;
    for _ in 0..50 {
        if after <= baseline.max(1) + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = server_connections(&url, &application).await;
    }
    assert!(after <= 10, "{after} server connections after 20 cycles: the pool's maximum is 10");
    assert!(after <= baseline + 2, "{after} server connections after 20 cycles, {baseline} before: a leak");
    println!("server connections: {baseline} before the cycles, {after} after");
}
