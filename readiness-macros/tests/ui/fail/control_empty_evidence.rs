#[readiness_core::control("security.auth.rbac", evidence = "  ")]
fn authorize() {}

fn main() {}
