//! An operator attestation as a file or a macro gives it, `on = "YYYY-MM-DD"` and
//! `valid_for = "<duration>"`: whatever the two parse to, its expiry and validity never panic
//! (the runner asks both for every report), a record expires no earlier than it was made, and
//! it serialises to JSON and back unchanged.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness_core::attestation::{OperatorAttestation, Waiver, parse_date, parse_duration};
use time::OffsetDateTime;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Seconds since the epoch of the moment asked about.
    now: i64,
    /// A validity given as a number, for durations no text reaches quickly.
    secs: u64,
    /// `on` and `valid_for` on two lines: `2026-09-14\n365d`.
    text: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let (on, valid_for) = input.text.split_once('\n').unwrap_or((input.text, ""));
    let Ok(on) = parse_date(on) else { return };
    let now = OffsetDateTime::from_unix_timestamp(input.now % 253_402_300_800).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut validities = vec![Duration::from_secs(input.secs)];
    validities.extend(parse_duration(valid_for).ok());
    for valid_for in validities {
        let record = OperatorAttestation {
            control: "testing.qa.security".into(),
            by: "fuzz".into(),
            on,
            valid_for,
            evidence: "https://wiki.example/evidence".into(),
        };
        let expires = record.expires_at();
        assert!(expires >= on.midnight().assume_utc(), "{record:?} expires at {expires}");
        let valid = record.is_valid_at(now);
        assert_eq!(valid, now < expires);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(serde_json::from_value::<OperatorAttestation>(json).unwrap(), record);
    }
    let waiver = Waiver { control: "x.fuzz".into(), reason: "fuzz".into(), until: on };
    assert_eq!(waiver.is_valid_at(now), now.date() <= on);
    let json = serde_json::to_value(&waiver).unwrap();
    assert_eq!(serde_json::from_value::<Waiver>(json).unwrap(), waiver);
});
