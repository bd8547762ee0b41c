#[derive(readiness_core::Attest)]
struct Config {
    #[attest(secret)]
    token: readiness_core::checks::secrets::SecretString,
}

fn main() {}
