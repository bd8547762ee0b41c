//! Query parsing (readiness-axum): never panics; a rejection is a 400; the notes of ignored
//! parameters are bounded (at most 8 and a count) and never echo raw input: a name is repeated
//! only when it is a short plain word.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_axum::__fuzz;

fuzz_target!(|input: (u8, &str)| {
    let (kind, raw) = input;
    match __fuzz::parse_query(raw, kind) {
        Ok(notes) => {
            assert!(notes.len() <= 9, "{} notes for {raw:?}", notes.len());
            for note in &notes {
                assert!(note.len() <= 120, "a long note {note:?}");
                assert!(
                    !note.contains(['<', '>', '"', '\n', '\r']) && note.is_ascii(),
                    "a note echoing input: {note:?}"
                );
            }
        }
        Err(status) => assert_eq!(status, 400, "status {status} for {raw:?}"),
    }
    if raw.len() > 2048 {
        assert!(__fuzz::parse_query(raw, kind).is_err(), "a query over 2048 bytes accepted");
    }
});
