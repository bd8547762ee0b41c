//! The ways a registered secret or a sensitive field used to reach the log past the masker
//! (issue 10), each through a real `tracing_subscriber::fmt` subscriber writing through
//! `MaskingWriter`, and the other way round: what is no secret is not lost.
#![cfg(feature = "log-masking")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use readiness_core::masking::{self, MARKER, MaskingWriter, mask_line};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn writer(sink: &Sink) -> MaskingWriter<impl Fn() -> Sink + Clone + use<>> {
    let sink = sink.clone();
    MaskingWriter::new(move || sink.clone())
}

/// What `log` writes through a text formatter (colour on or off) and a JSON one.
fn logged(ansi: bool, log: impl Fn()) -> String {
    let sink = Sink::default();
    let text = tracing_subscriber::fmt().with_writer(writer(&sink)).with_ansi(ansi).finish();
    tracing::subscriber::with_default(text, &log);
    let json = tracing_subscriber::fmt().json().with_writer(writer(&sink)).finish();
    tracing::subscriber::with_default(json, &log);
    sink.text()
}

fn assert_hidden(out: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!out.contains(secret), "{secret:?} reached the log:\n{out}");
    }
    assert!(out.contains(MARKER), "nothing masked:\n{out}");
}

#[test]
fn colour_codes_between_a_key_and_its_value_do_not_hide_it() {
    // The example turns colour on for a terminal: the formatter then writes
    // `ESC[3mpassword ESC[0m ESC[2m= ESC[0m value`.
    let out = logged(true, || {
        tracing::info!(password = "hunter2-colour", "login");
        tracing::info!(api_key = %"k-colour-display-value", "call");
        tracing::info!(client_secret = ?"debug-colour-secret", user = "alice", "token exchange");
    });
    assert!(out.contains('\u{1b}'), "the formatter wrote no colour codes:\n{out}");
    assert_hidden(&out, &["hunter2-colour", "k-colour-display-value", "debug-colour-secret"]);
    assert!(out.contains("alice"), "the next field survives:\n{out}");
}

#[test]
fn a_registered_secret_is_found_escaped_and_encoded() {
    let secret = r#"Zq"8\vL/m+e2 ü-Registered"#;
    masking::register_secret(secret);
    let standard = base64::engine::general_purpose::STANDARD;
    let url_safe = base64::engine::general_purpose::URL_SAFE;
    let forms = [
        ("Debug-escaped", format!("{secret:?}")),
        ("JSON-escaped", serde_json::to_string(secret).unwrap()),
        (
            "percent-encoded",
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC).to_string(),
        ),
        ("form-encoded", form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()),
        ("base64", standard.encode(secret)),
        ("base64 URL-safe", url_safe.encode(secret)),
        ("base64 after one byte", standard.encode(format!("u{secret}"))),
        ("base64 after two bytes", url_safe.encode(format!("us{secret}"))),
        ("base64 of user:password", standard.encode(format!("alice:{secret}"))),
    ];
    // Logged with `?`, the text formatter writes it Debug-escaped and the JSON one escapes that.
    let out = logged(false, || tracing::info!(value = ?secret, "debug"));
    assert!(!out.contains("vL/m+e2") && out.contains(MARKER), "{out}");
    for (how, form) in &forms {
        let out = logged(false, || tracing::info!(payload = %form, "sending"));
        // What is left of the form must not hold the secret's encoding either: no 8 characters
        // of it in a row survive.
        let core = &form[form.len() / 2 - 4..form.len() / 2 + 4];
        assert!(!out.contains(core), "{how}: {form} reached the log:\n{out}");
        assert!(out.contains(MARKER), "{how}: nothing masked:\n{out}");
    }
}

#[test]
fn the_password_of_a_registered_url_is_masked_when_the_url_is_logged_in_parts() {
    masking::register_secret("postgres://app:Pw%40d-for-the-db-9@db.internal:5432/app");
    let out = logged(false, || {
        tracing::info!(host = "db.internal", user = "app", pass_part = "Pw%40d-for-the-db-9", "connecting");
        tracing::info!("decoded password {}", "Pw@d-for-the-db-9");
    });
    assert_hidden(&out, &["Pw%40d-for-the-db-9", "Pw@d-for-the-db-9"]);
    assert!(out.contains("db.internal") && out.contains("app"), "{out}");
}

