//! The builder: collects checks, declarations, attestations and settings, validates them all
//! at once, and hands the runner one [`Plan`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use readiness_rules::{CHECK_NAME_RULE, format_duration, is_custom_id, is_valid_check_name};

use crate::attestation::{Declaration, OperatorAttestation, Waiver};
use crate::catalog::{self, Catalog, Control};
use crate::check::{Check, CheckContext, CheckKind, check_fn};
use crate::outcome::{IntoOutcome, Outcome};
use crate::plan::{Listener, Plan, RunnerSettings};
use crate::profile::Profile;
use crate::readiness::Readiness;
use crate::registered::{self, StaticItem};
use crate::report::{BuildInfo, ServiceInfo, StatusChange};
use crate::spec::{CheckRegistration, CheckSpec};
use crate::state::StateMap;

/// One thing wrong with a builder's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildProblem {
    /// Two checks share a name.
    #[error("two checks are named `{name}`")]
    DuplicateCheck {
        /// The name.
        name: String,
    },
    /// A check name is empty, too long, or has characters other than `a-z A-Z 0-9 : _ - . /`.
    #[error("invalid check name `{name}`: {CHECK_NAME_RULE}")]
    InvalidCheckName {
        /// The name, with control characters escaped.
        name: String,
    },
    /// A control id is in no known catalog and not in the `x.` namespace.
    #[error(
        "unknown control `{id}` (used by {used_by}): not in the built-in or added catalogs, and not in the `x.` namespace"
    )]
    UnknownControl {
        /// The id.
        id: String,
        /// What referred to it (a check, a declaration, an attestation…).
        used_by: String,
    },
    /// A profile requires a catalog that is neither built in nor added.
    #[error("profile `{profile}` requires catalog `{id}`, which is neither built in nor added (known: {known})")]
    UnknownCatalog {
        /// The catalog id.
        id: String,
        /// The profile's name.
        profile: String,
        /// The known catalog ids, comma-separated.
        known: String,
    },
    /// A profile requires a group (an id prefix such as `security.auth`) that holds no control.
    #[error("profile `{profile}` requires group `{group}`, which holds no known control")]
    UnknownGroup {
        /// The group.
        group: String,
        /// The profile's name.
        profile: String,
    },
    /// A control has two operator attestations or two waivers.
    #[error("control `{id}` has more than one {what}")]
    DuplicateAttestation {
        /// The control id.
        id: String,
        /// `operator attestation` or `waiver`.
        what: &'static str,
    },
    /// An operator attestation is dated after today: nobody can attest to the future.
    #[error(
        "the operator attestation of `{id}` is dated {on}, after today: attest what has been done, on the day it was"
    )]
    FutureAttestation {
        /// The control id.
        id: String,
        /// The attestation's day.
        on: String,
    },
    /// An operator attestation holds longer than the builder allows
    /// ([`ReadinessBuilder::max_attestation_validity`], 400 days by default).
    #[error(
        "the operator attestation of `{id}` holds for {valid_for}, longer than the {max} allowed: attest again more often, or raise `max_attestation_validity`"
    )]
    AttestationTooLong {
        /// The control id.
        id: String,
        /// Its validity.
        valid_for: String,
        /// The most allowed.
        max: String,
    },
    /// A setting is out of range.
    #[error("invalid setting `{setting}`: {reason}")]
    InvalidSetting {
        /// Which setting (`max_concurrency`, `db:connections.timeout`…).
        setting: String,
        /// Why.
        reason: String,
    },
}

/// Everything wrong with a builder's configuration, all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    problems: Vec<BuildProblem>,
}

