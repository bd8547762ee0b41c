//! `assert_ready!`: fail a test on an unmet required control, in one line.

use std::fmt;

use crate::outcome::Status;
use crate::profile::{Profile, Verdict};
use crate::readiness::Readiness;
use crate::report::Report;

/// Asserts that a service is ready: its readiness report does not fail, and a profile — its
/// own, or the one given — is met. On failure it panics with a readable table of every unmet
/// required control (state, reason, fix) and every failing critical check.
///
/// It evaluates in process with [`Readiness::settled_checklist`], so background checks have
/// had their first run. Use it in an async test:
///
/// ```
/// use readiness_core::{Profile, assert_ready};
/// use readiness_core::attestation::Declaration;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let readiness = readiness_core::testing::builder()
///     .declare(Declaration::new("security.data.secrets", "from the environment, see config.rs"))
///     .profile(Profile::new("secrets").require_control("security.data.secrets"))
///     .build()
///     .unwrap();
/// assert_ready!(readiness);
///
/// let stricter = Profile::new("stricter").require_group("security.data");
/// let failure = tokio::spawn(async move { assert_ready!(readiness, stricter) }).await.unwrap_err();
/// let message = failure.into_panic().downcast::<String>().unwrap();
/// assert!(message.contains("profile `stricter` not met: 1 of 5 required controls satisfied"), "{message}");
/// assert!(message.contains("security.data.log-masking  missing"), "{message}");
/// # }
/// ```
#[macro_export]
macro_rules! assert_ready {
    ($readiness:expr $(,)?) => {
        if let ::core::result::Result::Err(unready) = $crate::__private::evaluate_ready(
            <_ as ::core::borrow::Borrow<$crate::Readiness>>::borrow(&$readiness),
            ::core::option::Option::None,
        )
        .await
        {
            ::core::panic!("{}", unready);
        }
    };
    ($readiness:expr, $profile:expr $(,)?) => {
        if let ::core::result::Result::Err(unready) = $crate::__private::evaluate_ready(
            <_ as ::core::borrow::Borrow<$crate::Readiness>>::borrow(&$readiness),
            ::core::option::Option::Some(<_ as ::core::borrow::Borrow<$crate::Profile>>::borrow(&$profile)),
        )
        .await
        {
            ::core::panic!("{}", unready);
        }
    };
}

/// Why [`assert_ready!`] failed: the verdict and the failing critical checks.
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

/// The body of [`assert_ready!`]: `Err` with everything the panic message shows.
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
        .filter(|check| {
            check.critical && check.status == Status::Fail && check.kinds.contains(crate::CheckKind::Readiness)
        })
        .map(|check| format!("{}: {}", check.name, check.outcome.output.as_deref().unwrap_or("fails")))
        .collect()
}
