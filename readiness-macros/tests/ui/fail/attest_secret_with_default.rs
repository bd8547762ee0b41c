#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "TOKEN", secret, default = "abc")]
    token: readiness_core::checks::secrets::SecretString,
}

fn main() {}
