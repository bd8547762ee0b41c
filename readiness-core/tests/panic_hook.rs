//! The masking panic hook: a panic hook is process-wide, so each case panics in a child process
//! (this test binary run again on one test) and the parent reads the child's stderr, where the
//! hook writes.
#![cfg(feature = "log-masking")]

use std::process::Command;

use readiness_core::masking;

/// Set in a child, to the case it runs.
const CASE: &str = "PANIC_HOOK_CASE";
const SECRET: &str = "panic-hook-secret-9f2c41d7";

/// Runs `test` of this binary in a child with `CASE` set, and returns its stderr.
fn child_stderr(test: &str, case: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let output = Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CASE, case)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the child test starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "the child `{test}` failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test named `{test}`:\n{stdout}");
    stderr
}

/// In the child: panics in a named thread with a registered secret and a sensitive field.
fn panic_in_a_thread(install: usize) {
    masking::register_secret(SECRET);
    for _ in 0..install {
        masking::install_panic_hook();
    }
    let worker = std::thread::Builder::new().name("leaky-worker".into()).spawn(|| {
        panic!("cannot connect with {SECRET}: password=hunter2 rejected");
    });
    let payload = worker.expect("the thread starts").join().expect_err("the thread panics");
    // The payload is the program's own value, unchanged: only what is printed is masked.
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains(SECRET) && message.contains("hunter2"), "{message}");
}

/// In a child, runs `case` (installing the hook `install` times) and answers `true`.
fn in_child(case: &str, install: usize) -> bool {
    let Ok(running) = std::env::var(CASE) else { return false };
    if running == case {
        panic_in_a_thread(install);
    }
    true
}

#[test]
fn the_hook_masks_a_panic_message() {
    if in_child("hooked", 1) {
        return;
    }
    let stderr = child_stderr("the_hook_masks_a_panic_message", "hooked");
    assert!(!stderr.contains(SECRET), "the registered secret leaked:\n{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked:\n{stderr}");
    assert!(stderr.contains(masking::MARKER), "{stderr}");
    assert!(stderr.contains("thread 'leaky-worker' panicked at "), "{stderr}");
    assert!(stderr.contains("tests/panic_hook.rs:"), "the location is missing:\n{stderr}");
    assert!(stderr.contains("cannot connect with [REDACTED]"), "{stderr}");
    assert!(stderr.contains("note: run with `RUST_BACKTRACE=1`"), "{stderr}");
}

#[test]
fn installed_twice_the_hook_prints_a_panic_once() {
    if in_child("hooked_twice", 2) {
        return;
    }
    let stderr = child_stderr("installed_twice_the_hook_prints_a_panic_once", "hooked_twice");
    assert_eq!(stderr.matches("panicked at").count(), 1, "{stderr}");
    assert!(!stderr.contains(SECRET) && !stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn without_the_hook_the_secret_reaches_stderr() {
    // Proves the test above can fail: std's own hook prints the message raw.
    if in_child("unhooked", 0) {
        return;
    }
    let stderr = child_stderr("without_the_hook_the_secret_reaches_stderr", "unhooked");
    assert!(stderr.contains(SECRET) && stderr.contains("password=hunter2"), "{stderr}");
    assert!(stderr.contains("thread 'leaky-worker'"), "{stderr}");
}
