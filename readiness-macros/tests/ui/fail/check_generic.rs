#[readiness_core::check(name = "db:ping")]
async fn ping<T: Send>(value: readiness_core::State<T>) -> readiness_core::Outcome { let _ = value; readiness_core::Outcome::pass() }

fn main() {}
