//! `is_sensitive_field` and the log masker agree: a field whose name is sensitive has its value
//! masked in every form a formatter writes it, and a field whose name is not keeps its value.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness_core::masking::{is_sensitive_field, mask_line};

/// The value every field carries: no pattern matches it, and no sensitive word is in it.
const VALUE: &str = "v4lue-of-fuzz";

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Which way the field is written.
    form: u8,
    name: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let name = input.name;
    let sensitive = is_sensitive_field(name);
    // The masker judges a name as the run of name bytes around a sensitive stem, at most 64
    // bytes on each side (masking stays linear in the line); only such names are compared.
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'));
    // A name holding the value itself would hold it in the output too.
    if !plain || name.contains(VALUE) {
        return;
    }
    let line = match input.form % 5 {
        0 => format!("{name}={VALUE}"),
        1 => format!("{name}=\"{VALUE}\""),
        2 => format!("{{\"{name}\":\"{VALUE}\"}}"),
        3 => format!("level=INFO {name}: {VALUE} user=bob"),
        _ => format!("{name}: Some(\"{VALUE}\")"),
    };
    let masked = mask_line(&line);
    assert_eq!(!masked.contains(VALUE), sensitive, "is_sensitive_field({name:?}) = {sensitive}, masked {masked:?}");
});
