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
/// Most unknown parameters named in the notes; the rest are counted.
const MAX_IGNORED_NOTES: usize = 8;
/// Longest unknown parameter name repeated in a note.
const MAX_NOTED_NAME_LEN: usize = 32;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    HealthJson,
    Json,
    Text,
    Html,
    Markdown,
    /// Prometheus text exposition 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    Oscal,
    /// A DSSE envelope (the signed attestation).
    Dsse,
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
            "openmetrics" => Some(Format::OpenMetrics),
            "oscal" => Some(Format::Oscal),
            _ => None,
        }
    }

    /// The media type, parameters that select it included: what `Accept` ranges are matched
    /// against.
    fn media_range(self) -> (&'static str, &'static str, &'static [(&'static str, &'static str)]) {
        match self {
            Format::HealthJson => ("application", "health+json", &[]),
            Format::Json => ("application", "json", &[]),
            Format::Text => ("text", "plain", &[]),
            Format::Html => ("text", "html", &[]),
            Format::Markdown => ("text", "markdown", &[]),
            Format::Prometheus => ("text", "plain", &[("version", "0.0.4")]),
            Format::OpenMetrics => ("application", "openmetrics-text", &[("version", "1.0.0")]),
            Format::Oscal => ("application", "oscal+json", &[]),
            Format::Dsse => ("application", "vnd.dsse.envelope.v1+json", &[]),
        }
    }

    /// The media type as a 406 names it.
    pub(crate) fn media_type(self) -> String {
        let (kind, subtype, parameters) = self.media_range();
        let mut media_type = format!("{kind}/{subtype}");
        for (name, value) in parameters {
            media_type.push_str(&format!("; {name}={value}"));
        }
        media_type
    }

    /// Whether this format meets a media-range parameter: one of its own, `charset=utf-8`
    /// (every body is UTF-8), or for the metric formats any `escaping` (Prometheus' scheme for
    /// UTF-8 names: every name here is a legacy one, which reads the same under each scheme).
    fn satisfies(self, name: &str, value: &str) -> bool {
        let (_, _, parameters) = self.media_range();
        parameters
            .iter()
            .any(|(own, own_value)| own.eq_ignore_ascii_case(name) && own_value.eq_ignore_ascii_case(value))
            || (name.eq_ignore_ascii_case("charset") && value.eq_ignore_ascii_case("utf-8"))
            || (matches!(self, Format::Prometheus | Format::OpenMetrics) && name.eq_ignore_ascii_case("escaping"))
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
    /// What was ignored (cache-busters and other unknown parameters), as notes for a report.
    pub(crate) ignored: Vec<String>,
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
        !self.verbose && self.format.is_none() && self.exclude.is_empty() && self.ignored.is_empty()
    }
}

/// Parses `verbose`, `format` and what the endpoint also `takes`: repeated `exclude`, or `nonce`.
///
/// Malformed is a 400: a query longer than [`MAX_QUERY_LEN`], a bad percent-encoding or
/// invalid UTF-8 anywhere in it, a known parameter with a bad value or given twice, and
/// `exclude` or `nonce` on an endpoint that does not take it. Any other parameter is unknown:
/// ignored, and noted in [`Query::ignored`].
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
    let mut unknown = Vec::new();
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
                        "unknown `format`: use json, health+json, text, html, markdown, oscal, prometheus or openmetrics",
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
            // A parameter of another endpoint is a caller's mistake, not a cache-buster:
            // silently ignoring `exclude` on the metrics would mislead.
            "exclude" | "nonce" => {
                let known = match takes {
                    Params::Report => "verbose, format and exclude",
                    Params::Plain => "verbose and format",
                    Params::Attestation => "verbose, format and nonce",
                };
                return Err(Problem::bad_request(format!("this endpoint takes only {known}")));
            }
            // Monitors add cache-busters (`_=1733221234`, `ts=`, `nocache`): ignored, and noted.
            name => unknown.push(name.to_owned()),
        }
    }
    query.ignored = ignored_notes(unknown);
    Ok(query)
}

