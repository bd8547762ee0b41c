//! Sensitive fields: which field names are sensitive, judged by their words, and where such a
//! field's value lies in a line of log text (`key=value`, `key="value"`, `"key":"value"`,
//! `key: Some("value")`, `Authorization: Bearer value`, with colour codes anywhere between).

use std::ops::Range;

/// What one word of a field name says about its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    /// Sensitive wherever it stands (`db_password`, `password_hash`, `aws_secret_access_key`)
    /// unless the last word says the value is about the secret ([`Word::Metadata`]).
    Sensitive,
    /// `cookie`, `cookies`: sensitive, and its value runs to the end of the line.
    Cookie,
    /// `authorization`: sensitive, to the end of the line after a readable scheme.
    Authorization,
    /// Sensitive only as the last word: `basic_auth` and `pass` hold secrets, `auth_method`
    /// and `pass_rate` do not.
    SensitiveLast,
    /// `session`: sensitive as the last word, and before `id`.
    Session,
    /// Sensitive before `key`: `api_key`, `private_key`, `access_key`, `signing_key`.
    KeyOwner,
    /// `key`, sensitive after a [`Word::KeyOwner`] or a sensitive word (`secret_key`).
    Key,
    /// `id`, sensitive after `session`.
    Id,
    /// A last word that makes the value *about* a secret rather than the secret:
    /// `token_count`, `password_policy`, `secret_name`, `token_expires`, `password_file`.
    Metadata,
    Other,
}

/// The longest word the tables hold.
const MAX_WORD: usize = 16;

/// The words of [`Word`]'s tables; every other word is [`Word::Other`].
const WORDS: &[(Word, &[&str])] = &[
    (
        Word::Sensitive,
        &[
            "password",
            "passwd",
            "passphrase",
            "passcode",
            "pwd",
            "secret",
            "secrets",
            "token",
            "tokens",
            "credential",
            "credentials",
            "creds",
            "apikey",
            "privatekey",
            "secretkey",
            "accesskey",
            "jwt",
            "sessionid",
        ],
    ),
    (Word::Cookie, &["cookie", "cookies"]),
    (Word::Authorization, &["authorization"]),
    (Word::SensitiveLast, &["auth", "pass"]),
    (Word::Session, &["session"]),
    (Word::KeyOwner, &["api", "private", "access", "signing", "encryption", "master"]),
    (Word::Key, &["key"]),
    (Word::Id, &["id"]),
    (
        Word::Metadata,
        &[
            "count",
            "counts",
            "len",
            "length",
            "size",
            "max",
            "min",
            "limit",
            "type",
            "kind",
            "name",
            "names",
            "policy",
            "ttl",
            "expiry",
            "expires",
            "expiration",
            "expired",
            "age",
            "version",
            "present",
            "set",
            "enabled",
            "disabled",
            "required",
            "valid",
            "invalid",
            "configured",
            "file",
            "path",
            "dir",
            "source",
            "status",
            "method",
            "mode",
            "scheme",
            "provider",
            "service",
            "rotation",
            "rotated",
            "changed",
            "updated",
            "created",
            "hint",
            "strength",
            "algorithm",
            "alg",
            "format",
            "location",
            "store",
            "backend",
            "url",
            "uri",
            "endpoint",
            "error",
            "errors",
            "result",
            "ok",
            "failed",
            "missing",
            "empty",
            "used",
            "checked",
            "duration",
            "ms",
            "secs",
            "seconds",
            "timeout",
            "interval",
            "issuer",
            "audience",
            "scope",
            "scopes",
        ],
    ),
];

/// The word tables as one open-addressed table of zero-padded words, probed with one
/// multiplication and compared as two machine words: a field name is judged on every sensitive
/// stem that stands before a separator, and hashing each word byte by byte into a `HashMap`
/// cost more than the rest of the judgement (about 700 instructions a name).
struct WordTable {
    slots: Box<[WordSlot; WORD_SLOTS]>,
}

/// A word, zero-padded, its length and its class.
type WordSlot = Option<([u64; 2], u8, Word)>;

/// A power of two above twice the number of words, so a probe rarely goes past its first slot.
const WORD_SLOTS: usize = 256;

/// A word of at most [`MAX_WORD`] bytes as two words, zero-padded (its length is compared too:
/// `is_sensitive_field` takes any string, and a word may then hold a zero byte).
fn padded(lower: &[u8; MAX_WORD]) -> [u64; 2] {
    let (low, high) = lower.split_at(8);
    [u64::from_le_bytes(low.try_into().unwrap_or_default()), u64::from_le_bytes(high.try_into().unwrap_or_default())]
}

