struct Db;
impl Db {
    #[readiness_core::check(name = "db:ping")]
    async fn ping(&self) -> readiness_core::Outcome { readiness_core::Outcome::pass() }
}

fn main() {}
