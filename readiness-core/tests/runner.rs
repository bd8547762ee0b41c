//! Runner semantics of DESIGN §4: each test fails when its behaviour is removed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use readiness_core::{CheckKind, CheckSpec, Freshness, Outcome, ReadinessBuilder, Selection, Status, StatusChange};

fn builder() -> ReadinessBuilder {
    readiness_core::testing::builder().service("test", "1.0.0").max_jitter(Duration::ZERO)
}

/// A check spec whose body counts its runs.
fn counting(builder: ReadinessBuilder, spec: CheckSpec, runs: &Arc<AtomicUsize>, delay: Duration) -> ReadinessBuilder {
    let runs = Arc::clone(runs);
    builder.check_fn(spec, move |_| {
        let runs = Arc::clone(&runs);
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            Outcome::pass()
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reports_on_a_cold_cache_run_each_check_once() {
    let runs: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let mut b = builder();
    for (index, counter) in runs.iter().enumerate() {
        b = counting(b, CheckSpec::new(format!("dep:{index}")), counter, Duration::from_millis(30));
    }
    let readiness = b.build().unwrap();
    let reports: Vec<_> = (0..200)
        .map(|_| {
            let readiness = readiness.clone();
            tokio::spawn(async move { readiness.readiness().await })
        })
        .collect();
    for report in reports {
        assert_eq!(report.await.unwrap().status, Status::Pass);
    }
    for counter in &runs {
        assert_eq!(counter.load(Ordering::SeqCst), 1, "a check body ran more than once");
    }
}

#[tokio::test(start_paused = true)]
async fn results_are_cached_for_the_ttl_then_run_again() {
    let runs = Arc::new(AtomicUsize::new(0));
    let readiness = counting(builder(), CheckSpec::new("dep:a").ttl(Duration::from_secs(5)), &runs, Duration::ZERO)
        .build()
        .unwrap();
    let first = readiness.readiness().await;
    assert_eq!(first.checks[0].freshness, Freshness::Fresh);
    let second = readiness.readiness().await;
    assert_eq!(second.checks[0].freshness, Freshness::Cached);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(6)).await;
    readiness.readiness().await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut b = builder().max_concurrency(2).deadline(Duration::from_secs(5)).default_timeout(Duration::from_secs(5));
    for index in 0..6 {
        let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
        b = b.check_fn(CheckSpec::new(format!("dep:{index}")), move |_| {
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Outcome::pass()
            }
        });
    }
    let report = b.build().unwrap().readiness().await;
    assert_eq!(report.status, Status::Pass);
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_check_fails_with_its_timeout() {
    let readiness = builder()
        .check_fn(CheckSpec::new("slow:call").critical().timeout(Duration::from_millis(50)), |_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Outcome::pass()
        })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Fail);
    assert_eq!(report.checks[0].outcome.output.as_deref(), Some("timed out after 50ms"));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_check_cannot_hold_the_report_past_the_deadline() {
    let readiness = builder()
        .deadline(Duration::from_millis(900))
        .check_fn(CheckSpec::new("hang:forever").critical().timeout(Duration::from_secs(3600)), |_| {
            std::future::pending::<Outcome>()
        })
        .check_fn(CheckSpec::new("fine:ok"), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let report = readiness.readiness().await;
    assert_eq!(started.elapsed(), Duration::from_millis(900));
    assert_eq!(report.status, Status::Fail);
    let hang = report.check("hang:forever").unwrap();
    assert_eq!(hang.freshness, Freshness::DeadlineExceeded);
    assert!(hang.outcome.output.as_deref().unwrap().contains("report deadline"));
    assert_eq!(report.check("fine:ok").unwrap().status, Status::Pass);
}

#[tokio::test]
async fn a_panicking_check_fails_alone() {
    let readiness = builder()
        .check_fn(CheckSpec::new("boom:now").critical(), |_| async {
            if true {
                panic!("the pool is gone");
            }
            Outcome::pass()
        })
        .check_fn(CheckSpec::new("fine:ok"), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Fail);
    assert_eq!(report.check("boom:now").unwrap().outcome.output.as_deref(), Some("panicked: the pool is gone"));
    assert_eq!(report.check("fine:ok").unwrap().status, Status::Pass);
    // The runner is still usable after the panic.
    assert_eq!(readiness.readiness().await.checks.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn background_checks_run_on_their_schedule_and_requests_never_wait() {
    let runs = Arc::new(AtomicUsize::new(0));
    let spec =
        CheckSpec::new("bg:poll").critical().interval(Duration::from_secs(10)).initial_delay(Duration::from_secs(5));
    let readiness = counting(builder(), spec, &runs, Duration::from_millis(10)).build().unwrap();

    let before = readiness.readiness().await;
    assert_eq!(before.status, Status::Fail);
    assert_eq!(before.checks[0].freshness, Freshness::NotYetChecked);
    assert_eq!(before.checks[0].outcome.output.as_deref(), Some("not yet checked"));
    assert_eq!(runs.load(Ordering::SeqCst), 0, "a request ran a background check");

    tokio::time::sleep(Duration::from_millis(5_100)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let after = readiness.readiness().await;
    assert_eq!(after.status, Status::Pass);
    assert_eq!(after.checks[0].freshness, Freshness::Cached);

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    for _ in 0..20 {
        readiness.readiness().await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn background_jitter_spreads_the_first_run_within_its_cap() {
    let runs = Arc::new(AtomicUsize::new(0));
    let spec = CheckSpec::new("bg:jitter").interval(Duration::from_secs(60));
    let readiness =
        counting(builder().max_jitter(Duration::from_secs(2)), spec, &runs, Duration::ZERO).build().unwrap();
    readiness.start_background();
    tokio::time::sleep(Duration::from_millis(2_001)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the first run came later than the jitter cap");
}

#[tokio::test]
async fn background_tasks_stop_when_the_readiness_is_dropped() {
    let runs = Arc::new(AtomicUsize::new(0));
    let spec = CheckSpec::new("bg:fast").interval(Duration::from_millis(5));
    let readiness = counting(builder(), spec, &runs, Duration::ZERO).build().unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    drop(readiness);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let after_drop = runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(after_drop > 0);
    assert_eq!(runs.load(Ordering::SeqCst), after_drop);
}

/// A check that returns the scripted statuses in turn.
fn scripted(builder: ReadinessBuilder, spec: CheckSpec, script: &[Status]) -> ReadinessBuilder {
    let script = Arc::new(Mutex::new(Vec::from(script).into_iter()));
    builder.check_fn(spec.ttl(Duration::from_nanos(1)), move |_| {
        let next = script.lock().unwrap().next().unwrap_or(Status::Pass);
        async move { Outcome::new(next) }
    })
}

#[tokio::test]
async fn flap_damping_needs_consecutive_failures_and_successes() {
    use Status::{Fail, Pass};
    let spec = CheckSpec::new("flaky:dep").critical().fail_after(3).pass_after(2);
    let readiness = scripted(builder(), spec, &[Pass, Fail, Fail, Pass, Fail, Fail, Fail, Pass, Pass]).build().unwrap();
    let mut seen = Vec::new();
    for _ in 0..9 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        seen.push(readiness.readiness().await.status);
    }
    assert_eq!(seen, [Pass, Pass, Pass, Pass, Pass, Pass, Fail, Fail, Pass]);
}

#[tokio::test]
async fn the_status_change_listener_hears_every_change_once() {
    use Status::{Fail, Pass, Warn};
    let changes: Arc<Mutex<Vec<StatusChange>>> = Arc::default();
    let sink = Arc::clone(&changes);
    let readiness = scripted(builder(), CheckSpec::new("dep:x"), &[Pass, Pass, Fail, Warn])
        .on_status_change(move |change| sink.lock().unwrap().push(change.clone()))
        .on_status_change(|_| panic!("a bad listener must not break the runner"))
        .build()
        .unwrap();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        readiness.readiness().await;
    }
    let seen: Vec<_> = changes.lock().unwrap().iter().map(|c| (c.previous, c.current)).collect();
    assert_eq!(seen, [(None, Pass), (Some(Pass), Fail), (Some(Fail), Warn)]);
}

#[tokio::test]
async fn startup_passes_once_every_startup_and_critical_check_passed_once() {
    use Status::{Fail, Pass};
    let b = scripted(builder(), CheckSpec::new("migrations:applied").kind(CheckKind::Startup), &[Fail, Pass, Fail]);
    let readiness = scripted(b, CheckSpec::new("db:ping").critical(), &[Pass, Fail, Fail]).build().unwrap();
    assert_eq!(readiness.startup().await.status, Fail);
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(readiness.startup().await.status, Pass);
    tokio::time::sleep(Duration::from_millis(1)).await;
    // Startup stays complete even though both checks fail now; readiness does not.
    assert_eq!(readiness.startup().await.status, Pass);
    assert_eq!(readiness.readiness().await.status, Fail);
}

#[tokio::test]
async fn shutdown_fails_readiness_but_not_liveness() {
    let readiness = builder()
        .check_fn(CheckSpec::new("process:alive").kind(CheckKind::Liveness), |_| async { Outcome::pass() })
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    assert_eq!(readiness.readiness().await.status, Status::Pass);
    readiness.begin_shutdown();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Fail);
    assert!(report.shutting_down);
    assert_eq!(report.notes, ["the service is shutting down"]);
    let liveness = readiness.liveness().await;
    assert_eq!(liveness.status, Status::Pass);
    assert_eq!(liveness.checks.len(), 1, "liveness must hold only liveness checks");
}

#[tokio::test]
async fn a_non_critical_failure_only_warns() {
    let readiness = builder()
        .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::fail("cache down") })
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Warn);
    assert_eq!(report.status.http_code(), 200);
    // Asked for alone, the failing check answers for itself.
    let alone = readiness.report(&Selection::check("cache:ping")).await.unwrap();
    assert_eq!(alone.status, Status::Fail);
    assert_eq!(readiness.report(&Selection::check("nope")).await.unwrap_err().0, "nope");
}

#[tokio::test]
async fn excluded_checks_are_left_out_and_unknown_names_noted() {
    let readiness = builder()
        .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::fail("down") })
        .check_fn(CheckSpec::new("cache:ping"), |_| async { Outcome::pass() })
        .build()
        .unwrap();
    let report = readiness.report(&Selection::readiness().exclude("db:ping").exclude("ghost:check")).await.unwrap();
    assert_eq!(report.status, Status::Pass);
    assert_eq!(report.checks.len(), 1);
    assert_eq!(report.notes, ["excluded check `ghost:check` does not exist"]);
}

