//! The verdict as JUnit XML, which GitLab, Jenkins and most CI systems read: one test case per
//! control, unmet required controls as failures.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use readiness_core::Verdict;

use crate::CannotEvaluate;
use crate::document::Checklist;

/// A report with one suite, named after the service and the profile.
pub(crate) fn render(
    checklist: &Checklist,
    verdict: &Verdict,
    status_fails: Option<&str>,
) -> Result<String, CannotEvaluate> {
    let mut suite = TestSuite::new(format!("readiness of {}: profile {}", checklist.who(), verdict.profile));
    suite.add_properties([
        Property::new("service", checklist.service.name.as_str()),
        Property::new("version", checklist.service.version.as_str()),
        Property::new("instance", checklist.service.instance.as_str()),
        Property::new("profile", verdict.profile.as_str()),
        Property::new("level", verdict.level.as_deref().unwrap_or("none")),
        Property::new("summary", verdict.summary()),
    ]);
    if let Some(status) = status_fails {
        let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
        failure.set_message(status.trim()).set_type("status");
        let mut case = TestCase::new("readiness status", failure);
        case.set_classname("readiness");
        suite.add_test_case(case);
    }
    for entry in &checklist.controls {
        let id = entry.id();
        let status = if let Some(unmet) = verdict.unmet.iter().find(|unmet| unmet.control == id) {
            let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
            failure
                .set_message(format!("{}: {}", unmet.state.as_str(), unmet.reason))
                .set_type(unmet.state.as_str())
                .set_description(format!("fix: {}", unmet.fix));
            failure
        } else if entry.state().satisfies_profile() {
            TestCaseStatus::success()
        } else {
            let mut skipped = TestCaseStatus::skipped();
            skipped.set_message(format!("not required by profile `{}`: {}", verdict.profile, entry.state().as_str()));
            skipped
        };
        let mut case = TestCase::new(id, status);
        // Jenkins reads the class name's dots as packages: security > data > secrets.
        case.set_classname(id.rsplit_once('.').map_or(id, |(group, _)| group));
        case.add_property(Property::new("attestation", entry.state().as_str()));
        if let Some(evidence) = &entry.standing.evidence {
            case.set_system_out(evidence.as_str());
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("readiness");
    report.add_test_suite(suite);
    report.to_string().map_err(|error| format!("cannot write JUnit XML: {error}").into())
}
