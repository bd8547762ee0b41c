//! How strong a secret value is: not empty, not a placeholder, long enough, not predictable
//! (Shannon entropy, and repeats and sequences that entropy does not see), and, for a URL with
//! credentials, the same judgement of its password rather than of the whole URL.

use std::borrow::Cow;
use std::collections::HashMap;

/// Minimum Shannon entropy, in bits per character, of an acceptable secret.
pub const MIN_BITS_PER_CHAR: f64 = 3.0;

/// Minimum length, in characters, of the password inside a URL (`scheme://user:password@host`).
pub const MIN_URL_PASSWORD_LEN: usize = 16;

/// A value of at least 8 characters must have at least this share of characters that are
/// neither a copy of an earlier part nor a step of a run (as a fraction: 2/3).
const MIN_NOVEL_NUMERATOR: usize = 2;
const MIN_NOVEL_DENOMINATOR: usize = 3;

/// Only the first characters are parsed for repeats and runs (a key file can be long, and the
/// parse is quadratic).
const MAX_PARSED: usize = 4096;

/// Values (compared case-insensitively) that are never acceptable secrets, and fragments that
/// mark a value as a placeholder wherever they appear.
const PLACEHOLDERS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "default",
    "example",
    "test",
    "testing",
    "admin",
    "token",
    "apikey",
    "api_key",
    "dummy",
    "sample",
    "placeholder",
    "todo",
    "xxx",
    "12345678",
];
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replace-me",
    "replace_me",
    "your-secret",
    "your_secret",
    "<secret>",
    "xxxxxxxx",
];

/// URL schemes of local files: such a URL carries no credentials, so there is nothing in it to
/// judge (nor to compare for reuse).
const LOCAL_SCHEMES: &[&str] = &["sqlite", "file", "unix"];

/// Keyboard rows: a walk along one (`qwerty`, `asdf`, `7654`) is a run.
const KEYBOARD_ROWS: &[&[u8]] = &[b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

/// What part of a value is its secret.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SecretPart<'a> {
    /// The whole value.
    Whole(&'a [u8]),
    /// The (percent-decoded) password of a URL with credentials.
    UrlPassword(Cow<'a, [u8]>),
    /// A URL that could carry credentials but has no password.
    UrlWithoutPassword,
    /// A URL of a local file (`sqlite:…`, `file:…`): no credentials.
    LocalUrl,
}

/// The secret part of `value`: the password of a `scheme://user:password@host/…` URL, nothing
/// for a URL of a local file scheme (`sqlite:app.db`, `file:///…`), else the whole value.
pub(crate) fn secret_part(value: &[u8]) -> SecretPart<'_> {
    let scheme_end = value.iter().position(|&byte| byte == b':').unwrap_or(0);
    let scheme = &value[..scheme_end];
    let valid_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.iter().all(|&byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return SecretPart::Whole(value);
    }
    let base = scheme.split(|&byte| byte == b'+').next().unwrap_or(scheme).to_ascii_lowercase();
    if LOCAL_SCHEMES.iter().any(|local| local.as_bytes() == base.as_slice()) {
        return SecretPart::LocalUrl;
    }
    let Some(rest) = value[scheme_end..].strip_prefix(b"://") else { return SecretPart::Whole(value) };
    // The authority ends at the path; the last `@` in it ends the user info (a password may
    // hold an unencoded `@`, `?` or `#`).
    let authority = rest.iter().position(|&byte| byte == b'/').map_or(rest, |end| &rest[..end]);
    let Some(at) = authority.iter().rposition(|&byte| byte == b'@') else { return SecretPart::UrlWithoutPassword };
    let user_info = &authority[..at];
    match user_info.iter().position(|&byte| byte == b':') {
        Some(colon) if colon + 1 < user_info.len() => SecretPart::UrlPassword(percent_decode(&user_info[colon + 1..])),
        _ => SecretPart::UrlWithoutPassword,
    }
}

fn percent_decode(text: &[u8]) -> Cow<'_, [u8]> {
    if !text.contains(&b'%') {
        return Cow::Borrowed(text);
    }
    let hex = |byte: u8| (byte as char).to_digit(16).map(|digit| digit as u8);
    let mut decoded = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        if text[index] == b'%'
            && let (Some(high), Some(low)) =
                (text.get(index + 1).copied().and_then(hex), text.get(index + 2).copied().and_then(hex))
        {
            decoded.push(high << 4 | low);
            index += 3;
            continue;
        }
        decoded.push(text[index]);
        index += 1;
    }
    Cow::Owned(decoded)
}

