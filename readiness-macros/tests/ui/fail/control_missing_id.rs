#[readiness_core::control(evidence = "roles in the JWT")]
fn authorize() {}

fn main() {}
