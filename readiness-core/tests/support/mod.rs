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

/// The replicated cluster of `scripts/pg-cluster.sh` (a primary archiving WAL on 55432, a
/// streaming standby on 55433), started once for this test binary; `None` after a skip line when
/// it cannot be started here (never under `CI=true`).
///
/// Tests that change the cluster (replay paused, an `archive_command`, extra WAL receivers) or
/// assert its exact state hold [`CLUSTER`] meanwhile.
pub(crate) fn replicated_cluster() -> Option<(String, String)> {
    static STARTED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-cluster.sh");
        let output = std::process::Command::new("bash").args([script, "start"]).output().map_err(|e| e.to_string())?;
        if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
    });
    match started {
        Ok(()) => Some((
            "postgres://postgres@127.0.0.1:55432/postgres".to_owned(),
            "postgres://postgres@127.0.0.1:55433/postgres".to_owned(),
        )),
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: the replicated cluster must start: {error}"
            );
            println!("SKIPPED: scripts/pg-cluster.sh could not start a replicated cluster: {error}");
            None
        }
    }
}

/// The CA of the replicated cluster's server certificates (for `sslmode=verify-full`).
pub(crate) const CLUSTER_CA: &str = "/tmp/readiness-pg-cluster/tls/ca.crt";
