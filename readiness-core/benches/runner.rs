//! Runner figures of DESIGN §9:
//! - 100 checks that each sleep 50 ms: one report in ≤ 60 ms;
//! - 10,000 no-op checks: one report in ≤ 10 ms;
//! - 1,000 concurrent requests on a cold cache: each check body runs exactly once;
//! - a report served from the cache (the hot path of `/readiness`).
//!
//! Run: `cargo bench -p readiness-core --bench runner`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use readiness_core::{CheckSpec, Outcome, Readiness};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// `count` checks that each sleep `sleep`, never cached, so every report runs them all. The
/// runner's settings are the defaults (concurrency, timeout, deadline): DESIGN §9's figures are
/// at the defaults.
fn sleeping_checks(count: usize, sleep: Duration) -> Readiness {
    let mut builder = readiness_core::testing::builder();
    for index in 0..count {
        builder = builder.check_fn(
            CheckSpec::new(format!("dep:{index}")).ttl(Duration::from_nanos(1)),
            move |_| async move {
                if !sleep.is_zero() {
                    tokio::time::sleep(sleep).await;
                }
                Outcome::pass()
            },
        );
    }
    builder.build().unwrap()
}

fn reports(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("report");
    group.sample_size(20);

    let hundred = rt.block_on(async { sleeping_checks(100, Duration::from_millis(50)) });
    group.bench_function("100 checks sleeping 50ms", |b| b.to_async(&rt).iter(|| hundred.readiness()));

    let noop = rt.block_on(async { sleeping_checks(10_000, Duration::ZERO) });
    group.bench_function("10000 no-op checks", |b| b.to_async(&rt).iter(|| noop.readiness()));

    let cached = rt.block_on(async {
        let readiness = readiness_core::testing::builder()
            .default_ttl(Duration::from_secs(3600))
            .check_fn(CheckSpec::new("db:connections").critical(), |_| async { Outcome::pass() })
            .check_fn(CheckSpec::new("secrets:jwt").critical(), |_| async { Outcome::pass() })
            .build()
            .unwrap();
        readiness.readiness().await;
        readiness
    });
    group.bench_function("2 cached checks", |b| b.to_async(&rt).iter(|| cached.readiness()));
    group.finish();
}

fn cold_cache_single_flight(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("cold cache");
    group.sample_size(10);
    group.bench_function("1000 concurrent requests, 10 checks", |b| {
        b.to_async(&rt).iter(|| async {
            let runs = Arc::new(AtomicUsize::new(0));
            let mut builder = readiness_core::testing::builder();
            for index in 0..10 {
                let runs = Arc::clone(&runs);
                builder = builder.check_fn(CheckSpec::new(format!("dep:{index}")), move |_| {
                    runs.fetch_add(1, Ordering::Relaxed);
                    async {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        Outcome::pass()
                    }
                });
            }
            let readiness = builder.build().unwrap();
            let requests: Vec<_> = (0..1000)
                .map(|_| {
                    let readiness = readiness.clone();
                    tokio::spawn(async move { readiness.readiness().await })
                })
                .collect();
            for request in requests {
                request.await.unwrap();
            }
            // The figure is a count, not a time: every body ran exactly once.
            assert_eq!(runs.load(Ordering::Relaxed), 10);
        })
    });
    group.finish();
}

criterion_group!(benches, reports, cold_cache_single_flight);
criterion_main!(benches);
