//! What a request asks for: its query parameters, the format it accepts, and whether it carries
//! the detail token. Every malformed input becomes a [`Problem`].

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::problem::Problem;

/// Longest accepted query string, in bytes.
pub(crate) const MAX_QUERY_LEN: usize = 2048;
/// Most `exclude` parameters in one request.
const MAX_EXCLUDES: usize = 64;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    HealthJson,
    Json,
    Text,
    Html,
    Markdown,
    Prometheus,
    Oscal,
}

impl Format {
    fn from_param(value: &str) -> Option<Self> {
        match value {
            "json" => Some(Format::Json),
            "health+json" | "health" => Some(Format::HealthJson),
            "text" => Some(Format::Text),
            "html" => Some(Format::Html),
            "markdown" | "md" => Some(Format::Markdown),
            "prometheus" => Some(Format::Prometheus),
            "oscal" => Some(Format::Oscal),
            _ => None,
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Format::HealthJson => "application/health+json",
            Format::Json => "application/json",
            Format::Text | Format::Prometheus => "text/plain",
            Format::Html => "text/html",
            Format::Markdown => "text/markdown",
            Format::Oscal => "application/oscal+json",
        }
    }
}

/// The parsed query string.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pub(crate) verbose: bool,
    pub(crate) format: Option<Format>,
    pub(crate) exclude: Vec<String>,
    /// The verifier's nonce to echo in a statement (validated by `in_toto::Freshness`).
    pub(crate) nonce: Option<String>,
}

/// Which parameters an endpoint takes beside `verbose` and `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Params {
    /// A probe report: repeated `exclude` too.
    Report,
    /// Nothing else.
    Plain,
    /// The attestation: one `nonce` too.
    Attestation,
}

impl Query {
    pub(crate) fn is_empty(&self) -> bool {
        !self.verbose && self.format.is_none() && self.exclude.is_empty()
    }
}

/// Parses `verbose`, `format` and what the endpoint also `takes`: repeated `exclude`, or `nonce`.
pub(crate) fn parse_query(raw: Option<&str>, takes: Params) -> Result<Query, Problem> {
    let mut query = Query::default();
    let Some(raw) = raw.filter(|raw| !raw.is_empty()) else { return Ok(query) };
    if raw.len() > MAX_QUERY_LEN {
        return Err(Problem::bad_request(format!("the query string is longer than {MAX_QUERY_LEN} bytes")));
    }
    if !percent_encoding_is_valid(raw) {
        return Err(Problem::bad_request("the query string has a malformed percent-encoding"));
    }
    let (mut seen_verbose, mut seen_format) = (false, false);
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if key.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
            return Err(Problem::bad_request("the query string is not valid UTF-8"));
        }
        match key.as_ref() {
            "verbose" => {
                if std::mem::replace(&mut seen_verbose, true) {
                    return Err(Problem::bad_request("`verbose` is given more than once"));
                }
                query.verbose = match value.as_ref() {
                    "" | "1" | "true" => true,
                    "0" | "false" => false,
                    _ => return Err(Problem::bad_request("`verbose` takes no value, `true` or `false`")),
                };
            }
            "format" => {
                if std::mem::replace(&mut seen_format, true) {
                    return Err(Problem::bad_request("`format` is given more than once"));
                }
                let format = Format::from_param(&value).ok_or_else(|| {
                    Problem::bad_request(
                        "unknown `format`: use json, health+json, text, html, markdown, oscal or prometheus",
                    )
                })?;
                query.format = Some(format);
            }
            "nonce" if takes == Params::Attestation => {
                if query.nonce.replace(value.into_owned()).is_some() {
                    return Err(Problem::bad_request("`nonce` is given more than once"));
                }
            }
            "exclude" if takes == Params::Report => {
                if !readiness_core::is_valid_check_name(&value) {
                    return Err(Problem::bad_request("`exclude` takes a check name such as `db:connections`"));
                }
                if query.exclude.len() == MAX_EXCLUDES {
                    return Err(Problem::bad_request(format!("at most {MAX_EXCLUDES} `exclude` parameters")));
                }
                query.exclude.push(value.into_owned());
            }
            _ => {
                let known = match takes {
                    Params::Report => "verbose, format and exclude",
                    Params::Plain => "verbose and format",
                    Params::Attestation => "verbose, format and nonce",
                };
                return Err(Problem::bad_request(format!("unknown query parameter: this endpoint takes {known}")));
            }
        }
    }
    Ok(query)
}