impl BuildError {
    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[BuildProblem] {
        &self.problems
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "invalid readiness configuration: {one}"),
            many => {
                write!(f, "invalid readiness configuration ({} problems):", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for BuildError {}

impl Readiness {
    /// A builder for a new `Readiness`.
    pub fn builder() -> ReadinessBuilder {
        ReadinessBuilder::new()
    }
}

/// Builds a [`Readiness`]. Start with [`Readiness::builder`].
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ReadinessBuilder {
    service: ServiceInfo,
    state: StateMap,
    checks: Vec<CheckRegistration>,
    declarations: Vec<Declaration>,
    attestations: Vec<OperatorAttestation>,
    waivers: Vec<Waiver>,
    catalogs: Vec<Catalog>,
    profile: Profile,
    include_registered: bool,
    expected_crates: Vec<String>,
    settings: RunnerSettings,
    listeners: Vec<Listener>,
    max_attestation_validity: Duration,
}

impl fmt::Debug for ReadinessBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadinessBuilder")
            .field("service", &self.service)
            .field("state", &self.state)
            .field("checks", &self.checks.iter().map(|c| c.spec.name()).collect::<Vec<_>>())
            .field("profile", &self.profile.name())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for ReadinessBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadinessBuilder {
    /// A builder with the defaults of DESIGN §4: concurrency 256, timeout 800 ms, deadline 900 ms,
    /// TTL 1 s, output bounded to 1 KiB, and the statically registered items included.
    pub fn new() -> Self {
        Self {
            service: ServiceInfo {
                name: "service".to_owned(),
                version: "0.0.0".to_owned(),
                instance: default_instance(),
                description: None,
                build: BuildInfo::default(),
            },
            state: StateMap::default(),
            checks: Vec::new(),
            declarations: Vec::new(),
            attestations: Vec::new(),
            waivers: Vec::new(),
            catalogs: Vec::new(),
            profile: Profile::default(),
            include_registered: true,
            expected_crates: Vec::new(),
            settings: RunnerSettings::default(),
            listeners: Vec::new(),
            max_attestation_validity: readiness_rules::DEFAULT_MAX_ATTESTATION_VALIDITY,
        }
    }

    /// The service's name and version.
    pub fn service(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.service.name = name.into();
        self.service.version = version.into();
        self
    }

    /// Which instance this is (default: host name and process id).
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.service.instance = instance.into();
        self
    }

    /// A one-line description of the service.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.service.description = Some(description.into());
        self
    }

    /// Facts about the build.
    pub fn build_info(mut self, build: BuildInfo) -> Self {
        self.service.build = build;
        self
    }

    /// A state value, injected into checks by type (`State<T>`). A later value of the same type
    /// replaces an earlier one.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Adds a check with its settings.
    pub fn check(mut self, spec: CheckSpec, check: impl Check) -> Self {
        self.checks.push(CheckRegistration::new(spec, check));
        self
    }

    /// Adds a check made from an async closure returning an `Outcome` or a
    /// `Result<Outcome, E: Display>`.
    pub fn check_fn<F, Fut>(self, spec: CheckSpec, f: F) -> Self
    where
        F: Fn(CheckContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        self.check(spec, check_fn(f))
    }

    /// Adds a prepared check: a built-in's [`CheckRegistration`], or anything that converts into
    /// one (the HTTP self-probes of `readiness-axum`, a `SecretsCheck`…).
    pub fn register(mut self, registration: impl Into<CheckRegistration>) -> Self {
        self.checks.push(registration.into());
        self
    }

    /// Adds several prepared checks, in order.
    pub fn register_all<R: Into<CheckRegistration>>(mut self, registrations: impl IntoIterator<Item = R>) -> Self {
        self.checks.extend(registrations.into_iter().map(Into::into));
        self
    }

    /// Declares that the service implements a control.
    pub fn declare(mut self, declaration: Declaration) -> Self {
        self.declarations.push(declaration);
        self
    }

    /// Records an operator attestation.
    pub fn attest(mut self, attestation: OperatorAttestation) -> Self {
        self.attestations.push(attestation);
        self
    }

    /// The longest an operator attestation may hold (default 400 days): `build()` refuses a
    /// longer one, so a record cannot vouch for a control for years without anyone looking.
    pub fn max_attestation_validity(mut self, max: Duration) -> Self {
        self.max_attestation_validity = max;
        self
    }

    /// Records a waiver.
    pub fn waive(mut self, waiver: Waiver) -> Self {
        self.waivers.push(waiver);
        self
    }

    /// Adds a catalog of the service's own; its controls appear in reports after the built-in ones.
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalogs.push(catalog);
        self
    }

