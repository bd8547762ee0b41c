//! Compile-time behaviour of the macros: every error they emit has a failing case here with its
//! expected message and span, and the pass cases compile under strict lints.
//!
//! The failing cases compare rustc's output with `.stderr` snapshots written with rustc 1.95
//! (stable); another compiler words and places its diagnostics a little differently, so there
//! they are skipped rather than reported as false failures (as serde and axum gate theirs). The
//! pass cases run on every compiler.

use std::sync::{Mutex, PoisonError};

/// trybuild builds every case of a test binary in one project directory, so two sets of cases
/// at once would overwrite each other's project: they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn ui_pass() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    // `cases` runs when dropped, before `_turn` is released.
}

// Before `#[test]`, which reads `#[ignore]` when it expands: an `ignore` added after it is lost.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr snapshots are rustc 1.95's words: run the compile-fail cases with rustc 1.95 (stable)"
)]
#[test]
fn ui_fail() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
}

/// Under CI the compile-fail cases must not go quiet: when CI's compiler is no longer the one
/// the snapshots were written with, this fails and says to re-bless them (`TRYBUILD=overwrite`)
/// and move the gate above to the new version.
#[rustversion::attr(stable(1.95), ignore = "the snapshots' compiler: `ui_fail` runs")]
#[test]
fn ci_runs_the_compile_fail_cases() {
    let in_ci = std::env::var("CI").is_ok_and(|value| value == "true");
    assert!(
        !in_ci,
        "CI's rustc is not 1.95 (stable), so `ui_fail` was skipped: re-bless the .stderr snapshots with this compiler and update the gate"
    );
}