/// The notes for the unknown parameters: each distinct name once, named only when it is a
/// short word of letters, digits and `_.-` (nothing else of the request is repeated), at most
/// [`MAX_IGNORED_NOTES`] of them and a count of the rest.
fn ignored_notes(names: Vec<String>) -> Vec<String> {
    let sayable = |name: &str| {
        name.len() <= MAX_NOTED_NAME_LEN && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    let mut notes: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut unsaid = 0;
    for name in names {
        if !seen.insert(name.clone()) {
            continue;
        }
        if notes.len() == MAX_IGNORED_NOTES {
            unsaid += 1;
        } else if name.is_empty() {
            notes.push("ignored a query parameter without a name".to_owned());
        } else if sayable(&name) {
            notes.push(format!("ignored unknown query parameter `{name}`"));
        } else {
            notes.push("ignored an unknown query parameter (its name is not repeated)".to_owned());
        }
    }
    if unsaid > 0 {
        notes.push(format!("ignored {unsaid} more unknown query parameters"));
    }
    notes
}

/// Whether a request path is well-formed: its percent-encodings are complete and decode to UTF-8.
pub(crate) fn path_is_well_formed(path: &str) -> bool {
    if !path.contains('%') {
        return true;
    }
    percent_encoding_is_valid(path) && std::str::from_utf8(&percent_decode(path)).is_ok()
}

/// `raw` with its (valid) percent-encodings decoded.
fn percent_decode(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match hex.filter(|_| bytes[index] == b'%').and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    decoded
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
/// `Accept` header, else the first.
///
/// RFC 9110 §12.5.1: each offered format takes the quality of the most specific media range
/// that matches it (`type/subtype` with more parameters beats fewer, beats `type/*`, beats
/// `*/*`), so `text/*, text/plain;q=0` refuses `text/plain`; the highest quality wins, ties
/// go to the earlier offer, and `q=0` means "not acceptable". An `Accept` without a single
/// media range (empty, or only commas) is treated as absent.
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
    let ranges = parse_accept(headers)?;
    if ranges.is_empty() {
        return Ok(offered[0]);
    }
    let mut best: Option<(u16, Format)> = None;
    for &format in offered {
        let quality = most_specific_match(&ranges, format).map_or(0, |range| range.quality);
        // Strictly greater: on a tie the earlier offer, the server's preference, stays.
        if quality > 0 && best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format).ok_or_else(|| {
        let offered: Vec<String> = offered.iter().map(|format| format.media_type()).collect();
        Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this endpoint serves {}", offered.join(", ")),
        )
    })
}

/// Whether the request comes from a browser that can show a sign-in dialog: it names
/// `text/html` itself with a quality above 0. A `*/*` (curl, kubelet, Go) asks for no dialog,
/// and a malformed `Accept` is no browser's.
pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    let Ok(ranges) = parse_accept(headers) else { return false };
    most_specific_match(&ranges, Format::Html)
        .is_some_and(|range| range.kind != "*" && range.subtype != "*" && range.quality > 0)
}

/// One element of an `Accept` header, borrowed from it.
#[derive(Debug)]
struct MediaRange<'a> {
    /// The type, `*` for any (a bare `*` is read as `*/*`).
    kind: &'a str,
    /// The subtype, `*` for any.
    subtype: &'a str,
    /// The media-range parameters (those before `q`), values without their quotes.
    parameters: Vec<(&'a str, &'a str)>,
    /// The weight in thousandths, 1000 without a `q`.
    quality: u16,
}

impl MediaRange<'_> {
    /// How specifically the range names `format`, `None` when it does not match it. Higher is
    /// more specific: `*/*`, then `type/*`, then `type/subtype`, each with more parameters
    /// above fewer.
    fn specificity(&self, format: Format) -> Option<(u8, usize)> {
        let (kind, subtype, _) = format.media_range();
        let level = match (self.kind, self.subtype) {
            ("*", _) => 0,
            (range_kind, "*") if range_kind.eq_ignore_ascii_case(kind) => 1,
            (range_kind, range_subtype)
                if range_kind.eq_ignore_ascii_case(kind) && range_subtype.eq_ignore_ascii_case(subtype) =>
            {
                2
            }
            _ => return None,
        };
        let parameters_met = self.parameters.iter().all(|&(name, value)| format.satisfies(name, value));
        parameters_met.then_some((level, self.parameters.len()))
    }
}

/// The range that decides the quality of `format`: the most specific one matching it (the
/// first of equally specific ones).
fn most_specific_match<'r, 'a>(ranges: &'r [MediaRange<'a>], format: Format) -> Option<&'r MediaRange<'a>> {
    let mut best: Option<((u8, usize), &MediaRange<'a>)> = None;
    for range in ranges {
        if let Some(specificity) = range.specificity(format)
            && best.is_none_or(|(best_specificity, _)| specificity > best_specificity)
        {
            best = Some((specificity, range));
        }
    }
    best.map(|(_, range)| range)
}

/// Every media range of every `Accept` header, in order; empty without one. Tolerant of what
/// real clients send (a bare `*`, `q=.2`, `Q=`, spaces around `;` and `=`, empty elements and
/// parameters), strict about the rest: a byte that is not visible ASCII, a media range that is
/// not `type/subtype`, a parameter without a value, an unterminated quoted string, or a
/// q-value that is not a number from 0 to 1 with at most three decimals is a 400.
fn parse_accept(headers: &HeaderMap) -> Result<Vec<MediaRange<'_>>, Problem> {
    let mut ranges = Vec::new();
    for value in headers.get_all(header::ACCEPT) {
        let bytes = value.as_bytes();
        if !bytes.iter().all(|&byte| byte == b'\t' || (b' '..=b'~').contains(&byte)) {
            return Err(Problem::bad_request("the Accept header has a byte that is not visible ASCII"));
        }
        // Checked above: visible ASCII is UTF-8.
        let text = std::str::from_utf8(bytes).map_err(|_| malformed_accept())?;
        for element in split_outside_quotes(text, b',')? {
            let element = trim_ows(element);
            if !element.is_empty() {
                ranges.push(parse_media_range(element)?);
            }
        }
    }
    Ok(ranges)
}

