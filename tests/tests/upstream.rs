//! `upstream:<name>` against a second example-service instance as the upstream, over real HTTP:
//! its pass or warn carried across, its failure a warning here (no cascade) unless propagated.

use readiness_core::checks::upstream::UpstreamCheck;
use readiness_core::{Status, testing};
use readiness_tests::{ExampleService, STRONG_JWT_SECRET};

async fn status_of(service: &ExampleService) -> String {
    let report: serde_json::Value = reqwest::get(service.url("/readiness")).await.unwrap().json().await.unwrap();
    report["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_upstreams_own_status_is_carried_across_and_its_failure_does_not_cascade() {
    let healthy = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET)]);
    let own = status_of(&healthy).await;
    let result = testing::run_check(UpstreamCheck::new("example", &healthy.url("/readiness")).unwrap()).await;
    let expected = match own.as_str() {
        "pass" => Status::Pass,
        "warn" => Status::Warn,
        other => panic!("a configured example answers pass or warn, not {other}"),
    };
    assert_eq!(result.status, expected, "{:?}", result.outcome.output);

    // A weak JWT secret fails the upstream's critical check: 503, status fail.
    let failing = ExampleService::start(&[("JWT_SECRET", "changeme")]);
    assert_eq!(status_of(&failing).await, "fail");
    let url = failing.url("/readiness");
    let result = testing::run_check(UpstreamCheck::new("example", &url).unwrap()).await;
    assert_eq!(result.status, Status::Warn, "{:?}", result.outcome.output);
    let output = result.outcome.output.unwrap();
    assert!(output.contains("the upstream reports fail") && output.contains("`secrets:jwt`"), "{output}");
    let propagated = testing::run_check(UpstreamCheck::new("example", &url).unwrap().propagate_failure()).await;
    assert_eq!(propagated.status, Status::Fail);

    // The upstream gone: this service's readiness warns, it is not taken out of service.
    let port = failing.base_url().rsplit(':').next().unwrap().to_owned();
    drop(failing);
    let readiness = testing::builder()
        .register(UpstreamCheck::new("example", &format!("http://127.0.0.1:{port}/readiness")).unwrap())
        .build()
        .unwrap();
    let report = readiness.readiness().await;
    assert_eq!(report.status, Status::Warn);
    assert!(report.check("upstream:example").unwrap().outcome.output.as_deref().unwrap().contains("cannot be reached"));
}