#[test]
fn one_event_written_in_several_pieces_is_masked_as_one() {
    let sink = Sink::default();
    let writer = writer(&sink);
    {
        // A private key written line by line, each piece ending with a newline: masked line by
        // line, the body between the markers leaked.
        let mut event = writer.make_writer();
        event.write_all(b"loaded -----BEGIN PRIVATE KEY-----\n").unwrap();
        event.write_all(b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n").unwrap();
        event.write_all(b"-----END PRIVATE KEY----- ok\n").unwrap();
    }
    {
        // A registered secret cut in two by the writes.
        masking::register_secret("split-across-writes-secret-77");
        let mut event = writer.make_writer();
        write!(event, "value split-across-").unwrap();
        writeln!(event, "writes-secret-77 done").unwrap();
    }
    let out = sink.text();
    assert_hidden(&out, &["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "split-across-writes-secret-77"]);
    assert!(out.starts_with("loaded -----BEGIN ") && out.contains(" ok\n") && out.contains(" done\n"), "{out}");
}

#[test]
fn sensitive_field_names_are_recognised_by_their_words() {
    let out = logged(false, || {
        tracing::info!(
            secret_key = "v-secret-key",
            aws_secret_access_key = "v-aws-secret",
            passphrase = "v-passphrase",
            api_key = "v-api-key",
            client_secret = "v-client-secret",
            private_key = "v-private-key",
            credentials = "v-credentials",
            "config"
        );
    });
    assert_hidden(
        &out,
        &[
            "v-secret-key",
            "v-aws-secret",
            "v-passphrase",
            "v-api-key",
            "v-client-secret",
            "v-private-key",
            "v-credentials",
        ],
    );
    for line in [
        r#"{"clientSecret":"v-camel-secret","x-api-key":"v-header-key"}"#,
        "DB_PASSWORD=v-env-password HOME=/root",
        "Proxy-Authorization: Basic djEtYmFzaWM=",
    ] {
        let masked = mask_line(line);
        assert!(!masked.contains("v-") && !masked.contains("djEtYmFzaWM"), "{line} -> {masked}");
    }
    assert_eq!(mask_line("DB_PASSWORD=v-env-password HOME=/root"), format!("DB_PASSWORD={MARKER} HOME=/root"));
}

#[test]
fn what_is_no_secret_is_not_lost() {
    let out = logged(false, || {
        tracing::info!(details_token = false, token_count = 3, password_policy = "strict", "started");
        tracing::info!(secret_name = "db-credentials", token_expires = "2026-12-31", "rotation due");
    });
    for kept in ["details_token=false", "token_count=3", "password_policy=\"strict\"", "secret_name=\"db-credentials\""]
    {
        assert!(out.contains(kept), "{kept} was masked:\n{out}");
    }
    assert!(out.contains(r#""details_token":false"#), "{out}");
    assert!(!out.contains(MARKER), "{out}");
    // A value that is only spelled like a boolean, quoted, is still a secret.
    assert_eq!(mask_line(r#"password="false""#), format!("password=\"{MARKER}\""));
}

/// Found by the `sensitive_field` fuzz target: the search reports matches that do not overlap,
/// so the anchor `AKIA` hid the stem `Auth` starting at its last byte, and the name was never
/// judged.
#[test]
fn a_sensitive_name_overlapping_a_pattern_anchor_is_still_judged() {
    for line in [
        "Proxy-AAKIAuthorization: Some(\"v4lue-of-fuzz\")",
        "AKIAuthorization=v4lue-of-fuzz",
        "xASIAuth_token=\"v4lue-of-fuzz\"",
        "eyJwt=v4lue-of-fuzz",
    ] {
        let masked = readiness_core::masking::mask_line(line);
        assert!(!masked.contains("v4lue-of-fuzz"), "{line} → {masked}");
    }
}
