//! `readiness check`: a service's checklist with a profile applied, as a CI gate.

use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use readiness_core::output::oscal;
use readiness_core::{Profile, Verdict};
use serde_json::json;

use crate::document::Checklist;
use crate::source::{self, Connection};
use crate::{CannotEvaluate, Finding, Format, junit, markdown};

/// `readiness check <URL>`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The service (base URL or checklist URL), or a file holding a checklist document.
    #[arg(value_name = "URL")]
    source: String,
    /// A built-in profile (production, informative, levels) or a profile file (JSON or YAML)
    /// to apply instead of the service's own.
    #[arg(long, value_name = "NAME|FILE")]
    profile: Option<String>,
    /// Apply the profile's ladder only up to this level: met when the level is reached.
    #[arg(long, value_name = "NAME")]
    level: Option<String>,
    /// How to write the verdict.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the result to this file instead of stdout (a one-line summary goes to stderr).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

pub(crate) fn run(args: &Args) -> Result<Finding, CannotEvaluate> {
    let origin = if source::is_url(&args.source) {
        source::shown(&source::checklist_url(&args.source))
    } else {
        args.source.clone()
    };
    let checklist = Checklist::from_json(source::load(&args.source, &args.connection)?, &origin)?;
    let verdict = verdict(&checklist, args.profile.as_deref(), args.level.as_deref())?;
    let failing_status = checklist.status == "fail";
    let satisfied = verdict.met && !failing_status;
    let mut summary = format!("{}: {}", checklist.who(), verdict.summary());
    if failing_status {
        summary.push_str("; and its readiness status is `fail`");
    }
    let output = match args.format {
        Format::Text => {
            let mut text = format!("{} at {origin}\n{verdict}", checklist.who());
            if failing_status {
                text.push_str(STATUS_FAILS);
                text.push('\n');
            }
            text
        }
        Format::Json => {
            let document = json!({
                "source": origin,
                "service": {
                    "name": checklist.service.name,
                    "version": checklist.service.version,
                    "instance": checklist.service.instance,
                },
                "status": checklist.status,
                "satisfied": satisfied,
                "verdict": verdict,
            });
            let mut text = serde_json::to_string_pretty(&document).map_err(|error| error.to_string())?;
            text.push('\n');
            text
        }
        Format::Markdown => markdown::verdict(&checklist, &verdict, failing_status.then_some(STATUS_FAILS)),
        Format::Junit => junit::render(&checklist, &verdict, failing_status.then_some(STATUS_FAILS))?,
        Format::Oscal => {
            let mut text = serde_json::to_string_pretty(&oscal::assessment_results(&checklist.document))
                .map_err(|error| error.to_string())?;
            text.push('\n');
            text
        }
    };
    Ok(Finding { output, satisfied, summary })
}

/// Why a met profile is not enough: as `assert_ready!`, a failing critical check fails the gate.
const STATUS_FAILS: &str = "\nThe service's readiness status is `fail`: a critical check fails (see /readiness), \
     whatever the profile says.";

/// The verdict to gate on: the service's own, the one of `--profile`, either cut at `--level`.
fn verdict(checklist: &Checklist, profile: Option<&str>, level: Option<&str>) -> Result<Verdict, CannotEvaluate> {
    let Some(profile) = profile else {
        let own = match &checklist.verdict {
            Some(verdict) => verdict.clone(),
            None => match Profile::named(&checklist.profile) {
                Some(profile) => checklist.evaluate(&profile),
                None => {
                    return Err(format!(
                        "the checklist carries no verdict, and its profile `{}` is not a built-in one: give --profile",
                        checklist.profile
                    )
                    .into());
                }
            },
        };
        return match level {
            Some(level) => own.up_to(level).map_err(|error| error.to_string().into()),
            None => Ok(own),
        };
    };
    let profile = resolve(profile)?;
    let unknown = profile.unknown_names(&checklist.catalog());
    if !unknown.is_empty() {
        return Err(format!(
            "profile `{}` names what the service does not list: {}",
            profile.name(),
            unknown.join(", ")
        )
        .into());
    }
    let profile = match level {
        Some(level) => profile.up_to(level).map_err(|error| error.to_string())?,
        None => profile,
    };
    Ok(checklist.evaluate(&profile))
}

/// A built-in profile by name, or a profile file.
fn resolve(name: &str) -> Result<Profile, CannotEvaluate> {
    if let Some(profile) = Profile::named(name) {
        return Ok(profile);
    }
    let path = Path::new(name);
    if !path.exists() {
        return Err(format!(
            "no profile `{name}`: the built-in ones are production, informative and levels; \
             or give the path of a profile file (JSON or YAML)"
        )
        .into());
    }
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {name}: {error}"))?;
    let parsed = match path.extension().and_then(|extension| extension.to_str()) {
        Some("json") => serde_json::from_str(&text).map_err(|error| error.to_string()),
        _ => serde_norway::from_str(&text).map_err(|error| error.to_string()),
    };
    parsed.map_err(|error| format!("{name} is not a profile: {error}").into())
}
