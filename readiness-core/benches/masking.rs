//! Log-masking figure of DESIGN §9: masking 100 exact secrets plus the default patterns costs at
//! most 15 % of the throughput of the same formatter unmasked, on realistic events.
//!
//! Both sides are the same `tracing_subscriber::fmt` formatter writing to `io::sink()`; the masked
//! side wraps the sink in `MaskingWriter` with 100 registered secrets. The events are a mix of what
//! an HTTP service logs: request lines, database timings, a URL, a warning with an error, and a
//! few (about one in ten) that carry something to mask.
//!
//! Run: `cargo bench -p readiness-core --features log-masking --bench masking`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::io;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use readiness_core::masking;
use readiness_core::masking::MaskingWriter;

/// Ten events, as an HTTP service writes them; one carries a registered secret.
fn log_realistic_events(round: u64) {
    tracing::info!(
        method = "GET",
        path = "/api/orders",
        status = 200,
        latency_ms = 3,
        request_id = round,
        "request completed"
    );
    tracing::info!(
        method = "POST",
        path = "/api/orders",
        status = 201,
        latency_ms = 12,
        request_id = round,
        "request completed"
    );
    tracing::debug!(
        query = "SELECT id, total FROM orders WHERE customer_id = $1",
        rows = 17,
        elapsed_ms = 2,
        "query done"
    );
    tracing::info!(user_id = 48213, tenant = "acme-eu", "order 7f3c2a91 placed with 3 items for 129.90 EUR");
    tracing::warn!(error = "connection reset by peer", attempt = 2, "retrying the payment provider call");
    tracing::info!(
        url = "https://payments.example.com/v1/charges",
        status = 200,
        latency_ms = 88,
        "upstream call finished"
    );
    tracing::info!(cache = "orders", hit = true, key_count = 1024, "cache lookup");
    tracing::info!(job = "nightly-export", processed = 10_000, failed = 0, "background job finished");
    tracing::error!(status = 503, path = "/api/reports", "the reporting backend is unavailable, shedding load");
    tracing::info!(customer = "c-9912", api_key = "k-9f8e7d6c5b4a39281706", "customer authenticated with an API key");
}

/// 100 secrets as services have them: 32 random alphanumeric characters each (a fixed seed, so
/// every run measures the same automaton).
fn register_hundred_secrets() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for _ in 0..100 {
        let secret: String = std::iter::repeat_with(|| rng.alphanumeric()).take(32).collect();
        masking::register_secret(&secret);
    }
}

/// A formatter as a service configures it, writing through `writer`.
fn formatter<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_max_level(tracing::Level::DEBUG).finish()
}

/// Times the same events through `plain` and `masked` in one group, so the ratio of the two
/// comes from one run.
fn compare(
    c: &mut Criterion,
    name: &str,
    plain: impl tracing::Subscriber + Send + Sync,
    masked: impl tracing::Subscriber + Send + Sync,
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(10));
    let mut round = 0_u64;
    let mut run = |label: &str, subscriber: tracing::Dispatch| {
        tracing::dispatcher::with_default(&subscriber, || {
            group.bench_function(label, |b| {
                b.iter(|| {
                    round += 1;
                    log_realistic_events(round);
                })
            });
        });
    };
    run("unmasked", tracing::Dispatch::new(plain));
    run("masked (100 secrets + default patterns)", tracing::Dispatch::new(masked));
    group.finish();
}

fn masking_throughput(c: &mut Criterion) {
    register_hundred_secrets();
    compare(
        c,
        "formatter to io::sink, 10 realistic events",
        formatter(io::sink),
        formatter(MaskingWriter::new(io::sink)),
    );

    // The same pair writing to a file, as a service's formatter does: one write per event.
    let path = std::env::temp_dir().join(format!("readiness-masking-bench-{}.log", std::process::id()));
    let file = std::sync::Arc::new(std::fs::File::create(&path).unwrap());
    let plain_file = std::sync::Arc::clone(&file);
    compare(
        c,
        "formatter to a file, 10 realistic events",
        formatter(move || std::sync::Arc::clone(&plain_file)),
        formatter(MaskingWriter::new(move || std::sync::Arc::clone(&file))),
    );
    let _ = std::fs::remove_file(path);
}