    /// Which controls are required (default: [`Profile::informative`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Whether items registered by the macros (`#[control]`, `#[check]`, `#[derive(Attest)]`,
    /// `attestations!`) are included (default `true`).
    ///
    /// Registrations are per binary: every `Readiness` built in a test binary (or in merged
    /// doctests) sees all of them. Tests that build their own set start from
    /// [`testing::builder`](crate::testing::builder), which leaves them out.
    pub fn include_registered(mut self, include: bool) -> Self {
        self.include_registered = include;
        self
    }

    /// Expects items registered by the macros from the crate `crate_name` (as in its
    /// `module_path!()`, for example `orders_api`), and adds the critical startup check
    /// `readiness:registrations` that fails when none reached this binary.
    ///
    /// The macros register through link-time sections; a linker drops the registrations of a
    /// library crate that the binary never references. The remedy is one line in the binary:
    /// `use orders_api as _;`.
    pub fn expect_registrations_from(mut self, crate_name: impl Into<String>) -> Self {
        self.expected_crates.push(crate_name.into());
        self
    }

    /// How many check runs may be in flight at once (default 256). A check never has two runs
    /// in flight, so a plan with fewer checks than the limit never waits for a permit; lower it
    /// to spare a dependency many checks share.
    pub fn max_concurrency(mut self, limit: usize) -> Self {
        self.settings.max_concurrency = limit;
        self
    }

