//! Kubernetes-style plain text, as `/readyz?verbose` answers:
//!
//! ```text
//! [+]db:connections ok
//! [-]secrets:jwt failed: reason withheld
//! readiness check failed
//! ```
//!
//! ```
//! use readiness_core::output::{Disclosure, text};
//! use readiness_core::{CheckSpec, Outcome, Readiness};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .check_fn(CheckSpec::new("db:ping").critical(), |_| async { Outcome::fail("refused") })
//!     .build()
//!     .unwrap();
//! let report = readiness.readiness().await;
//! assert_eq!(text::render(&report, Disclosure::Minimal, true), "[-]db:ping failed: reason withheld\nreadiness check failed\n");
//! assert_eq!(text::render(&report, Disclosure::Full, true), "[-]db:ping failed: refused\nreadiness check failed\n");
//! assert_eq!(text::render(&report, Disclosure::Minimal, false), "readiness check failed\n");
//! # }
//! ```

use std::fmt::Write;

use super::Disclosure;
use crate::outcome::Status;
use crate::report::Report;

/// The media type.
pub const CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Renders a report; `verbose` lists every check before the final line. Outputs are shown only
/// with [`Disclosure::Full`]; line breaks in them are folded so each check stays on one line.
pub fn render(report: &Report, disclosure: Disclosure, verbose: bool) -> String {
    let mut text = String::new();
    if verbose {
        for check in &report.checks {
            let (sign, word) = match check.status {
                Status::Pass => ('+', "ok"),
                Status::Warn => ('+', "ok (warn)"),
                Status::Fail => ('-', "failed"),
            };
            let _ = write!(text, "[{sign}]{} {word}", check.name);
            match (disclosure, &check.outcome.output) {
                (Disclosure::Full, Some(output)) if check.status != Status::Pass => {
                    let _ = write!(text, ": {}", output.replace(['\n', '\r'], " "));
                }
                (Disclosure::Minimal, _) if check.status == Status::Fail => text.push_str(": reason withheld"),
                _ => {}
            }
            text.push('\n');
        }
        for note in &report.notes {
            let _ = writeln!(text, "note: {}", note.replace(['\n', '\r'], " "));
        }
    }
    let kind = report.kind.map_or("readiness", |kind| kind.as_str());
    let verdict = if report.status == Status::Fail { "failed" } else { "passed" };
    let _ = writeln!(text, "{kind} check {verdict}");
    text
}