/// The two figures of DESIGN §9 measured interleaved, beside criterion's: on a shared machine
/// the speed drifts over seconds, and criterion times one side after the other. Here each round
/// times a batch on both sides, alternating which goes first, so drift lands on both; the figure
/// is the median of the rounds' ratios (unmasked time ÷ masked time = masked ÷ unmasked
/// throughput), printed with its quartiles.
fn interleaved_ratios(_: &mut Criterion) {
    const ROUNDS: usize = 101;
    const BATCH: u64 = 1000;
    let dir = std::env::temp_dir();
    let file = |side: &str| {
        let path = dir.join(format!("readiness-masking-interleaved-{side}-{}.log", std::process::id()));
        (std::sync::Arc::new(std::fs::File::create(&path).unwrap()), path)
    };
    let ((plain_file, plain_path), (masked_file, masked_path)) = (file("plain"), file("masked"));
    let pairs = [
        (
            "formatter to io::sink",
            tracing::Dispatch::new(formatter(io::sink)),
            tracing::Dispatch::new(formatter(MaskingWriter::new(io::sink))),
        ),
        (
            "formatter to a file",
            tracing::Dispatch::new(formatter(move || std::sync::Arc::clone(&plain_file))),
            tracing::Dispatch::new(formatter(MaskingWriter::new(move || std::sync::Arc::clone(&masked_file)))),
        ),
    ];
    for (name, plain, masked) in &pairs {
        let time = |dispatch: &tracing::Dispatch, round: u64| {
            tracing::dispatcher::with_default(dispatch, || {
                let started = std::time::Instant::now();
                for i in 0..BATCH {
                    log_realistic_events(round * BATCH + i);
                }
                started.elapsed().as_secs_f64()
            })
        };
        // Warm both sides up first.
        time(plain, 0);
        time(masked, 0);
        let mut ratios: Vec<f64> = (1..=ROUNDS as u64)
            .map(|round| {
                let (plain_time, masked_time) = if round % 2 == 0 {
                    let plain_time = time(plain, round);
                    (plain_time, time(masked, round))
                } else {
                    let masked_time = time(masked, round);
                    (time(plain, round), masked_time)
                };
                plain_time / masked_time
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "interleaved/{name}: masked ÷ unmasked throughput {:.3} (median of {ROUNDS} rounds of {BATCH} × 10 events; quartiles {:.3}–{:.3})",
            ratios[ROUNDS / 2],
            ratios[ROUNDS / 4],
            ratios[3 * ROUNDS / 4]
        );
    }
    let _ = std::fs::remove_file(plain_path);
    let _ = std::fs::remove_file(masked_path);
}

/// The ten events as the formatter writes them, one line each.
fn formatted_events() -> Vec<Vec<u8>> {
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>);
    impl io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(bytes.to_vec());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    tracing::subscriber::with_default(formatter(move || writer.clone()), || log_realistic_events(42));
    lines.0.lock().unwrap().clone()
}

fn mask_one_line(c: &mut Criterion) {
    let events = formatted_events();
    let mut group = c.benchmark_group("mask_bytes");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("the 10 realistic events, formatted", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|line| readiness_core::masking::mask_bytes(std::hint::black_box(line)).len())
                .sum::<usize>()
        })
    });
    for (index, line) in events.iter().enumerate() {
        if std::env::var_os("PER_LINE").is_some() {
            group.bench_function(format!("line {index} ({} bytes)", line.len()), |b| {
                b.iter(|| readiness_core::masking::mask_bytes(std::hint::black_box(line)).len())
            });
        }
    }
    group.finish();

    let line = "2026-11-23T10:00:00.123456Z  INFO example_service: request completed method=\"GET\" path=\"/api/orders\" status=200 latency_ms=3 request_id=42\n";
    let mut group = c.benchmark_group("mask_line");
    group.throughput(Throughput::Bytes(line.len() as u64));
    group.bench_function("one realistic line, nothing to mask", |b| {
        b.iter(|| readiness_core::masking::mask_bytes(std::hint::black_box(line.as_bytes())).len())
    });
    group.finish();
}

/// DESIGN §9: adversarial lines mask in time linear in their length, per byte within 2 × a
/// benign line's. Each 64 KiB line repeats one piece of `tests/data/masking-adversarial.jsonl`
/// (the linearity test reads the same file); the benign line repeats realistic events.
fn adversarial_lines(c: &mut Criterion) {
    const LEN: usize = 64 * 1024;
    let repeated = |piece: &[u8]| -> Vec<u8> { piece.iter().copied().cycle().take(LEN).collect() };
    let benign = repeated(&formatted_events().concat());
    let mut group = c.benchmark_group("adversarial lines, 64 KiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("benign: the 10 realistic events repeated", |b| {
        b.iter(|| readiness_core::masking::mask_bytes(std::hint::black_box(&benign)).len())
    });
    for line in include_str!("../tests/data/masking-adversarial.jsonl").lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = repeated(case["piece"].as_str().unwrap().as_bytes());
        group.bench_function(case["what"].as_str().unwrap(), |b| {
            b.iter(|| readiness_core::masking::mask_bytes(std::hint::black_box(&text)).len())
        });
    }
    group.finish();
}

criterion_group!(benches, masking_throughput, interleaved_ratios, mask_one_line, adversarial_lines);
criterion_main!(benches);
