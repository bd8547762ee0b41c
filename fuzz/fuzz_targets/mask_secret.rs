//! A registered secret, in one of the forms a log line carries it, put anywhere in arbitrary
//! text: it never survives `mask_bytes`, whatever surrounds it.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness_core::masking::{mask_bytes, mask_line};
use readiness_fuzz::{SECRETS, URL_PASSWORDS, apart_from_marker, check_masked, contains, forms, register_secrets};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Which secret (of [`SECRETS`] and [`URL_PASSWORDS`]).
    secret: u8,
    /// Which of its forms (see [`forms`]).
    form: u8,
    /// Where in `text` it goes (modulo its length + 1).
    at: u16,
    text: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    register_secrets();
    let secrets: Vec<&str> = SECRETS.iter().chain(URL_PASSWORDS.iter()).copied().collect();
    let secret = secrets[usize::from(input.secret) % secrets.len()];
    let forms = forms(secret);
    let form = &forms[usize::from(input.form) % forms.len()];
    let at = usize::from(input.at) % (input.text.len() + 1);
    let mut line = input.text[..at].to_vec();
    line.extend_from_slice(form.as_bytes());
    line.extend_from_slice(&input.text[at..]);

    let masked = mask_bytes(&line);
    check_masked(&line, &masked);
    assert!(apart_from_marker(form.as_bytes()), "pick secrets without marker bytes");
    for secret in &secrets {
        assert!(!contains(&masked, secret.as_bytes()), "{secret:?} survived in {:?}", String::from_utf8_lossy(&masked));
    }
    assert!(!contains(&masked, form.as_bytes()), "{form:?} survived in {:?}", String::from_utf8_lossy(&masked));
    if let Ok(text) = std::str::from_utf8(&line) {
        assert_eq!(mask_line(text).as_bytes(), &*masked, "mask_line and mask_bytes disagree");
    }
});
