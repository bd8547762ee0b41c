//! Compile-time behaviour of the macros: every error they emit has a failing case here with its
//! expected message and span, and the pass cases compile under strict lints.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
