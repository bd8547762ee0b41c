#[derive(readiness_core::Attest)]
struct Config {
    #[attest(secret)]
    token: readiness_core::secrets::SecretString,
}

fn main() {}
