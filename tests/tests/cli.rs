//! The `readiness` command against the running example service over real HTTP: the gate a CI
//! job puts after deploying to a test environment.

use std::process::Command;
use std::time::Duration;

use readiness_tests::{ExampleService, STRONG_JWT_SECRET, cli_binary};
use serde::Deserialize;

const TOKEN: &str = "e2e-cli-token-Hn4Wq8Rt2Lx";

/// What a fresh start verifies at runtime on any machine, without traffic first.
const PROVEN_AT_START: &str = "name: e2e
controls:
  - security.data.secrets
  - security.data.log-masking
  - security.data.tls-in-transit
  - performance.scalability.db-pooling
  - security.network.headers
  - security.network.cors
  - security.auth.rate-limiting
  - security.auth.jwt-validation
";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn readiness(args: &[&str], token: &str) -> Run {
    let output = Command::new(cli_binary()).args(args).env("READINESS_TOKEN", token).output().unwrap();
    let run = Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN), "the token is never printed");
    run
}

/// The example service, once its background log-masking canary has reported.
fn started() -> ExampleService {
    let service = ExampleService::start(&[("JWT_SECRET", STRONG_JWT_SECRET), ("READINESS_TOKEN", TOKEN)]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let report: serde_json::Value = client
                .get(service.url("/readiness/logs:masking"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if report["checks"]["logs:masking"][0]["status"] == "pass" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the canary never passed: {report}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    service
}

#[test]
fn the_production_profile_fails_the_job_with_a_readable_table() {
    let service = started();
    let run = readiness(&["check", service.base_url()], TOKEN);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("example-service 0.1.0"), "{}", run.stdout);
    assert!(run.stdout.contains("profile `production` not met"), "{}", run.stdout);
    assert!(run.stdout.contains("CONTROL") && run.stdout.contains("REASON / FIX"), "{}", run.stdout);
    // Nothing speaks for GDPR: missing, with the way to fix it.
    let row = run.stdout.lines().find(|line| line.trim_start().starts_with("compliance.privacy.gdpr")).unwrap();
    assert!(row.contains("missing"), "{row}");
    // An operator's waiver satisfies the profile, so it is not in the table.
    assert!(!run.stdout.contains("security.network.ddos"), "{}", run.stdout);
    // The example's profile is flat: a level cannot be asked of it.
    let level = readiness(&["check", service.base_url(), "--level", "bronze"], TOKEN);
    assert_eq!(level.code, 2);
    assert!(level.stderr.contains("has no level `bronze` (its levels: none)"), "{}", level.stderr);
}

#[test]
fn a_profile_the_fresh_start_proves_passes_the_job() {
    let service = started();
    let dir = std::env::temp_dir().join(format!("readiness-e2e-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("e2e.yaml");
    std::fs::write(&profile, PROVEN_AT_START).unwrap();
    let run = readiness(&["check", service.base_url(), "--profile", profile.to_str().unwrap()], TOKEN);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("profile `e2e` met: 8 of 8 required controls satisfied"), "{}", run.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_port_and_a_wrong_token_cannot_be_evaluated() {
    let service = started();
    let wrong = readiness(&["check", service.base_url()], "not-the-token");
    assert_eq!(wrong.code, 2);
    assert!(wrong.stderr.contains("refused the token (401)"), "{}", wrong.stderr);
    assert!(wrong.stdout.is_empty());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed = readiness(&["check", &format!("http://127.0.0.1:{port}")], TOKEN);
    assert_eq!(closed.code, 2);
    assert!(closed.stderr.contains("cannot be reached"), "{}", closed.stderr);
}

/// JUnit XML as a reader sees it: serde over quick-xml, attributes and children by name.
#[derive(Debug, Deserialize)]
struct TestSuites {
    testsuite: Vec<TestSuite>,
}

#[derive(Debug, Deserialize)]
struct TestSuite {
    #[serde(rename = "@tests")]
    tests: usize,
    #[serde(rename = "@failures")]
    failures: usize,
    #[serde(default)]
    testcase: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
struct TestCase {
    #[serde(rename = "@name")]
    name: String,
    failure: Option<Failure>,
}

#[derive(Debug, Deserialize)]
struct Failure {
    #[serde(rename = "@message")]
    message: String,
}

#[test]
fn junit_output_reads_as_one_case_per_control_with_the_unmet_ones_failing() {
    let service = started();
    let run = readiness(&["check", service.base_url(), "--format", "junit"], TOKEN);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let suites: TestSuites = quick_xml::de::from_str(&run.stdout).unwrap();
    let suite = &suites.testsuite[0];
    let json = readiness(&["check", service.base_url(), "--format", "json"], TOKEN);
    let verdict: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let unmet = verdict["verdict"]["unmet"].as_array().unwrap();
    assert_eq!(suite.tests, suite.testcase.len());
    assert!(suite.tests > 80, "every control of both catalogs: {}", suite.tests);
    assert_eq!(suite.failures, unmet.len(), "the unmet required controls, and only they, fail");
    let failing: Vec<&str> =
        suite.testcase.iter().filter(|case| case.failure.is_some()).map(|case| case.name.as_str()).collect();
    let expected: Vec<&str> = unmet.iter().map(|unmet| unmet["control"].as_str().unwrap()).collect();
    assert_eq!(sorted(failing), sorted(expected));
    let penetration = suite.testcase.iter().find(|case| case.name == "compliance.privacy.gdpr").unwrap();
    assert!(penetration.failure.as_ref().unwrap().message.starts_with("missing: "), "{penetration:?}");
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

#[test]
fn the_repositorys_manifest_fits_the_running_example() {
    let service = started();
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes.yaml");
    let run = readiness(&["probes", manifest.to_str().unwrap(), "--url", service.base_url()], TOKEN);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("deadline 900 ms from the service"), "{}", run.stdout);
    assert!(run.stdout.contains("GET /readiness: the service answers 200"), "{}", run.stdout);
}

#[test]
fn a_fresh_signed_statement_of_the_running_example_verifies_and_a_replay_does_not() {
    let service = ExampleService::start(&[
        ("JWT_SECRET", STRONG_JWT_SECRET),
        ("READINESS_TOKEN", TOKEN),
        ("ATTESTATION_KEY", "6a0d2e8f4b1c97a3d5e0f28b6c4a19d7e3b5f08a2c6d4e1b9f7a3c5e0d2b8f46"),
    ]);
    let binary = readiness_tests::example_binary();
    // The digest of the binary is read at startup: the first answers may be 503 (exit 2).
    let waited = std::time::Instant::now();
    let run = loop {
        let run = readiness(
            &[
                "verify",
                service.base_url(),
                "--key",
                service.base_url(),
                "--nonce",
                "e2e-n1",
                "--max-age",
                "1m",
                "--binary",
                binary.to_str().unwrap(),
            ],
            TOKEN,
        );
        if run.code != 2 || waited.elapsed() > Duration::from_secs(20) {
            break run;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ok    binary"), "{}", run.stdout);
    assert!(run.stdout.contains("example-service 0.1.0"), "{}", run.stdout);
    // The same envelope saved and presented to a verifier asking its own nonce: a replay.
    let saved = std::env::temp_dir().join(format!("readiness-e2e-envelope-{}.json", std::process::id()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let envelope = runtime.block_on(async {
        reqwest::Client::new()
            .get(service.url("/readiness/attestation?nonce=e2e-n1"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    std::fs::write(&saved, envelope).unwrap();
    let replay =
        readiness(&["verify", saved.to_str().unwrap(), "--key", service.base_url(), "--nonce", "e2e-n2"], TOKEN);
    assert_eq!(replay.code, 1, "{}", replay.stdout);
    assert!(replay.stdout.contains("a replay"), "{}", replay.stdout);
    let _ = std::fs::remove_file(saved);
}
