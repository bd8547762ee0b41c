#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "jwt-secret", secret)]
    jwt: readiness_core::checks::secrets::SecretString,
}

fn main() {}
