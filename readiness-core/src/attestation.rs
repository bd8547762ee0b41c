//! How a control is attested: by a check, by a declaration in code, by an operator, or waived.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The attestation state of a control.
///
/// The variants are listed, and [`AttestationState::ALL`] iterates them, in the order every
/// output lists and counts them. Which state a control gets is not this order: it is decided in
/// one function of this module, by this precedence:
///
/// 1. `failing`: a bound check is reported failing;
/// 2. `verified`: every bound check has a result and each **passes** (a `warn` never verifies:
///    the control keeps the state below, and the warning is shown with it);
/// 3. `expired`: an operator record that no longer holds, even when a declaration exists;
/// 4. `declared`: code declares the control (the first declaration is the evidence);
/// 5. `attested`: an operator record that still holds;
/// 6. `waived`: a waiver that still holds;
/// 7. `expired`: a waiver that no longer holds;
/// 8. `missing`: nothing speaks for the control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationState {
    /// Every bound check has a result and each passes now (a `warn` does not verify).
    Verified,
    /// A bound check fails now.
    Failing,
    /// Code says the control is implemented, with a source location and evidence.
    Declared,
    /// An operator attested it, and the record has not expired.
    Attested,
    /// An operator record or a waiver has expired.
    Expired,
    /// Knowingly not implemented, with a justification and an expiry.
    Waived,
    /// Nothing speaks for the control.
    Missing,
}

impl AttestationState {
    /// Every state, in the order outputs list them (not the precedence: see the type's docs).
    pub const ALL: [AttestationState; 7] = [
        AttestationState::Verified,
        AttestationState::Failing,
        AttestationState::Declared,
        AttestationState::Attested,
        AttestationState::Expired,
        AttestationState::Waived,
        AttestationState::Missing,
    ];

    /// The lowercase name used in every output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            AttestationState::Verified => "verified",
            AttestationState::Failing => "failing",
            AttestationState::Declared => "declared",
            AttestationState::Attested => "attested",
            AttestationState::Expired => "expired",
            AttestationState::Waived => "waived",
            AttestationState::Missing => "missing",
        }
    }

    /// Whether a profile that requires the control is content with this state: verified,
    /// declared, attested and waived are; failing, expired and missing are not.
    pub const fn satisfies_profile(self) -> bool {
        matches!(
            self,
            AttestationState::Verified
                | AttestationState::Declared
                | AttestationState::Attested
                | AttestationState::Waived
        )
    }
}

impl fmt::Display for AttestationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What speaks for one control, as the runner gathered it.
pub(crate) struct ControlEvidence<'a> {
    /// A line about the first bound check reported failing.
    pub(crate) failing: Option<String>,
    /// A line about the first passing bound check, given only when every bound check has a
    /// result and each passes: only a pass verifies.
    pub(crate) passing: Option<String>,
    /// The first declaration in code.
    pub(crate) declaration: Option<&'a Declaration>,
    /// The operator record.
    pub(crate) operator: Option<&'a OperatorAttestation>,
    /// The waiver.
    pub(crate) waiver: Option<&'a Waiver>,
}

/// **The precedence of attestation states**, decided here and nowhere else (the order is in
/// [`AttestationState`]'s docs): a failing bound check, then bound checks that all pass, then an
/// operator record that has expired (shown even over a declaration: an auditor must see it), a
/// declaration, a valid operator record, a valid waiver, an expired waiver, nothing. Returns the
/// state and the sentence of evidence that decided it.
pub(crate) fn decide(evidence: ControlEvidence<'_>, now: OffsetDateTime) -> (AttestationState, Option<String>) {
    let ControlEvidence { failing, passing, declaration, operator, waiver } = evidence;
    let expired_record = operator.filter(|record| !record.is_valid_at(now));
    if let Some(line) = failing {
        (AttestationState::Failing, Some(line))
    } else if let Some(line) = passing {
        (AttestationState::Verified, Some(line))
    } else if let Some(record) = expired_record {
        let expired = record.expires_at().date();
        (AttestationState::Expired, Some(format!("attestation by {} expired on {expired}", record.by)))
    } else if let Some(first) = declaration {
        (AttestationState::Declared, Some(first.evidence.clone()))
    } else if let Some(record) = operator {
        (AttestationState::Attested, Some(format!("attested by {} on {}: {}", record.by, record.on, record.evidence)))
    } else if let Some(waiver) = waiver.filter(|waiver| waiver.is_valid_at(now)) {
        (AttestationState::Waived, Some(format!("waived until {}: {}", waiver.until, waiver.reason)))
    } else if let Some(waiver) = waiver {
        (AttestationState::Expired, Some(format!("waiver expired after {}: {}", waiver.until, waiver.reason)))
    } else {
        (AttestationState::Missing, None)
    }
}

/// Where in the source a declaration was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The file, relative to the crate's manifest directory as `file!()` gives it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The module path (`module_path!()`).
    pub module: String,
}

