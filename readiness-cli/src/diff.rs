//! `readiness diff`: what changed between two checklists, and whether it is a regression.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use readiness_core::Verdict;
use readiness_core::attestation::AttestationState;
use serde::Serialize;
use serde_json::Value;

use crate::document::Checklist;
use crate::source::{self, Connection};
use crate::{CannotEvaluate, Finding, Format};

/// `readiness diff <OLD> <NEW>`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The earlier checklist: a file (checklist JSON, in-toto statement, DSSE envelope) or a URL.
    old: String,
    /// The later checklist, the same way.
    new: String,
    /// How to write the changes (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the result to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

/// The order attestations are ranked in: a move down this list is a regression.
const RANK: [AttestationState; 7] = [
    AttestationState::Verified,
    AttestationState::Declared,
    AttestationState::Attested,
    AttestationState::Waived,
    AttestationState::Missing,
    AttestationState::Expired,
    AttestationState::Failing,
];

fn rank(state: AttestationState) -> usize {
    RANK.iter().position(|ranked| *ranked == state).unwrap_or(RANK.len())
}

/// Every change, and whether any is a regression.
#[derive(Debug, Default, Serialize)]
struct Changes {
    old: String,
    new: String,
    regression: bool,
    regressed: Vec<Moved>,
    improved: Vec<Moved>,
    added: Vec<Listed>,
    removed: Vec<Listed>,
    /// Checks no longer bound to a control both sides list: drift, whatever the state says.
    unbound: Vec<Unbound>,
    build: Vec<BuildChange>,
    verdict: Option<VerdictChange>,
}

#[derive(Debug, Serialize)]
struct Moved {
    control: String,
    from: AttestationState,
    to: AttestationState,
    evidence: Option<String>,
}

#[derive(Debug, Serialize)]
struct Listed {
    control: String,
    attestation: AttestationState,
}

#[derive(Debug, Serialize)]
struct Unbound {
    control: String,
    checks: Vec<String>,
}

#[derive(Debug, Serialize)]
struct BuildChange {
    field: String,
    old: Value,
    new: Value,
}

#[derive(Debug, Serialize)]
struct VerdictChange {
    profile: (String, String),
    met: (bool, bool),
    level: (Option<String>, Option<String>),
    fell: bool,
}

pub(crate) fn run(args: &Args) -> Result<Finding, CannotEvaluate> {
    if matches!(args.format, Format::Junit | Format::Markdown | Format::Oscal) {
        return Err("diff writes text or json".into());
    }
    let read = |source: &str| {
        let origin =
            if source::is_url(source) { source::shown(&source::checklist_url(source)) } else { source.to_owned() };
        Checklist::from_json(source::load(source, &args.connection)?, &origin)
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let changes = compare(&old, &new);
    let summary = changes.summary();
    let output = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&changes).map_err(|error| error.to_string())?;
            text.push('\n');
            text
        }
        _ => changes.text(),
    };
    Ok(Finding { output, satisfied: !changes.regression, summary })
}

fn compare(old: &Checklist, new: &Checklist) -> Changes {
    let mut changes = Changes { old: old.who(), new: new.who(), ..Changes::default() };
    for before in &old.controls {
        match new.controls.iter().find(|after| after.id() == before.id()) {
            None => changes.removed.push(Listed { control: before.id().to_owned(), attestation: before.state() }),
            Some(after) => {
                let moved = Moved {
                    control: before.id().to_owned(),
                    from: before.state(),
                    to: after.state(),
                    evidence: after.standing.evidence.clone(),
                };
                let dropped: Vec<String> = before
                    .standing
                    .checks
                    .iter()
                    .filter(|check| !after.standing.checks.contains(check))
                    .cloned()
                    .collect();
                if !dropped.is_empty() {
                    changes.unbound.push(Unbound { control: before.id().to_owned(), checks: dropped });
                }
                match rank(after.state()).cmp(&rank(before.state())) {
                    std::cmp::Ordering::Greater => changes.regressed.push(moved),
                    std::cmp::Ordering::Less => changes.improved.push(moved),
                    std::cmp::Ordering::Equal => {}
                }
            }
        }
    }
    for after in &new.controls {
        if !old.controls.iter().any(|before| before.id() == after.id()) {
            changes.added.push(Listed { control: after.id().to_owned(), attestation: after.state() });
        }
    }
    let mut fields: BTreeSet<&str> = old.service.build.keys().map(String::as_str).collect();
    fields.extend(new.service.build.keys().map(String::as_str));
    for field in fields {
        let (before, after) = (old.service.build.get(field), new.service.build.get(field));
        if before != after {
            changes.build.push(BuildChange {
                field: field.to_owned(),
                old: before.cloned().unwrap_or(Value::Null),
                new: after.cloned().unwrap_or(Value::Null),
            });
        }
    }
    if old.service.version != new.service.version {
        changes.build.push(BuildChange {
            field: "version".to_owned(),
            old: Value::from(old.service.version.as_str()),
            new: Value::from(new.service.version.as_str()),
        });
    }
    if old.control_set != new.control_set {
        changes.build.push(BuildChange {
            field: "control_set".to_owned(),
            old: old.control_set.clone().map_or(Value::Null, Value::from),
            new: new.control_set.clone().map_or(Value::Null, Value::from),
        });
    }
    if let (Some(before), Some(after)) = (&old.verdict, &new.verdict) {
        changes.verdict = verdict_change(before, after);
    }
    changes.regression = !changes.regressed.is_empty()
        || !changes.removed.is_empty()
        || !changes.unbound.is_empty()
        || changes.verdict.as_ref().is_some_and(|verdict| verdict.fell);
    changes
}

