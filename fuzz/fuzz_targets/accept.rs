//! `Accept` negotiation (readiness-axum, RFC 9110 §12.5.1): never panics; an answer is one of
//! the offered formats, a rejection is a 400 (malformed) or a 406 (nothing acceptable); a
//! header with a single `q=0` element is never answered with a format; and the browser test
//! agrees with the negotiator on HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_axum::__fuzz;

fuzz_target!(|input: (u16, &[u8])| {
    let (offered, accept) = input;
    match __fuzz::negotiate(accept, offered) {
        Ok(media_type) => {
            if let Ok(text) = std::str::from_utf8(accept)
                && !text.contains(',')
                && text.contains("q=0")
                && !text.contains("q=0.")
            {
                panic!("chose {media_type} for a lone q=0 range: {text:?}");
            }
        }
        Err(status) => assert!(matches!(status, 0 | 400 | 406), "status {status} for {accept:?}"),
    }
    // A browser is someone naming text/html itself: then HTML, when offered first, is chosen.
    if __fuzz::accepts_html(accept) {
        assert!(__fuzz::negotiate(accept, 0b1000).is_ok(), "accepts_html but no HTML for {accept:?}");
    }
});
