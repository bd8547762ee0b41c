#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "TOKEN", secret = "yes")]
    token: readiness_core::checks::secrets::SecretString,
}

fn main() {}
