#[readiness_core::check(name = "db:ping", initial_delay = "2s")]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
