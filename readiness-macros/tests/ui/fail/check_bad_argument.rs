#[readiness_core::check(name = "db:ping")]
async fn ping(max: u32) -> readiness_core::Outcome { readiness_core::Outcome::pass().observed(max, "x") }

fn main() {}
