//! Log masking for `tracing` (feature `log-masking`): a [`MakeWriter`] wrapper that masks every
//! line a formatter writes, a ready-made `fmt` layer using it, and the canary check that proves
//! masking is in place in the **installed** subscriber (`security.data.log-masking`).
//!
//! Masking happens in the order of DESIGN §8:
//!
//! 1. values of fields whose **names** are sensitive (`password`, `token`, `authorization`,
//!    `secret`, `api_key`, `cookie`, …), in `key=value`, `key="value"`, `key: 'value'`,
//!    `"key":"value"` and `key: Some("value")` forms; an unquoted value runs to the next field
//!    (`password=correct horse battery user=bob` masks the three words), header-like values
//!    (`cookie`, `authorization`) to the end of the line;
//! 2. the **exact values** of every secret registered with [`crate::masking`];
//! 3. default **patterns**: JWTs, AWS access key ids, PEM private keys, bearer tokens, GitHub,
//!    Slack and Stripe tokens, passwords in connection strings (`scheme://user:pass@host`, the
//!    password may hold `@`, `?` or `#`) — each matched only where one of its literal anchors
//!    was found by one SIMD search, so lines without an anchor run no regex.
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
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex;
use tracing_subscriber::fmt::MakeWriter;

use crate::check::{CheckRegistration, CheckSpec, Outcome, check_fn};
use crate::masking;

/// Field names whose values are always masked (matched case-insensitively, with `-`, `_` or
/// nothing between words).
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

/// A default pattern, matched only where one of its anchors was found.
struct Pattern {
    /// Anchored at its first byte (`^`).
    regex: Regex,
    /// Mask only the capture group named `secret` (else the whole match).
    group: bool,
    /// The match must start a word (`\b` before it).
    word_start: bool,
}

/// The default patterns: (anchors, anchored expression, mask only the `secret` group, starts a word).
const PATTERNS: &[(&[&str], &str, bool, bool)] = &[
    (&["-----BEGIN"], r"^-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.)*?-----END [A-Z ]*PRIVATE KEY-----", false, false),
    (&["eyJ"], r"^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}", false, true),
    (&["AKIA", "ASIA"], r"^(?:AKIA|ASIA)[0-9A-Z]{16}\b", false, true),
    (&["bearer", "Bearer", "BEARER"], r"^(?i:bearer)\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})", true, true),
    (&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"^gh[pousr]_[A-Za-z0-9]{36,}\b", false, true),
    (&["github_pat_"], r"^github_pat_[A-Za-z0-9_]{22,}\b", false, true),
    (&["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"], r"^xox[abposr]-[A-Za-z0-9-]{10,}", false, true),
    (&["sk_live_", "rk_live_", "sk_test_", "rk_test_"], r"^(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b", false, true),
];

struct Rules {
    /// The anchors of every default pattern, case-sensitive so that the search runs on a SIMD
    /// prefilter instead of a byte-at-a-time automaton.
    anchors: AhoCorasick,
    /// The pattern each anchor belongs to.
    anchor_patterns: Vec<usize>,
    patterns: Vec<Pattern>,
    /// For each (lowercase) byte, the bit set of the [`SENSITIVE_FIELDS`] ending with it.
    names_by_last_byte: [u32; 256],
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let (anchor_patterns, anchors): (Vec<usize>, Vec<&str>) = PATTERNS
        .iter()
        .enumerate()
        .flat_map(|(index, (anchors, ..))| anchors.iter().map(move |anchor| (index, *anchor)))
        .unzip();
    let anchors = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(anchors)
        .expect("the masking anchors are valid");
    let patterns = PATTERNS
        .iter()
        .map(|(_, expression, group, word_start)| Pattern {
            regex: Regex::new(expression).expect("the default patterns are valid"),
            group: *group,
            word_start: *word_start,
        })
        .collect();
    let mut names_by_last_byte = [0_u32; 256];
    for (index, name) in SENSITIVE_FIELDS.iter().enumerate() {
        if let Some(&last) = name.as_bytes().last() {
            names_by_last_byte[usize::from(last)] |= 1 << index;
        }
    }
    Rules { anchors, anchor_patterns, patterns, names_by_last_byte }
});

/// Whether `identifier` ends with the sensitive field name `name`, ignoring ASCII case, with
/// `_`, `-` or nothing where `name` has `_` (`api_key`, `X-Api-Key`, `apikey`).
fn ends_with_field_name(identifier: &[u8], name: &str) -> bool {
    let mut rest = identifier;
    for &wanted in name.as_bytes().iter().rev() {
        match rest.split_last() {
            Some((&last, before)) if last.eq_ignore_ascii_case(&wanted) => rest = before,
            Some((&(b'-' | b'_'), before)) if wanted == b'_' => rest = before,
            _ if wanted == b'_' => {}
            _ => return false,
        }
    }
    true
}