/// Judges a text secret: its password when it is a URL with credentials, else the whole value.
pub(crate) fn judge_text(value: &str, min_len: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("is empty".to_owned());
    }
    match secret_part(value.as_bytes()) {
        SecretPart::Whole(_) => judge_units(&text_units(value), value, min_len, "characters"),
        SecretPart::LocalUrl => {
            let length = value.chars().count();
            if length < min_len {
                return Err(format!("is shorter than {min_len} characters ({length})"));
            }
            Ok(())
        }
        SecretPart::UrlWithoutPassword => {
            Err("is a URL without a password: a URL names a strong secret only by the password in it".to_owned())
        }
        SecretPart::UrlPassword(password) => {
            let length = value.chars().count();
            if length < min_len {
                return Err(format!("is shorter than {min_len} characters ({length})"));
            }
            let judged = match std::str::from_utf8(&password) {
                Ok(text) if text.trim().is_empty() => Err("is empty".to_owned()),
                Ok(text) => judge_units(&text_units(text), text, MIN_URL_PASSWORD_LEN, "characters"),
                Err(_) => judge_units(&byte_units(&password), "", MIN_URL_PASSWORD_LEN, "bytes"),
            };
            judged.map_err(|problem| format!("has a weak password in its URL: it {problem}"))
        }
    }
}

/// Judges a binary secret by its bytes.
pub(crate) fn judge_bytes(value: &[u8], min_len: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".to_owned());
    }
    match std::str::from_utf8(value) {
        // A text value declared binary is still judged as text (placeholders, URLs).
        Ok(text) => judge_text(text, min_len),
        Err(_) => judge_units(&byte_units(value), "", min_len, "bytes"),
    }
}

fn text_units(value: &str) -> Vec<u32> {
    value.chars().map(u32::from).collect()
}

fn byte_units(value: &[u8]) -> Vec<u32> {
    value.iter().map(|&byte| u32::from(byte)).collect()
}

/// The judgement shared by text (`text` is the value, for the placeholder lists) and bytes
/// (`text` is empty).
fn judge_units(units: &[u32], text: &str, min_len: usize, unit: &str) -> Result<(), String> {
    let lowered = text.to_ascii_lowercase();
    if !text.is_empty()
        && (PLACEHOLDERS.contains(&lowered.trim())
            || PLACEHOLDER_FRAGMENTS.iter().any(|fragment| lowered.contains(fragment)))
    {
        return Err("is a placeholder value".to_owned());
    }
    let length = units.len();
    if length < min_len {
        return Err(format!("is shorter than {min_len} {unit} ({length})"));
    }
    if length < 8 {
        return Ok(());
    }
    let bits = bits_per_unit(units);
    if bits < MIN_BITS_PER_CHAR {
        let per = unit.trim_end_matches('s');
        return Err(format!("is too predictable ({bits:.1} bits of entropy per {per}, want {MIN_BITS_PER_CHAR})"));
    }
    let parsed = &units[..length.min(MAX_PARSED)];
    let novel = novel_units(parsed);
    if novel * MIN_NOVEL_DENOMINATOR < parsed.len() * MIN_NOVEL_NUMERATOR {
        return Err(format!(
            "is too predictable: made of repeats and sequences (only {novel} of its {} {unit} are not part of a \
             repeat or a run)",
            parsed.len()
        ));
    }
    Ok(())
}

/// Shannon entropy of the units, in bits per unit.
pub(crate) fn bits_per_unit(units: &[u32]) -> f64 {
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for &unit in units {
        *counts.entry(unit).or_default() += 1;
    }
    let total = units.len() as f64;
    counts.values().map(|&n| n as f64 / total).map(|p| -p * p.log2()).sum()
}

