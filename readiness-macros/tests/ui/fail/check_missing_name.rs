#[readiness_core::check(critical)]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
