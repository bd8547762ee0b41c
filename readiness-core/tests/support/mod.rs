//! What the built-in checks' tests share: run one check the way a service would, with room for
//! slow real dependencies, and read what it said as plain values.

// Each test binary compiles this module and reads only the fields it needs.
#![allow(dead_code)]

use std::time::Duration;

use readiness_core::{CheckRegistration, Status, testing};

/// What one run of a check said.
pub(crate) struct Ran {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) output: String,
    pub(crate) observed: serde_json::Value,
    pub(crate) evidence: serde_json::Value,
}

/// Runs `registration` alone, once, with room for a slow real dependency: a 4 s check timeout
/// inside a 5 s report deadline.
pub(crate) async fn run_one(registration: CheckRegistration) -> Ran {
    let builder = testing::builder().deadline(Duration::from_secs(5)).default_timeout(Duration::from_secs(4));
    let check = testing::run_check_in(builder, registration).await;
    Ran {
        name: check.name.clone(),
        status: check.outcome.status,
        output: check.outcome.output.clone().unwrap_or_default(),
        observed: check.outcome.observed_value.clone().unwrap_or_default(),
        evidence: serde_json::to_value(&check.outcome.evidence).expect("evidence serializes"),
    }
}

/// `READINESS_TEST_DATABASE_URL`, or `None` after a skip line when no server answers (a
/// missing server fails under `CI=true`).
pub(crate) fn postgres_url() -> Option<String> {
    let url = std::env::var("READINESS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let reachable = std::net::TcpStream::connect_timeout(&"127.0.0.1:5432".parse().unwrap(), Duration::from_secs(2))
        .is_ok()
        || !url.contains("127.0.0.1:5432");
    if reachable {
        return Some(url);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: PostgreSQL must answer");
    println!("SKIPPED: no PostgreSQL server answers at 127.0.0.1:5432");
    None
}
