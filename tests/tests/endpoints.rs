//! Every row of DESIGN §5 against the example service, over real HTTP.

use std::time::{Duration, Instant};

use readiness_tests::{ExampleService, STRONG_JWT_SECRET};

const TOKEN: &str = "e2e-detail-token-7Hq2Lx9Pz4Vb";

fn service() -> ExampleService {
    ExampleService::start(&[
        ("JWT_SECRET", STRONG_JWT_SECRET),
        ("READINESS_TOKEN", TOKEN),
        ("ATTESTATION_KEY", "b9361a7f1ba92122ba51ed376a45895c2514cbefd990867199f86d6ba19063f3"),
    ])
}

async fn get(url: String, headers: &[(&str, &str)]) -> (u16, String, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn every_route_of_the_http_contract() {
    let service = service();
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("authorization", bearer.as_str())];

    let (status, content_type, body) = get(service.url("/readiness"), &[]).await;
    assert_eq!((status, content_type.as_str()), (200, "application/health+json"), "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["checks"]["db:connections"][0], serde_json::json!({"status": "pass"}));

    let (_, content_type, body) = get(service.url("/readiness?verbose"), &[("accept", "text/plain")]).await;
    assert_eq!(content_type, "text/plain; charset=utf-8");
    assert!(body.contains("[+]db:connections ok\n") && body.ends_with("readiness check passed\n"), "{body}");

    let (_, _, body) =
        get(service.url("/readiness?format=text&verbose&exclude=db:connections&exclude=nope:x"), &[]).await;
    assert!(
        !body.contains("db:connections") && body.contains("note: excluded check `nope:x` does not exist"),
        "{body}"
    );

    let (status, _, body) = get(service.url("/readiness/db:connections"), &auth).await;
    assert_eq!(status, 200);
    assert!(body.contains("SELECT 1 answered on sqlite"), "{body}");
    let (status, content_type, _) = get(service.url("/readiness/no:such-check"), &[]).await;
    assert_eq!((status, content_type.as_str()), (404, "application/problem+json"));

    assert_eq!(get(service.url("/liveness"), &[]).await.0, 200);
    assert_eq!(get(service.url("/startup"), &[]).await.0, 200);

    assert_eq!(get(service.url("/readiness/checklist"), &[]).await.0, 401);
    let (status, content_type, body) =
        get(service.url("/readiness/checklist"), &[("accept", "text/html"), auth[0]]).await;
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"));
    assert!(body.contains("<h2>Security</h2>"));
    let (_, content_type, body) = get(service.url("/readiness/checklist?format=markdown"), &auth).await;
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(body.contains("- [x] Database connection pooling configured — **verified**"), "{body}");
    let (_, _, body) = get(service.url("/readiness/checklist"), &auth).await;
    let checklist: serde_json::Value = serde_json::from_str(&body).unwrap();
    let states: Vec<&str> =
        checklist["controls"].as_array().unwrap().iter().map(|c| c["attestation"].as_str().unwrap()).collect();
    for state in ["verified", "declared", "attested", "waived", "missing"] {
        assert!(states.contains(&state), "no control is {state}");
    }

    let (status, content_type, body) = get(service.url("/readiness/metrics"), &auth).await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain; version=0.0.4; charset=utf-8"));
    assert!(body.contains("readiness_http_requests_total"), "{body}");
    let (_, _, anonymous) = get(service.url("/readiness/metrics"), &[]).await;
    assert!(
        anonymous.contains("readiness_check_status{") && !anonymous.contains("readiness_http_requests_total"),
        "{anonymous}"
    );
    assert!(body.contains(r#"readiness_control_attestation{control="performance.scalability.db-pooling""#));

    assert_eq!(get(service.url("/readiness/attestation"), &[]).await.0, 401);
    // The executable's digest is read at startup, off the async threads: 503 until it is done.
    let waited = std::time::Instant::now();
    let (status, content_type, body) = loop {
        let answer = get(service.url("/readiness/attestation"), &auth).await;
        if answer.0 != 503 || waited.elapsed() > std::time::Duration::from_secs(20) {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((status, content_type.as_str()), (200, "application/vnd.dsse.envelope.v1+json"), "{body}");
    let envelope: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (status, content_type, keys) = get(service.url("/readiness/attestation/keys"), &[]).await;
    assert_eq!((status, content_type.as_str()), (200, "application/jwk-set+json"), "anonymous: {keys}");
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    assert_eq!(envelope["signatures"][0]["keyid"], keys["keys"][0]["kid"]);

    let (status, content_type, body) = get(service.url("/readiness?format=yaml"), &[]).await;
    assert_eq!((status, content_type.as_str()), (400, "application/problem+json"), "{body}");
    assert_eq!(get(service.url("/readiness"), &[("accept", "image/png")]).await.0, 406);
}

#[tokio::test]
async fn sigterm_fails_readiness_drains_and_finishes_in_flight_requests() {
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("DRAIN_MS", "1500")]);
    let client = reqwest::Client::new();
    assert_eq!(client.get(service.url("/readiness")).send().await.unwrap().status(), 200);

    let slow = tokio::spawn(client.get(service.url("/api/slow?ms=2500")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = std::process::Command::new("kill").args(["-TERM", &service.pid().to_string()]).status().unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Draining: readiness fails at once, liveness does not, and the service still answers.
    let readiness = client.get(service.url("/readiness")).send().await.unwrap();
    assert_eq!(readiness.status(), 503);
    let body = readiness.text().await.unwrap();
    assert!(body.contains("the service is shutting down"), "{body}");
    assert_eq!(client.get(service.url("/liveness")).send().await.unwrap().status(), 200);

    let finished = slow.await.unwrap().unwrap();
    assert_eq!(finished.status(), 200);
    assert_eq!(finished.text().await.unwrap(), "done after 2500 ms\n");

    let started = Instant::now();
    let (exit, stderr) = service.wait_for_exit(Duration::from_secs(10)).expect("the process exits after the drain");
    assert!(exit.success(), "exit {exit:?}: {stderr}");
    assert!(stderr.contains("example-service stopped"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_newcomer_without_configuration_gets_a_token_for_the_run_and_opens_the_page_in_a_browser() {
    use base64::Engine;
    let mut service = ExampleService::start(&[]);
    let line = service.next_stdout_line();
    let checklist = service.url("/readiness/checklist");
    assert!(line.starts_with(&format!("checklist: {checklist} (in a browser, sign in with any user name")), "{line}");
    let password = line.split("the password ").nth(1).unwrap().split(';').next().unwrap().to_owned();
    assert_eq!(password.len(), 32, "{line}");
    let browser = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
    let (status, _, _) = get(checklist.clone(), &browser).await;
    assert_eq!(status, 401);
    let authorization =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("newcomer:{password}")));
    let (status, content_type, page) = get(checklist, &[browser[0], ("authorization", authorization.as_str())]).await;
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"), "{page}");
    assert!(page.contains("What&#39;s next") && page.contains("<svg"), "{page}");

    let status = std::process::Command::new("kill").args(["-TERM", &service.pid().to_string()]).status().unwrap();
    assert!(status.success());
    let (_, logs) = service.wait_for_exit(Duration::from_secs(10)).expect("exits after SIGTERM");
    assert!(!logs.contains(&password), "the token made for the run never reaches the log:\n{logs}");
}

#[tokio::test]
async fn a_configured_token_is_never_printed() {
    let mut service = ExampleService::start(&[("READINESS_TOKEN", "configured-token-Xq7Lm2Pz9Wv4")]);
    let status = std::process::Command::new("kill").args(["-TERM", &service.pid().to_string()]).status().unwrap();
    assert!(status.success());
    assert_eq!(service.next_stdout_line(), "", "nothing after `listening on`");
}
