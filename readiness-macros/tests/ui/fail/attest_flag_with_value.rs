#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "TOKEN", secret = "yes")]
    token: readiness_core::secrets::SecretString,
}

fn main() {}
