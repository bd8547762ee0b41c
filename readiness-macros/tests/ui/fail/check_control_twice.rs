#[readiness_core::check(name = "db:ping", controls("performance.scalability.db-pooling", "performance.scalability.db-pooling"))]
async fn ping() -> readiness_core::Outcome { readiness_core::Outcome::pass() }

fn main() {}
