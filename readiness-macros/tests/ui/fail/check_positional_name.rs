#[readiness_core::check("db:ping")]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
