#[readiness_core::control("security.auth.rbac", evidence = "a", evidence = "b")]
fn authorize() {}

fn main() {}