/// How many independent choices the units hold: a greedy parse from the left where a copy of
/// an earlier part (`Summer2024!Summer2024!`, `abcabcabc`) or a run (`aaaa`, `abcdef`,
/// `9876`, `qwerty`) of at least 3 units counts as one, and any other unit as one.
pub(crate) fn novel_units(units: &[u32]) -> usize {
    let mut at = 0;
    let mut novel = 0;
    while at < units.len() {
        let taken = run_len(units, at).max(copy_len(units, at));
        at += if taken >= 3 { taken } else { 1 };
        novel += 1;
    }
    novel
}

/// The length of the run starting at `at`: each unit one step (−1, 0 or +1) from the previous
/// by code point, or a walk along a keyboard row, always in the same direction.
fn run_len(units: &[u32], at: usize) -> usize {
    if at + 1 >= units.len() {
        return 1;
    }
    let step = i64::from(units[at + 1]) - i64::from(units[at]);
    let mut by_code = 1;
    if step.abs() <= 1 {
        while at + by_code < units.len() && i64::from(units[at + by_code]) - i64::from(units[at + by_code - 1]) == step
        {
            by_code += 1;
        }
    }
    let mut by_keyboard = 1;
    if let Some(direction) = keyboard_step(units[at], units[at + 1]) {
        while at + by_keyboard < units.len()
            && keyboard_step(units[at + by_keyboard - 1], units[at + by_keyboard]) == Some(direction)
        {
            by_keyboard += 1;
        }
    }
    by_code.max(by_keyboard)
}

/// `Some(±1)` when `to` is the key right after (or before) `from` on the same keyboard row.
fn keyboard_step(from: u32, to: u32) -> Option<i8> {
    let key = |unit: u32| -> Option<(usize, usize)> {
        let byte = u8::try_from(unit).ok()?.to_ascii_lowercase();
        KEYBOARD_ROWS
            .iter()
            .enumerate()
            .find_map(|(row, keys)| keys.iter().position(|&key| key == byte).map(|column| (row, column)))
    };
    let ((from_row, from_column), (to_row, to_column)) = (key(from)?, key(to)?);
    if from_row != to_row {
        return None;
    }
    match to_column as isize - from_column as isize {
        1 => Some(1),
        -1 => Some(-1),
        _ => None,
    }
}

