#[readiness_core::check(name = "db:ping", interval = "0s")]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
