#[readiness_core::check(name = "db:ping", controls(db_pooling))]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