#[tokio::test]
async fn output_is_bounded_and_secrets_masked() {
    readiness_core::masking::register_secret("s3cr3t-value-for-runner-test");
    let readiness = builder()
        .max_output_bytes(64)
        .check_fn(CheckSpec::new("long:output"), |_| async { Outcome::warn("x".repeat(5000)) })
        .check_fn(CheckSpec::new("leaky:output"), |_| async {
            Outcome::fail("connect to postgres://app:s3cr3t-value-for-runner-test@db failed")
                .evidence("url", "postgres://app:s3cr3t-value-for-runner-test@db")
        })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    let long = report.check("long:output").unwrap().outcome.output.clone().unwrap();
    assert!(long.len() <= 64 && long.ends_with('…'), "{} bytes", long.len());
    let leaky = &report.check("leaky:output").unwrap().outcome;
    assert_eq!(leaky.output.as_deref(), Some("connect to postgres://app:[REDACTED]@db failed"));
    assert_eq!(leaky.evidence["url"], "postgres://app:[REDACTED]@db");
    assert!(!serde_json::to_string(&report).unwrap().contains("s3cr3t"));
}

#[tokio::test]
async fn state_is_injected_by_type_and_a_missing_type_fails_clearly() {
    struct Pool(u32);
    let readiness = builder()
        .state(Pool(7))
        .check_fn(CheckSpec::new("db:pool"), |ctx| async move {
            let pool = ctx.state::<Pool>()?;
            Ok::<_, readiness_core::MissingState>(Outcome::pass().observed(pool.0, "connections"))
        })
        .check_fn(CheckSpec::new("db:other"), |ctx| async move {
            ctx.state::<String>()?;
            Ok::<_, readiness_core::MissingState>(Outcome::pass())
        })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.check("db:pool").unwrap().outcome.observed_value, Some(7.into()));
    let other = report.check("db:other").unwrap();
    assert_eq!(other.status, Status::Fail);
    assert!(other.outcome.output.as_deref().unwrap().contains("alloc::string::String"));
}

