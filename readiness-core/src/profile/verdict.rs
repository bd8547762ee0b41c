//! The verdict: a profile applied to a report — met or not, the level reached, and each unmet
//! required control with why and what to do about it. What tests, the CLI and CI gate on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Profile, UnknownLevel};
use crate::attestation::AttestationState;
use crate::catalog::Control;

/// What a verdict needs to know of one control: taken from a [`ControlReport`](crate::ControlReport), or read back
/// from a checklist JSON document (its `controls` entries deserialize into it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Standing {
    /// The control.
    #[serde(flatten)]
    pub control: Control,
    /// Its attestation state.
    pub attestation: AttestationState,
    /// The sentence of evidence that decided the state.
    #[serde(default)]
    pub evidence: Option<String>,
    /// What bound checks warn about.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The checks bound to it.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// A profile applied to a report.
///
/// ```
/// use readiness_core::{Profile, Verdict};
/// use readiness_core::attestation::Declaration;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let ladder = Profile::new("mine")
///     .level("bronze")
///     .require_control("security.data.secrets")
///     .level("silver")
///     .require_control("security.auth.rbac");
/// let readiness = readiness_core::testing::builder()
///     .declare(Declaration::new("security.data.secrets", "from the environment, see config.rs"))
///     .profile(ladder)
///     .build()
///     .unwrap();
/// let verdict = Verdict::of(readiness.profile(), &readiness.checklist().await);
/// assert!(!verdict.met);
/// assert_eq!(verdict.level.as_deref(), Some("bronze"));
/// assert_eq!(verdict.next_level.as_deref(), Some("silver"));
/// assert_eq!(verdict.unmet[0].control, "security.auth.rbac");
/// assert_eq!(verdict.unmet[0].state.as_str(), "missing");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Verdict {
    /// The profile's name.
    pub profile: String,
    /// Whether every control the profile requires (at every level) is satisfied.
    pub met: bool,
    /// How many controls the profile requires.
    pub required: usize,
    /// How many of them are satisfied.
    pub satisfied: usize,
    /// The highest level reached (every control required at it and below is satisfied); `None`
    /// for a flat profile, or when not even the lowest level is reached.
    pub level: Option<String>,
    /// The level above [`Verdict::level`], when there is one.
    pub next_level: Option<String>,
    /// Every level of a ladder, lowest first (empty for a flat profile).
    pub levels: Vec<VerdictLevel>,
    /// Every unmet required control, lowest level first, then in catalog order.
    pub unmet: Vec<Unmet>,
}

/// One rung of a ladder in a [`Verdict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerdictLevel {
    /// The level's name.
    pub name: String,
    /// Whether it is reached: every control required at it and below is satisfied.
    pub reached: bool,
    /// How many controls this level adds to the ones below.
    pub required: usize,
    /// How many of those are unmet.
    pub unmet: usize,
}

/// A required control that is not satisfied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Unmet {
    /// The control id.
    pub control: String,
    /// The control's title.
    pub title: String,
    /// The lowest level requiring it (`None` for a flat profile's requirements).
    pub level: Option<String>,
    /// Its state: `failing`, `expired` or `missing`.
    pub state: AttestationState,
    /// Why, in a sentence: the failing check's output, the expired record, or that nothing
    /// speaks for it.
    pub reason: String,
    /// What to do about it.
    pub fix: String,
}

