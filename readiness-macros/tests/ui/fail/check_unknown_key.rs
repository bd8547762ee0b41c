#[readiness_core::check(name = "db:ping", timout = "1s")]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