/// A declaration in code that an item implements a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    /// The control id.
    pub control: String,
    /// What implements it and how, in a sentence.
    pub evidence: String,
    /// Where the declaration is, when it came from the `#[control]` attribute.
    pub source: Option<SourceLocation>,
    /// The name of the declared item (`fn api_routes`…), when known.
    pub item: Option<String>,
}

impl Declaration {
    /// A declaration without a source location, for the builder.
    pub fn new(control: impl Into<String>, evidence: impl Into<String>) -> Self {
        Self { control: control.into(), evidence: evidence.into(), source: None, item: None }
    }
}

/// An operator's record that a control is in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAttestation {
    /// The control id.
    pub control: String,
    /// Who attests (a person or a team).
    pub by: String,
    /// The day of the attestation (`YYYY-MM-DD` when serialized).
    #[serde(with = "iso_date")]
    pub on: Date,
    /// How long the attestation holds.
    #[serde(with = "humantime_serde_compat")]
    pub valid_for: Duration,
    /// A link or reference to the evidence.
    pub evidence: String,
}

impl OperatorAttestation {
    /// The first instant at which the record no longer holds (midnight UTC after the last day);
    /// the last instant `time` represents (the end of year 9999) when the validity reaches past it.
    pub fn expires_at(&self) -> OffsetDateTime {
        time::Duration::try_from(self.valid_for)
            .ok()
            .and_then(|valid_for| self.on.midnight().assume_utc().checked_add(valid_for))
            .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
    }

    /// Whether the record still holds at `now`.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at()
    }
}

/// A justified decision not to implement a control, until a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// The control id.
    pub control: String,
    /// Why the control is not needed.
    pub reason: String,
    /// The last day the waiver holds (`YYYY-MM-DD` when serialized).
    #[serde(with = "iso_date")]
    pub until: Date,
}

impl Waiver {
    /// Whether the waiver still holds at `now` (through the whole of its last day, UTC).
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        now.date() <= self.until
    }
}

/// Parses a duration such as `500ms`, `10s`, `365d` or `1h 30m`, as the macros do.
///
/// # Errors
///
/// A message saying what is wrong with the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    readiness_rules::parse_duration(text).map_err(|error| format!("invalid duration `{text}`: {error}"))
}

/// Parses a `YYYY-MM-DD` date, as the macros do.
///
/// # Errors
///
/// A message saying what is wrong with the text.
pub fn parse_date(text: &str) -> Result<Date, String> {
    readiness_rules::parse_date(text).map_err(|error| format!("invalid date `{text}` (want YYYY-MM-DD): {error}"))
}

pub use readiness_rules::format_duration;

/// Days as ISO 8601 calendar dates (`2026-11-22`), the form people and auditors read, rather
/// than `time`'s default `[year, ordinal]` pair.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub(super) fn serialize<S: Serializer>(value: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        let text = value.format(FORMAT).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }
}

mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&readiness_rules::format_duration(*value))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        readiness_rules::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn days_are_written_and_read_as_calendar_dates() {
        let waiver = Waiver { control: "x".into(), reason: "r".into(), until: date!(2027 - 06 - 30) };
        let written = serde_json::to_value(&waiver).unwrap();
        assert_eq!(written["until"], "2027-06-30");
        assert_eq!(serde_json::from_value::<Waiver>(written).unwrap(), waiver);
        assert!(
            serde_json::from_value::<Waiver>(serde_json::json!({"control": "x", "reason": "r", "until": [2027, 181]}))
                .is_err()
        );
    }

    #[test]
    fn an_attestation_expires_after_its_validity() {
        let record = OperatorAttestation {
            control: "testing.qa.security".into(),
            by: "AppSec".into(),
            on: date!(2026 - 09 - 14),
            valid_for: parse_duration("365d").unwrap(),
            evidence: "https://wiki.example/pentest".into(),
        };
        assert!(record.is_valid_at(datetime!(2027-09-13 23:59 UTC)));
        assert!(!record.is_valid_at(datetime!(2027-09-14 00:00 UTC)));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["valid_for"], "365d");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s 500ms");
    }

    #[test]
    fn a_waiver_holds_through_its_last_day() {
        let waiver =
            Waiver { control: "security.network.ddos".into(), reason: "internal".into(), until: date!(2027 - 03 - 01) };
        assert!(waiver.is_valid_at(datetime!(2027-03-01 23:00 UTC)));
        assert!(!waiver.is_valid_at(datetime!(2027-03-02 00:00 UTC)));
    }

    #[test]
    fn bad_dates_and_durations_are_explained() {
        assert!(parse_date("2026-02-30").unwrap_err().contains("2026-02-30"));
        assert!(parse_date("14/09/2026").is_err());
        assert!(parse_duration("ten seconds").unwrap_err().contains("ten seconds"));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn only_good_states_satisfy_a_profile() {
        let good: Vec<_> = AttestationState::ALL.into_iter().filter(|s| s.satisfies_profile()).collect();
        assert_eq!(
            good,
            [
                AttestationState::Verified,
                AttestationState::Declared,
                AttestationState::Attested,
                AttestationState::Waived
            ]
        );
    }
}
