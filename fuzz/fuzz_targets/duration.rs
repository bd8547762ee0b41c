//! `parse_duration` and `format_duration`: neither panics; what `format_duration` writes,
//! `parse_duration` reads back to the same duration (attestations are stored that way:
//! `valid_for = "365d"`); and readiness-core's wrapper accepts exactly what the rule accepts.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness_rules::{format_duration, parse_duration};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// A duration given as numbers (as the settings take it), for `format_duration`.
    secs: u64,
    nanos: u32,
    /// A duration as text, for `parse_duration`.
    text: &'a str,
}

fn round_trips(duration: Duration) {
    let written = format_duration(duration);
    assert_eq!(parse_duration(&written), Ok(duration), "{duration:?} written as {written:?}");
}

fuzz_target!(|input: Input<'_>| {
    let parsed = parse_duration(input.text);
    let wrapped = readiness_core::attestation::parse_duration(input.text);
    assert_eq!(parsed.is_ok(), wrapped.is_ok(), "{:?}", input.text);
    if let Ok(duration) = parsed {
        assert_eq!(wrapped, Ok(duration));
        round_trips(duration);
    }
    round_trips(Duration::new(input.secs, input.nanos % 1_000_000_000));
});
