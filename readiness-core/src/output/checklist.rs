//! The checklist: every control with its attestation, as JSON and as Markdown in the seed's own
//! format (`- [x] title`), for people and for auditors.
//!
//! ```
//! use readiness_core::output::checklist;
//! use readiness_core::attestation::Declaration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .declare(Declaration::new("security.auth.rate-limiting", "GovernorLayer 50 req/s"))
//!     .build()
//!     .unwrap();
//! let report = readiness.checklist().await;
//! let markdown = checklist::markdown(&report);
//! assert!(markdown.contains("- [x] Rate limiting implemented — **declared** — GovernorLayer 50 req/s"));
//! assert!(markdown.contains("- [ ] JWT tokens properly validated — **missing**"));
//! let json = checklist::json(&report);
//! assert_eq!(json["coverage"]["declared"], 1);
//! assert_eq!(json["controls"][2]["attestation"], "declared");
//! # }
//! ```

use std::fmt::Write;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::attestation::AttestationState;
use crate::catalog;
use crate::report::{ControlReport, Report};

/// The media type of the JSON form.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// The media type of the Markdown form.
pub const MARKDOWN_CONTENT_TYPE: &str = "text/markdown; charset=utf-8";

/// `{"service", "status", "profile", "coverage", "verdict", "timing", "control_set", "controls": [...]}` — a report made with
/// [`crate::Readiness::checklist`] or [`crate::Readiness::snapshot`].
pub fn json(report: &Report) -> Value {
    json!({
        "service": report.service,
        "status": report.status,
        "profile": report.profile,
        "generated_at": report.generated_at.format(&Rfc3339).ok(),
        "coverage": report.coverage,
        "verdict": report.verdict,
        "timing": report.timing,
        "control_set": report.control_set,
        "controls": report.controls,
    })
}

/// The title of the catalog with this id, for headings.
fn catalog_title(id: &str) -> String {
    catalog::built_in()
        .into_iter()
        .find(|c| c.id() == id)
        .map_or_else(|| format!("Catalog `{id}`"), |c| c.title().to_owned())
}

/// Markdown in the seed's format: `#` catalog, `##` section, `###` group, `- [x]` items. An
/// item is ticked only when it is implemented (verified, declared or attested); a waived item
/// stays `[ ]` with its waiver shown. The built-in catalogs' titles are the seed's words,
/// verbatim; text from the service (evidence, warnings, its own catalogs) is folded to one line
/// and has `<` and `>` escaped.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "# Production readiness of {} {}\n", clean(&report.service.name), clean(&report.service.version));
    if let Some(coverage) = &report.coverage {
        let _ = writeln!(
            out,
            "Profile `{}`: {} of {} required controls satisfied. Verified {}, failing {}, declared {}, attested {}, expired {}, waived {}, missing {}.",
            clean(&report.profile),
            coverage.satisfied,
            coverage.required,
            coverage.verified,
            coverage.failing,
            coverage.declared,
            coverage.attested,
            coverage.expired,
            coverage.waived,
            coverage.missing
        );
    }
    if let Some(verdict) = &report.verdict {
        let _ = writeln!(out, "\n{}.", clean(&verdict.summary()));
    }
    let (mut catalog_id, mut section, mut group) = (String::new(), String::new(), String::new());
    for control in &report.controls {
        let item = &control.control;
        if item.catalog != catalog_id {
            catalog_id = item.catalog.to_string();
            section.clear();
            group.clear();
            let _ = writeln!(out, "\n# {}", clean(&catalog_title(&catalog_id)));
        }
        if item.section != section {
            section = item.section.to_string();
            group.clear();
            let _ = writeln!(out, "\n## {}", clean(&section));
        }
        if item.group != group {
            group = item.group.to_string();
            let _ = writeln!(out, "\n### {}", clean(&group));
        }
        let _ = writeln!(out, "{}", markdown_line(control));
    }
    out
}

fn markdown_line(control: &ControlReport) -> String {
    let implemented = matches!(
        control.attestation,
        AttestationState::Verified | AttestationState::Declared | AttestationState::Attested
    );
    let tick = if implemented { 'x' } else { ' ' };
    let item = &control.control;
    let built_in = catalog::built_in().into_iter().any(|catalog| catalog.id() == item.catalog);
    // The seed's own words stay as the seed wrote them (`Unit test coverage >80%`).
    let title = if built_in { item.title.replace(['\n', '\r'], " ") } else { clean(&item.title) };
    let mut line = format!("- [{tick}] {title} — **{}**", control.attestation);
    if let Some(evidence) = &control.evidence {
        let _ = write!(line, " — {}", clean(evidence));
    }
    for warning in &control.warnings {
        let _ = write!(line, " — warning: {}", clean(warning));
    }
    if let Some(source) = &control.source {
        let _ = write!(line, " (`{}:{}`, `{}`)", clean(&source.file), source.line, clean(&source.module));
    }
    if !control.checks.is_empty() {
        let names: Vec<String> = control.checks.iter().map(|name| format!("`{}`", clean(name))).collect();
        let _ = write!(line, " — checks: {}", names.join(", "));
    }
    if control.required {
        line.push_str(" — required");
    }
    line
}

/// One line, with `<` and `>` escaped so a Markdown renderer cannot meet raw HTML, and
/// backticks made quotes so text cannot break out of a code span.
fn clean(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('<', "&lt;").replace('>', "&gt;").replace('`', "'")
}