fn word_slot(key: [u64; 2], len: u8) -> usize {
    let mixed = (key[0] ^ key[1].rotate_left(29) ^ u64::from(len)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as usize & (WORD_SLOTS - 1)
}

static WORD_TABLE: std::sync::LazyLock<WordTable> = std::sync::LazyLock::new(|| {
    let mut slots = Box::new([None; WORD_SLOTS]);
    for (class, words) in WORDS {
        for word in *words {
            let mut lower = [0_u8; MAX_WORD];
            lower[..word.len()].copy_from_slice(word.as_bytes());
            let (key, len) = (padded(&lower), word.len() as u8);
            let mut slot = word_slot(key, len);
            while slots[slot].is_some() {
                slot = (slot + 1) & (WORD_SLOTS - 1);
            }
            slots[slot] = Some((key, len, *class));
        }
    }
    WordTable { slots }
});

fn classify(word: &[u8]) -> Word {
    if word.len() > MAX_WORD {
        return Word::Other;
    }
    let mut lower = [0_u8; MAX_WORD];
    for (to, from) in lower.iter_mut().zip(word) {
        *to = from.to_ascii_lowercase();
    }
    let (key, len) = (padded(&lower), word.len() as u8);
    let table = &*WORD_TABLE;
    let mut slot = word_slot(key, len);
    // The table is never full, so an empty slot ends every probe.
    while let Some((known, known_len, class)) = table.slots[slot] {
        if known == key && known_len == len {
            return class;
        }
        slot = (slot + 1) & (WORD_SLOTS - 1);
    }
    Word::Other
}

/// How a sensitive field's value is masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sensitive {
    /// The value, up to the next field.
    Value,
    /// `Cookie`, `Set-Cookie`: the rest of the line, since the value holds `;`, `,` and `=`.
    Cookie,
    /// `Authorization`: the rest of the line after a scheme, which stays readable.
    Authorization,
}

/// Names longer than this are judged by their last bytes only: it bounds the work per field,
/// keeping masking linear in the line.
const MAX_NAME: usize = 64;

/// Calls `each` with the words of a field name: split at `_`, `-`, `.`, case changes (`apiKey`,
/// `APIKey`) and between letters and digits (`token2`).
fn for_each_word(name: &[u8], mut each: impl FnMut(&[u8])) {
    let mut start = None;
    for index in 0..=name.len() {
        let byte = name.get(index).copied();
        let boundary = match (index.checked_sub(1).map(|before| name[before]), byte) {
            (_, None | Some(b'_' | b'-' | b'.')) => true,
            (Some(before), Some(byte)) => {
                (before.is_ascii_lowercase() && byte.is_ascii_uppercase())
                    || (before.is_ascii_digit() != byte.is_ascii_digit())
                    || (before.is_ascii_uppercase()
                        && byte.is_ascii_uppercase()
                        && name.get(index + 1).is_some_and(u8::is_ascii_lowercase))
            }
            (None, Some(_)) => false,
        };
        if boundary && let Some(begin) = start.take() {
            each(&name[begin..index]);
        }
        if start.is_none() && byte.is_some_and(|byte| byte.is_ascii_alphanumeric()) {
            start = Some(index);
        }
    }
}

/// Whether a field of this name holds a secret, judged by its words: `password`, `secret_key`,
/// `aws_secret_access_key`, `passphrase`, `x-api-key`, `clientSecret`, `private_key`,
/// `credentials`, `set-cookie` are; `token_count`, `password_policy`, `secret_name`, `author`,
/// `auth_method`, `keyboard` are not.
///
/// ```
/// use readiness_core::masking::is_sensitive_field;
///
/// assert!(is_sensitive_field("aws_secret_access_key"));
/// assert!(is_sensitive_field("clientSecret"));
/// assert!(!is_sensitive_field("token_count"));
/// ```
pub fn is_sensitive_field(name: &str) -> bool {
    sensitivity(name.as_bytes()).is_some()
}

