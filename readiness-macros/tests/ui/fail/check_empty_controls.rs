#[readiness_core::check(name = "db:ping", controls())]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
