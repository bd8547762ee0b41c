#[readiness_core::control("security.auth.rbac", evidence = "middleware", crate = "not a path")]
fn authorize() {}

fn main() {}
