//! The log-masking canary goes through the *installed global* subscriber; each case runs in its
//! own process because a process has one global subscriber (and one canary line per interval).
#![cfg(feature = "log-masking")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use readiness_core::masking::{MaskingWriter, canary_check, canary_check_every};
use readiness_core::testing::{self, ChildTest};
use readiness_core::{CheckKind, CheckRegistration, CheckResult, CheckSpec, Freshness, Kinds, Readiness, Status};
use tokio::time::Instant;

const CANARY: &str = "logs:masking";

/// What the subscriber wrote, shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn canary_lines(&self) -> usize {
        self.text().lines().filter(|line| line.contains("log-masking canary")).count()
    }
}

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a masked subscriber writing into a sink the test reads.
fn install_masked_sink() -> Sink {
    let sink = Sink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt().with_ansi(false).with_writer(MaskingWriter::new(move || writer.clone())).init();
    sink
}

/// The canary's result once its startup run landed: it is a background check, so the first
/// reports may come before it.
async fn first_result(readiness: &Readiness) -> CheckResult {
    let started = Instant::now();
    loop {
        let report = readiness.readiness().await;
        let check =
            report.checks.into_iter().find(|check| check.name == CANARY).expect("the canary is a readiness check");
        if check.freshness != Freshness::NotYetChecked {
            return check;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the canary did not run at startup");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn canary_status() -> (Status, String) {
    let readiness = testing::builder().register(canary_check()).build().unwrap();
    let check = first_result(&readiness).await;
    (check.status, check.outcome.output.unwrap_or_default())
}

/// The canary run on demand (its background interval dropped), as a probe or `run_check` would.
fn on_demand(canary: CheckRegistration) -> CheckRegistration {
    canary.map_spec(|spec| CheckSpec::new(spec.name()).control("security.data.log-masking"))
}

#[tokio::test]
async fn the_canary_passes_when_the_installed_subscriber_masks() {
    if !testing::is_child() {
        ChildTest::new("the_canary_passes_when_the_installed_subscriber_masks").run();
        return;
    }
    tracing_subscriber::fmt().with_writer(MaskingWriter::new(std::io::sink)).init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Pass, "{output}");
}

#[tokio::test]
async fn the_canary_fails_when_the_installed_subscriber_does_not_mask() {
    if !testing::is_child() {
        ChildTest::new("the_canary_fails_when_the_installed_subscriber_does_not_mask").run();
        return;
    }
    tracing_subscriber::fmt().with_writer(std::io::sink).init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("did not write the canary through a MaskingWriter"), "{output}");
}

#[tokio::test]
async fn a_failing_canary_leaves_the_service_ready() {
    // Issue 10: a critical canary failing on every replica took them all out of service.
    if !testing::is_child() {
        ChildTest::new("a_failing_canary_leaves_the_service_ready").run();
        return;
    }
    tracing_subscriber::fmt().with_writer(std::io::sink).init();
    let readiness = testing::builder().register(canary_check()).build().unwrap();
    let canary = first_result(&readiness).await;
    assert_eq!(canary.status, Status::Fail, "{:?}", canary.outcome);
    assert!(!canary.critical);
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Warn, "{report:?}");
    assert_eq!(report.status.http_code(), 200);
}

#[tokio::test]
async fn the_canary_is_a_readiness_check_only() {
    // A canary in liveness (or startup) would turn a logging mistake into a restart loop.
    if !testing::is_child() {
        ChildTest::new("the_canary_is_a_readiness_check_only").run();
        return;
    }
    tracing_subscriber::fmt().with_writer(std::io::sink).init();
    for canary in [canary_check(), canary_check_every(Duration::from_secs(30))] {
        assert_eq!(canary.spec().kinds(), Kinds::READINESS);
        assert!(!canary.spec().is_critical());
    }
    let readiness = testing::builder().register(canary_check()).build().unwrap();
    let canary = first_result(&readiness).await;
    assert_eq!(canary.status, Status::Fail, "an unmasked subscriber: {:?}", canary.outcome);
    assert!(!canary.kinds.contains(CheckKind::Liveness) && !canary.kinds.contains(CheckKind::Startup));
    let liveness = readiness.liveness().await;
    assert!(liveness.checks.iter().all(|check| check.name != CANARY), "{liveness:?}");
    assert_eq!(liveness.status, Status::Pass);
    let startup = readiness.startup().await;
    assert!(startup.checks.iter().all(|check| check.name != CANARY), "{startup:?}");
    assert_eq!(startup.status, Status::Pass);
}

