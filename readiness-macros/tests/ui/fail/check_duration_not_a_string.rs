#[readiness_core::check(name = "db:ping", timeout = 500)]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
