//! The default patterns: secrets recognisable by their shape wherever they appear (JWTs, AWS
//! access key ids, PEM private keys, bearer tokens, GitHub, Slack and Stripe tokens).
//!
//! Each is matched at an anchor the scan found (see [`super::scan`]), by hand rather than with
//! regular expressions: every one is a literal prefix followed by a run of one character class,
//! and written out that way a pattern can say how far it looked, so that an anchor inside a run
//! already looked at is skipped. That keeps masking linear in the line even when it repeats an
//! anchor (`eyJ-eyJ-eyJ-…`, `-----BEGIN ` ten thousand times), where a regex tried at every
//! anchor costs quadratic time.

use std::ops::Range;

/// A default pattern, named by what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pattern {
    /// `-----BEGIN … PRIVATE KEY-----` up to its `-----END … PRIVATE KEY-----`.
    PemPrivateKey,
    /// `eyJ…` with three (JWS) or five (JWE) base64url segments.
    Jwt,
    /// `AKIA`/`ASIA` and 16 upper-case letters or digits.
    AwsAccessKeyId,
    /// `Bearer <token68>`: the token.
    Bearer,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and at least 36 letters or digits.
    GitHubToken,
    /// `github_pat_` and at least 22 letters, digits or `_`.
    GitHubFineGrained,
    /// `xoxa-`, `xoxb-`, `xoxp-`, `xoxo-`, `xoxs-`, `xoxr-` and at least 10 more.
    Slack,
    /// `sk_live_`, `rk_live_`, `sk_test_`, `rk_test_` and at least 16 letters or digits.
    Stripe,
}

/// The literal anchors of every pattern, as the scan searches for them.
pub(super) const ANCHORS: &[(&str, Pattern)] = &[
    ("-----BEGIN ", Pattern::PemPrivateKey),
    ("eyJ", Pattern::Jwt),
    ("AKIA", Pattern::AwsAccessKeyId),
    ("ASIA", Pattern::AwsAccessKeyId),
    ("bearer", Pattern::Bearer),
    ("Bearer", Pattern::Bearer),
    ("BEARER", Pattern::Bearer),
    ("ghp_", Pattern::GitHubToken),
    ("gho_", Pattern::GitHubToken),
    ("ghu_", Pattern::GitHubToken),
    ("ghs_", Pattern::GitHubToken),
    ("ghr_", Pattern::GitHubToken),
    ("github_pat_", Pattern::GitHubFineGrained),
    ("xox", Pattern::Slack),
    ("k_live_", Pattern::Stripe),
    ("k_test_", Pattern::Stripe),
];

