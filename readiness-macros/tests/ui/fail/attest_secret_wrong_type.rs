#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "TOKEN", secret)]
    token: String,
}

fn main() {}
