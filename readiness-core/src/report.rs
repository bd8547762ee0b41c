//! Reports: one evaluation of the checks, and of the controls they prove.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::attestation::{AttestationState, Declaration, OperatorAttestation, SourceLocation, Waiver};
use crate::catalog::Control;
use crate::check::{CheckKind, Kinds};
use crate::outcome::{Outcome, Status};
use crate::profile::{Profile, Standing, Verdict};

/// Who the report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ServiceInfo {
    /// The service's name.
    pub name: String,
    /// The service's version (usually `CARGO_PKG_VERSION`).
    pub version: String,
    /// Which running instance answered (host name and process id unless set).
    pub instance: String,
    /// A one-line description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What was built and how.
    pub build: BuildInfo,
}

/// Facts about the build, captured at compile time where possible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    /// The source revision (a git commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the binary was built by a CI system, and which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    /// The compiler version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rustc: Option<String>,
    /// The cargo profile (`debug`, `release`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Whether the working tree had uncommitted changes to tracked files when the binary was
    /// built (`git status`, or `GIT_DIRTY`): a dirty build is not a build of `commit`. `None`
    /// when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty: Option<bool>,
}

/// A check's reported status changed (after flap damping).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatusChange {
    /// The check's name.
    pub check: String,
    /// The status before, `None` on the first result.
    pub previous: Option<Status>,
    /// The status now.
    pub current: Status,
    /// The output of the run that caused the change (masked).
    pub output: Option<String>,
}

/// Which checks a report covers.
///
/// ```
/// use readiness_core::Selection;
///
/// let selection = Selection::readiness().exclude("db:connections");
/// # let _ = selection;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub(crate) kind: Option<CheckKind>,
    pub(crate) only: Option<String>,
    pub(crate) exclude: Vec<String>,
}

impl Selection {
    /// The checks of kind readiness; the report fails while the service shuts down.
    pub fn readiness() -> Self {
        Self { kind: Some(CheckKind::Readiness), ..Self::default() }
    }

    /// The checks of kind liveness (none by default, so liveness passes while the process runs).
    pub fn liveness() -> Self {
        Self { kind: Some(CheckKind::Liveness), ..Self::default() }
    }

    /// The checks of kind startup and every critical check; passes once each has passed once.
    pub fn startup() -> Self {
        Self { kind: Some(CheckKind::Startup), ..Self::default() }
    }

    /// Every check, whatever its kind.
    pub fn all() -> Self {
        Self::default()
    }

    /// One check by name; its status is the report's status.
    pub fn check(name: impl Into<String>) -> Self {
        Self { only: Some(name.into()), ..Self::default() }
    }

    /// Leaves a check out. Names that match no check are reported in the report's notes.
    #[must_use]
    pub fn exclude(mut self, name: impl Into<String>) -> Self {
        self.exclude.push(name.into());
        self
    }

    /// The kind selected, if any.
    pub fn kind(&self) -> Option<CheckKind> {
        self.kind
    }
}

/// How a check's result in a report came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Freshness {
    /// The check ran for this report.
    Fresh,
    /// A result within its TTL, or the last result of a background check.
    Cached,
    /// The check has not completed once yet.
    NotYetChecked,
    /// The check did not finish before the report's deadline; it goes on in the background.
    DeadlineExceeded,
}

/// One check's part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CheckResult {
    /// `component:measurement`.
    pub name: String,
    /// The component part of the name.
    pub component: String,
    /// The health+json `componentType`.
    pub component_type: String,
    /// The check's kinds.
    pub kinds: Kinds,
    /// Whether the check is critical.
    pub critical: bool,
    /// The controls the check proves.
    pub controls: Vec<String>,
    /// The status after flap damping: what the report counts.
    pub status: Status,
    /// The last outcome, masked and bounded.
    pub outcome: Outcome,
    /// When the outcome was produced.
    #[serde(with = "time::serde::rfc3339::option")]
    pub time: Option<OffsetDateTime>,
    /// How long the run took.
    #[serde(with = "duration_ms")]
    pub duration: Duration,
    /// How the result came about.
    pub freshness: Freshness,
}

/// One control's part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ControlReport {
    /// The control.
    #[serde(flatten)]
    pub control: Control,
    /// How it is attested now.
    pub attestation: AttestationState,
    /// Whether the profile requires it.
    pub required: bool,
    /// The checks bound to it.
    pub checks: Vec<String>,
    /// Declarations in code.
    pub declarations: Vec<Declaration>,
    /// The operator record, if any.
    pub operator: Option<OperatorAttestation>,
    /// The waiver, if any.
    pub waiver: Option<Waiver>,
    /// The evidence that decided the attestation, in a sentence.
    pub evidence: Option<String>,
    /// What bound checks warn about, one line each (`check `name`: output`). A warning keeps the
    /// control from being verified: it stays at its declared, attested or waived state.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The source location of the first declaration.
    pub source: Option<SourceLocation>,
    /// When a bound check last completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_checked: Option<OffsetDateTime>,
}

