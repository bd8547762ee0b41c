//! The verdict as Markdown: for a merge-request comment or a CI job summary.

use std::fmt::Write as _;

use readiness_core::Verdict;

use crate::document::Checklist;

/// The verdict, the ladder and the table of unmet controls.
pub(crate) fn verdict(checklist: &Checklist, verdict: &Verdict, status_fails: Option<&str>) -> String {
    let mut out = String::new();
    let mark = if verdict.met && status_fails.is_none() { "✅" } else { "❌" };
    let _ = writeln!(out, "## {mark} Readiness of {}\n", cell(&checklist.who()));
    let _ = writeln!(out, "{}.", cell(&verdict.summary()));
    if let Some(status) = status_fails {
        let _ = writeln!(out, "\n{}", cell(status.trim()));
    }
    if !verdict.levels.is_empty() {
        let _ = writeln!(out, "\n| Level | Reached | Controls it adds | Unmet |\n|---|---|---|---|");
        for level in &verdict.levels {
            let reached = if level.reached { "yes" } else { "no" };
            let _ = writeln!(out, "| {} | {reached} | {} | {} |", cell(&level.name), level.required, level.unmet);
        }
    }
    if !verdict.unmet.is_empty() {
        let _ = writeln!(out, "\n| Control | State | Level | Reason | Fix |\n|---|---|---|---|---|");
        for unmet in &verdict.unmet {
            let _ = writeln!(
                out,
                "| `{}` {} | {} | {} | {} | {} |",
                cell(&unmet.control),
                cell(&unmet.title),
                unmet.state.as_str(),
                cell(unmet.level.as_deref().unwrap_or("-")),
                cell(&unmet.reason),
                cell(&unmet.fix)
            );
        }
    }
    out
}

/// Text from the service made safe for one table cell: no row breaks, no column breaks, and no
/// HTML (a merge-request comment renders it).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '`' => out.push('\''),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_cannot_break_the_table_or_inject_html() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(cell("`code`"), "'code'");
    }
}
