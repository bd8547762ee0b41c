//! Log masking for `tracing` (feature `log-masking`): a [`MakeWriter`] wrapper that masks every
//! line a formatter writes, a ready-made `fmt` layer using it, and the canary check that proves
//! masking is in place in the **installed** subscriber (`security.data.log-masking`).
//!
//! Masking happens in the order of DESIGN §8:
//!
//! 1. values of fields whose **names** are sensitive (`password`, `token`, `authorization`,
//!    `secret`, `api_key`, `cookie`, …), in `key=value`, `key="value"` and `"key":"value"` forms;
//! 2. the **exact values** of every secret registered with [`crate::masking`];
//! 3. default **patterns**: JWTs, AWS access key ids, PEM private keys, bearer tokens, GitHub,
//!    Slack and Stripe tokens, passwords in connection strings — behind an Aho-Corasick
//!    prefilter on their literal anchors, so lines without any anchor skip the regexes.
//!
//! ```
//! use readiness_core::log_masking::MaskingWriter;
//! use tracing_subscriber::fmt::MakeWriter;
//!
//! let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! let sink = out.clone();
//! let writer = MaskingWriter::new(move || SharedBuf(sink.clone()));
//! let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(password = "hunter2", url = "postgres://app:s3cr3t@db/app", "login");
//! });
//! let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
//! assert!(text.contains(r#"password="[REDACTED]""#), "{text}");
//! assert!(!text.contains("hunter2") && !text.contains("s3cr3t"));
//! assert!(text.contains("postgres://app:[REDACTED]@db/app"));
//! # struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
//! # impl std::io::Write for SharedBuf {
//! #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
//! #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! # }
//! ```

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use aho_corasick::AhoCorasick;
use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;

use crate::check::{CheckRegistration, CheckSpec, Outcome, check_fn};
use crate::masking::{self, MARKER};

/// Field names whose values are always masked (matched case-insensitively, `-` or `_` between
/// words).
pub const SENSITIVE_FIELDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "set_cookie",
    "private_key",
    "session_id",
    "credentials",
];

struct Rules {
    fields_prefilter: AhoCorasick,
    fields: Regex,
    patterns_prefilter: AhoCorasick,
    patterns: Vec<(Regex, Replacement)>,
}

/// How a pattern's match is replaced.
#[derive(Clone, Copy)]
enum Replacement {
    /// The whole match.
    Whole,
    /// Only the capture group named `secret`.
    Group,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let names = SENSITIVE_FIELDS.iter().map(|name| name.replace('_', "[-_]?")).collect::<Vec<_>>().join("|");
    // key=value, key="value", key: value, "key":"value", key: Bearer value — the value is
    // group 1 (quoted) or 2; an authorization scheme stays readable.
    let fields = Regex::new(&format!(
        r#"(?i)\b[\w.-]*?(?:{names})"?\s*[=:]\s*(?:"((?:[^"\\]|\\.)*)"|(?:(?:bearer|basic|token|digest)\s+)?([^\s,;&"}}\]]+))"#
    ))
    .expect("the field-name expression is valid");
    let fields_prefilter = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["pass", "pwd", "secret", "token", "key", "auth", "cookie", "session", "credential"])
        .expect("the field-name anchors are valid");
    let patterns = vec![
        (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----", Replacement::Whole),
        (r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}", Replacement::Whole),
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", Replacement::Whole),
        (r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})", Replacement::Group),
        (r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b", Replacement::Whole),
        (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", Replacement::Whole),
        (r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b", Replacement::Whole),
        (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:(?P<secret>[^@\s/]+)@", Replacement::Group),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("the default patterns are valid"), replacement))
    .collect();
    let patterns_prefilter = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["-----BEGIN", "eyJ", "AKIA", "ASIA", "bearer", "gh", "github_pat_", "xox", "_live_", "_test_", "://"])
        .expect("the pattern anchors are valid");
    Rules { fields_prefilter, fields, patterns_prefilter, patterns }
});

/// Masks one piece of log text: sensitive field values, registered secrets, default patterns.
pub fn mask_line(text: &str) -> Cow<'_, str> {
    let rules = &*RULES;
    let mut text = Cow::Borrowed(text);
    if rules.fields_prefilter.is_match(text.as_ref()) {
        let replaced = rules.fields.replace_all(&text, |captures: &regex::Captures<'_>| {
            let whole = captures.get(0).map_or("", |m| m.as_str());
            let value = captures.get(1).or_else(|| captures.get(2));
            match value {
                Some(value) => {
                    let start = value.start() - captures.get(0).map_or(0, |m| m.start());
                    format!("{}{MARKER}{}", &whole[..start], &whole[start + value.len()..])
                }
                None => whole.to_owned(),
            }
        });
        if let Cow::Owned(owned) = replaced {
            text = Cow::Owned(owned);
        }
    }
    if let Cow::Owned(owned) = masking::mask(&text) {
        text = Cow::Owned(owned);
    }
    if rules.patterns_prefilter.is_match(text.as_ref()) {
        for (pattern, replacement) in &rules.patterns {
            let replaced = pattern.replace_all(&text, |captures: &regex::Captures<'_>| match replacement {
                Replacement::Whole => MARKER.to_owned(),
                Replacement::Group => {
                    let whole = captures.get(0).map_or("", |m| m.as_str());
                    match captures.name("secret") {
                        Some(secret) => {
                            let start = secret.start() - captures.get(0).map_or(0, |m| m.start());
                            format!("{}{MARKER}{}", &whole[..start], &whole[start + secret.len()..])
                        }
                        None => whole.to_owned(),
                    }
                }
            });
            if let Cow::Owned(owned) = replaced {
                text = Cow::Owned(owned);
            }
        }
    }
    text
}

