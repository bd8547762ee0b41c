//! The body of `assert_ready!` (defined at the crate root): fail a test on an unmet required
//! control, in one line.

use std::fmt;

use crate::check::CheckKind;
use crate::outcome::Status;
use crate::profile::{Profile, Verdict};
use crate::readiness::Readiness;
use crate::report::Report;

/// Why [`assert_ready!`](crate::assert_ready) failed: the verdict and the failing critical checks.
#[doc(hidden)]
#[derive(Debug)]
pub struct Unready {
    verdict: Verdict,
    service: String,
    failing_checks: Vec<String>,
}

impl fmt::Display for Unready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} is not ready", self.service)?;
        if !self.failing_checks.is_empty() {
            writeln!(f, "readiness fails:")?;
            for line in &self.failing_checks {
                writeln!(f, "  {line}")?;
            }
        }
        write!(f, "{}", self.verdict)
    }
}

/// The body of [`assert_ready!`](crate::assert_ready): `Err` with everything the panic message shows.
#[doc(hidden)]
pub async fn evaluate_ready(readiness: &Readiness, profile: Option<&Profile>) -> Result<Verdict, Unready> {
    let report = readiness.settled_checklist().await;
    let verdict = Verdict::of(profile.unwrap_or_else(|| readiness.profile()), &report);
    let failing_checks = failing_critical(&report);
    if verdict.met && failing_checks.is_empty() {
        return Ok(verdict);
    }
    let service = format!("{} {}", report.service.name, report.service.version);
    Err(Unready { verdict, service, failing_checks })
}

/// The critical readiness checks that fail, one line each.
fn failing_critical(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|check| check.critical && check.status == Status::Fail && check.kinds.contains(CheckKind::Readiness))
        .map(|check| format!("{}: {}", check.name, check.outcome.output.as_deref().unwrap_or("fails")))
        .collect()
}
