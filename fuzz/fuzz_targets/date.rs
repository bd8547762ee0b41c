//! `parse_date` never panics, reads only `YYYY-MM-DD` (what `DATE_FORMAT_HINT` promises) and
//! writes back what it read; readiness-core's wrapper accepts exactly what the rule accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_rules::parse_date;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse_date(text);
    let wrapped = readiness_core::attestation::parse_date(text);
    assert_eq!(parsed.is_ok(), wrapped.is_ok(), "{text:?}");
    if let Ok(date) = parsed {
        assert_eq!(wrapped, Ok(date));
        let written = date.format(time::macros::format_description!("[year]-[month]-[day]")).unwrap();
        assert_eq!(parse_date(&written), Ok(date), "{text:?} written as {written:?}");
    }
});
