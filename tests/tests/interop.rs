//! Interop (DESIGN §10): what the running example serves, judged by independent
//! implementations installed by `tests/interop/setup.sh` into `target/interop-venv`:
//! securesystemslib verifies the DSSE envelope with the key of the JWK Set endpoint, and
//! compliance-trestle loads the OSCAL assessment results. Without the venv the tests print a
//! skip line, except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use readiness_tests::{ExampleService, STRONG_JWT_SECRET};

const TOKEN: &str = "interop-token-Qm7Wv2Xc9Lr4";
const ATTESTATION_KEY: &str = "3f9a1c7e5b2d8046a1e9c3b7d5f20a8e6c4b1d9f7a3e5c0b2d8f6a4c1e9b7d35";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The venv's Python, or `None` after a skip line (never under `CI=true`).
fn python() -> Option<PathBuf> {
    let python = root().join("target/interop-venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the interop judges are required; run `bash tests/interop/setup.sh`"
    );
    println!("SKIPPED: no {}; run `bash tests/interop/setup.sh` to install the interop judges", python.display());
    None
}

/// Runs a judge; its exit code, stdout and stderr.
fn judge(python: &Path, script: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(python).arg(root().join("tests/interop").join(script)).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn started() -> ExampleService {
    ExampleService::start(&[
        ("JWT_SECRET", STRONG_JWT_SECRET),
        ("READINESS_TOKEN", TOKEN),
        ("ATTESTATION_KEY", ATTESTATION_KEY),
    ])
}

/// GETs `path` with the token, waiting out the 503 of the executable digest at startup.
fn fetch(service: &ExampleService, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        loop {
            let response = client.get(service.url(path)).bearer_auth(TOKEN).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            if status == 200 {
                return body;
            }
            assert!(status == 503 && started.elapsed() < Duration::from_secs(20), "{path}: {status} {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

fn temp(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("readiness-interop-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn securesystemslib_verifies_the_envelope_with_the_served_key_and_refuses_a_tampered_one() {
    let Some(python) = python() else { return };
    let service = started();
    let envelope = fetch(&service, "/readiness/attestation?nonce=interop-n1");
    let keys = temp("keys.json", &fetch(&service, "/readiness/attestation/keys"));
    let genuine = temp("envelope.json", &envelope);
    let (code, stdout, stderr) = judge(&python, "dsse_securesystemslib.py", &[&genuine, &keys, "interop-n1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("\"payload_type\": \"application/vnd.in-toto+json\""), "{stdout}");

    // A payload changed by one byte: the signature no longer holds.
    let mut document: serde_json::Value = serde_json::from_str(&envelope).unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    let payload = engine.decode(document["payload"].as_str().unwrap()).unwrap();
    let original = String::from_utf8(payload).unwrap();
    let changed = original.replacen("\"failing\"", "\"verified\"", 1);
    assert_ne!(changed, original, "the example has a failing control to raise");
    document["payload"] = engine.encode(changed).into();
    let tampered = temp("tampered.json", &document.to_string());
    let (code, _, stderr) = judge(&python, "dsse_securesystemslib.py", &[&tampered, &keys, "interop-n1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("does not verify"), "{stderr}");

    // The genuine envelope, presented to a verifier that asked another nonce.
    let (code, _, stderr) = judge(&python, "dsse_securesystemslib.py", &[&genuine, &keys, "interop-n2"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("the nonce is 'interop-n1', not 'interop-n2'"), "{stderr}");
}

#[test]
fn compliance_trestle_loads_the_oscal_assessment_results_and_two_runs_are_comparable() {
    let Some(python) = python() else { return };
    let service = started();
    let first = fetch(&service, "/readiness/checklist?format=oscal");
    let (code, stdout, stderr) = judge(&python, "oscal_trestle.py", &[&temp("first.json", &first)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let read: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(read["oscal_version"], "1.1.2");
    assert_eq!(read["observations"], 83);
    let findings = read["findings"].as_object().unwrap();
    assert_eq!(findings.len(), 83);
    assert_eq!(findings["security.data.secrets"], "satisfied", "verified by the running service");
    assert_eq!(findings["compliance.privacy.gdpr"], "not-satisfied", "nothing speaks for it");

    // A later run of the same build: the same finding UUIDs, a new document UUID.
    std::thread::sleep(Duration::from_millis(1100));
    let second = fetch(&service, "/readiness/checklist?format=oscal");
    let uuids = |text: &str| {
        let document: serde_json::Value = serde_json::from_str(text).unwrap();
        let results = &document["assessment-results"];
        let findings: Vec<String> = results["results"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| finding["uuid"].as_str().unwrap().to_owned())
            .collect();
        (results["uuid"].as_str().unwrap().to_owned(), findings)
    };
    let (first_document, first_findings) = uuids(&first);
    let (second_document, second_findings) = uuids(&second);
    assert_eq!(first_findings, second_findings);
    assert_ne!(first_document, second_document);

    // A damaged document is refused: trestle is a judge, not a JSON parser.
    let mut broken: serde_json::Value = serde_json::from_str(&first).unwrap();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "verified".into();
    let (code, _, stderr) = judge(&python, "oscal_trestle.py", &[&temp("broken.json", &broken.to_string())]);
    assert_eq!(code, 1, "{stderr}");

    // The CLI writes the same kind of document from the checklist.
    let output = Command::new(readiness_tests::cli_binary())
        .args(["check", service.base_url(), "--format", "oscal", "-q"])
        .env("READINESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "production is not met");
    let from_cli = String::from_utf8(output.stdout).unwrap();
    let (code, stdout, stderr) = judge(&python, "oscal_trestle.py", &[&temp("cli.json", &from_cli)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// Node and the browser judge, or `None` after a skip line (never under `CI=true`).
fn browser_judge() -> Option<()> {
    let ready = root().join("tests/interop/node_modules/axe-core").exists()
        && Command::new("chromium").arg("--version").output().is_ok_and(|output| output.status.success())
        && Command::new("node").arg("--version").output().is_ok_and(|output| output.status.success());
    if ready {
        return Some(());
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the browser judge is required; run `bash tests/interop/setup.sh`"
    );
    println!("SKIPPED: node, Chromium or axe-core is missing; run `bash tests/interop/setup.sh`");
    None
}

fn axe(url: &str, user: &str, password: &str) -> (i32, String, String) {
    let output = Command::new("node")
        .arg(root().join("tests/interop/axe_chromium.mjs"))
        .args([url, user, password])
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_checklist_page_opened_in_chromium_with_basic_auth_has_no_wcag_violations() {
    let Some(()) = browser_judge() else { return };
    let service = started();
    let url = service.url("/readiness/checklist");
    let (code, stdout, stderr) = axe(&url, "auditor", TOKEN);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["title"], "Production readiness: example-service 0.1.0");
    assert_eq!(result["violations"], serde_json::json!([]));
    assert!(result["passes"].as_u64().unwrap() > 10, "axe ran its rules: {result}");
    // The wrong password: the browser gets the 401, not the page.
    let (code, _, stderr) = axe(&url, "auditor", "not-the-token");
    assert_eq!(code, 1);
    assert!(stderr.contains("the page answered 401"), "{stderr}");
}

#[test]
fn the_browser_judge_finds_violations_where_there_are_some() {
    let Some(()) = browser_judge() else { return };
    // A page with the faults axe must catch: no language, an image without a text alternative,
    // light grey text on white.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut request = [0; 4096];
            let _ = stream.read(&mut request);
            let body = "<!DOCTYPE html><html><head><title>bad</title></head><body><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"><p style=\"color:#ddd\">faint</p></body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let (code, stdout, stderr) = axe(&url, "x", "y");
    assert_eq!(code, 1, "{stdout}{stderr}");
    for rule in ["html-has-lang", "image-alt", "color-contrast"] {
        assert!(stdout.contains(&format!("\"id\":\"{rule}\"")), "{rule}: {stdout}");
    }
}

#[test]
fn grpcio_health_checking_reads_the_examples_grpc_health_and_sees_shutdown() {
    let Some(python) = python() else { return };
    let mut service = ExampleService::start(&[
        ("JWT_SECRET", STRONG_JWT_SECRET),
        ("READINESS_TOKEN", TOKEN),
        ("GRPC_ADDR", "127.0.0.1:0"),
    ]);
    let line = service.next_stdout_line();
    let address = line.trim().strip_prefix("grpc health on ").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    let ask =
        |method: &str, name: &str| judge(&python, "health_grpcio.py", &[&address, method, name]).1.trim().to_owned();
    // The example's critical checks pass on a fresh start: serving, as GET /readiness says 200.
    let mut status = ask("check", "");
    for _ in 0..50 {
        if status == "SERVING" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        status = ask("check", "");
    }
    assert_eq!(status, "SERVING");
    assert_eq!(ask("check", "liveness"), "SERVING");
    assert_eq!(ask("check", "orders.v1.Orders"), "NOT_FOUND");
    // A watcher sees the status now, then NOT_SERVING once SIGTERM starts the drain.
    let mut watcher = Command::new(&python)
        .arg(root().join("tests/interop/health_grpcio.py"))
        .args([address.as_str(), "watch", "", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(watcher.stdout.take().unwrap()));
    assert_eq!(lines.next().unwrap().unwrap(), "SERVING");
    assert!(Command::new("kill").args(["-TERM", &service.pid().to_string()]).status().unwrap().success());
    assert_eq!(lines.next().unwrap().unwrap(), "NOT_SERVING");
    assert!(watcher.wait().unwrap().success());
}
