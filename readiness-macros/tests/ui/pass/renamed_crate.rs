//! `crate = …` for a renamed dependency.
#![deny(warnings)]

extern crate readiness_core as renamed;

#[renamed::control("security.auth.rbac", evidence = "roles checked", crate = "renamed")]
fn authorize() {}

#[renamed::check(name = "renamed:check", crate = "renamed")]
async fn renamed_check() -> renamed::Outcome {
    renamed::Outcome::pass()
}

#[derive(renamed::Attest)]
#[attest(crate = "renamed")]
struct Settings {
    #[attest(env = "RENAMED_PORT", default = "1")]
    port: u16,
}

renamed::attestations! {
    crate = renamed;
    "testing.qa.e2e" => { by: "QA", on: "2026-01-01", valid_for: "30d", evidence: "https://ci.example" },
}

fn main() {
    authorize();
    let _ = renamed_check;
    let _ = Settings::from_env().map(|settings| settings.port);
}
