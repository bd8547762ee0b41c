//! The rules of log masking: sensitive field names, the default patterns, and the scan that
//! finds what to mask in one line.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex;

use super::values;

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
/// the registered secrets are found by the masker's index (see [`super::values`]).
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
    values::global().find_ranges(text, ranges);
}

/// Masks a piece of log output given as bytes (it need not be UTF-8): sensitive field values,
/// registered secrets and default patterns are each replaced by [`MARKER`](super::MARKER). Borrowed when
/// nothing matched, which is the common case and allocates nothing.
pub fn mask_bytes(text: &[u8]) -> Cow<'_, [u8]> {
    let mut ranges = Vec::new();
    find_ranges(text, &mut ranges);
    match values::replace_ranges(text, &mut ranges) {
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
