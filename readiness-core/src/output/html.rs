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
use crate::profile::Verdict;
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
        whats_next(&mut page, verdict);
    }
    section_pictures(&mut page, report);
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

/// The unmet required controls that stand before the next level (every unmet one for a flat
/// profile), each linked to its row, with the reason and the fix.
fn whats_next(page: &mut String, verdict: &Verdict) {
    let needs: Vec<_> = verdict.next_level_needs().collect();
    if needs.is_empty() {
        return;
    }
    let heading = match &verdict.next_level {
        Some(level) => format!("What's next: {} more for {level}", needs.len()),
        None => format!("What's next: {} unmet required controls", needs.len()),
    };
    let _ = writeln!(page, "<section aria-labelledby=\"next\">\n<h2 id=\"next\">{}</h2>\n<ol>", escape(&heading));
    for unmet in needs {
        let _ = writeln!(
            page,
            "<li><a href=\"#{}\">{}</a> <span class=\"state {}\">{}</span><br>{}<br><strong>Fix:</strong> {}</li>",
            escape(&unmet.control),
            escape(&unmet.title),
            unmet.state,
            unmet.state,
            escape(&unmet.reason),
            escape(&unmet.fix)
        );
    }
    page.push_str("</ol>\n</section>\n");
}

/// Strong fills for the pictures: each at least 3:1 against the white page (WCAG 1.4.11), and
/// never the only carrier of the count, which the text beside each bar says.
const FILLS: [(AttestationState, &str); 7] = [
    (AttestationState::Verified, "#1a7f37"),
    (AttestationState::Declared, "#2455b8"),
    (AttestationState::Attested, "#6e3fc4"),
    (AttestationState::Waived, "#595959"),
    (AttestationState::Expired, "#9a5700"),
    (AttestationState::Failing, "#b42318"),
    (AttestationState::Missing, "#8c8c8c"),
];

/// One bar per section: its controls by attestation state, as an inline SVG (nothing to load)
/// with the same counts in words.
fn section_pictures(page: &mut String, report: &Report) {
    let mut sections: Vec<(String, [usize; 7])> = Vec::new();
    for control in &report.controls {
        let name = format!("{} / {}", control.control.catalog, control.control.section);
        let index = FILLS.iter().position(|(state, _)| *state == control.attestation).unwrap_or(6);
        match sections.iter_mut().find(|(section, _)| *section == name) {
            Some((_, counts)) => counts[index] += 1,
            None => {
                let mut counts = [0; 7];
                counts[index] = 1;
                sections.push((name, counts));
            }
        }
    }
    if sections.is_empty() {
        return;
    }
    page.push_str("<section aria-labelledby=\"by-section\">\n<h2 id=\"by-section\">Coverage by section</h2>\n<table class=\"summary\">\n<thead><tr><th scope=\"col\">Section</th><th scope=\"col\">Controls by state</th><th scope=\"col\">In words</th></tr></thead>\n<tbody>\n");
    const WIDTH: usize = 240;
    for (number, (name, counts)) in sections.iter().enumerate() {
        let total: usize = counts.iter().sum();
        let words: Vec<String> = FILLS
            .iter()
            .zip(counts)
            .filter(|(_, count)| **count > 0)
            .map(|((state, _), count)| format!("{count} {state}"))
            .collect();
        let words = words.join(", ");
        let _ = write!(
            page,
            "<tr><th scope=\"row\">{}</th><td><svg width=\"{WIDTH}\" height=\"16\" viewBox=\"0 0 {WIDTH} 16\" role=\"img\" aria-labelledby=\"bar-{number}\"><title id=\"bar-{number}\">{}: {}</title>",
            escape(name),
            escape(name),
            escape(&words)
        );
        let mut x = 0;
        for ((_, fill), count) in FILLS.iter().zip(counts) {
            if *count == 0 {
                continue;
            }
            let width = (count * WIDTH).div_ceil(total.max(1)).min(WIDTH - x);
            let _ = write!(page, "<rect x=\"{x}\" y=\"0\" width=\"{width}\" height=\"16\" fill=\"{fill}\"/>");
            x += width;
        }
        let _ = writeln!(page, "</svg></td><td>{}</td></tr>", escape(&words));
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
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
