#[readiness_core::check(name = "db:ping")]
struct Ping;

fn main() {}
