//! Dates (`YYYY-MM-DD`) and durations (`500ms`, `10s`, `365d`, `1h 30m`).

use std::time::Duration;

use time::Date;

/// What a date looks like, for error messages.
pub const DATE_FORMAT_HINT: &str = "YYYY-MM-DD, for example \"2026-09-14\"";

/// Parses a duration such as `500ms`, `10s`, `365d` or `1h 30m` (humantime's grammar).
///
/// # Errors
///
/// Why the text is not a duration, in humantime's words.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| error.to_string())
}

/// Parses a `YYYY-MM-DD` date.
///
/// # Errors
///
/// Why the text is not such a date.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|error| error.to_string())
}

/// The longest an operator attestation may hold unless the service configures otherwise: a
/// yearly review with a month of slack. Longer records are the ones nobody looks at again.
pub const DEFAULT_MAX_ATTESTATION_VALIDITY: Duration = Duration::from_secs(400 * 86_400);

/// Today, in UTC: an attestation dated after it is refused (nobody can attest to the future).
pub fn today_utc() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Formats a duration the way [`parse_duration`] reads it, in whole days when it is whole days
/// (`365d`, not humantime's calendar-year arithmetic).
pub fn format_duration(value: Duration) -> String {
    const DAY: u64 = 86_400;
    if value.subsec_nanos() == 0 && value.as_secs().is_multiple_of(DAY) && value.as_secs() > 0 {
        format!("{}d", value.as_secs() / DAY)
    } else {
        humantime::format_duration(value).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_in_days() {
        let year = parse_duration("365d").unwrap();
        assert_eq!(format_duration(year), "365d");
        assert_eq!(parse_duration(&format_duration(year)).unwrap(), year);
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s 500ms");
        assert!(parse_duration("ten seconds").is_err());
    }

    #[test]
    fn dates_are_calendar_days() {
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("14/09/2026").is_err());
    }
}
