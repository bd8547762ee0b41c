#[readiness_core::control("security.auth.jwt-validaton", evidence = "jsonwebtoken with a key set")]
fn verify() {}

fn main() {}
