#[readiness_core::check(name = "db:ping")]
async fn ping() {}

fn main() {}
