//! The checklist as one HTML page for people: readable with no JavaScript and no external
//! assets, status shown by colour and by text, grouped by catalog, section and group, every
//! piece of text escaped.
//!
//! ```
//! use readiness_core::output::html;
//! use readiness_core::attestation::Declaration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder()
//!     .declare(Declaration::new("security.auth.rbac", "roles <admin> & <user>"))
//!     .build()
//!     .unwrap();
//! let page = html::render(&readiness.checklist().await);
//! assert!(page.contains("roles &lt;admin&gt; &amp; &lt;user&gt;"));
//! assert!(!page.contains("<script"));
//! # }
//! ```

use std::fmt::Write;

use time::format_description::well_known::Rfc3339;

use crate::attestation::AttestationState;
use crate::report::{ControlReport, Report};

/// The media type.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// A `Content-Security-Policy` that fits the page: nothing loads, only the inline style applies.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;background:#fff}\
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #ddd}h3{margin-top:1.5rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #e3e3e3}\
th{background:#f4f4f4}code{font-size:.85em;word-break:break-all}.state{font-weight:700;padding:.1rem .45rem;border-radius:.3rem;white-space:nowrap}\
.verified{background:#d5f5dd;color:#0b5a1e}.failing{background:#fbd5d5;color:#8a1010}.declared{background:#dde8fb;color:#173e87}\
.attested{background:#e6dcfa;color:#4a1f8f}.expired{background:#fde7c8;color:#7a4200}.waived{background:#ececec;color:#3d3d3d}\
.missing{background:#fff;color:#8a1010;border:1px dashed #8a1010}.warning{color:#7a4200;font-weight:600}.summary td,.summary th{border:none;padding:.2rem .6rem}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders a report made with [`crate::Readiness::checklist`].
pub fn render(report: &Report) -> String {
    let service = &report.service;
    let title = format!("Production readiness: {} {}", service.name, service.version);
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let generated = report.generated_at.format(&Rfc3339).unwrap_or_default();
    let _ = writeln!(
        page,
        "<p>Instance <code>{}</code>, overall status <strong class=\"status-{}\">{}</strong>, profile <code>{}</code>, generated <time datetime=\"{}\">{}</time>.</p>",
        escape(&service.instance),
        report.status,
        report.status,
        escape(&report.profile),
        escape(&generated),
        escape(&generated)
    );
    if let Some(coverage) = &report.coverage {
        page.push_str("<table class=\"summary\" aria-label=\"Coverage\"><tr>");
        for state in AttestationState::ALL {
            let _ = write!(page, "<th scope=\"col\"><span class=\"state {state}\">{state}</span></th>");
        }
        page.push_str("<th scope=\"col\">required satisfied</th></tr><tr>");
        for state in AttestationState::ALL {
            let _ = write!(page, "<td>{}</td>", coverage.of(state));
        }
        let _ = writeln!(page, "<td>{} of {}</td></tr></table>", coverage.satisfied, coverage.required);
    }
    if let Some(verdict) = &report.verdict {
        let _ = writeln!(page, "<p class=\"verdict\">{}</p>", escape(&verdict.summary()));
    }
    let (mut catalog, mut section, mut group) = (String::new(), String::new(), String::new());
    let mut table_open = false;
    for control in &report.controls {
        let item = &control.control;
        let new_catalog = item.catalog != catalog;
        let new_section = new_catalog || item.section != section;
        let new_group = new_section || item.group != group;
        if new_group && table_open {
            page.push_str("</tbody></table>\n");
            table_open = false;
        }
        if new_catalog {
            catalog = item.catalog.to_string();
            let _ = writeln!(page, "<p>Catalog <code>{}</code></p>", escape(&catalog));
        }
        if new_section {
            section = item.section.to_string();
            let _ = writeln!(page, "<h2>{}</h2>", escape(&section));
        }
        if new_group {
            group = item.group.to_string();
            let _ = writeln!(
                page,
                "<h3>{}</h3>\n<table>\n<thead><tr><th scope=\"col\">Control</th><th scope=\"col\">Attestation</th><th scope=\"col\">Evidence</th><th scope=\"col\">Source</th><th scope=\"col\">Last check</th></tr></thead>\n<tbody>",
                escape(&group)
            );
            table_open = true;
        }
        row(&mut page, control);
    }
    if table_open {
        page.push_str("</tbody></table>\n");
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn row(page: &mut String, control: &ControlReport) {
    let item = &control.control;
    let required = if control.required { " <small>(required)</small>" } else { "" };
    let _ = write!(
        page,
        "<tr id=\"{}\"><td>{}{required}<br><code>{}</code></td><td><span class=\"state {}\">{}</span></td><td>",
        escape(&item.id),
        escape(&item.title),
        escape(&item.id),
        control.attestation,
        control.attestation
    );
    if let Some(evidence) = &control.evidence {
        page.push_str(&escape(evidence));
    }
    for warning in &control.warnings {
        let _ = write!(page, "<br><span class=\"warning\">warning: {}</span>", escape(warning));
    }
    if !control.checks.is_empty() {
        let names: Vec<String> = control.checks.iter().map(|name| format!("<code>{}</code>", escape(name))).collect();
        let _ = write!(page, "<br>checks: {}", names.join(", "));
    }
    page.push_str("</td><td>");
    if let Some(source) = &control.source {
        let _ = write!(
            page,
            "<code>{}:{}</code><br><code>{}</code>",
            escape(&source.file),
            source.line,
            escape(&source.module)
        );
    }
    page.push_str("</td><td>");
    if let Some(time) = control.last_checked.and_then(|time| time.format(&Rfc3339).ok()) {
        let _ = write!(page, "<time datetime=\"{}\">{}</time>", escape(&time), escape(&time));
    }
    page.push_str("</td></tr>\n");
}
