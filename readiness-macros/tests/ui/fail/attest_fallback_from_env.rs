// A wrong attribute is the only error: `from_env()` and `Debug` are still generated.
#[derive(readiness_core::Attest)]
struct Config {
    #[attest(env = "PORT", secrt)]
    port: u16,
}

fn main() {
    match Config::from_env() {
        Ok(config) => println!("{config:?}"),
        Err(error) => println!("{error}"),
    }
}
