//! `application/problem+json` (RFC 9457) answers: every rejection of the readiness routes is one,
//! and a service's own handlers can answer with the same shape. The readiness routes echo no
//! request input in a problem.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The media type.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem to answer with: every refusal of the readiness routes is one (with their `Vary`
/// added), and a service's own handlers may return one too (`Result<Response, Problem>`).
///
/// ```
/// use axum::http::StatusCode;
/// use axum::response::{IntoResponse, Response};
/// use readiness_axum::Problem;
///
/// async fn order(id: u64) -> Result<Response, Problem> {
///     if id == 0 {
///         return Err(Problem::bad_request("order ids start at 1"));
///     }
///     Ok("an order".into_response())
/// }
///
/// let problem = Problem::new(StatusCode::CONFLICT, "Conflict", "the order is already paid");
/// let response = problem.into_response();
/// assert_eq!(response.status(), StatusCode::CONFLICT);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// # let _ = order;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a problem does nothing until it is returned as a response"]
pub struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
    /// A 401 to a browser also offers Basic authentication, so it can ask for the token.
    basic_challenge: bool,
}

impl Problem {
    /// A problem with an HTTP status, a short title that does not change from occurrence to
    /// occurrence, and a detail sentence about this occurrence. Put no request input in the
    /// detail unescaped: it is served as it is.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), basic_challenge: false }
    }

    /// On a 401, challenge with `Basic realm="readiness"` first: a browser then asks for a user
    /// name and password (the token). Used for requests that accept HTML.
    pub(crate) fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    /// A 400 `Bad request` problem.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The title.
    pub fn title(&self) -> &str {
        self.title
    }

    /// The detail sentence.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if self.status == StatusCode::UNAUTHORIZED {
            if self.basic_challenge {
                headers.append(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"readiness\", charset=\"UTF-8\""),
                );
            }
            headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"readiness\""));
        }
        response
    }
}