fn parse_media_range(element: &str) -> Result<MediaRange<'_>, Problem> {
    let mut parts = split_outside_quotes(element, b';')?.into_iter().map(trim_ows);
    let media = parts.next().unwrap_or_default();
    // Java's URLConnection sends a bare `*` for `*/*`.
    let (kind, subtype) = if media == "*" { ("*", "*") } else { media.split_once('/').ok_or_else(malformed_accept)? };
    if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
        return Err(malformed_accept());
    }
    let mut range = MediaRange { kind, subtype, parameters: Vec::new(), quality: 1000 };
    let mut weighted = false;
    for parameter in parts {
        if parameter.is_empty() {
            continue;
        }
        let (name, value) = parameter.split_once('=').ok_or_else(malformed_accept)?;
        let (name, value) = (trim_ows(name), trim_ows(value));
        let value = match value.strip_prefix('"') {
            Some(quoted) => quoted.strip_suffix('"').ok_or_else(malformed_accept)?,
            None if is_token(value) => value,
            None => return Err(malformed_accept()),
        };
        if !is_token(name) {
            return Err(malformed_accept());
        }
        if weighted {
            // After the weight come accept extensions, which name no representation.
            continue;
        }
        if name.eq_ignore_ascii_case("q") {
            range.quality = parse_quality(value).ok_or_else(|| {
                Problem::bad_request(
                    "the Accept header has a q-value that is not a number from 0 to 1 (at most 3 decimals)",
                )
            })?;
            weighted = true;
        } else {
            range.parameters.push((name, value));
        }
    }
    Ok(range)
}

/// An RFC 9110 qvalue in thousandths (`0`, `0.5`, `1.000`), also without its leading `0`
/// (`.2`, as Java sends).
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    match whole {
        "1" => fraction.bytes().all(|byte| byte == b'0').then_some(1000),
        "0" | "" if !(whole.is_empty() && fraction.is_empty()) => {
            let digits = format!("{fraction:0<3}");
            digits.parse().ok()
        }
        _ => None,
    }
}

/// Splits at `separator` where it is outside a quoted string; an unterminated one is malformed.
fn split_outside_quotes(text: &str, separator: u8) -> Result<Vec<&str>, Problem> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            _ if byte == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err(malformed_accept());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// An RFC 9110 token: one or more `tchar`.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

