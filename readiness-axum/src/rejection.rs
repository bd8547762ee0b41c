//! What every answer of the readiness routes carries, and the refusals the framework would
//! otherwise answer in plain text (a 405, a path that does not decode) made problems like the
//! handlers' own.
//!
//! Done in each handler rather than as one `Router::layer` around the routes: axum boxes every
//! route again under a layer, and on the probe's hot path (a cached body) that second box and its
//! future were a quarter of what the readiness routes add to a request.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// Puts the headers every answer of the readiness routes carries.
pub(crate) fn common_headers(headers: &mut HeaderMap) {
    // Every answer depends on both: a shared cache must not give one caller's to another.
    headers.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// The error of a readiness handler: a [`Problem`] that also carries the routes' common headers
/// (a service's own problems do not vary by `Authorization`, so [`Problem`] itself leaves `Vary`
/// out). `?` turns a `Problem` into one.
#[derive(Debug)]
pub(crate) struct Refusal(Problem);

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Self {
        Self(problem)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        common_headers(response.headers_mut());
        response
    }
}

/// The fallback of every readiness route's method router: a 405 problem. axum adds `Allow`
/// (the methods the route's method router has, `GET,HEAD`) to what a method fallback answers.
pub(crate) async fn method_not_allowed() -> Refusal {
    Refusal(Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "the readiness routes answer GET and HEAD only",
    ))
}

/// The refusal of a path under the readiness path that does not decode: axum's `Path` would
/// answer it in plain text, or take a malformed `%` sequence literally.
pub(crate) fn malformed_path() -> Refusal {
    Refusal(Problem::bad_request("the path has a malformed percent-encoding or is not UTF-8"))
}
