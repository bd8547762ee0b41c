//! `Masker::register` with values the fuzzer chooses, then `Masker::mask` of a text that holds
//! them, each in one of its forms, between arbitrary pieces: every registered value is gone.
//!
//! The input after its first four bytes (which pick the forms) is UTF-8 text: a first line of
//! up to four tab-separated values to register, then tab-separated pieces of text that the
//! values go between: `hunter2-long\tpa$$w0rd\nuser=bob password=\t and \t done`.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness_core::masking::{MARKER, MIN_SECRET_LEN, Masker};
use readiness_fuzz::{apart_from_marker, check_masked, contains, forms};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Byte `i` picks the form of value `i` (see [`forms`]).
    forms: [u8; 4],
    text: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let (first, rest) = input.text.split_once('\n').unwrap_or((input.text, ""));
    let values: Vec<&str> = first.split('\t').take(4).collect();
    let masker = Masker::new();
    for value in &values {
        masker.register(value);
    }
    let mut distinct: Vec<&str> = values.iter().copied().filter(|value| value.len() >= MIN_SECRET_LEN).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(masker.len(), distinct.len(), "one entry per distinct value of at least MIN_SECRET_LEN bytes");

    let mut pieces = rest.split('\t');
    let mut text = pieces.next().unwrap_or_default().to_owned();
    let mut placed = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let forms = forms(value);
        let which = usize::from(input.forms[index]) % forms.len();
        text.push_str(&forms[which]);
        text.push_str(pieces.next().unwrap_or_default());
        // A base64 form of fewer than six characters is not registered (it would occur in
        // ordinary text by chance): base64 needs a value of five bytes or more.
        let base64 = which >= forms.len() - 2;
        if value.len() >= MIN_SECRET_LEN && (!base64 || value.len() >= 5) {
            placed.push(forms[which].clone());
        }
    }
    text.extend(pieces);

    let masked = masker.mask(&text);
    let as_bytes: Cow<'_, [u8]> = match &masked {
        Cow::Borrowed(same) => Cow::Borrowed(same.as_bytes()),
        Cow::Owned(changed) => Cow::Owned(changed.clone().into_bytes()),
    };
    check_masked(text.as_bytes(), &as_bytes);
    if !placed.is_empty() {
        assert!(masker.contains_secret(&text), "a registered value in the text: {text:?}");
        assert!(masked.contains(MARKER));
    }
    for form in &placed {
        if apart_from_marker(form.as_bytes()) {
            assert!(!contains(masked.as_bytes(), form.as_bytes()), "{form:?} survived in {masked:?}");
        }
    }
});