pub(super) fn sensitivity(name: &[u8]) -> Option<Sensitive> {
    // The last word, whether it ends a sensitive pair, and whether any word before it was
    // sensitive.
    let (mut last, mut last_pair, mut sensitive_before) = (None, false, false);
    for_each_word(&name[name.len().saturating_sub(MAX_NAME)..], |word| {
        let class = classify(word);
        if let Some(previous) = last {
            sensitive_before |= last_pair || matches!(previous, Word::Sensitive | Word::Cookie | Word::Authorization);
        }
        last_pair = matches!(
            (last, class),
            (Some(Word::KeyOwner | Word::Sensitive), Word::Key) | (Some(Word::Session), Word::Id)
        );
        last = Some(class);
    });
    match last? {
        Word::Cookie => Some(Sensitive::Cookie),
        Word::Authorization => Some(Sensitive::Authorization),
        Word::Sensitive | Word::SensitiveLast | Word::Session => Some(Sensitive::Value),
        _ if last_pair => Some(Sensitive::Value),
        Word::Metadata => None,
        _ => sensitive_before.then_some(Sensitive::Value),
    }
}

/// Bytes of a field name.
pub(super) fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Past an ANSI colour sequence (`ESC [ 0 ; 3 m`) starting at `at`, or `at` itself.
fn skip_ansi(text: &[u8], at: usize) -> usize {
    if text.get(at) != Some(&0x1b) || text.get(at + 1) != Some(&b'[') {
        return at;
    }
    let mut end = at + 2;
    while end < text.len() && end < at + 16 && (text[end].is_ascii_digit() || text[end] == b';') {
        end += 1;
    }
    if text.get(end).is_some_and(|byte| (0x40..=0x7e).contains(byte)) { end + 1 } else { at }
}

/// Past blanks and colour sequences starting at `at`.
fn skip_blanks(text: &[u8], mut at: usize) -> usize {
    loop {
        let next = skip_ansi(text, at);
        let next = next + text[next..].iter().take_while(|&&byte| byte == b' ' || byte == b'\t').count();
        if next == at {
            return at;
        }
        at = next;
    }
}

/// The name around the trigger `stem` (a sensitive word's bytes): its start and end; or, when
/// the name bytes run on past [`MAX_NAME`], how far they were read.
pub(super) fn name_around(text: &[u8], stem: Range<usize>) -> Result<Range<usize>, usize> {
    let mut start = stem.start;
    while start > 0 && stem.start - start < MAX_NAME && is_name_byte(text[start - 1]) {
        start -= 1;
    }
    // `ESC[3mpassword`: the colour sequence's parameters and final letter are not the name.
    if start >= 2 && text[start - 1] == b'[' && text[start - 2] == 0x1b {
        while start < stem.start && (text[start].is_ascii_digit() || text[start] == b';') {
            start += 1;
        }
        if start < stem.start && text[start].is_ascii_alphabetic() {
            start += 1;
        }
    }
    let mut end = stem.end;
    while end < text.len() && is_name_byte(text[end]) {
        if end - stem.end >= MAX_NAME {
            return Err(end);
        }
        end += 1;
    }
    Ok(start..end)
}

/// The separator (`=` or `:`) after the name ending at `name_end`, past a closing quote, blanks
/// and colour codes; not `==`, `=>`, `::` or `://`.
pub(super) fn separator_after(text: &[u8], name_end: usize) -> Option<usize> {
    let mut at = name_end;
    if matches!(text.get(at), Some(b'"' | b'\'')) {
        at += 1;
    }
    let at = skip_blanks(text, at);
    match (text.get(at), text.get(at + 1)) {
        (Some(b'='), next) if !matches!(next, Some(b'=' | b'>')) => Some(at),
        (Some(b':'), next) if !matches!(next, Some(b':')) && !text[at..].starts_with(b"://") => Some(at),
        _ => None,
    }
}

