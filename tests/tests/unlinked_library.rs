//! A library crate the binary never references is dropped by the linker with its registrations;
//! the `readiness:registrations` self-check says so, with the remedy.

use readiness_core::{Readiness, Status};

#[tokio::test]
async fn an_unreferenced_library_is_caught_by_the_self_check() {
    let readiness = Readiness::builder().expect_registrations_from("registered_lib").build().unwrap();
    let report = readiness.readiness().await;
    let self_check = report.check("readiness:registrations").unwrap();
    assert_eq!(self_check.status, Status::Fail);
    let output = self_check.outcome.output.as_deref().unwrap();
    assert!(output.contains("add `use registered_lib as _;` to the binary"), "{output}");
    assert!(report.check("audit:sink").is_none());
    assert_eq!(report.status, Status::Fail);
    assert_eq!(readiness.startup().await.status, Status::Fail);
}
