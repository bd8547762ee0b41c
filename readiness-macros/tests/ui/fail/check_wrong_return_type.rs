#[readiness_core::check(name = "db:ping")]
async fn ping() -> u32 { 7 }

fn main() {}
