//! Output formats. Each renders a [`Report`](crate::Report); none runs a check.
//!
//! Status maps to HTTP code in one place, [`Status::http_code`](crate::Status::http_code).

pub mod checklist;
#[cfg(feature = "prometheus-client")]
pub mod collector;
#[cfg(feature = "metrics")]
pub mod facade;
pub mod health_json;
pub mod html;
pub mod in_toto;
pub mod jwks;
pub mod oscal;
pub mod prometheus;
#[cfg(any(feature = "metrics", feature = "prometheus-client"))]
mod samples;
pub mod text;

/// How much of a report a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disclosure {
    /// The overall status, and each check's name and status: what an anonymous caller sees.
    Minimal,
    /// Everything: outputs, observed values, evidence, source locations.
    Full,
}