/// How many controls are in each attestation state, and how the profile fares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// Controls whose bound checks all pass (see [`AttestationState::Verified`]).
    pub verified: usize,
    /// Controls with a failing bound check.
    pub failing: usize,
    /// Controls declared in code.
    pub declared: usize,
    /// Controls attested by an operator.
    pub attested: usize,
    /// Controls whose attestation or waiver expired.
    pub expired: usize,
    /// Controls waived.
    pub waived: usize,
    /// Controls nothing speaks for.
    pub missing: usize,
    /// All controls.
    pub total: usize,
    /// Controls the profile requires.
    pub required: usize,
    /// Required controls in a state the profile accepts.
    pub satisfied: usize,
}

impl Coverage {
    pub(crate) fn count(&mut self, state: AttestationState, required: bool) {
        let slot = match state {
            AttestationState::Verified => &mut self.verified,
            AttestationState::Failing => &mut self.failing,
            AttestationState::Declared => &mut self.declared,
            AttestationState::Attested => &mut self.attested,
            AttestationState::Expired => &mut self.expired,
            AttestationState::Waived => &mut self.waived,
            AttestationState::Missing => &mut self.missing,
        };
        *slot += 1;
        self.total += 1;
        if required {
            self.required += 1;
            if state.satisfies_profile() {
                self.satisfied += 1;
            }
        }
    }

    /// The count of one state.
    pub fn of(&self, state: AttestationState) -> usize {
        match state {
            AttestationState::Verified => self.verified,
            AttestationState::Failing => self.failing,
            AttestationState::Declared => self.declared,
            AttestationState::Attested => self.attested,
            AttestationState::Expired => self.expired,
            AttestationState::Waived => self.waived,
            AttestationState::Missing => self.missing,
        }
    }

    /// Whether every required control is in a state the profile accepts.
    pub fn profile_satisfied(&self) -> bool {
        self.satisfied == self.required
    }
}

/// How long a report may take: the runner's settings, published with the checklist so a probe's
/// budget can be checked against the service that answers it (`readiness probes --url`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Timing {
    /// The report deadline: by then a report answers, with what has finished.
    #[serde(rename = "deadline_ms", with = "duration_ms")]
    pub deadline: Duration,
    /// The longest timeout of any check.
    #[serde(rename = "longest_check_timeout_ms", with = "duration_ms")]
    pub longest_check_timeout: Duration,
}

/// One evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The service.
    pub service: ServiceInfo,
    /// The overall status.
    pub status: Status,
    /// The kind of report (`None` for every check or a single check).
    pub kind: Option<CheckKind>,
    /// When the report was made.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Every selected check.
    pub checks: Vec<CheckResult>,
    /// Every control, in catalog order (empty unless the report was asked for with controls).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlReport>,
    /// Attestation counts (only with controls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// The profile's name.
    pub profile: String,
    /// The profile applied to the controls (only with controls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The control-set hash, `sha256:<hex>`: the controls, the checks bound to each, where each
    /// is declared, and every check's name. Two builds that declare and check the same things
    /// in the same places have the same hash; one that dropped a control, a check or a
    /// declaration has another.
    pub control_set: std::sync::Arc<str>,
    /// How long a report may take to answer (only with controls): what a probe's
    /// `timeoutSeconds` must exceed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Whether the service is shutting down.
    pub shutting_down: bool,
    /// Remarks for people: unknown excluded names, shutdown, and so on.
    pub notes: Vec<String>,
}

impl Report {
    /// The result of one check by name.
    pub fn check(&self, name: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.name == name)
    }

    /// The report of one control by id.
    pub fn control(&self, id: &str) -> Option<&ControlReport> {
        self.controls.iter().find(|control| control.control.id == id)
    }
}

impl From<&ControlReport> for Standing {
    fn from(report: &ControlReport) -> Self {
        Self {
            control: report.control.clone(),
            attestation: report.attestation,
            evidence: report.evidence.clone(),
            warnings: report.warnings.clone(),
            checks: report.checks.clone(),
        }
    }
}

// Here rather than beside `Verdict`, so that profiles need not know reports.
impl Verdict {
    /// Applies `profile` to a report made with controls ([`crate::Readiness::checklist`] or
    /// [`crate::Readiness::snapshot`]). A report without controls satisfies nothing the
    /// profile requires, so the verdict says what it would need.
    pub fn of(profile: &Profile, report: &Report) -> Self {
        Self::evaluate(profile, report.controls.iter().map(Standing::from))
    }
}

mod duration_ms {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64() * 1000.0)
    }
}
