//! The log-masking canary goes through the *installed global* subscriber; each case runs in its
//! own process because a process has one global subscriber.
#![cfg(feature = "log-masking")]

use std::process::Command;

use readiness_core::masking::{MaskingWriter, canary_check};
use readiness_core::{Readiness, Status};

fn in_child(test: &str) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("CANARY_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}

fn is_child() -> bool {
    std::env::var_os("CANARY_CHILD").is_some()
}

async fn canary_status() -> (Status, String) {
    let readiness = Readiness::builder().include_registered(false).register(canary_check()).build().unwrap();
    let report = readiness.readiness().await;
    (report.checks[0].status, report.checks[0].outcome.output.clone().unwrap_or_default())
}

#[tokio::test]
async fn the_canary_passes_when_the_installed_subscriber_masks() {
    if !is_child() {
        return in_child("the_canary_passes_when_the_installed_subscriber_masks");
    }
    tracing_subscriber::fmt().with_writer(MaskingWriter::new(std::io::sink)).init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Pass, "{output}");
}

#[tokio::test]
async fn the_canary_fails_when_the_installed_subscriber_does_not_mask() {
    if !is_child() {
        return in_child("the_canary_fails_when_the_installed_subscriber_does_not_mask");
    }
    tracing_subscriber::fmt().with_writer(std::io::sink).init();
    let (status, output) = canary_status().await;
    assert_eq!(status, Status::Fail);
    assert!(output.contains("did not write the canary through a MaskingWriter"), "{output}");
}

#[tokio::test]
async fn the_canary_fails_when_warnings_are_filtered_out() {
    if !is_child() {
        return in_child("the_canary_fails_when_warnings_are_filtered_out");
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_writer(MaskingWriter::new(std::io::sink))
        .init();
    let (status, _) = canary_status().await;
    assert_eq!(status, Status::Fail);
}