/// The value after the separator at `separator` of a field masked as `how`. An unquoted value
/// runs until the next `key=`/`key:` field, a closing quote or bracket, a colour code or the end
/// of the line, so `password=correct horse battery` is masked whole; `true`, `false`, `None`
/// and `null` are no secret and stay, nor is a value that is the marker already.
pub(super) fn value_after(text: &[u8], separator: usize, how: Sensitive) -> Option<Range<usize>> {
    let at = skip_blanks(text, separator + 1);
    if let Some(&quote @ (b'"' | b'\'')) = text.get(at) {
        let start = at + 1;
        let mut end = start;
        // To the closing quote, past escaped ones, at most to the end of the line.
        loop {
            match memchr::memchr3(quote, b'\\', b'\n', &text[end..]) {
                None => {
                    end = text.len();
                    break;
                }
                Some(offset) if text[end + offset] == b'\\' => {
                    end = (end + offset + 2).min(text.len());
                }
                Some(offset) => {
                    end += offset;
                    break;
                }
            }
        }
        return (end > start).then_some(start..end);
    }
    let mut start = at;
    if how == Sensitive::Authorization {
        // The scheme stays readable: `Authorization: Bearer [REDACTED]`.
        let word_end = start + text[start..].iter().take_while(|byte| byte.is_ascii_alphabetic()).count();
        let word = &text[start..word_end];
        let after = skip_blanks(text, word_end);
        if after > word_end
            && ["bearer", "basic", "token", "digest"].iter().any(|known| word.eq_ignore_ascii_case(known.as_bytes()))
        {
            start = after;
        }
    }
    // A value masked already: masked again it would end at the marker's own `]` and grow a
    // bracket each time (`[REDACTED]]`).
    if text[start..].starts_with(super::MARKER.as_bytes()) {
        return None;
    }
    let end = bare_value_end(text, start, how != Sensitive::Value);
    let value = &text[start..end];
    let harmless = matches!(value, b"true" | b"false" | b"None" | b"null");
    (end > start && !harmless).then_some(start..end)
}

/// Where an unquoted value starting at `start` ends (see [`value_after`]); `to_line_end` for
/// header values.
fn bare_value_end(text: &[u8], start: usize, to_line_end: bool) -> usize {
    if to_line_end {
        return memchr::memchr2(b'\n', b'\r', &text[start..]).map_or(text.len(), |offset| start + offset);
    }
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
                b'\n' => return index,
                _ => {}
            }
            index += 1;
        }
        return text.len();
    }
    let mut index = start;
    while index < text.len() {
        match text[index] {
            b'\n' | b'\r' | b'"' | b'\'' | b'}' | b']' | b')' | 0x1b => return index,
            b' ' | b'\t' | b',' | b';' | b'&' if starts_a_field(text, index + 1) => return index,
            _ => {}
        }
        index += 1;
    }
    text.len()
}

/// Whether a `key=` or `key:` field starts at `at`, after optional blanks and colour codes.
fn starts_a_field(text: &[u8], at: usize) -> bool {
    let mut at = skip_blanks(text, at);
    if text.get(at) == Some(&0x1b) {
        return true;
    }
    // `"key":` in JSON, `'key':` in Python's repr.
    let quote = text.get(at).copied().filter(|byte| matches!(byte, b'"' | b'\''));
    at += usize::from(quote.is_some());
    let mut name_end = at + text[at..].iter().take_while(|&&byte| is_name_byte(byte)).count();
    if name_end > at && quote.is_some() && text.get(name_end).copied() == quote {
        name_end += 1;
    }
    name_end > at && matches!(text.get(name_end), Some(b'=' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_judged_by_their_words() {
        for sensitive in [
            "password",
            "db_password",
            "PASSWORD",
            "secret_key",
            "aws_secret_access_key",
            "passphrase",
            "api_key",
            "apiKey",
            "APIKey",
            "x-api-key",
            "X-Api-Key",
            "client_secret",
            "clientSecret",
            "private_key",
            "credentials",
            "set-cookie",
            "Cookie",
            "authorization",
            "Proxy-Authorization",
            "refresh_token",
            "details_token",
            "token2",
            "password_hash",
            "basic_auth",
            "session_id",
            "spring.datasource.password",
            "jwt_secret",
        ] {
            assert!(is_sensitive_field(sensitive), "{sensitive} should be sensitive");
        }
        for harmless in [
            "token_count",
            "password_policy",
            "secret_name",
            "author",
            "auth_method",
            "keyboard",
            "key",
            "cache_key",
            "key_count",
            "monkey",
            "session_start",
            "pass_rate",
            "bypass",
            "user",
            "tokens_issued_count",
            "",
        ] {
            assert!(!is_sensitive_field(harmless), "{harmless} should not be sensitive");
        }
        assert_eq!(sensitivity(b"Set-Cookie"), Some(Sensitive::Cookie));
        assert_eq!(sensitivity(b"authorization"), Some(Sensitive::Authorization));
    }

    #[test]
    fn a_very_long_name_is_judged_by_its_last_words() {
        let name = format!("{}_password", "a".repeat(1000));
        assert!(is_sensitive_field(&name));
        assert!(!is_sensitive_field(&"word_".repeat(100)));
    }
}
