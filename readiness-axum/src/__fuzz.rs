//! Entry points for the fuzz targets in `fuzz/` (query parsing, `Accept` negotiation): the
//! crate-private parsers behind plain types. Not part of the API; no semver promise.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::request::{self, Format, Params};

/// Every format, in the order the routes prefer them on the probes.
const FORMATS: [Format; 9] = [
    Format::HealthJson,
    Format::Json,
    Format::Text,
    Format::Html,
    Format::Markdown,
    Format::Prometheus,
    Format::OpenMetrics,
    Format::Oscal,
    Format::Dsse,
];

/// Parses `raw` as the query of a report (`kind` 0), a plain endpoint (1) or the attestation
/// (2): the notes of what was ignored, or the rejection's HTTP status.
pub fn parse_query(raw: &str, kind: u8) -> Result<Vec<String>, u16> {
    let takes = match kind % 3 {
        0 => Params::Report,
        1 => Params::Plain,
        _ => Params::Attestation,
    };
    request::parse_query(Some(raw), takes).map(|query| query.ignored).map_err(|problem| problem.status().as_u16())
}

/// Negotiates an `Accept` header of these bytes among the formats picked by the bits of
/// `offered` (at least one): the chosen media type, or the rejection's HTTP status (0 when the
/// bytes cannot be a header value at all, which never reaches a handler).
pub fn negotiate(accept: &[u8], offered: u16) -> Result<String, u16> {
    let offered: Vec<Format> =
        FORMATS.iter().enumerate().filter(|(bit, _)| offered & (1 << bit) != 0).map(|(_, format)| *format).collect();
    let offered = if offered.is_empty() { vec![Format::HealthJson] } else { offered };
    let Ok(value) = HeaderValue::from_bytes(accept) else { return Err(0) };
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, value);
    request::negotiate(&request::Query::default(), &headers, &offered)
        .map(|format| format.media_type())
        .map_err(|problem| problem.status().as_u16())
}

/// Whether an `Accept` header of these bytes asks for HTML (a browser, offered Basic sign-in).
pub fn accepts_html(accept: &[u8]) -> bool {
    let Ok(value) = HeaderValue::from_bytes(accept) else { return false };
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, value);
    request::accepts_html(&headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_can_be_offered_alone() {
        for (bit, format) in FORMATS.iter().enumerate() {
            assert_eq!(negotiate(b"*/*", 1 << bit), Ok(format.media_type()), "{format:?}");
        }
        assert_eq!(negotiate(b"*/*", u16::MAX), Ok(FORMATS[0].media_type()));
    }
}
