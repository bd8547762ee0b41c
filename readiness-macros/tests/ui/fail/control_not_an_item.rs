#[readiness_core::control("security.auth.rbac", evidence = "macro")]
macro_rules! roles { () => {}; }

fn main() {}
