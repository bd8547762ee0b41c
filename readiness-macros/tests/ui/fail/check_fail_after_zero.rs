#[readiness_core::check(name = "db:ping", fail_after = 0)]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