impl Verdict {
    /// Applies `profile` to controls given one by one (read from a checklist document, for
    /// example). Controls the profile names but `controls` does not list are not counted:
    /// the builder refuses such a profile for a running service.
    pub fn evaluate(profile: &Profile, controls: impl IntoIterator<Item = Standing>) -> Self {
        let level_names: Vec<&str> = profile.level_names().collect();
        let mut levels: Vec<VerdictLevel> = level_names
            .iter()
            .map(|name| VerdictLevel { name: (*name).to_owned(), reached: false, required: 0, unmet: 0 })
            .collect();
        let (mut required, mut satisfied, mut base_unmet) = (0, 0, 0);
        let mut unmet = Vec::new();
        for standing in controls {
            if !profile.requires(&standing.control) {
                continue;
            }
            required += 1;
            let level = profile.level_of(&standing.control).map(str::to_owned);
            let rung = level.as_deref().and_then(|name| levels.iter_mut().find(|rung| rung.name == name));
            let ok = standing.attestation.satisfies_profile();
            match rung {
                Some(rung) => {
                    rung.required += 1;
                    rung.unmet += usize::from(!ok);
                }
                None => base_unmet += usize::from(!ok),
            }
            if ok {
                satisfied += 1;
            } else {
                unmet.push(Unmet {
                    reason: reason(&standing),
                    fix: fix(&standing),
                    control: standing.control.id.to_string(),
                    title: standing.control.title.to_string(),
                    level,
                    state: standing.attestation,
                });
            }
        }
        let mut below_ok = base_unmet == 0;
        for rung in &mut levels {
            below_ok &= rung.unmet == 0;
            rung.reached = below_ok;
        }
        let reached = levels.iter().take_while(|rung| rung.reached).count();
        let level = reached.checked_sub(1).map(|index| levels[index].name.clone());
        let next_level = levels.get(reached).map(|rung| rung.name.clone());
        let rank = |unmet: &Unmet| unmet.level.as_ref().and_then(|name| level_names.iter().position(|n| n == name));
        unmet.sort_by_key(|unmet| rank(unmet).map_or(0, |index| index + 1));
        Self {
            profile: profile.name().to_owned(),
            met: unmet.is_empty(),
            required,
            satisfied,
            level,
            next_level,
            levels,
            unmet,
        }
    }

    /// The same verdict, for the ladder cut after `level`: met when that level is reached, and
    /// only the unmet controls at it and below. Named `<profile>@<level>`, as
    /// [`Profile::up_to`] names the cut profile — what `readiness check --level` applies to the
    /// verdict a service serves, whose profile it cannot rebuild.
    ///
    /// # Errors
    ///
    /// [`UnknownLevel`] when the verdict's profile has no such level.
    pub fn up_to(&self, level: &str) -> Result<Self, UnknownLevel> {
        let Some(index) = self.levels.iter().position(|rung| rung.name == level) else {
            let known: Vec<&str> = self.levels.iter().map(|rung| rung.name.as_str()).collect();
            return Err(UnknownLevel {
                profile: self.profile.clone(),
                level: level.to_owned(),
                known: if known.is_empty() { "none".to_owned() } else { known.join(", ") },
            });
        };
        let levels: Vec<VerdictLevel> = self.levels[..=index].to_vec();
        let on_ladder: usize = self.levels.iter().map(|rung| rung.required).sum();
        let base = self.required.saturating_sub(on_ladder);
        let required = base + levels.iter().map(|rung| rung.required).sum::<usize>();
        let unmet: Vec<Unmet> = self
            .unmet
            .iter()
            .filter(|unmet| unmet.level.as_ref().is_none_or(|name| levels.iter().any(|rung| rung.name == *name)))
            .cloned()
            .collect();
        let reached = levels.iter().take_while(|rung| rung.reached).count();
        Ok(Self {
            profile: format!("{}@{level}", self.profile),
            met: unmet.is_empty(),
            required,
            satisfied: required.saturating_sub(unmet.len()),
            level: reached.checked_sub(1).map(|index| levels[index].name.clone()),
            next_level: levels.get(reached).map(|rung| rung.name.clone()),
            levels,
            unmet,
        })
    }

    /// The unmet controls that stand between the service and its next level (for a flat
    /// profile, every unmet control).
    pub fn next_level_needs(&self) -> impl Iterator<Item = &Unmet> {
        self.unmet.iter().filter(|unmet| unmet.level.is_none() || unmet.level == self.next_level)
    }

