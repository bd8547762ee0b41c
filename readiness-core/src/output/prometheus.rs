//! Prometheus text exposition (format 0.0.4) of a report: check status and duration, control
//! attestation, coverage and shutdown state, every name prefixed `readiness_`. Built from a
//! [`crate::Readiness::snapshot`], so a scrape never runs a check. The same samples can be
//! written as OpenMetrics 1.0.0 text ([`MetricsWriter::openmetrics`]).
//!
//! ```
//! use readiness_core::output::prometheus;
//! use readiness_core::{CheckSpec, Outcome, Readiness};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .check_fn(CheckSpec::new("db:ping").control("performance.scalability.db-pooling").critical(), |_| async {
//!         Outcome::pass()
//!     })
//!     .build()
//!     .unwrap();
//! readiness.readiness().await;
//! let text = prometheus::render(&readiness.snapshot().await);
//! assert!(text.contains(r#"readiness_check_status{check="db:ping",kind="readiness",critical="true",status="pass"} 1"#));
//! assert!(text.contains("# TYPE readiness_check_duration_seconds gauge"));
//! # }
//! ```

use std::fmt::Write;

use crate::attestation::AttestationState;
use crate::outcome::Status;
use crate::report::Report;

/// The media type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The media type of [`MetricsWriter::openmetrics`].
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Writes metric families with their `HELP` and `TYPE` lines and escaped label values.
#[derive(Debug, Default)]
pub struct MetricsWriter {
    text: String,
    openmetrics: bool,
}

impl MetricsWriter {
    /// An empty exposition in the Prometheus text format 0.0.4.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty exposition in the OpenMetrics 1.0.0 text format, from the same calls: a
    /// counter's family is named without the `_total` its samples carry, `HELP` escapes double
    /// quotes too, and [`MetricsWriter::finish`] ends it with `# EOF`.
    pub fn openmetrics() -> Self {
        Self { text: String::new(), openmetrics: true }
    }

    /// Starts a family: `# HELP` and `# TYPE` (`gauge`, `counter`, `histogram`). A counter is
    /// named with its `_total`, as its sample is.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let mut help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let mut name = name;
        if self.openmetrics {
            help = help.replace('"', "\\\"");
            if kind == "counter" {
                name = name.strip_suffix("_total").unwrap_or(name);
            }
        }
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample with its labels.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (index, (key, value)) in labels.iter().enumerate() {
                if index > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{key}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }

    /// The exposition (with its `# EOF` in OpenMetrics).
    pub fn finish(mut self) -> String {
        if self.openmetrics {
            self.text.push_str("# EOF\n");
        }
        self.text
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() }
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// Renders the report's metrics.
pub fn render(report: &Report) -> String {
    let mut out = MetricsWriter::new();
    write_report(&mut out, report);
    out.finish()
}

/// Adds the report's metrics to `out` (so that other families can follow in one exposition):
/// [`write_statuses`] and then the details (durations, controls, coverage, levels, the instance).
pub fn write_report(out: &mut MetricsWriter, report: &Report) {
    write_statuses(out, report);
    write_details(out, report);
}

/// What an anonymous caller may see, and no more than anonymous `GET /readiness` shows: the
/// service and version, the overall status, each check's name and status, the shutdown state
/// and the control-set hash. No label is named `instance` or `job`, which Prometheus sets on
/// every scraped series itself.
pub fn write_statuses(out: &mut MetricsWriter, report: &Report) {
    let service = &report.service;
    out.family("readiness_info", "gauge", "The service that answers, always 1.");
    out.sample(
        "readiness_info",
        &[("service", &service.name), ("version", &service.version), ("profile", &report.profile)],
        1.0,
    );

    out.family(
        "readiness_control_set_info",
        "gauge",
        "The control-set hash (controls, bound checks, declaration places, check names), always 1: replicas of one build agree.",
    );
    out.sample("readiness_control_set_info", &[("hash", &*report.control_set)], 1.0);

    out.family("readiness_status", "gauge", "Overall status of every check together: 1 for the current status.");
    for status in [Status::Pass, Status::Warn, Status::Fail] {
        out.sample("readiness_status", &[("status", status.as_str())], f64::from(u8::from(report.status == status)));
    }

    out.family("readiness_shutting_down", "gauge", "1 once the service began shutting down.");
    out.sample("readiness_shutting_down", &[], f64::from(u8::from(report.shutting_down)));

    out.family(
        "readiness_check_status",
        "gauge",
        "Status of each check after flap damping: 1 for the current status, per kind.",
    );
    for check in &report.checks {
        let critical = if check.critical { "true" } else { "false" };
        for kind in check.kinds.iter() {
            for status in [Status::Pass, Status::Warn, Status::Fail] {
                out.sample(
                    "readiness_check_status",
                    &[
                        ("check", &check.name),
                        ("kind", kind.as_str()),
                        ("critical", critical),
                        ("status", status.as_str()),
                    ],
                    f64::from(u8::from(check.status == status)),
                );
            }
        }
    }
}

/// The details, for callers with the token: check durations and run times, which controls each
/// check proves, the controls, coverage and levels, and which instance answered.
fn write_details(out: &mut MetricsWriter, report: &Report) {
    out.family(
        "readiness_instance_info",
        "gauge",
        "Which instance of the service answered (host and process unless set), always 1.",
    );
    out.sample("readiness_instance_info", &[("service_instance", &report.service.instance)], 1.0);

    out.family("readiness_check_duration_seconds", "gauge", "Duration of each check's last completed run.");
    for check in report.checks.iter().filter(|check| check.time.is_some()) {
        out.sample("readiness_check_duration_seconds", &[("check", &check.name)], check.duration.as_secs_f64());
    }

    out.family(
        "readiness_check_last_run_timestamp_seconds",
        "gauge",
        "When each check last completed, in Unix seconds.",
    );
    for check in &report.checks {
        if let Some(time) = check.time {
            let seconds = time.unix_timestamp_nanos() as f64 / 1e9;
            out.sample("readiness_check_last_run_timestamp_seconds", &[("check", &check.name)], seconds);
        }
    }

    out.family("readiness_check_control", "gauge", "Which control each check proves, always 1.");
    for check in &report.checks {
        for control in &check.controls {
            out.sample("readiness_check_control", &[("check", &check.name), ("control", control)], 1.0);
        }
    }

    if report.controls.is_empty() {
        return;
    }
    out.family(
        "readiness_control_attestation",
        "gauge",
        "Attestation of each control: 1 for the current state (verified, failing, declared, attested, expired, waived, missing).",
    );
    for control in &report.controls {
        let required = if control.required { "true" } else { "false" };
        for state in AttestationState::ALL {
            out.sample(
                "readiness_control_attestation",
                &[
                    ("control", &control.control.id),
                    ("catalog", &control.control.catalog),
                    ("required", required),
                    ("attestation", state.as_str()),
                ],
                f64::from(u8::from(control.attestation == state)),
            );
        }
    }
    out.family(
        "readiness_control_warnings",
        "gauge",
        "How many bound checks of each control warn; a warning keeps the control from being verified.",
    );
    for control in &report.controls {
        out.sample(
            "readiness_control_warnings",
            &[("control", &control.control.id), ("catalog", &control.control.catalog)],
            control.warnings.len() as f64,
        );
    }
    if let Some(coverage) = &report.coverage {
        out.family("readiness_coverage_controls", "gauge", "How many controls are in each attestation state.");
        for state in AttestationState::ALL {
            out.sample("readiness_coverage_controls", &[("attestation", state.as_str())], coverage.of(state) as f64);
        }
        out.family("readiness_coverage_required", "gauge", "How many controls the profile requires.");
        out.sample("readiness_coverage_required", &[], coverage.required as f64);
        out.family(
            "readiness_coverage_satisfied",
            "gauge",
            "How many required controls are in a state the profile accepts.",
        );
        out.sample("readiness_coverage_satisfied", &[], coverage.satisfied as f64);
        out.family(
            "readiness_coverage_ratio",
            "gauge",
            "Required controls satisfied, as a ratio (1 when nothing is required).",
        );
        let ratio = if coverage.required == 0 { 1.0 } else { coverage.satisfied as f64 / coverage.required as f64 };
        out.sample("readiness_coverage_ratio", &[], ratio);
    }
    if let Some(verdict) = &report.verdict {
        out.family("readiness_profile_met", "gauge", "1 when every control the profile requires is satisfied.");
        out.sample("readiness_profile_met", &[("profile", &verdict.profile)], f64::from(u8::from(verdict.met)));
        if !verdict.levels.is_empty() {
            out.family(
                "readiness_level_reached",
                "gauge",
                "1 for each level of the profile's ladder the service reaches (every control required at it and below satisfied).",
            );
            for level in &verdict.levels {
                out.sample(
                    "readiness_level_reached",
                    &[("profile", &verdict.profile), ("level", &level.name)],
                    f64::from(u8::from(level.reached)),
                );
            }
            out.family(
                "readiness_level_unmet_controls",
                "gauge",
                "How many controls a level adds that are not satisfied: what the level still needs.",
            );
            for level in &verdict.levels {
                out.sample(
                    "readiness_level_unmet_controls",
                    &[("profile", &verdict.profile), ("level", &level.name)],
                    level.unmet as f64,
                );
            }
            out.family("readiness_levels_reached", "gauge", "How many levels of the ladder are reached (0 for none).");
            let reached = verdict.levels.iter().filter(|level| level.reached).count();
            out.sample("readiness_levels_reached", &[("profile", &verdict.profile)], reached as f64);
        }
    }
}
