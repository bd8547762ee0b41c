//! The log masker on arbitrary bytes, no secret registered: field names, patterns, URLs.
//!
//! Not asserted: that masking a masked line changes nothing. It holds for realistic lines
//! (`tests/log_masking.rs`), not for all: the scan judges the text as written, and masking
//! can move what ends a value (a URL's password runs to the last `@` of its authority, an
//! unquoted value to the next field), so a second pass may mask more, never less.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness_core::masking::{mask_bytes, mask_line};
use readiness_fuzz::check_masked;

fuzz_target!(|data: &[u8]| {
    let masked = mask_bytes(data);
    check_masked(data, &masked);
    if let Ok(text) = std::str::from_utf8(data) {
        // `mask_line` is `mask_bytes` on UTF-8: the same bytes, never its lossy fallback.
        assert_eq!(mask_line(text).as_bytes(), &*masked, "mask_line and mask_bytes disagree");
    }
});
