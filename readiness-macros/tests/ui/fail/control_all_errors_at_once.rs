#[readiness_core::control("security.auth.rbak", evidance = "middleware")]
fn authorize() {}

fn main() {}
