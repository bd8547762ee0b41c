//! The report's gauges through the `metrics` facade (rendered by metrics-exporter-prometheus,
//! as a service using it would) and as a prometheus-client collector (encoded by its registry):
//! the same families as `/readiness/metrics`, from the cache, accepted by promtool.
#![cfg(all(feature = "metrics", feature = "prometheus-client"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use readiness_core::attestation::Declaration;
use readiness_core::output::{collector::ReadinessCollector, facade};
use readiness_core::{CheckSpec, Outcome, Profile, Readiness, testing};

fn service(runs: Arc<AtomicUsize>) -> Readiness {
    testing::builder()
        .profile(Profile::new("mine").level("bronze").require_control("security.data.secrets"))
        .declare(Declaration::new("security.data.secrets", "env"))
        .check_fn(CheckSpec::new("db:ping").critical().control("performance.scalability.db-pooling"), move |_| {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Outcome::pass() }
        })
        .build()
        .unwrap()
}

fn assert_families(text: &str) {
    for line in [
        r#"readiness_status{status="pass"} 1"#,
        r#"readiness_check_status{check="db:ping",kind="readiness",critical="true",status="pass"} 1"#,
        r#"readiness_control_attestation{control="performance.scalability.db-pooling",catalog="osgb",required="false",attestation="verified"} 1"#,
        r#"readiness_control_attestation{control="performance.scalability.db-pooling",catalog="osgb",required="false",attestation="failing"} 0"#,
        r#"readiness_levels_reached{profile="mine"} 1"#,
        r#"readiness_profile_met{profile="mine"} 1"#,
        r#"readiness_level_reached{profile="mine",level="bronze"} 1"#,
        "readiness_shutting_down 0",
    ] {
        assert!(text.contains(line), "{line} missing in:\n{text}");
    }
    assert!(text.contains("readiness_check_duration_seconds{check=\"db:ping\"}"), "{text}");
    assert!(!text.contains("{instance=") && !text.contains(",instance="), "no `instance` label: {text}");
}

/// `promtool check metrics`, skipped with a line without promtool (never under `CI=true`).
fn promtool(text: &str) {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: promtool is required ({error})");
            println!("SKIPPED: promtool is not installed ({error})");
            return;
        }
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every sample `/readiness/metrics` writes for the families the exports share is in `text`,
/// labels and value alike: rules and dashboards read either the same way.
fn assert_same_as_the_endpoint(text: &str, report: &readiness_core::Report) {
    let endpoint = readiness_core::output::prometheus::render(report);
    let shared = [
        "readiness_status{",
        "readiness_shutting_down ",
        "readiness_check_status{",
        "readiness_control_attestation{",
        "readiness_profile_met{",
        "readiness_level_reached{",
        "readiness_levels_reached{",
    ];
    let lines: Vec<&str> =
        endpoint.lines().filter(|line| shared.iter().any(|family| line.starts_with(family))).collect();
    assert!(lines.len() > 100, "{endpoint}");
    // Series and value, the value as a number: one exporter writes `1`, another `1.0`.
    let sample =
        |line: &str| line.rsplit_once(' ').map(|(series, value)| (series.to_owned(), value.parse::<f64>().ok()));
    let exported: Vec<_> = text.lines().filter_map(sample).collect();
    for line in lines {
        assert!(exported.contains(&sample(line).unwrap()), "{line} is on /readiness/metrics but not exported:\n{text}");
    }
}

#[tokio::test]
async fn the_metrics_facade_gets_the_gauges_a_prometheus_exporter_renders() {
    let runs = Arc::new(AtomicUsize::new(0));
    let readiness = service(Arc::clone(&runs));
    readiness.readiness().await;
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let report = readiness.settled_checklist().await;
    let before = runs.load(Ordering::SeqCst);
    metrics::with_local_recorder(&recorder, || facade::record(&report));
    let text = handle.render();
    assert_families(&text);
    assert_same_as_the_endpoint(&text, &report);
    assert_eq!(runs.load(Ordering::SeqCst), before, "recording runs no check");
    promtool(&text);
}

#[tokio::test]
async fn the_prometheus_client_collector_encodes_the_cache_on_each_scrape() {
    let runs = Arc::new(AtomicUsize::new(0));
    let readiness = service(Arc::clone(&runs));
    readiness.readiness().await;
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(ReadinessCollector::new(readiness.clone())));
    let before = runs.load(Ordering::SeqCst);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert_families(&text);
    assert_same_as_the_endpoint(&text, &readiness.snapshot().await);
    assert_eq!(runs.load(Ordering::SeqCst), before, "a scrape runs no check");
    promtool(&text);
    // Shutdown shows on the next scrape.
    readiness.begin_shutdown();
    let mut after = String::new();
    prometheus_client::encoding::text::encode(&mut after, &registry).unwrap();
    assert!(
        after.contains("readiness_shutting_down 1") && after.contains(r#"readiness_status{status="fail"} 1"#),
        "{after}"
    );
}