/// The sensitive field name that the key before the separator at `separator` (`=` or `:`) ends
/// with, if any.
fn sensitive_key(text: &[u8], separator: usize) -> Option<&'static str> {
    let mut end = separator;
    while end > 0 && text[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if end > 0 && matches!(text[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    // The key is whatever identifier ends here; a sensitive name must be its suffix, so only
    // the name's length is read backwards, and most keys are rejected by their last byte alone.
    let key = &text[..end];
    let mut candidates = RULES.names_by_last_byte[usize::from(key.last()?.to_ascii_lowercase())];
    while candidates != 0 {
        let name = SENSITIVE_FIELDS[candidates.trailing_zeros() as usize];
        if ends_with_field_name(key, name) {
            return Some(name);
        }
        candidates &= candidates - 1;
    }
    None
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn skip_whitespace(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The value after the separator (`=` or `:`) at `separator` of the sensitive field `name`:
/// `name=value`, `name="value"`, `name: 'value'`, `"name":"value"`, `name: Some("value")`,
/// `Authorization: Bearer value`. An unquoted value runs until the next `key=`/`key:` field, a
/// closing quote or bracket, or the end of the line, so `password=correct horse battery` is
/// masked whole; header-like fields (`authorization`, `cookie`, `set_cookie`) run to the end of
/// the line, since their values hold `;`, `,` and `=` themselves.
fn field_value(text: &[u8], separator: usize, name: &str) -> Option<Range<usize>> {
    let at = skip_whitespace(text, separator + 1);
    if let Some(&quote @ (b'"' | b'\'')) = text.get(at) {
        let start = at + 1;
        let mut end = start;
        while end < text.len() && text[end] != quote {
            end += if text[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(text.len());
        return (end > start).then_some(start..end);
    }
    let header = matches!(name, "authorization" | "cookie" | "set_cookie");
    let mut start = at;
    if name == "authorization" {
        // The scheme stays readable: `Authorization: Bearer [REDACTED]`.
        let word_end = start + text[start..].iter().take_while(|byte| byte.is_ascii_alphabetic()).count();
        let word = &text[start..word_end];
        let after = skip_whitespace(text, word_end);
        if after > word_end
            && ["bearer", "basic", "token", "digest"].iter().any(|known| word.eq_ignore_ascii_case(known.as_bytes()))
        {
            start = after;
        }
    }
    let end = bare_value_end(text, start, header);
    (end > start).then_some(start..end)
}

/// Where an unquoted value starting at `start` ends (see [`field_value`]).
fn bare_value_end(text: &[u8], start: usize, header: bool) -> usize {
    // `Some("x")`, `Token(abc)`: a name and a parenthesised value, quotes inside included.
    let word_end = start + text[start..].iter().take_while(|&&byte| is_word_byte(byte)).count();
    if text.get(word_end) == Some(&b'(') {
        let (mut depth, mut quoted, mut index) = (0_usize, false, word_end);
        while index < text.len() {
            match text[index] {
                b'\\' if quoted => index += 1,
                b'"' => quoted = !quoted,
                b'(' if !quoted => depth += 1,
                b')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        return index + 1;
                    }
                }
                b'\n' if !quoted => return index,
                _ => {}
            }
            index += 1;
        }
        return text.len();
    }
    let mut index = start;
    while index < text.len() {
        match text[index] {
            b'\n' | b'\r' | b'"' | b'\'' | b'}' | b']' | b')' => return index,
            b' ' | b'\t' | b',' | b';' | b'&' if !header && starts_a_field(text, index + 1) => return index,
            _ => {}
        }
        index += 1;
    }
    text.len()
}

/// Whether a `key=` or `key:` field starts at `at`, after optional blanks.
fn starts_a_field(text: &[u8], mut at: usize) -> bool {
    while text.get(at).is_some_and(|&byte| byte == b' ' || byte == b'\t') {
        at += 1;
    }
    let key_end =
        at + text[at..].iter().take_while(|&&byte| is_word_byte(byte) || byte == b'-' || byte == b'.').count();
    key_end > at && matches!(text.get(key_end), Some(b'=' | b':'))
}

/// The password of `scheme://user:password@host`, the user-info starting at `at`. The user-info
/// ends at the last `@` before the path, a blank or a closing quote, so a password may hold `@`,
/// `?` or `#` (as they appear, unencoded, in logged connection strings).
fn url_password(text: &[u8], at: usize) -> Option<Range<usize>> {
    let rest = &text[at..];
    let authority_end = rest
        .iter()
        .position(|&byte| byte.is_ascii_whitespace() || matches!(byte, b'/' | b'"' | b'\''))
        .unwrap_or(rest.len());
    let info_end = rest[..authority_end].iter().rposition(|&byte| byte == b'@')?;
    let colon = rest[..info_end].iter().position(|&byte| byte == b':')?;
    (colon + 1 < info_end).then_some(at + colon + 1..at + info_end)
}

impl Pattern {
    fn find(&self, text: &[u8], at: usize) -> Option<Range<usize>> {
        if self.word_start && at > 0 && is_word_byte(text[at - 1]) {
            return None;
        }
        let haystack = &text[at..];
        let found = if self.group {
            self.regex.captures(haystack)?.name("secret")?.range()
        } else {
            self.regex.find(haystack)?.range()
        };
        Some(at + found.start..at + found.end)
    }
}

/// The byte ranges of `text` to mask. Three passes, each fast on lines with nothing to mask:
/// every `=` and `:` (found with SIMD) is checked for a sensitive key before it or a URL's
/// user-info after it; the anchors of the default patterns (SIMD prefilter) are checked in place;
/// the registered secrets are found by the masker's index (see [`crate::masking`]).
fn find_ranges(text: &[u8], ranges: &mut Vec<Range<usize>>) {
    for separator in memchr::memchr2_iter(b'=', b':', text) {
        let range = if text[separator..].starts_with(b"://") {
            url_password(text, separator + 3)
        } else {
            sensitive_key(text, separator).and_then(|name| field_value(text, separator, name))
        };
        ranges.extend(range);
    }
    let rules = &*RULES;
    for found in rules.anchors.find_iter(text) {
        ranges.extend(rules.patterns[rules.anchor_patterns[found.pattern().as_usize()]].find(text, found.start()));
    }
    masking::global().find_ranges(text, ranges);
}

/// Masks a piece of log output given as bytes (it need not be UTF-8): sensitive field values,
/// registered secrets and default patterns are each replaced by [`MARKER`](crate::masking::MARKER). Borrowed when
/// nothing matched, which is the common case and allocates nothing.
pub fn mask_bytes(text: &[u8]) -> Cow<'_, [u8]> {
    let mut ranges = Vec::new();
    find_ranges(text, &mut ranges);
    match masking::replace_ranges(text, &mut ranges) {
        None => Cow::Borrowed(text),
        Some(masked) => Cow::Owned(masked),
    }
}

/// Masks one piece of log text: sensitive field values, registered secrets, default patterns.
pub fn mask_line(text: &str) -> Cow<'_, str> {
    match mask_bytes(text.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        // Every range starts and ends at an ASCII byte or a registered (UTF-8) value, so the
        // result is UTF-8; the lossy path is only a guard.
        Cow::Owned(bytes) => Cow::Owned(
            String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
        ),
    }
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

/// The writer of [`MaskingWriter`]. `tracing-subscriber`'s formatters write each event with
/// one `write_all` of a whole line, which is masked and passed on without a copy; a writer used
/// piecemeal buffers the pieces and masks them together on flush or drop, so a secret cut in
/// two by the writes is still found.
pub struct MaskedWrite<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> MaskedWrite<W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = write_masked(&mut self.inner, &self.buffer);
        self.buffer.clear();
        result
    }
}

fn write_masked(inner: &mut impl Write, text: &[u8]) -> io::Result<()> {
    let masked = mask_bytes(text);
    observe_canary(&masked);
    inner.write_all(&masked)
}

impl<W: Write> Write for MaskedWrite<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.is_empty() && bytes.ends_with(b"\n") {
            write_masked(&mut self.inner, bytes)?;
        } else {
            self.buffer.extend_from_slice(bytes);
        }
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

/// Whether a canary is in flight: the writers look for it only then, so the hot path pays one
/// relaxed load.
static CANARY_ARMED: AtomicBool = AtomicBool::new(false);
/// The last canary the masking writers saw: its nonce, and whether its secret was gone.
static CANARY: LazyLock<Mutex<Option<(String, bool)>>> = LazyLock::new(Mutex::default);
/// The canary currently in flight: `(nonce, secret)`.
static IN_FLIGHT: LazyLock<Mutex<Option<(String, String)>>> = LazyLock::new(Mutex::default);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn observe_canary(masked: &[u8]) {
    if !CANARY_ARMED.load(Ordering::Relaxed) {
        return;
    }
    let in_flight = IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    if let Some((nonce, secret)) = in_flight {
        if contains(masked, nonce.as_bytes()) {
            *CANARY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some((nonce, !contains(masked, secret.as_bytes())));
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
    // One canary secret per process (registering a new one each run would grow the masker's
    // index for ever); each run is told apart by its nonce.
    static SECRET: LazyLock<String> = LazyLock::new(|| {
        let secret = format!("canary-secret-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        masking::register_secret(&secret);
        secret
    });
    let nonce = format!("readiness-canary-{:016x}", fastrand::u64(..));
    let secret = SECRET.clone();
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((nonce.clone(), secret.clone()));
    CANARY_ARMED.store(true, Ordering::SeqCst);
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
    CANARY_ARMED.store(false, Ordering::SeqCst);
    *IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    match verdict {
        Some(true) => Outcome::pass().with_output("a canary secret came out of the installed subscriber masked"),
        Some(false) => Outcome::fail("a canary secret came out of the installed subscriber unmasked"),
        None => Outcome::fail(
            "the installed subscriber did not write the canary through a MaskingWriter (no masking layer, or WARN events of `readiness::masking_canary` are filtered out)",
        ),
    }
}
