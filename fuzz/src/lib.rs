//! What the fuzz targets share: the secrets registered once with the process-wide masker, the
//! forms they take in a log line, and the properties every masked output must have.

use std::borrow::Cow;
use std::sync::Once;

use base64::Engine;
use readiness_core::masking::{self, MARKER};

/// Registered with the process-wide masker once per fuzzing process (see [`register_secrets`]).
/// None holds a bracket, so a masked line cannot spell one of them out across a marker (see
/// [`apart_from_marker`]): if one is in the output, it leaked.
/// The first is long (found through the sampled gram index), with bytes that JSON, `Debug`
/// and percent-encoding escape; the second is short (Aho-Corasick); the third is a URL whose
/// password alone is registered too.
pub const SECRETS: [&str; 3] =
    ["fz-9q\"x\\w/k+m p@ss~0hunt3r-l0ng-v4lue", "zq9!xw#k", "postgres://app:pw-f00z%40x@db.internal:5432/app"];

/// The password of the URL in [`SECRETS`], as written and decoded: each is masked on its own.
pub const URL_PASSWORDS: [&str; 2] = ["pw-f00z%40x", "pw-f00z@x"];

static REGISTER: Once = Once::new();

/// Registers [`SECRETS`] with the process-wide masker, once.
pub fn register_secrets() {
    REGISTER.call_once(|| {
        for secret in SECRETS {
            masking::register_secret(secret);
        }
    });
}

/// The forms of `value` that the masker promises to find (module docs of
/// `readiness_core::masking`): as is, JSON-escaped, `Debug`-escaped, percent-encoded, and
/// base64 (standard and URL-safe) on its own.
pub fn forms(value: &str) -> Vec<String> {
    let json = serde_json::Value::String(value.to_owned()).to_string();
    let debug = format!("{value:?}");
    vec![
        value.to_owned(),
        json[1..json.len() - 1].to_owned(),
        debug[1..debug.len() - 1].to_owned(),
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string(),
        base64::engine::general_purpose::STANDARD.encode(value),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value),
    ]
}

/// Whether a masked text can hold `needle` only where the masker left it: an occurrence that
/// overlaps a marker would have to hold a bracket of it (`[REDACTED]` starts and ends with one)
/// or lie inside it.
pub fn apart_from_marker(needle: &[u8]) -> bool {
    !needle.is_empty() && !needle.iter().any(|byte| matches!(byte, b'[' | b']')) && !contains(MARKER.as_bytes(), needle)
}

/// Whether `haystack` holds `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

/// The properties of any masked output `masked` of `input`:
///
/// * the input itself when borrowed, and holding a marker when owned (an owned result may
///   equal the input: a URL whose password is the marker already);
/// * no longer than the input with each marker replacing at least one byte: masked ranges that
///   touch are merged, so `k` markers stand for at least `k` bytes, apart from each other, and
///   `k <= ceil(n / 2)`;
/// * UTF-8 when the input is UTF-8 (every masked range starts and ends at an ASCII byte or a
///   registered UTF-8 value).
pub fn check_masked(input: &[u8], masked: &Cow<'_, [u8]>) {
    match masked {
        Cow::Borrowed(same) => assert_eq!(*same, input, "a borrowed result must be the input"),
        Cow::Owned(changed) => assert!(contains(changed, MARKER.as_bytes()), "an owned result holds a marker"),
    }
    let bound = input.len() + (MARKER.len() - 1) * input.len().div_ceil(2);
    assert!(masked.len() <= bound, "{} bytes masked to {} (bound {bound})", input.len(), masked.len());
    if std::str::from_utf8(input).is_ok() {
        assert!(std::str::from_utf8(masked).is_ok(), "UTF-8 input masked to invalid UTF-8");
    }
}
