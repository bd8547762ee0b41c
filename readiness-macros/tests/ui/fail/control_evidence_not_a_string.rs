#[readiness_core::control("security.auth.rbac", evidence = 3)]
fn authorize() {}

fn main() {}