/// The length of the longest copy, starting at `at`, of units that start earlier (the copy may
/// overlap its source, as in `abababab`).
fn copy_len(units: &[u32], at: usize) -> usize {
    (0..at).map(|start| units[at..].iter().zip(&units[start..]).take_while(|(a, b)| a == b).count()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn novel(text: &str) -> usize {
        novel_units(&text_units(text))
    }

    #[test]
    fn repeats_and_runs_count_once_and_random_characters_each() {
        assert_eq!(novel("0123456789abcdef0123456789abcdef"), 3);
        assert_eq!(novel("abcdefghijklmnopqrstuvwxyz"), 1);
        assert_eq!(novel("qwertyuiop"), 1);
        assert_eq!(novel("aaaaaaaaaaaa"), 1);
        assert_eq!(novel("Summer2024!Summer2024!Summer2024!"), 12);
        assert_eq!(novel("x7Qp2LzR9vKc4NwT8hYb3MdF6sJg1AeU"), 32);
    }

    #[test]
    fn long_high_entropy_sequences_and_repeats_are_too_predictable() {
        for value in [
            "0123456789abcdef0123456789abcdef0123456789abcdef",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "Summer2024!Summer2024!",
            "Summer2024!Summer2024!Summer2024!Summer2024!",
            "Tr0ub4dor&3Tr0ub4dor&3",
            "qwertyuiopasdfghjklzxcvbnm1234567890",
            "k9#Lm2k9#Lm2k9#Lm2k9#Lm2k9#Lm2k9#Lm2",
        ] {
            // Entropy alone lets most of them through.
            let problem = judge_text(value, 16).expect_err(value);
            assert!(problem.starts_with("is too predictable"), "{value}: {problem}");
            assert!(!problem.contains(value));
        }
        assert!(bits_per_unit(&text_units("0123456789abcdef0123456789abcdef")) >= 4.0);
    }

    #[test]
    fn random_secrets_of_every_usual_alphabet_pass() {
        for value in [
            "x7Qp2LzR9vKc4NwT8hYb3MdF6sJg1AeU",
            "3f9a0c7e51d2b8469e0af3c7d1b25e8a94c06f2d7b3e1a58c9f04d6e2b7a1c35",
            "kq3X/9ZbT+2mW1vR8yLp0sNdH6fJ4gAe",
            "correct-horse-battery-staple-42",
        ] {
            assert_eq!(judge_text(value, 16), Ok(()), "{value}");
        }
    }

    #[test]
    fn the_secret_of_a_url_is_its_password() {
        let strong = "postgres://app:x7Qp2LzR9vKc4NwT8hYb@db.internal:5432/orders?sslmode=verify-full";
        assert_eq!(judge_text(strong, 0), Ok(()));
        for (value, reason) in [
            ("postgres://app@db.internal:5432/orders-with-a-long-name-and-many-bytes", "without a password"),
            ("postgres://db.internal:5432/orders-with-a-long-name-and-many-bytes", "without a password"),
            ("postgres://app:@db.internal:5432/orders-with-a-long-name", "without a password"),
            ("postgres://app:s3cr3t@db.internal:5432/orders-k9QzLm2WvR8t", "shorter than 16"),
            ("redis://default:changeme-changeme-changeme@cache:6379/0", "placeholder"),
            ("postgres://app:aaaaaaaaaaaaaaaaaaaa@db/orders", "predictable"),
            ("mysql://root:0123456789abcdef0123@db/orders", "predictable"),
        ] {
            let problem = judge_text(value, 0).expect_err(value);
            assert!(problem.contains(reason), "{value}: {problem}");
        }
        // Percent-encoded passwords are judged decoded; an `@` in the password is allowed.
        assert_eq!(secret_part(b"postgres://app:p%40ss@h/db"), SecretPart::UrlPassword(Cow::Owned(b"p@ss".to_vec())));
        assert_eq!(secret_part(b"postgres://app:p@ss@h/db?x=a@b"), SecretPart::UrlPassword(Cow::Borrowed(b"p@ss")));
        // A URL of a local file holds no credentials: nothing to judge; values that are not URLs
        // are judged whole.
        assert_eq!(secret_part(b"sqlite://data/app.db"), SecretPart::LocalUrl);
        assert_eq!(secret_part(b"sqlite:data/data/data.db?mode=rwc"), SecretPart::LocalUrl);
        assert_eq!(judge_text("sqlite:data/data/data.db?mode=rwc", 0), Ok(()));
        assert_eq!(judge_text("sqlite::memory:", 0), Ok(()));
        assert_eq!(secret_part(b"k3Y:9fQz2LmW8vRt"), SecretPart::Whole(b"k3Y:9fQz2LmW8vRt"));
        assert_eq!(secret_part(b"k3Y://x"), SecretPart::UrlWithoutPassword);
        assert_eq!(secret_part(b"9a://x"), SecretPart::Whole(b"9a://x"));
    }

    #[test]
    fn binary_keys_are_judged_by_their_bytes() {
        let key: Vec<u8> = (0..32_u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ 0x80).collect();
        assert!(std::str::from_utf8(&key).is_err());
        assert_eq!(judge_bytes(&key, 32), Ok(()));
        assert!(judge_bytes(&key[..16], 32).unwrap_err().starts_with("is shorter than 32 bytes"));
        let counting: Vec<u8> = (0x80..0xC0).collect();
        assert!(judge_bytes(&counting, 32).unwrap_err().starts_with("is too predictable"));
        assert!(judge_bytes(&[0xff; 64], 32).unwrap_err().starts_with("is too predictable"));
        assert_eq!(judge_bytes(&[], 32).unwrap_err(), "is empty");
    }
}
