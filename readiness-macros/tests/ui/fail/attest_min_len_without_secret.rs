#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "NAME", min_len = 3)]
    name: String,
}

fn main() {}
