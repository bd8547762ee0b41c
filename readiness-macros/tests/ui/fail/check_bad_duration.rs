#[readiness_core::check(name = "db:ping", timeout = "soon")]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
