//! The log-masking canary goes through the *installed global* subscriber; each case runs in its
//! own process because a process has one global subscriber.
#![cfg(feature = "log-masking")]

use readiness_core::Status;
use readiness_core::masking::{MaskingWriter, canary_check};
use readiness_core::testing::{self, ChildTest};

async fn canary_status() -> (Status, String) {
    let readiness = readiness_core::testing::builder().register(canary_check()).build().unwrap();
    let report = readiness.readiness().await;
    (report.checks[0].status, report.checks[0].outcome.output.clone().unwrap_or_default())
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
    assert!(output.starts_with("cannot tell: "), "{output}");
}