fn percent_encoding_is_valid(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(index + 1) && hex(index + 2)) {
                return false;
            }
            index += 3;
        } else {
            index += 1;
        }
    }
    true
}

/// Chooses among `offered` (in order of preference) by the `format` parameter, else by the
/// `Accept` header (with q-values), else the first.
pub(crate) fn negotiate(query: &Query, headers: &HeaderMap, offered: &[Format]) -> Result<Format, Problem> {
    if let Some(format) = query.format {
        return if offered.contains(&format) {
            Ok(format)
        } else {
            Err(Problem::new(
                StatusCode::NOT_ACCEPTABLE,
                "Not acceptable",
                "this endpoint does not serve that `format`",
            ))
        };
    }
    let mut values = headers.get_all(header::ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return Ok(offered[0]);
    }
    let mut best: Option<(f32, usize, Format)> = None;
    for value in values {
        let text = value.to_str().map_err(|_| Problem::bad_request("the Accept header is not visible ASCII"))?;
        for range in text.split(',').map(str::trim).filter(|range| !range.is_empty()) {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let (kind, subtype) = media
                .split_once('/')
                .ok_or_else(|| Problem::bad_request("the Accept header has a malformed media range"))?;
            if kind.is_empty() || subtype.is_empty() {
                return Err(Problem::bad_request("the Accept header has a malformed media range"));
            }
            let mut quality = 1.0_f32;
            for parameter in parts {
                if let Some(q) = parameter.strip_prefix("q=").or_else(|| parameter.strip_prefix("Q=")) {
                    quality = q
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))
                        .ok_or_else(|| Problem::bad_request("the Accept header has a q-value outside 0 to 1"))?;
                }
            }
            if quality == 0.0 {
                continue;
            }
            // Exact matches beat `type/*`, which beats `*/*`, at equal quality.
            for (preference, format) in offered.iter().enumerate() {
                let (offered_kind, offered_subtype) = format.media_type().split_once('/').unwrap_or_default();
                let specificity = if kind == "*" && subtype == "*" {
                    0
                } else if kind == offered_kind && subtype == "*" {
                    1
                } else if kind == offered_kind && subtype == offered_subtype {
                    2
                } else {
                    continue;
                };
                let score = quality * 10.0 + specificity as f32;
                let better = match best {
                    None => true,
                    Some((best_score, best_preference, _)) => {
                        score > best_score || (score == best_score && preference < best_preference)
                    }
                };
                if better {
                    best = Some((score, preference, *format));
                }
            }
        }
    }
    best.map(|(_, _, format)| format).ok_or_else(|| {
        let offered: Vec<&str> = offered.iter().map(|format| format.media_type()).collect();
        Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this endpoint serves {}", offered.join(", ")),
        )
    })
}

/// Whether the request carries `Authorization: Bearer <token>` with the configured token,
/// compared in constant time. Anything else (no header, another scheme, a wrong or malformed
/// token) is anonymous, never an error.
pub(crate) fn is_authorized(headers: &HeaderMap, token: Option<&SecretString>) -> bool {
    let Some(token) = token else { return false };
    let expected = token.expose_secret().as_bytes();
    let mut authorized = false;
    for value in headers.get_all(header::AUTHORIZATION) {
        let basic = basic_password(value);
        let Some(presented) = bearer(value).or(basic.as_deref()) else { continue };
        // Equal lengths compare in constant time; a different length is compared against
        // itself so that the time taken does not depend on where the token differs.
        let equal = if presented.len() == expected.len() {
            presented.ct_eq(expected)
        } else {
            let _ = presented.ct_eq(presented);
            subtle::Choice::from(0)
        };
        authorized |= bool::from(equal);
    }
    authorized
}

/// The password of `Basic` credentials (RFC 7617), whatever the user name: a browser asks for
/// both, and the token is the password.
fn basic_password(value: &HeaderValue) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let bytes = value.as_bytes();
    if !bytes.get(..6)?.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(bytes[6..].trim_ascii()).ok()?;
    let colon = decoded.iter().position(|&byte| byte == b':')?;
    let password = decoded[colon + 1..].to_vec();
    (!password.is_empty()).then_some(password)
}

/// Whether the request comes from a browser that can show a sign-in dialog: it accepts HTML.
pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            media.eq_ignore_ascii_case("text/html") && !refused
        })
    })
}