    /// The timeout of checks that set none (default 800 ms).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.settings.default_timeout = timeout;
        self
    }

    /// The longest a report may take (default 900 ms): checks still running then count as
    /// failed for that report and finish in the background.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.settings.deadline = deadline;
        self
    }

    /// How long on-demand results are reused, for checks that set no TTL (default 1 s).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.settings.default_ttl = ttl;
        self
    }

    /// The longest a check's output may be, in bytes (default 1 KiB).
    pub fn max_output_bytes(mut self, max: usize) -> Self {
        self.settings.max_output_bytes = max;
        self
    }

    /// The largest random delay added to a background check's first run and to each interval
    /// (default 250 ms), so that many instances do not probe a dependency in lockstep.
    pub fn max_jitter(mut self, jitter: Duration) -> Self {
        self.settings.max_jitter = jitter;
        self
    }

    /// Calls `listener` whenever a check's reported status changes (after flap damping).
    pub fn on_status_change(mut self, listener: impl Fn(&StatusChange) + Send + Sync + 'static) -> Self {
        self.listeners.push(Arc::new(listener));
        self
    }

    /// Validates the configuration and builds the [`Readiness`]. When called inside a Tokio
    /// runtime, background checks start at once; otherwise on the first report.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] listing every problem: duplicate or invalid check names, unknown control
    /// ids, duplicate attestations, attestations dated after today or holding longer than
    /// [`ReadinessBuilder::max_attestation_validity`], out-of-range settings.
    pub fn build(mut self) -> Result<Readiness, BuildError> {
        if self.include_registered {
            self.collect_registered();
        }
        if !self.expected_crates.is_empty() {
            let check = registrations_check(&self.expected_crates, self.include_registered);
            self.checks.push(check);
        }
        let mut problems = Vec::new();
        let controls = self.known_controls(&mut problems);
        self.validate(&controls, &mut problems);
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        let plan = Plan {
            service: self.service,
            state: self.state,
            checks: self.checks,
            controls,
            declarations: self.declarations,
            attestations: self.attestations,
            waivers: self.waivers,
            profile: self.profile,
            settings: self.settings,
            listeners: self.listeners,
        };
        Ok(Readiness::start(plan))
    }

    fn collect_registered(&mut self) {
        for item in registered::registered() {
            match item {
                StaticItem::Control(control) => self.declarations.push(control.to_declaration()),
                StaticItem::Check(check) => self.checks.push((check.register)()),
                StaticItem::Attestation(attestation) => {
                    if let Some(record) = attestation.to_attestation() {
                        self.attestations.push(record);
                    }
                }
                StaticItem::Waiver(waiver) => {
                    if let Some(record) = waiver.to_waiver() {
                        self.waivers.push(record);
                    }
                }
            }
        }
    }

    /// Every control the report will list: the built-in catalogs, then added catalogs, then
    /// `x.` controls mentioned anywhere.
    fn known_controls(&self, problems: &mut Vec<BuildProblem>) -> Vec<Control> {
        let mut controls: Vec<Control> = catalog::built_in()
            .into_iter()
            .chain(&self.catalogs)
            .flat_map(|catalog| catalog.controls().iter().cloned())
            .collect();
        let mut seen = HashSet::new();
        for control in &controls {
            if !seen.insert(control.id.to_string()) {
                problems.push(BuildProblem::InvalidSetting {
                    setting: format!("catalog `{}`", control.catalog),
                    reason: format!("control `{}` is defined twice", control.id),
                });
            }
        }
        let custom: BTreeSet<&str> =
            self.referenced_controls().map(|(id, _)| id).filter(|id| is_custom_id(id) && !seen.contains(*id)).collect();
        controls.extend(custom.into_iter().map(Control::custom));
        controls
    }

    /// The catalogs and groups the profile requires must exist: a typo would otherwise require
    /// nothing, and the verdict would be met for the wrong reason.
    fn validate_profile(&self, controls: &[Control], problems: &mut Vec<BuildProblem>) {
        let catalogs: BTreeSet<&str> = controls.iter().map(|control| control.catalog.as_ref()).collect();
        let profile = self.profile.name();
        for id in self.profile.named_catalogs() {
            if !catalogs.contains(id) {
                let known = catalogs.iter().copied().collect::<Vec<_>>().join(", ");
                problems.push(BuildProblem::UnknownCatalog { id: id.to_owned(), profile: profile.to_owned(), known });
            }
        }
        for group in self.profile.named_groups() {
            if !Profile::group_exists(group, controls.iter()) {
                problems.push(BuildProblem::UnknownGroup { group: group.to_owned(), profile: profile.to_owned() });
            }
        }
    }

    fn referenced_controls(&self) -> impl Iterator<Item = (&str, String)> {
        let from_checks = self.checks.iter().flat_map(|registration| {
            registration.spec.controls.iter().map(|id| (id.as_str(), format!("check `{}`", registration.spec.name)))
        });
        let from_declarations = self.declarations.iter().map(|d| {
            let place = d.source.as_ref().map_or_else(String::new, |s| format!(" at {}:{}", s.file, s.line));
            (d.control.as_str(), format!("a declaration{place}"))
        });
        let from_attestations =
            self.attestations.iter().map(|a| (a.control.as_str(), "an operator attestation".to_owned()));
        let from_waivers = self.waivers.iter().map(|w| (w.control.as_str(), "a waiver".to_owned()));
        let from_profile = self.profile.named_controls().map(|id| (id, format!("profile `{}`", self.profile.name())));
        from_checks.chain(from_declarations).chain(from_attestations).chain(from_waivers).chain(from_profile)
    }

    fn validate(&self, controls: &[Control], problems: &mut Vec<BuildProblem>) {
        let known: HashSet<&str> = controls.iter().map(|control| control.id.as_ref()).collect();
        for (id, used_by) in self.referenced_controls() {
            if !known.contains(id) {
                problems.push(BuildProblem::UnknownControl { id: id.to_owned(), used_by });
            }
        }
        self.validate_profile(controls, problems);

        let mut names: HashMap<&str, usize> = HashMap::new();
        for registration in &self.checks {
            let spec = &registration.spec;
            *names.entry(spec.name.as_str()).or_default() += 1;
            if !is_valid_check_name(&spec.name) {
                problems.push(BuildProblem::InvalidCheckName { name: spec.name.escape_debug().to_string() });
            }
            let setting = |what: &str| format!("{}.{what}", spec.name);
            for (what, value) in [("timeout", spec.timeout), ("interval", spec.interval), ("ttl", spec.ttl)] {
                if value == Some(Duration::ZERO) {
                    problems.push(BuildProblem::InvalidSetting {
                        setting: setting(what),
                        reason: "must be above zero".into(),
                    });
                }
            }
            for (what, value) in [("fail_after", spec.fail_after), ("pass_after", spec.pass_after)] {
                if value == 0 {
                    problems.push(BuildProblem::InvalidSetting {
                        setting: setting(what),
                        reason: "must be at least 1".into(),
                    });
                }
            }
        }
        let mut duplicates: Vec<&str> = names.into_iter().filter(|(_, n)| *n > 1).map(|(name, _)| name).collect();
        duplicates.sort_unstable();
        problems.extend(duplicates.into_iter().map(|name| BuildProblem::DuplicateCheck { name: name.to_owned() }));

        let today = readiness_rules::today_utc();
        for attestation in &self.attestations {
            if attestation.on > today {
                problems.push(BuildProblem::FutureAttestation {
                    id: attestation.control.clone(),
                    on: attestation.on.to_string(),
                });
            }
            if attestation.valid_for > self.max_attestation_validity {
                problems.push(BuildProblem::AttestationTooLong {
                    id: attestation.control.clone(),
                    valid_for: format_duration(attestation.valid_for),
                    max: format_duration(self.max_attestation_validity),
                });
            }
        }

        for (what, ids) in [
            ("operator attestation", self.attestations.iter().map(|a| a.control.as_str()).collect::<Vec<_>>()),
            ("waiver", self.waivers.iter().map(|w| w.control.as_str()).collect()),
        ] {
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id) {
                    problems.push(BuildProblem::DuplicateAttestation { id: id.to_owned(), what });
                }
            }
        }

        let settings = &self.settings;
        let positive = [
            ("default_timeout", settings.default_timeout),
            ("deadline", settings.deadline),
            ("default_ttl", settings.default_ttl),
        ];
        for (setting, value) in positive {
            if value.is_zero() {
                problems.push(BuildProblem::InvalidSetting {
                    setting: setting.into(),
                    reason: "must be above zero".into(),
                });
            }
        }
        if settings.max_concurrency == 0 {
            problems.push(BuildProblem::InvalidSetting {
                setting: "max_concurrency".into(),
                reason: "must be at least 1".into(),
            });
        }
        if settings.max_output_bytes < 16 {
            problems.push(BuildProblem::InvalidSetting {
                setting: "max_output_bytes".into(),
                reason: "must be at least 16".into(),
            });
        }
        if self.service.name.trim().is_empty() {
            problems
                .push(BuildProblem::InvalidSetting { setting: "service".into(), reason: "the name is empty".into() });
        }
    }
}

