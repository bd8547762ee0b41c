//! The log masker on arbitrary bytes, no secret registered: field names, patterns, URLs.
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
