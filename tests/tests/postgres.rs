//! End-to-end against a real PostgreSQL: the example service switches to it for a `postgres://`
//! URL and reports on it.

use readiness_tests::{ExampleService, STRONG_JWT_SECRET, postgres_url};

#[tokio::test]
async fn the_example_service_reports_on_a_real_postgresql() {
    let Some(url) = postgres_url() else { return };
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("DATABASE_URL", &url)]);
    let response = reqwest::get(service.url("/readiness")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["db:connections"][0]["status"], "pass", "{body}");
}

#[tokio::test]
async fn wrong_postgresql_credentials_fail_readiness() {
    let Some(url) = postgres_url() else { return };
    // Same server, a role that does not exist.
    let (scheme, rest) = url.split_once("://").unwrap();
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    // With a strong password, so the secret is accepted and the role is what fails.
    let wrong = format!("{scheme}://no_such_role_e2e:Hq2Lx9Pz4Vb3KdVq8Lm2Xz7a@{host_and_path}");
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("DATABASE_URL", &wrong)]);
    let response = reqwest::get(service.url("/readiness")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["db:connections"][0]["status"], "fail", "{body}");
}
