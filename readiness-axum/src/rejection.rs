//! The one place every answer of the readiness routes passes through: it gets the headers all of
//! them carry, and the framework's own rejections (a 405, a path that fails to extract) become
//! problems like the handlers' own, instead of axum's plain-text bodies.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::request::path_is_well_formed;

/// Marks a response as made by the readiness routes themselves (a handler's answer or a
/// [`Problem`]): one without it is the framework's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answered;

/// The middleware of the readiness routes (`axum::middleware::from_fn`).
pub(crate) async fn guard(request: Request, next: Next) -> Response {
    // Before routing extracts `{check}`: axum would answer a bad encoding in plain text.
    let mut response = if path_is_well_formed(request.uri().path()) {
        next.run(request).await
    } else {
        Problem::bad_request("the path has a malformed percent-encoding or is not UTF-8").into_response()
    };
    let status = response.status();
    if response.extensions().get::<Answered>().is_none() && (status.is_client_error() || status.is_server_error()) {
        response = as_problem(response);
    }
    let headers = response.headers_mut();
    // Every answer depends on both: a shared cache must not give one caller's to another.
    headers.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// A framework rejection as a problem of the same status; its body, which may quote the
/// request, is dropped, and `Allow` (of a 405) is kept.
fn as_problem(rejection: Response) -> Response {
    let status = rejection.status();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "the readiness routes answer GET and HEAD only",
        StatusCode::NOT_FOUND => "no readiness resource has that path",
        StatusCode::PAYLOAD_TOO_LARGE => "the readiness routes take no request body",
        StatusCode::BAD_REQUEST => "the request is malformed",
        _ => "the request was refused",
    };
    let mut problem = Problem::new(status, status.canonical_reason().unwrap_or("Error"), detail).into_response();
    if let Some(allow) = rejection.headers().get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}