/// The `readiness:registrations` self-check: every expected crate registered at least one item
/// that reached this binary.
fn registrations_check(expected: &[String], included: bool) -> CheckRegistration {
    let mut counts: Vec<(String, usize)> = expected.iter().map(|name| (name.clone(), 0)).collect();
    for item in registered::registered() {
        let module = item.source().module;
        let crate_name = module.split("::").next().unwrap_or(module);
        if let Some((_, count)) = counts.iter_mut().find(|(name, _)| name == crate_name) {
            *count += 1;
        }
    }
    let missing: Vec<&str> = counts.iter().filter(|(_, count)| *count == 0).map(|(name, _)| name.as_str()).collect();
    let mut outcome = if !included {
        Outcome::fail("registered items are left out: the builder was told `include_registered(false)`")
    } else if missing.is_empty() {
        Outcome::pass().with_output(format!("items registered by {} reached this binary", expected.join(", ")))
    } else {
        let remedy: Vec<String> = missing.iter().map(|name| format!("`use {name} as _;`")).collect();
        Outcome::fail(format!(
            "no registered item of {} reached this binary: the linker dropped an unreferenced crate; add {} to the binary",
            missing.join(", "),
            remedy.join(" and ")
        ))
    };
    for (name, count) in &counts {
        outcome = outcome.evidence(name, format!("{count} item(s)"));
    }
    let spec = CheckSpec::new("readiness:registrations")
        .kind(CheckKind::Startup)
        .kind(CheckKind::Readiness)
        .critical()
        .description("every crate expected to register controls and checks is linked in");
    CheckRegistration::new(
        spec,
        check_fn(move |_| {
            let outcome = outcome.clone();
            async move { outcome }
        }),
    )
}

fn default_instance() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|host| !host.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}
