#[readiness_core::control("security.auth.rbac", evidense = "middleware")]
fn authorize() {}

fn main() {}