#[tokio::test(start_paused = true)]
async fn the_version_and_is_cached_tell_when_a_rendered_report_can_be_reused() {
    let runs = Arc::new(AtomicUsize::new(0));
    let readiness = counting(builder(), CheckSpec::new("dep:a").ttl(Duration::from_secs(5)), &runs, Duration::ZERO)
        .build()
        .unwrap();
    let selection = Selection::readiness();
    assert!(!readiness.is_cached(&selection), "nothing has run yet");
    let before = readiness.version();
    readiness.readiness().await;
    let after_run = readiness.version();
    assert_ne!(before, after_run);
    assert!(readiness.is_cached(&selection));
    readiness.readiness().await;
    assert_eq!(readiness.version(), after_run, "a cached report changes nothing");
    tokio::time::advance(Duration::from_secs(6)).await;
    assert!(!readiness.is_cached(&selection), "the TTL expired");
    readiness.readiness().await;
    assert!(readiness.is_cached(&selection));
    let settled = readiness.version();
    readiness.begin_shutdown();
    assert_ne!(readiness.version(), settled, "shutdown changes what readiness says");
}

#[tokio::test(start_paused = true)]
async fn is_cached_judges_each_kind_by_its_own_checks() {
    let runs = Arc::new(AtomicUsize::new(0));
    let short = CheckSpec::new("dep:short").critical().ttl(Duration::from_secs(2));
    let long = CheckSpec::new("dep:long").ttl(Duration::from_secs(60));
    let alive = CheckSpec::new("process:alive").kind(CheckKind::Liveness).ttl(Duration::from_secs(60));
    let scheduled = CheckSpec::new("dep:scheduled").interval(Duration::from_secs(3600));
    let mut builder = builder();
    for spec in [short, long, alive, scheduled] {
        builder = counting(builder, spec, &runs, Duration::ZERO);
    }
    let readiness = builder.build().unwrap();
    readiness.readiness().await;
    readiness.liveness().await;
    let selections = || {
        [
            Selection::readiness(),
            Selection::liveness(),
            Selection::startup(),
            Selection::readiness().exclude("dep:short"),
            Selection::check("dep:long"),
        ]
    };
    assert_eq!(selections().map(|selection| readiness.is_cached(&selection)), [true; 5]);
    tokio::time::advance(Duration::from_secs(3)).await;
    // Only `dep:short` expired: the kinds it belongs to (readiness, and startup as a critical
    // check) are no longer cached, the others are, and so is readiness without it. The
    // scheduled check, whose result is never waited for, never counts.
    assert_eq!(selections().map(|selection| readiness.is_cached(&selection)), [false, true, false, true, true]);
    readiness.readiness().await;
    assert_eq!(selections().map(|selection| readiness.is_cached(&selection)), [true; 5]);
}

