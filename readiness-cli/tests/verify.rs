//! `readiness verify` against readiness-axum's attestation routes on loopback, and against
//! envelopes changed the ways an attacker or a stale copy changes them.

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use readiness_core::output::{in_toto, jwks};
use serde_json::{Value, json};

const TOKEN: &str = "verify-test-detail-token-98765";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// A service signing its attestation with `key` (or unsigned), on a free loopback port.
fn service(signing: Option<SigningKey>) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let readiness = readiness_core::testing::builder().service("orders", "2.0.0").build().unwrap();
            let mut routes = readiness_axum::Routes::new(readiness).token(TOKEN);
            if let Some(key) = signing {
                routes = routes.signing_key(key);
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, routes.build::<()>().unwrap()).await.unwrap();
        });
    });
    let url = format!("http://{}", receiver.recv_timeout(Duration::from_secs(10)).unwrap());
    // The executable's digest is read at startup: wait until the attestation answers.
    let client = reqwest::blocking::Client::new();
    for _ in 0..400 {
        let status = client.get(format!("{url}/readiness/attestation")).bearer_auth(TOKEN).send().unwrap().status();
        if status != 503 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    url
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn verify(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_readiness"))
        .arg("verify")
        .args(args)
        .env("READINESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("readiness-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(name: &str, value: &Value) -> String {
    let path = dir().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.display().to_string()
}

fn fetch(url: &str) -> Value {
    reqwest::blocking::Client::new().get(url).bearer_auth(TOKEN).send().unwrap().json().unwrap()
}

/// The statement inside an envelope.
fn statement_of(envelope: &Value) -> Value {
    serde_json::from_slice(&STANDARD.decode(envelope["payload"].as_str().unwrap()).unwrap()).unwrap()
}

#[test]
fn a_fresh_envelope_from_the_service_verifies_with_its_key_set() {
    let url = service(Some(key()));
    let run = verify(&[&url, "--key", &url, "--nonce", "n-8f2a", "--max-age", "5m"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for line in ["ok    signature", "ok    nonce      `n-8f2a` echoed", "ok    age", "ok    expiry"] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
    assert!(run.stdout.contains(&format!("by key `{}`", jwks::key_id(&key().verifying_key()))), "{}", run.stdout);
    assert!(run.stdout.contains("orders 2.0.0"), "{}", run.stdout);
    // The subject is the running binary: the test process itself serves the routes.
    let me = std::env::current_exe().unwrap();
    let binary = verify(&[&url, "--key", &url, "--binary", me.to_str().unwrap()]);
    assert_eq!(binary.code, 0, "{}", binary.stdout);
    let other = verify(&[&url, "--key", &url, "--binary", env!("CARGO_BIN_EXE_readiness")]);
    assert_eq!(other.code, 1);
    assert!(other.stdout.contains("FAIL  binary"), "{}", other.stdout);
}

#[test]
fn a_changed_payload_another_key_a_lying_key_set_or_a_replay_is_invalid() {
    let url = service(Some(key()));
    let envelope = fetch(&format!("{url}/readiness/attestation?nonce=first"));
    let keys = write("keys.json", &fetch(&format!("{url}/readiness/attestation/keys")));
    let genuine = write("genuine.json", &envelope);
    assert_eq!(verify(&[&genuine, "--key", &keys, "--nonce", "first"]).code, 0);

    // One control's attestation raised in the payload.
    let mut statement = statement_of(&envelope);
    statement["predicate"]["coverage"]["verified"] = json!(83);
    let mut tampered = envelope.clone();
    tampered["payload"] = json!(STANDARD.encode(statement.to_string()));
    let run = verify(&[&write("tampered.json", &tampered), "--key", &keys]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("does not verify"), "{}", run.stdout);

    // Signed by another key: its id is not in the key set.
    let other = SigningKey::from_bytes(&[10; 32]);
    let forged = in_toto::envelope(&statement_of(&envelope), &other);
    let run = verify(&[&write("forged.json", &forged), "--key", &keys]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("no key in the key set has the id"), "{}", run.stdout);

    // A key set that labels the other key with the genuine id.
    let mut lying = jwks::key_set([&other.verifying_key()]);
    lying["keys"][0]["kid"] = json!(jwks::key_id(&key().verifying_key()));
    let relabelled = in_toto::envelope(&statement_of(&envelope), &other);
    let mut relabelled = relabelled;
    relabelled["signatures"][0]["keyid"] = json!(jwks::key_id(&key().verifying_key()));
    let run = verify(&[&write("relabelled.json", &relabelled), "--key", &write("lying.json", &lying)]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("is not the key that id derives from"), "{}", run.stdout);

    // Replayed: the captured envelope echoes another nonce, or none.
    let run = verify(&[&genuine, "--key", &keys, "--nonce", "second"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("asked `second`, the statement echoes `first`: a replay"), "{}", run.stdout);
    let without = write("without.json", &fetch(&format!("{url}/readiness/attestation")));
    assert_eq!(verify(&[&without, "--key", &keys, "--nonce", "second"]).code, 1);
}

#[test]
fn an_old_or_expired_statement_is_invalid_even_when_genuinely_signed() {
    let url = service(Some(key()));
    let keys = write("age-keys.json", &fetch(&format!("{url}/readiness/attestation/keys")));
    let mut statement = statement_of(&fetch(&format!("{url}/readiness/attestation")));
    statement["predicate"]["generated_at"] = json!("2026-01-01T00:00:00Z");
    statement["predicate"]["expires_at"] = json!("2099-01-01T00:00:00Z");
    let old = write("old.json", &in_toto::envelope(&statement, &key()));
    assert_eq!(verify(&[&old, "--key", &keys]).code, 0, "no --max-age: age alone is not judged");
    let run = verify(&[&old, "--key", &keys, "--max-age", "1h"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("older than --max-age 1h"), "{}", run.stdout);
    statement["predicate"]["expires_at"] = json!("2026-01-01T00:10:00Z");
    let expired = write("expired.json", &in_toto::envelope(&statement, &key()));
    let run = verify(&[&expired, "--key", &keys]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("expired at"), "{}", run.stdout);
}

#[test]
fn an_unsigned_statement_is_invalid_and_bad_input_cannot_be_evaluated() {
    let unsigned = service(None);
    let run = verify(&[&unsigned, "--key", &unsigned]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("a bare statement, not a DSSE envelope: it is unsigned"), "{}", run.stdout);

    let url = service(Some(key()));
    let not_a_key_set = write("not-keys.json", &json!({"kty": "OKP"}));
    let run = verify(&[&url, "--key", &not_a_key_set]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not a JWK Set"), "{}", run.stderr);
    let run = verify(&[&url, "--key", &url, "--nonce", "has space"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--nonce: a nonce is 1 to 64 URL-safe characters"), "{}", run.stderr);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert_eq!(verify(&[&format!("http://{closed}"), "--key", &url]).code, 2);
    assert_eq!(verify(&[&url, "--key", &url, "--max-age", "soon"]).code, 2);
}

/// One change to a statement before it is signed.
type Change = fn(&mut Value);

#[test]
fn a_genuine_signature_over_the_wrong_thing_is_invalid() {
    let url = service(Some(key()));
    let keys = write("wrong-keys.json", &fetch(&format!("{url}/readiness/attestation/keys")));
    let statement = statement_of(&fetch(&format!("{url}/readiness/attestation")));
    let signed = |name: &str, change: Change| {
        let mut statement = statement.clone();
        change(&mut statement);
        write(name, &in_toto::envelope(&statement, &key()))
    };
    let cases: [(&str, Change, &str); 4] = [
        (
            "other-predicate.json",
            |s| s["predicateType"] = json!("https://slsa.dev/provenance/v1"),
            "not a readiness statement",
        ),
        ("future.json", |s| s["predicate"]["generated_at"] = json!("2099-01-01T00:00:00Z"), "is in the future"),
        (
            "no-expiry.json",
            |s| {
                s["predicate"].as_object_mut().unwrap().remove("expires_at");
            },
            "no readable expires_at",
        ),
        ("other-type.json", |s| s["_type"] = json!("https://example.invalid/Statement"), "not a readiness statement"),
    ];
    for (name, change, expected) in cases {
        let run = verify(&[&signed(name, change), "--key", &keys]);
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        assert!(run.stdout.contains(expected), "{name}: {}", run.stdout);
    }
    // The signature is over the payload type too: another one is refused.
    let mut envelope = fetch(&format!("{url}/readiness/attestation"));
    envelope["payloadType"] = json!("application/json");
    let run = verify(&[&write("payload-type.json", &envelope), "--key", &keys]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("payloadType is `application/json`"), "{}", run.stdout);
    let run = verify(&[&write("not-an-envelope.json", &json!({"signatures": []})), "--key", &keys]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("not a DSSE envelope"), "{}", run.stdout);
}