#[tokio::test]
async fn the_canary_runs_at_startup_and_then_on_its_interval() {
    if !testing::is_child() {
        ChildTest::new("the_canary_runs_at_startup_and_then_on_its_interval").run();
        return;
    }
    let sink = install_masked_sink();
    assert_eq!(canary_check().spec().run_interval(), Some(Duration::from_secs(300)));
    let interval = Duration::from_millis(200);
    let started = Instant::now();
    let readiness = testing::builder().register(canary_check_every(interval)).build().unwrap();
    let canary = first_result(&readiness).await;
    assert_eq!(canary.status, Status::Pass, "{:?}", canary.outcome);
    assert_eq!(sink.canary_lines(), 1, "{}", sink.text());
    // The next runs come from the schedule, not from probes.
    while sink.canary_lines() < 3 {
        assert!(started.elapsed() < Duration::from_secs(10), "the canary does not run again on its interval");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let most = 1 + usize::try_from(elapsed.as_millis() / interval.as_millis()).unwrap();
    assert!(sink.canary_lines() <= most, "{} lines in {elapsed:?}", sink.canary_lines());
}

#[tokio::test]
async fn the_canary_writes_one_line_per_interval_however_often_it_runs() {
    if !testing::is_child() {
        ChildTest::new("the_canary_writes_one_line_per_interval_however_often_it_runs").run();
        return;
    }
    let sink = install_masked_sink();
    let readiness = testing::builder().register(canary_check()).build().unwrap();
    assert_eq!(first_result(&readiness).await.status, Status::Pass);
    // Forced runs, each of a new registration on demand: within the interval they answer the
    // startup run's verdict and log nothing.
    for _ in 0..5 {
        let forced = testing::run_check(on_demand(canary_check())).await;
        assert_eq!(forced.status, Status::Pass, "{:?}", forced.outcome);
        let _ = readiness.readiness().await;
    }
    assert_eq!(sink.canary_lines(), 1, "{}", sink.text());
}

#[tokio::test]
async fn the_canary_logs_again_once_its_interval_has_passed() {
    if !testing::is_child() {
        ChildTest::new("the_canary_logs_again_once_its_interval_has_passed").run();
        return;
    }
    let sink = install_masked_sink();
    let interval = Duration::from_secs(1);
    for _ in 0..3 {
        assert_eq!(testing::run_check(on_demand(canary_check_every(interval))).await.status, Status::Pass);
    }
    assert_eq!(sink.canary_lines(), 1, "{}", sink.text());
    tokio::time::sleep(interval + Duration::from_millis(100)).await;
    assert_eq!(testing::run_check(on_demand(canary_check_every(interval))).await.status, Status::Pass);
    assert_eq!(sink.canary_lines(), 2, "{}", sink.text());
}

#[tokio::test]
async fn the_canary_cannot_tell_when_warnings_are_filtered_out() {
    // Issue 9: filtered logging hides the canary; that is "cannot tell", not a failure of
    // masking (it used to fail, and take readiness down with it).
    if !testing::is_child() {
        ChildTest::new("the_canary_cannot_tell_when_warnings_are_filtered_out").run();
        return;
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_writer(MaskingWriter::new(std::io::sink))
        .init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.starts_with("cannot tell: ") && output.contains("readiness::masking_canary=warn"), "{output}");
}

#[tokio::test]
async fn the_canary_cannot_tell_when_rust_log_is_error() {
    if !testing::is_child() {
        ChildTest::new("the_canary_cannot_tell_when_rust_log_is_error").env("RUST_LOG", "error").run();
        return;
    }
    let sink = Sink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(MaskingWriter::new(move || writer.clone()))
        .init();
    let readiness = testing::builder().register(canary_check()).build().unwrap();
    let canary = first_result(&readiness).await;
    let output = canary.outcome.output.clone().unwrap_or_default();
    assert_eq!(canary.status, Status::Warn, "{output}");
    assert!(output.starts_with("cannot tell: ") && output.contains("readiness::masking_canary=warn"), "{output}");
    assert_eq!(readiness.readiness().await.status, Status::Warn);
    assert_eq!(sink.canary_lines(), 0, "{}", sink.text());
}

#[tokio::test]
async fn the_canary_cannot_tell_when_a_target_filter_hides_it() {
    if !testing::is_child() {
        ChildTest::new("the_canary_cannot_tell_when_a_target_filter_hides_it").run();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,readiness=error"))
        .with_writer(MaskingWriter::new(std::io::sink))
        .init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.starts_with("cannot tell: ") && output.contains("readiness::masking_canary=warn"), "{output}");
}

#[tokio::test]
async fn the_canary_cannot_tell_without_a_subscriber() {
    if !testing::is_child() {
        ChildTest::new("the_canary_cannot_tell_without_a_subscriber").run();
        return;
    }
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Warn, "{output}");
    assert!(output.starts_with("cannot tell: no tracing subscriber"), "{output}");
}