fn bearer(value: &HeaderValue) -> Option<&[u8]> {
    let bytes = value.as_bytes();
    let scheme = bytes.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = bytes[7..].trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn basic_credentials_carry_the_token_as_their_password() {
        use base64::Engine as _;
        let token = SecretString::from("a-detail-token-0123456789");
        let basic = |credentials: &str| {
            let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
            let mut map = HeaderMap::new();
            map.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
            map
        };
        assert!(is_authorized(&basic("anyone:a-detail-token-0123456789"), Some(&token)));
        assert!(is_authorized(&basic(":a-detail-token-0123456789"), Some(&token)));
        assert!(!is_authorized(&basic("me:a:detail"), None));
        for wrong in
            ["anyone:a-detail-token-012345678", "a-detail-token-0123456789:", "a-detail-token-0123456789", "anyone:"]
        {
            assert!(!is_authorized(&basic(wrong), Some(&token)), "{wrong}");
        }
        assert!(!is_authorized(&headers(header::AUTHORIZATION, "Basic !!!not-base64"), Some(&token)));
        assert!(accepts_html(&headers(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")));
        assert!(!accepts_html(&headers(header::ACCEPT, "application/json")));
        assert!(!accepts_html(&headers(header::ACCEPT, "text/html;q=0, application/json")));
    }

    #[test]
    fn queries_are_parsed_strictly() {
        let query =
            parse_query(Some("verbose&exclude=db%3Aping&exclude=cache:ping&format=text"), Params::Report).unwrap();
        assert!(query.verbose);
        assert_eq!(query.format, Some(Format::Text));
        assert_eq!(query.exclude, ["db:ping", "cache:ping"]);
        for bad in [
            "verbose&verbose",
            "format=xml",
            "exclude=a b",
            "nope=1",
            "x=%zz",
            "verbose=maybe",
            "format=json&format=text",
        ] {
            assert_eq!(parse_query(Some(bad), Params::Report).unwrap_err().status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        assert!(parse_query(Some("exclude=db:ping"), Params::Plain).is_err());
        assert!(parse_query(Some("nonce=abc"), Params::Report).is_err());
        assert_eq!(parse_query(Some("nonce=abc"), Params::Attestation).unwrap().nonce.as_deref(), Some("abc"));
        assert!(parse_query(Some("nonce=a&nonce=b"), Params::Attestation).is_err());
        assert!(parse_query(Some(&"a".repeat(MAX_QUERY_LEN + 1)), Params::Report).is_err());
        assert!(parse_query(Some("exclude=%FF"), Params::Report).is_err());
    }

    #[test]
    fn accept_negotiation_honours_q_values_and_specificity() {
        let offered = [Format::HealthJson, Format::Json, Format::Text];
        let query = Query::default();
        let pick = |accept: &'static str| negotiate(&query, &headers(header::ACCEPT, accept), &offered);
        assert_eq!(pick("text/plain").unwrap(), Format::Text);
        assert_eq!(pick("*/*").unwrap(), Format::HealthJson);
        assert_eq!(pick("text/plain;q=0.5, application/json").unwrap(), Format::Json);
        assert_eq!(pick("text/*").unwrap(), Format::Text);
        assert_eq!(pick("image/png").unwrap_err().status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(pick("text/plain;q=0").unwrap_err().status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(pick("garbage").unwrap_err().status(), StatusCode::BAD_REQUEST);
        assert_eq!(pick("text/plain;q=7").unwrap_err().status(), StatusCode::BAD_REQUEST);
        assert_eq!(negotiate(&query, &HeaderMap::new(), &offered).unwrap(), Format::HealthJson);
    }

    #[test]
    fn only_the_exact_bearer_token_authorizes() {
        let token = SecretString::from("s3cret-token-value");
        let check = |value: &'static str| is_authorized(&headers(header::AUTHORIZATION, value), Some(&token));
        assert!(check("Bearer s3cret-token-value"));
        assert!(check("bearer   s3cret-token-value "));
        assert!(!check("Bearer s3cret-token-valuE"));
        assert!(!check("Bearer s3cret"));
        assert!(!check("Basic s3cret-token-value"));
        assert!(!check("Bearer"));
        assert!(!is_authorized(&headers(header::AUTHORIZATION, "Bearer x"), None));
    }
}