#[tokio::test(start_paused = true)]
async fn a_run_goes_on_after_the_report_that_started_it_gives_up_at_its_deadline() {
    let runs = Arc::new(AtomicUsize::new(0));
    let spec = CheckSpec::new("db:slow").critical().timeout(Duration::from_secs(10)).ttl(Duration::from_secs(60));
    let readiness =
        counting(builder().deadline(Duration::from_millis(500)), spec, &runs, Duration::from_secs(2)).build().unwrap();
    let first = readiness.readiness().await;
    assert_eq!(first.check("db:slow").unwrap().freshness, Freshness::DeadlineExceeded);
    // Nobody polls the readiness meanwhile: the run must finish in its own task.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = readiness.readiness().await;
    let check = second.check("db:slow").unwrap();
    assert_eq!((check.freshness, check.status), (Freshness::Cached, Status::Pass));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_run_goes_on_when_the_report_that_started_it_is_dropped() {
    let runs = Arc::new(AtomicUsize::new(0));
    let spec = CheckSpec::new("db:slow").critical().ttl(Duration::from_secs(60));
    let readiness = counting(builder(), spec, &runs, Duration::from_millis(200)).build().unwrap();
    // A client hanging up: the report's future is dropped after its first poll.
    assert!(tokio::time::timeout(Duration::from_millis(10), readiness.readiness()).await.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let report = readiness.readiness().await;
    let check = report.check("db:slow").unwrap();
    assert_eq!((check.freshness, check.status), (Freshness::Cached, Status::Pass));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn checks_that_finish_at_once_are_fresh_in_the_report_that_ran_them() {
    let mut b = builder();
    // More than one batch of runs polled in the report's own task.
    for index in 0..100 {
        let status = if index == 77 { Outcome::fail("down") } else { Outcome::pass() };
        b = b.check_fn(CheckSpec::new(format!("dep:{index}")).critical().ttl(Duration::from_nanos(1)), move |_| {
            let status = status.clone();
            async move { status }
        });
    }
    let readiness = b.build().unwrap();
    for _ in 0..2 {
        let report = readiness.readiness().await;
        assert!(report.checks.iter().all(|check| check.freshness == Freshness::Fresh));
        assert_eq!(report.status, Status::Fail);
        assert_eq!(report.checks.iter().filter(|check| check.status == Status::Fail).count(), 1);
        assert_eq!(report.check("dep:77").unwrap().outcome.output.as_deref(), Some("down"));
    }
}

/// Three passing reports from a task of their own: that task's id.
async fn three_passing_reports_in_a_task(readiness: readiness_core::Readiness) -> Option<tokio::task::Id> {
    let reporter = tokio::spawn(async move {
        for _ in 0..3 {
            assert_eq!(readiness.readiness().await.status, Status::Pass);
        }
        tokio::task::try_id()
    });
    reporter.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_finishes_at_once_runs_in_the_reports_task_from_its_second_run() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let readiness = builder()
        .check_fn(CheckSpec::new("config:flags").ttl(Duration::from_nanos(1)), move |_| {
            record.lock().unwrap().push(tokio::task::try_id());
            async { Outcome::pass() }
        })
        .build()
        .unwrap();
    let own = three_passing_reports_in_a_task(readiness).await;
    let seen = seen.lock().unwrap().clone();
    // The first run is spawned (nothing is known of the check yet); the next ones, having
    // finished at their first poll, run in the report's own task.
    assert_eq!(seen.len(), 3);
    assert_ne!(seen[0], own);
    assert_eq!(&seen[1..], &[own, own]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_waits_keeps_its_own_task() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let readiness = builder()
        .check_fn(CheckSpec::new("db:ping").ttl(Duration::from_nanos(1)), move |_| {
            let record = Arc::clone(&record);
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                record.lock().unwrap().push(tokio::task::try_id());
                Outcome::pass()
            }
        })
        .build()
        .unwrap();
    let own = three_passing_reports_in_a_task(readiness).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|task| *task != own), "{seen:?} vs {own:?}");
}

#[tokio::test]
async fn a_timeout_of_duration_max_means_no_timeout() {
    let readiness = builder()
        .check_fn(CheckSpec::new("db:patient").critical().timeout(Duration::MAX), |_| async {
            tokio::task::yield_now().await;
            Outcome::pass()
        })
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Pass, "{:?}", report.checks[0].outcome);
}
