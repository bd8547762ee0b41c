#[readiness_core::control("security.auth.rbac", "security.auth.jwt-validation", evidence = "middleware")]
fn authorize() {}

fn main() {}
