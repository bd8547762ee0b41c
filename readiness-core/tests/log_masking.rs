//! Log masking against a corpus of true and false positives, through a real `fmt` subscriber.
#![cfg(feature = "log-masking")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use readiness_core::masking::MARKER;
use readiness_core::masking::{MaskingWriter, mask_bytes, mask_line};

const CORPUS: &str = include_str!("data/masking-corpus.txt");

#[test]
fn the_corpus_is_masked_exactly() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in CORPUS.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty()) {
        cases += 1;
        let (verdict, text) = line.split_once(' ').unwrap();
        let text = text.replace("\\n", "\n");
        let input = text.replace(['⟦', '⟧'], "");
        let masked = mask_line(&input);
        match verdict {
            "MASK" => {
                let secret = &text[text.find('⟦').unwrap() + '⟦'.len_utf8()..text.find('⟧').unwrap()];
                if masked.contains(secret) || !masked.contains(MARKER) {
                    failures.push(format!("not masked: {input:?} -> {masked:?}"));
                }
                // What is around the secret survives (the replacement is local).
                let before = &text[..text.find('⟦').unwrap()];
                let prefix: String = before.chars().take(6).collect();
                if !masked.starts_with(&prefix) {
                    failures.push(format!("context lost: {input:?} -> {masked:?}"));
                }
            }
            "KEEP" if masked != input => failures.push(format!("false positive: {input:?} -> {masked:?}")),
            _ => {}
        }
    }
    assert!(cases >= 35, "{cases} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Found by the `mask_bytes` fuzz target: an unquoted value ends at a closing bracket, so a
/// value masked already (`credentials: [REDACTED]`) was masked again up to the marker's own `]`
/// and grew a bracket each time (`[REDACTED]]`). Masking what is masked changes nothing: a line
/// goes through the masker more than once (a check output masked, then logged through the layer).
#[test]
fn masking_a_masked_line_changes_nothing() {
    let lines = CORPUS
        .lines()
        .filter_map(|line| line.strip_prefix("MASK ").or_else(|| line.strip_prefix("KEEP ")))
        .map(|line| line.replace("\\n", "\n").replace(['⟦', '⟧'], ""));
    let extra = ["credentials: user:pa55", "password=a b user=x", "token=[REDACTED] next", "api_key=x] y"];
    for line in lines.chain(extra.map(str::to_owned)) {
        let once = mask_line(&line).into_owned();
        assert_eq!(mask_line(&once), once, "{line:?}");
    }
    assert_eq!(mask_line("credentials: user:pa55"), "credentials: [REDACTED]");
}

#[test]
fn registered_secrets_are_masked_wherever_they_appear() {
    readiness_core::masking::register_secret("plain-registered-value-42");
    assert_eq!(mask_line("x plain-registered-value-42 y"), format!("x {MARKER} y"));
    assert_eq!(mask_line("xplain-registered-value-42y"), format!("x{MARKER}y"));
}

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

#[test]
fn the_writer_masks_every_event_of_a_real_subscriber_in_text_and_json() {
    let sink = Sink::default();
    let writer = MaskingWriter::new({
        let sink = sink.clone();
        move || sink.clone()
    });
    let text = tracing_subscriber::fmt().with_writer(writer.clone()).with_ansi(false).finish();
    tracing::subscriber::with_default(text, || {
        tracing::info!(password = "hunter2", user = "alice", "login");
        tracing::warn!("connecting to postgres://app:s3cr3t@db/orders");
    });
    let json = tracing_subscriber::fmt().json().with_writer(writer).finish();
    tracing::subscriber::with_default(json, || {
        tracing::info!(api_key = "k-123456789", "calling upstream");
    });
    let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    for leaked in ["hunter2", "s3cr3t", "k-123456789"] {
        assert!(!out.contains(leaked), "{leaked} leaked:\n{out}");
    }
    assert!(out.contains("user=\"alice\"") || out.contains("user=alice"), "{out}");
    assert_eq!(out.lines().count(), 3, "one line per event:\n{out}");
}

/// Arbitrary bytes built from the pieces the masker looks for (keys, separators, quotes,
/// escapes, anchors, URL parts, invalid UTF-8, cut anywhere): masking never panics, and a
/// registered secret placed among them never survives.
#[test]
fn masking_arbitrary_bytes_never_panics_and_always_masks_a_registered_secret() {
    const PIECES: &[&[u8]] = &[
        b"password",
        b"Authorization",
        b"api-key",
        b"token",
        b"=",
        b":",
        b" ",
        b"\"",
        b"'",
        b"\\",
        b"(",
        b")",
        b"Bearer ",
        b"eyJ",
        b"AKIA",
        b"-----BEGIN ",
        b"PRIVATE KEY-----",
        b"://",
        b"@",
        b"/",
        b"ghp_",
        b"sk_live_",
        b"\xff",
        b"\xc3",
        b"\xa9",
        b"abc",
        b"\n",
        b",",
        b"}",
    ];
    const SECRET: &str = "arbitrary-bytes-secret-Zq81";
    readiness_core::masking::register_secret(SECRET);
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..20_000 {
        let mut text = Vec::new();
        for _ in 0..rng.usize(..12) {
            text.extend_from_slice(PIECES[rng.usize(..PIECES.len())]);
        }
        let _ = mask_bytes(&text);
        let cut = rng.usize(..=text.len());
        text.splice(cut..cut, SECRET.bytes());
        let masked = mask_bytes(&text);
        assert!(
            !masked.windows(SECRET.len()).any(|window| window == SECRET.as_bytes()),
            "{:?}",
            String::from_utf8_lossy(&text)
        );
    }
}
