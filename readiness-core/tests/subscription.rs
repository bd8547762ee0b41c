//! `Readiness::subscribe()`: the current state first, then each change in order; a slow
//! subscriber catches up to the latest state, and the final state at shutdown is never missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use readiness_core::subscription::Change;
use readiness_core::{CheckKind, CheckSpec, Outcome, Readiness, Status, testing};

/// A critical check whose result the test sets, never cached; and a liveness check that passes.
fn service(healthy: Arc<AtomicBool>) -> Readiness {
    testing::builder()
        .check_fn(CheckSpec::new("db:ping").critical().ttl(Duration::from_nanos(1)), move |_| {
            let healthy = healthy.load(Ordering::SeqCst);
            async move { if healthy { Outcome::pass() } else { Outcome::fail("refused") } }
        })
        .check_fn(CheckSpec::new("process:alive").kind(CheckKind::Liveness).ttl(Duration::from_nanos(1)), |_| async {
            Outcome::pass()
        })
        .build()
        .unwrap()
}

/// Every change available now, without waiting for more.
async fn drain(changes: &mut readiness_core::subscription::Subscription) -> Vec<Change> {
    let mut seen = Vec::new();
    while let Ok(Some(change)) = tokio::time::timeout(Duration::from_millis(50), changes.next()).await {
        seen.push(change);
    }
    seen
}

fn check(name: &str, previous: Option<Status>, current: Status) -> Change {
    Change::Check { name: name.into(), previous, current }
}

#[tokio::test]
async fn the_state_comes_first_then_each_change_in_order() {
    let healthy = Arc::new(AtomicBool::new(true));
    let readiness = service(Arc::clone(&healthy));
    let mut changes = readiness.subscribe();
    assert_eq!(
        drain(&mut changes).await,
        [
            Change::Readiness { previous: None, current: Status::Fail },
            Change::Liveness { previous: None, current: Status::Warn },
            Change::Startup { previous: None, current: Status::Fail },
        ],
        "nothing has run: as a report says, the critical check fails and the other warns"
    );
    readiness.readiness().await;
    assert_eq!(
        drain(&mut changes).await,
        [
            check("db:ping", None, Status::Pass),
            Change::Readiness { previous: Some(Status::Fail), current: Status::Pass },
            Change::Startup { previous: Some(Status::Fail), current: Status::Pass },
        ],
        "the check first, then what follows from it"
    );
    readiness.liveness().await;
    assert_eq!(
        drain(&mut changes).await,
        [
            check("process:alive", None, Status::Pass),
            Change::Liveness { previous: Some(Status::Warn), current: Status::Pass }
        ]
    );
    healthy.store(false, Ordering::SeqCst);
    readiness.readiness().await;
    assert_eq!(
        drain(&mut changes).await,
        [
            check("db:ping", Some(Status::Pass), Status::Fail),
            Change::Readiness { previous: Some(Status::Pass), current: Status::Fail }
        ],
        "startup stays done: it passed once"
    );
    // A run that changes nothing sends nothing.
    readiness.readiness().await;
    assert_eq!(drain(&mut changes).await, []);
    // A second subscriber starts from the state now.
    let mut late = readiness.subscribe();
    let first = drain(&mut late).await;
    assert_eq!(first[0], check("db:ping", None, Status::Fail));
    assert!(first.contains(&Change::Readiness { previous: None, current: Status::Fail }));
    assert!(first.contains(&Change::Startup { previous: None, current: Status::Pass }));
}

#[tokio::test]
async fn a_slow_subscriber_gets_the_latest_state_and_the_end_at_shutdown() {
    let healthy = Arc::new(AtomicBool::new(true));
    let readiness = service(Arc::clone(&healthy));
    let mut changes = readiness.subscribe();
    readiness.readiness().await;
    let seen = drain(&mut changes).await;
    assert!(
        seen.contains(&Change::Readiness { previous: None, current: Status::Pass }),
        "the state when first polled: {seen:?}"
    );
    // Many flips while the subscriber does not look (the last one failing), then shutdown,
    // then the service is gone.
    for round in 0..50 {
        healthy.store(round % 2 == 0, Ordering::SeqCst);
        readiness.readiness().await;
    }
    readiness.begin_shutdown();
    drop(readiness);
    let mut rest = Vec::new();
    while let Some(change) =
        tokio::time::timeout(Duration::from_secs(2), changes.next()).await.expect("the stream ends")
    {
        rest.push(change);
    }
    assert!(rest.contains(&Change::ShuttingDown), "{rest:?}");
    // The last word on readiness is the final state: failing, for shutdown.
    let last_readiness = rest.iter().rev().find_map(|change| match change {
        Change::Readiness { current, .. } => Some(*current),
        _ => None,
    });
    assert_eq!(last_readiness, Some(Status::Fail), "{rest:?}");
    // The final check state (the 50th run failed) is there too, not an intermediate one.
    let last_check = rest.iter().rev().find_map(|change| match change {
        Change::Check { current, .. } => Some(*current),
        _ => None,
    });
    assert_eq!(last_check, Some(Status::Fail), "{rest:?}");
    assert!(rest.len() <= 4, "intermediate flips are coalesced, not queued: {rest:?}");
}

#[tokio::test]
async fn the_stream_form_yields_the_same_changes() {
    use futures_util::StreamExt;
    let readiness = service(Arc::new(AtomicBool::new(true)));
    let stream = readiness.subscribe().into_stream();
    readiness.readiness().await;
    let first: Vec<Change> = stream.take(3).collect().await;
    assert!(matches!(first[0], Change::Check { .. } | Change::Readiness { .. }), "{first:?}");
}
