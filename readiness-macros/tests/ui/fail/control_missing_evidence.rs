#[readiness_core::control("security.auth.rbac")]
fn authorize() {}

fn main() {}
