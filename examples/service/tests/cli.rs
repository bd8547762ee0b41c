//! The binary's command-line contract (also makes `cargo test --workspace` build the binary that
//! the end-to-end tests in `tests/` start).

use std::process::Command;

#[test]
fn a_malformed_addr_is_refused_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_example-service"))
        .env("ADDR", "not-an-address")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ADDR cannot be parsed as"), "{stderr}");
    assert!(!stderr.contains("not-an-address"), "values are never echoed: {stderr}");
    assert!(output.stdout.is_empty(), "nothing may be printed before `listening on`");
}