    /// One sentence: met or not, the count, the level, and what the next level needs.
    ///
    /// `profile `levels` not met: 14 of 83 required controls satisfied; level bronze reached,
    /// silver needs 3 more: a, b, c`
    pub fn summary(&self) -> String {
        let mut line = format!(
            "profile `{}` {}: {} of {} required controls satisfied",
            self.profile,
            if self.met { "met" } else { "not met" },
            self.satisfied,
            self.required
        );
        if self.levels.is_empty() {
            return line;
        }
        match &self.level {
            Some(level) => line.push_str(&format!("; level {level} reached")),
            None => line.push_str("; no level reached"),
        }
        if let Some(next) = &self.next_level {
            // A sentence, not the table: the first few ids, the count says the rest.
            const LISTED: usize = 5;
            let needs: Vec<&str> = self.next_level_needs().map(|unmet| unmet.control.as_str()).collect();
            let mut listed = needs.iter().take(LISTED).copied().collect::<Vec<_>>().join(", ");
            if needs.len() > LISTED {
                listed.push_str(", …");
            }
            line.push_str(&format!(", {next} needs {} more: {listed}", needs.len()));
        }
        line
    }
}

/// Why a control is unmet, in a sentence.
fn reason(standing: &Standing) -> String {
    let mut reason = match (&standing.evidence, standing.attestation) {
        (Some(evidence), _) => evidence.clone(),
        (None, AttestationState::Missing) if standing.checks.is_empty() => {
            "nothing declares, attests, waives or checks it".to_owned()
        }
        (None, AttestationState::Missing) => "its checks have not all passed, and nothing declares it".to_owned(),
        (None, state) => state.as_str().to_owned(),
    };
    for warning in &standing.warnings {
        reason.push_str("; warning: ");
        reason.push_str(warning);
    }
    reason
}

/// What to do about an unmet control.
fn fix(standing: &Standing) -> String {
    let id = &standing.control.id;
    match standing.attestation {
        AttestationState::Failing => {
            let checks: Vec<String> = standing.checks.iter().map(|name| format!("`{name}`")).collect();
            format!("make the failing check pass ({}): its output says what it observed", checks.join(", "))
        }
        AttestationState::Expired => format!(
            "renew the operator record: attestations! {{ \"{id}\" => {{ by, on, valid_for, evidence }} }}, or renew the waiver"
        ),
        _ if !standing.checks.is_empty() => {
            format!(
                "let its checks pass, or declare it: #[control(\"{id}\", evidence = \"…\")] on the code that implements it"
            )
        }
        _ => format!(
            "declare it on the code that implements it (#[control(\"{id}\", evidence = \"…\")]), bind a check, attest it in attestations!, or waive it with a reason"
        ),
    }
}

/// A readable table of the unmet controls, under [`Verdict::summary`]: what `assert_ready!`
/// and `readiness check` print.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        if self.unmet.is_empty() {
            return Ok(());
        }
        let id_width = self.unmet.iter().map(|unmet| unmet.control.len()).max().unwrap_or(0).max("CONTROL".len());
        let level_width =
            self.unmet.iter().map(|unmet| unmet.level.as_deref().unwrap_or("-").len()).max().unwrap_or(0).max(5);
        writeln!(f)?;
        writeln!(f, "  {:id_width$}  {:8}  {:level_width$}  REASON / FIX", "CONTROL", "STATE", "LEVEL")?;
        for unmet in &self.unmet {
            writeln!(
                f,
                "  {:id_width$}  {:8}  {:level_width$}  {}",
                unmet.control,
                unmet.state.as_str(),
                unmet.level.as_deref().unwrap_or("-"),
                one_line(&unmet.reason)
            )?;
            writeln!(f, "  {:id_width$}  {:8}  {:level_width$}  fix: {}", "", "", "", unmet.fix)?;
        }
        Ok(())
    }
}

/// Text from the service folded to one line, so a table row stays a row.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).collect::<Vec<_>>().join(" ")
}
