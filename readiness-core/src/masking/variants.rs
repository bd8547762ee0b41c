//! The forms a registered secret takes in a log line besides its own bytes: escaped by the
//! formatter (JSON, `Debug`, both), percent-encoded by a URL or form encoder, base64-encoded
//! (standard and URL-safe) alone or inside a longer blob such as `user:password`.
//!
//! Each form is registered beside the value, so finding it costs what finding any value costs:
//! the log line is never decoded (decoding every run of base64 or `%XX` in every line would cost
//! far more than the index lookups, and could not be linear in the line).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986 unreserved characters stay (`encodeURI` components, most HTTP clients).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// `application/x-www-form-urlencoded` (space becomes `+` afterwards).
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');
/// JavaScript's `encodeURIComponent`.
const URI_COMPONENT: &AsciiSet = &COMPONENT.remove(b'!').remove(b'\'').remove(b'(').remove(b')').remove(b'*');
/// What the WHATWG URL standard (and the `url` crate) encodes in a URL's user-info.
const USERINFO: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');

/// A base64 form shorter than this is not registered: a few characters of base64 occur in
/// ordinary text by chance, and would be masked where no secret is.
const MIN_BASE64_FORM: usize = 6;

/// Every form of `value` that differs from it, each once.
pub(crate) fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = Vec::new();
    let mut add = |form: String| {
        if form != value && !forms.contains(&form) {
            forms.push(form);
        }
    };
    let debug = inner(&format!("{value:?}"));
    add(json_escaped(value));
    add(json_escaped(&debug));
    add(debug);
    for set in [NON_ALPHANUMERIC, COMPONENT, URI_COMPONENT, USERINFO] {
        let encoded = utf8_percent_encode(value, set).to_string();
        add(lowercase_hex(&encoded));
        add(encoded);
    }
    let form = utf8_percent_encode(value, FORM).to_string().replace("%20", "+");
    add(lowercase_hex(&form));
    add(form);
    for form in base64_forms(value.as_bytes()) {
        add(form);
    }
    forms
}

/// The text between the quotes `Debug` and JSON put around a string.
fn inner(quoted: &str) -> String {
    quoted.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(quoted).to_owned()
}

fn json_escaped(value: &str) -> String {
    inner(&serde_json::Value::String(value.to_owned()).to_string())
}

/// `%2f` rather than `%2F`: some encoders write lowercase hex digits.
fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut digits = 0;
    for character in encoded.chars() {
        if character == '%' {
            digits = 2;
            out.push(character);
        } else if digits > 0 {
            digits -= 1;
            out.push(character.to_ascii_lowercase());
        } else {
            out.push(character);
        }
    }
    out
}

/// The characters of `value`'s base64 encoding that depend on `value` alone, for each of the
/// three positions it can take modulo 3 inside a longer encoded blob (`user:password`, a JSON
/// document), in the standard and the URL-safe alphabets.
fn base64_forms(value: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    for offset in 0..3_usize {
        let mut shifted = vec![0_u8; offset];
        shifted.extend_from_slice(value);
        // Character `i` of an encoding holds bits `6i..6i + 6`; the value holds bits
        // `8 * offset..8 * (offset + len)`: keep the characters that lie wholly inside.
        let first = (8 * offset).div_ceil(6);
        let end = 8 * (offset + value.len()) / 6;
        if end < first + MIN_BASE64_FORM {
            continue;
        }
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&shifted);
            let form = encoded[first..end].to_owned();
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_and_percent_encoded_forms_are_those_encoders_write() {
        let forms = encoded_forms(r#"pa"ss w\rd/ü+"#);
        for expected in [
            r#"pa\"ss w\\rd/ü+"#,
            r#"pa\\\"ss w\\\\rd/ü+"#,
            "pa%22ss%20w%5Crd%2F%C3%BC%2B",
            "pa%22ss%20w%5crd%2f%c3%bc%2b",
            "pa%22ss+w%5Crd%2F%C3%BC%2B",
            "pa%22ss%20w%5Crd%2F%C3%BC+",
        ] {
            assert!(forms.iter().any(|form| form == expected), "{expected} not in {forms:#?}");
        }
        assert!(encoded_forms("plainalnum123").iter().all(|form| !form.contains('%')));
    }

    #[test]
    fn base64_forms_are_found_at_every_offset_of_a_longer_blob() {
        let secret = "s3cr3t-Pa55word!";
        let forms = base64_forms(secret.as_bytes());
        for prefix in ["", "a", "ab", "user:", "alice:", "{\"k\":\""] {
            for engine in [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::URL_SAFE] {
                let blob = engine.encode(format!("{prefix}{secret}\" trailing"));
                assert!(forms.iter().any(|form| blob.contains(form.as_str())), "{prefix:?}: {blob} {forms:?}");
            }
        }
        assert!(base64_forms(b"abcd").iter().all(|form| form.len() >= MIN_BASE64_FORM));
    }
}
