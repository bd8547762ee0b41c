//! Runner faults (issue 14): a hung blocking check never holds more than one thread, and a
//! panicking blocking body fails that run only. (A panic outside the check body: `runner_panic.rs`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use readiness_core::{CheckContext, CheckRegistration, CheckSpec, Outcome, Status, blocking_fn};

/// A gate a blocking check waits at until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        changed.notify_all();
    }
}

/// Opens the gate when dropped: a failed assertion must not leave the blocking thread waiting,
/// or dropping the runtime (which waits for blocking threads) would hang the test.
struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_blocking_check_holds_one_thread_however_often_it_is_asked() {
    let gate = Gate::default();
    let _open_on_drop = OpenOnDrop(gate.clone());
    let started = Arc::new(AtomicUsize::new(0));
    let (body_gate, body_started) = (gate.clone(), Arc::clone(&started));
    let check = blocking_fn(move |_: CheckContext| {
        body_started.fetch_add(1, Ordering::SeqCst);
        body_gate.wait();
        Outcome::pass()
    });
    let spec = CheckSpec::new("files:nfs").critical().timeout(Duration::from_millis(100)).ttl(Duration::from_millis(1));
    let readiness = readiness_core::testing::builder().register(CheckRegistration::new(spec, check)).build().unwrap();

    let report = readiness.readiness().await;
    let first = report.check("files:nfs").unwrap();
    assert_eq!(first.status, Status::Fail);
    assert_eq!(first.outcome.output.as_deref(), Some("timed out after 100ms"));
    // Twenty more probes while the first run hangs: none starts another thread.
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let report = readiness.readiness().await;
        let result = report.check("files:nfs").unwrap();
        assert_eq!(result.status, Status::Fail);
        let output = result.outcome.output.clone().unwrap_or_default();
        assert!(output.starts_with("the previous run is still blocked (for "), "{output}");
    }
    assert_eq!(started.load(Ordering::SeqCst), 1, "one blocking run, however often the check was asked");

    // Once the hung run returns, the next probe runs the body again, and it passes.
    gate.open();
    let mut passed = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if readiness.readiness().await.check("files:nfs").unwrap().status == Status::Pass {
            passed = true;
            break;
        }
    }
    assert!(passed, "the check passes again once its thread is free");
    assert_eq!(started.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_panicking_blocking_body_fails_with_its_message_and_runs_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let check = blocking_fn(move |_: CheckContext| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the mount vanished");
        }
        Outcome::pass()
    });
    let spec = CheckSpec::new("files:mount").ttl(Duration::from_millis(1));
    let readiness = readiness_core::testing::builder().register(CheckRegistration::new(spec, check)).build().unwrap();
    let report = readiness.readiness().await;
    let result = report.check("files:mount").unwrap();
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.outcome.output.as_deref(), Some("panicked: the mount vanished"));
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(readiness.readiness().await.check("files:mount").unwrap().status, Status::Pass);
}