/// Wraps any [`MakeWriter`] so that everything written through it is masked.
#[derive(Clone, Debug)]
pub struct MaskingWriter<M> {
    inner: M,
}

impl<M> MaskingWriter<M> {
    /// Masks what `inner` writes.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingWriter<M> {
    type Writer = MaskedWrite<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWrite { inner: self.inner.make_writer(), buffer: Vec::new() }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        MaskedWrite { inner: self.inner.make_writer_for(meta), buffer: Vec::new() }
    }
}

/// The writer of [`MaskingWriter`]: buffers one event, masks it whole, and writes it on flush or
/// drop (formatters write an event in several pieces; a secret may straddle them).
pub struct MaskedWrite<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> MaskedWrite<W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let masked = mask_line(&text);
        observe_canary(&masked);
        let result = self.inner.write_all(masked.as_bytes());
        self.buffer.clear();
        result
    }
}

impl<W: Write> Write for MaskedWrite<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for MaskedWrite<W> {
    fn drop(&mut self) {
        // Nothing to report a write error to; the event is lost as it would be unmasked.
        let _ = self.emit();
    }
}

/// The type of [`masked_fmt_layer`].
pub type MaskedFmtLayer<S> = tracing_subscriber::fmt::Layer<
    S,
    tracing_subscriber::fmt::format::DefaultFields,
    tracing_subscriber::fmt::format::Format,
    MaskingWriter<fn() -> io::Stderr>,
>;

/// A `fmt` layer writing masked lines to stderr: the usual way to install masking.
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
///
/// tracing_subscriber::registry().with(readiness_core::log_masking::masked_fmt_layer()).init();
/// ```
pub fn masked_fmt_layer<S>() -> MaskedFmtLayer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer().with_writer(MaskingWriter::new(io::stderr as fn() -> io::Stderr))
}

/// The last canary the masking writers saw: its nonce, and whether its secret was gone.
static CANARY: LazyLock<Mutex<Option<(String, bool)>>> = LazyLock::new(Mutex::default);
/// The canary currently in flight: `(nonce, secret)`.
static IN_FLIGHT: LazyLock<Mutex<Option<(String, String)>>> = LazyLock::new(Mutex::default);

fn observe_canary(masked: &str) {
    let in_flight = IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    if let Some((nonce, secret)) = in_flight {
        if masked.contains(&nonce) {
            *CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((nonce, !masked.contains(&secret)));
        }
    }
}

/// The canary check of `security.data.log-masking`: logs a fresh registered secret at WARN
/// (target `readiness::masking_canary`) through the installed global subscriber and passes only
/// when a [`MaskingWriter`] wrote it masked. It fails when the subscriber does not write
/// through a masking writer, masks nothing, or filters WARN events of that target out.
pub fn canary_check() -> CheckRegistration {
    let spec = CheckSpec::new("logs:masking")
        .control("security.data.log-masking")
        .critical()
        .description("a canary secret logged through the installed subscriber comes out masked");
    CheckRegistration::new(spec, check_fn(|_| run_canary()))
}

async fn run_canary() -> Outcome {
    let nonce = format!("readiness-canary-{:016x}", fastrand::u64(..));
    let secret = format!("canary-secret-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    masking::register_secret(&secret);
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((nonce.clone(), secret.clone()));
    tracing::warn!(target: "readiness::masking_canary", canary = %nonce, value = %secret, "log-masking canary");
    // Writers may be asynchronous (non-blocking appenders): give them a moment.
    let mut verdict = None;
    for _ in 0..20 {
        let seen = CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some((seen_nonce, masked)) = seen.filter(|(seen_nonce, _)| *seen_nonce == nonce) {
            verdict = Some(masked);
            let _ = seen_nonce;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    match verdict {
        Some(true) => Outcome::pass().with_output("a canary secret came out of the installed subscriber masked"),
        Some(false) => Outcome::fail("a canary secret came out of the installed subscriber unmasked"),
        None => Outcome::fail(
            "the installed subscriber did not write the canary through a MaskingWriter (no masking layer, or WARN events of `readiness::masking_canary` are filtered out)",
        ),
    }
}