fn malformed_accept() -> Problem {
    Problem::bad_request("the Accept header has a malformed media range")
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
            "exclude=",
            "format=",
            "x=%zz",
            "_=%FF",
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
    fn unknown_parameters_are_ignored_and_noted_without_repeating_odd_names() {
        let query = parse_query(Some("_=1733221234&ts=1&nocache&_=2&verbose"), Params::Report).unwrap();
        assert!(query.verbose);
        assert!(!query.is_empty());
        assert_eq!(
            query.ignored,
            [
                "ignored unknown query parameter `_`",
                "ignored unknown query parameter `ts`",
                "ignored unknown query parameter `nocache`"
            ]
        );
        let odd = parse_query(Some("%3Cscript%3E=1&=2&a%60b"), Params::Plain).unwrap();
        assert_eq!(
            odd.ignored,
            [
                "ignored an unknown query parameter (its name is not repeated)",
                "ignored a query parameter without a name",
                "ignored an unknown query parameter (its name is not repeated)"
            ]
        );
        let many: Vec<String> = (0..20).map(|index| format!("p{index}=1")).collect();
        let noted = parse_query(Some(&many.join("&")), Params::Report).unwrap().ignored;
        assert_eq!(noted.len(), MAX_IGNORED_NOTES + 1);
        assert_eq!(noted.last().unwrap(), "ignored 12 more unknown query parameters");
        let long = format!("{}=1", "x".repeat(MAX_NOTED_NAME_LEN + 1));
        assert!(!parse_query(Some(&long), Params::Report).unwrap().ignored[0].contains("xxx"));
        assert!(parse_query(None, Params::Report).unwrap().ignored.is_empty());
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
    fn the_most_specific_range_decides_and_odd_headers_are_tolerated() {
        let offered = [Format::HealthJson, Format::Json, Format::Text];
        let query = Query::default();
        let pick = |accept: &'static str| negotiate(&query, &headers(header::ACCEPT, accept), &offered);
        // Issue 14: `*/*` (q=1) gives health+json a higher quality than text/plain's 0.9.
        assert_eq!(pick("*/*, text/plain;q=0.9").unwrap(), Format::HealthJson);
        // Issue 14: text/plain's own range refuses it, whatever `text/*` says.
        assert_eq!(pick("text/*, text/plain;q=0").unwrap_err().status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(pick("text/plain;q=0, */*").unwrap(), Format::HealthJson);
        assert_eq!(pick("application/json, application/health+json").unwrap(), Format::HealthJson, "a tie");
        assert_eq!(pick("application/json, application/health+json;q=0.9").unwrap(), Format::Json);
        assert_eq!(pick("application/*;q=0.5, text/plain;q=0.6").unwrap(), Format::Text);
        // Parameters make a range more specific, and must be met.
        assert_eq!(
            pick("text/plain;q=0.1, text/plain;charset=utf-8;q=0.9, application/*;q=0.5").unwrap(),
            Format::Text
        );
        assert_eq!(pick("text/plain;charset=latin1, application/json;q=0.1").unwrap(), Format::Json);
        assert_eq!(pick("application/json; charset=utf-8").unwrap(), Format::Json);
        // Java's default, with a bare `*` and `q=.2`.
        assert_eq!(pick("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2").unwrap(), Format::HealthJson);
        for tolerated in [
            "text/plain ; Q = 0.5 , application/json;q=0.4",
            "text/plain;q=0.500,,application/json;q=0.4,",
            "text/plain;;q=1.0, application/json;q=.4",
            "text/plain;q=1., application/json;q=0.4;ext=\"a,b;c\"",
            "\ttext/plain\t;q=1",
        ] {
            assert_eq!(pick(tolerated).map_err(|problem| problem.detail().to_owned()), Ok(Format::Text), "{tolerated}");
        }
        // No media range at all is no preference.
        assert_eq!(pick("").unwrap(), Format::HealthJson);
        assert_eq!(pick(" , ,").unwrap(), Format::HealthJson);
        for malformed in [
            ";;;",
            "text",
            "*/plain",
            "text/",
            "text/plain;q=1.5",
            "text/plain;q=-0.1",
            "text/plain;q=abc",
            "text/plain;q=0.1234",
            "text/plain;q=",
            "text/plain;q=.",
            "text/plain;level",
            "text/plain;a=\"unterminated",
            "text/pl ain",
            "text/plain;q=0.5 0.7",
        ] {
            assert_eq!(pick(malformed).unwrap_err().status(), StatusCode::BAD_REQUEST, "{malformed}");
        }
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality(".2"), Some(200));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("1.001"), None);
    }

    #[test]
    fn prometheus_gets_the_format_its_q_values_prefer() {
        let offered = [Format::Prometheus, Format::OpenMetrics];
        let query = Query::default();
        let pick = |accept: &'static str| negotiate(&query, &headers(header::ACCEPT, accept), &offered);
        // Prometheus 3.
        let prometheus_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(pick(prometheus_3).unwrap(), Format::OpenMetrics);
        // Prometheus 2 with OpenMetrics, and without (the protobuf first).
        let prometheus_2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(pick(prometheus_2).unwrap(), Format::OpenMetrics);
        let protobuf_first = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1";
        assert_eq!(pick(protobuf_first).unwrap(), Format::Prometheus);
        assert_eq!(pick("*/*").unwrap(), Format::Prometheus);
        assert_eq!(pick("text/plain").unwrap(), Format::Prometheus);
        assert_eq!(pick("application/openmetrics-text").unwrap(), Format::OpenMetrics);
        // Versions that are not served are not matched.
        assert_eq!(
            pick("application/openmetrics-text;version=0.0.1").unwrap_err().status(),
            StatusCode::NOT_ACCEPTABLE
        );
        assert_eq!(pick("text/plain;version=1.0.0").unwrap_err().status(), StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn a_browser_is_one_that_names_html_itself() {
        let browser = |accept: &'static str| accepts_html(&headers(header::ACCEPT, accept));
        assert!(browser("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assert!(browser("TEXT/HTML;Q=0.5"));
        assert!(!browser("*/*"));
        assert!(!browser("text/*"));
        assert!(!browser("text/html;q=0, */*"));
        assert!(!browser(";;;"));
        assert!(!accepts_html(&HeaderMap::new()));
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