/// How the verdict moved; `None` when it did not. It fell when a met profile is no longer met,
/// or the level reached is lower on the same ladder.
fn verdict_change(before: &Verdict, after: &Verdict) -> Option<VerdictChange> {
    if (before.profile.as_str(), before.met, &before.level) == (after.profile.as_str(), after.met, &after.level) {
        return None;
    }
    let position = |verdict: &Verdict| {
        verdict
            .level
            .as_ref()
            .map_or(0, |level| before.levels.iter().position(|rung| rung.name == *level).map_or(0, |index| index + 1))
    };
    let same_profile = before.profile == after.profile;
    let fell = same_profile && ((before.met && !after.met) || position(after) < position(before));
    Some(VerdictChange {
        profile: (before.profile.clone(), after.profile.clone()),
        met: (before.met, after.met),
        level: (before.level.clone(), after.level.clone()),
        fell,
    })
}

impl Changes {
    fn summary(&self) -> String {
        format!(
            "{} → {}: {} regressed, {} removed, {} with checks dropped, {} improved, {} added, {} build changes{}",
            self.old,
            self.new,
            self.regressed.len(),
            self.removed.len(),
            self.unbound.len(),
            self.improved.len(),
            self.added.len(),
            self.build.len(),
            if self.verdict.as_ref().is_some_and(|verdict| verdict.fell) { ", the verdict fell" } else { "" }
        )
    }

    fn text(&self) -> String {
        let mut out = format!("{}\n", self.summary());
        let width = self
            .regressed
            .iter()
            .chain(&self.improved)
            .map(|moved| moved.control.len())
            .chain(self.added.iter().chain(&self.removed).map(|listed| listed.control.len()))
            .chain(self.unbound.iter().map(|unbound| unbound.control.len()))
            .max()
            .unwrap_or(0);
        let mut line = |kind: &str, control: &str, what: String| {
            let _ = writeln!(out, "  {kind:9}  {control:width$}  {}", one_line(&what));
        };
        for moved in &self.regressed {
            let evidence = moved.evidence.as_deref().map(|evidence| format!(": {evidence}")).unwrap_or_default();
            line("REGRESSED", &moved.control, format!("{} → {}{evidence}", moved.from.as_str(), moved.to.as_str()));
        }
        for listed in &self.removed {
            line(
                "REMOVED",
                &listed.control,
                format!("was {}; the new checklist no longer lists it", listed.attestation.as_str()),
            );
        }
        for unbound in &self.unbound {
            let checks: Vec<String> = unbound.checks.iter().map(|check| format!("`{check}`")).collect();
            line("UNBOUND", &unbound.control, format!("{} no longer bound to it", checks.join(", ")));
        }
        for moved in &self.improved {
            line("improved", &moved.control, format!("{} → {}", moved.from.as_str(), moved.to.as_str()));
        }
        for listed in &self.added {
            line("added", &listed.control, listed.attestation.as_str().to_owned());
        }
        for change in &self.build {
            let _ = writeln!(out, "  {:9}  {}: {} → {}", "build", change.field, shown(&change.old), shown(&change.new));
        }
        if let Some(verdict) = &self.verdict {
            let met = |met: bool| if met { "met" } else { "not met" };
            let level = |level: &Option<String>| level.clone().unwrap_or_else(|| "none".to_owned());
            let _ = writeln!(
                out,
                "  {:9}  profile `{}` {}, level {} → profile `{}` {}, level {}",
                if verdict.fell { "FELL" } else { "verdict" },
                verdict.profile.0,
                met(verdict.met.0),
                level(&verdict.level.0),
                verdict.profile.1,
                met(verdict.met.1),
                level(&verdict.level.1)
            );
        }
        out
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => one_line(text),
        other => other.to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