/// How many patterns there are (the size of [`Progress`]).
const PATTERNS: usize = 8;

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn is_alphanumeric(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

fn is_token68(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
}

/// The end of the run of `class` bytes starting at `at`.
fn run_end(text: &[u8], at: usize, class: fn(u8) -> bool) -> usize {
    at + text[at..].iter().take_while(|&&byte| class(byte)).count()
}

/// How far each pattern has looked into the text: an anchor before that is inside a run the
/// pattern already read, and would read the same run again to the same result.
#[derive(Default)]
pub(super) struct Progress {
    looked_until: [usize; PATTERNS],
    /// Where the next `-----END ` is at or after some position: `(from, found)`.
    pem_end: Option<(usize, Option<usize>)>,
}

impl Progress {
    /// What `pattern` finds at the anchor `anchor` (its byte range), if anything.
    pub(super) fn find(&mut self, text: &[u8], pattern: Pattern, anchor: Range<usize>) -> Option<Range<usize>> {
        let slot = pattern as usize;
        if anchor.start < self.looked_until[slot] {
            return None;
        }
        let (found, looked) = match pattern {
            Pattern::PemPrivateKey => self.pem(text, anchor.end),
            Pattern::Jwt => jwt(text, anchor.start),
            Pattern::AwsAccessKeyId => aws(text, anchor),
            Pattern::Bearer => bearer(text, anchor),
            Pattern::GitHubToken => prefixed_run(text, anchor.start, anchor.end, 36, is_alphanumeric, true),
            Pattern::GitHubFineGrained => prefixed_run(text, anchor.start, anchor.end, 22, is_word_byte, true),
            Pattern::Slack => {
                let kind_ok = text.get(anchor.end).is_some_and(|byte| b"abposr".contains(byte))
                    && text.get(anchor.end + 1) == Some(&b'-');
                if kind_ok {
                    prefixed_run(
                        text,
                        anchor.start,
                        anchor.end + 2,
                        10,
                        |b| b.is_ascii_alphanumeric() || b == b'-',
                        false,
                    )
                } else {
                    (None, anchor.end)
                }
            }
            Pattern::Stripe => match anchor.start.checked_sub(1).map(|before| text[before]) {
                Some(b's' | b'r') => prefixed_run(text, anchor.start - 1, anchor.end, 16, is_alphanumeric, true),
                _ => (None, anchor.end),
            },
        };
        self.looked_until[slot] = looked;
        found
    }

    /// A PEM private key from the label after `-----BEGIN ` at `label` to the end of its
    /// `-----END … PRIVATE KEY-----`; without one (a cut line), to the end of the line.
    fn pem(&mut self, text: &[u8], label: usize) -> (Option<Range<usize>>, usize) {
        const TYPE_END: &[u8] = b"PRIVATE KEY-----";
        let label_end =
            label + text[label..].iter().take(40).take_while(|b| b.is_ascii_uppercase() || **b == b' ').count();
        let Some(type_start) = label_end.checked_sub(TYPE_END.len() - 5) else { return (None, label) };
        if !text[type_start..].starts_with(TYPE_END) || type_start < label {
            return (None, label);
        }
        let body = type_start + TYPE_END.len();
        let end_marker = match self.pem_end {
            Some((from, found)) if from <= body && found.is_none_or(|found| found >= body) => found,
            _ => {
                let found = memchr::memmem::find(&text[body..], b"-----END ").map(|offset| body + offset);
                self.pem_end = Some((body, found));
                found
            }
        };
        let end = match end_marker {
            Some(marker) => {
                let after = marker + b"-----END ".len();
                let label_end =
                    after + text[after..].iter().take(40).take_while(|b| b.is_ascii_uppercase() || **b == b' ').count();
                if text[label_end..].starts_with(b"-----") { label_end + 5 } else { label_end }
            }
            None => memchr::memchr(b'\n', &text[body..]).map_or(text.len(), |offset| body + offset),
        };
        (Some(label..end), end)
    }
}

/// `eyJ`, then three or five base64url segments joined by `.`, each at least 5 long (the first
/// counting from after `eyJ`).
fn jwt(text: &[u8], start: usize) -> (Option<Range<usize>>, usize) {
    if start > 0 && is_word_byte(text[start - 1]) {
        return (None, start + 3);
    }
    let mut end = run_end(text, start, is_base64url);
    if end - start < 8 {
        return (None, end);
    }
    let mut segments = 1;
    while segments < 5 && text.get(end) == Some(&b'.') {
        let next = run_end(text, end + 1, is_base64url);
        if next - (end + 1) < 5 {
            break;
        }
        end = next;
        segments += 1;
    }
    ((segments >= 3).then_some(start..end), end)
}

fn aws(text: &[u8], anchor: Range<usize>) -> (Option<Range<usize>>, usize) {
    let end = anchor.end + 16;
    let found = (anchor.start == 0 || !is_word_byte(text[anchor.start - 1]))
        && text.get(anchor.end..end).is_some_and(|id| id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        && !text.get(end).copied().is_some_and(is_word_byte);
    (found.then_some(anchor.start..end), anchor.end)
}

/// `Bearer`, blanks, and a token68 of at least 8 characters: the token.
fn bearer(text: &[u8], anchor: Range<usize>) -> (Option<Range<usize>>, usize) {
    if anchor.start > 0 && is_word_byte(text[anchor.start - 1]) {
        return (None, anchor.end);
    }
    let token = anchor.end + text[anchor.end..].iter().take_while(|byte| byte.is_ascii_whitespace()).count();
    if token == anchor.end {
        return (None, anchor.end);
    }
    let end = run_end(text, token, is_token68);
    ((end - token >= 8).then_some(token..end), end)
}

/// A prefix from `start` to `body`, then at least `min` bytes of `class`; with `word_end`, not
/// followed by a word byte (the token ends where the word does).
fn prefixed_run(
    text: &[u8],
    start: usize,
    body: usize,
    min: usize,
    class: fn(u8) -> bool,
    word_end: bool,
) -> (Option<Range<usize>>, usize) {
    if start > 0 && is_word_byte(text[start - 1]) {
        return (None, body);
    }
    let end = run_end(text, body, class);
    let ends_word = !word_end || !text.get(end).copied().is_some_and(is_word_byte);
    ((end - body >= min && ends_word).then_some(start..end), end)
}
