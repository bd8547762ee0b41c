//! End-to-end: the example service as a real process, over real HTTP.

use readiness_tests::{ExampleService, STRONG_JWT_SECRET};

#[tokio::test]
async fn a_healthy_service_answers_200_with_health_json() {
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET)]);
    // Traffic first: with no request served the error-rate and latency checks cannot tell.
    for _ in 0..3 {
        assert!(reqwest::get(service.url("/")).await.unwrap().status().is_success());
    }
    // The log-masking canary is a background check (issue 10): its first run comes within the
    // runner's start-up jitter; until then the report shows it not yet checked.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let (response, body) = loop {
        let response = reqwest::get(service.url("/readiness")).await.unwrap();
        let headers = (response.status(), response.headers().clone());
        let body: serde_json::Value = response.json().await.unwrap();
        if body["checks"]["logs:masking"][0]["status"] == "pass" || std::time::Instant::now() > deadline {
            break (headers, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(response.0, 200);
    assert_eq!(response.1["content-type"], "application/health+json");
    assert_eq!(response.1["cache-control"], "no-store");
    // `build:info` passes only for a build made in CI (and warns the report otherwise); every
    // other check of a configured instance passes.
    let built_in_ci = option_env!("CI").is_some_and(|ci| !ci.is_empty() && ci != "false");
    if built_in_ci {
        assert_eq!(body["checks"]["build:info"][0]["status"], "pass");
    }
    assert_eq!(body["status"], if built_in_ci { "pass" } else { "warn" }, "{body}");
    assert_eq!(body["serviceId"], "example-service");
    assert_eq!(body["checks"]["db:connections"][0]["status"], "pass");
    assert_eq!(body["checks"]["secrets:jwt"][0]["status"], "pass");

    let liveness = reqwest::get(service.url("/liveness")).await.unwrap();
    assert_eq!(liveness.status(), 200);
}

#[tokio::test]
async fn a_failing_critical_check_answers_503() {
    let service = ExampleService::start(&[("JWT_SECRET", "changeme")]);
    let response = reqwest::get(service.url("/readiness")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "fail");
    assert_eq!(body["checks"]["secrets:jwt"][0]["status"], "fail");
    assert_eq!(body["checks"]["db:connections"][0]["status"], "pass");
    // Liveness does not depend on configuration or dependencies.
    assert_eq!(reqwest::get(service.url("/liveness")).await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_unreachable_database_fails_readiness_without_crashing() {
    let service = ExampleService::start(&[
        ("JWT_SECRET", STRONG_JWT_SECRET),
        ("DATABASE_URL", "postgres://nobody:pw-e2e-closed-port@127.0.0.1:1/none"),
    ]);
    let response = reqwest::get(service.url("/readiness")).await.unwrap();
    assert_eq!(response.status(), 503);
    let text = response.text().await.unwrap();
    assert!(text.contains(r#""db:connections":[{"status":"fail"}]"#), "{text}");
    assert!(!text.contains("pw-e2e-closed-port"));
}

#[test]
fn the_secret_never_reaches_the_logs() {
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET)]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        reqwest::get(service.url("/readiness")).await.unwrap();
    });
    // SIGKILL via drop would lose nothing: stderr is read after exit.
    let pid = service.pid();
    let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let (_, stderr) = service.wait_for_exit(std::time::Duration::from_secs(10)).expect("exits after SIGTERM");
    assert!(stderr.contains("example-service started"), "{stderr}");
    assert!(!stderr.contains(STRONG_JWT_SECRET));
}
