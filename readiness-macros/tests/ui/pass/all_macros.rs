//! Every macro, expanded under the strictest lints a user may set.
#![deny(warnings, missing_docs, unsafe_code)]

use readiness_core::checks::secrets::SecretString;
use readiness_core::{Attest, CheckContext, Outcome, State, attestations, check, control};

/// A pool.
pub struct Pool {
    /// Its size.
    pub size: u32,
}

/// The routes.
#[control("security.auth.rate-limiting", evidence = "GovernorLayer: 50 req/s per client IP")]
#[control("x.orders.routes", evidence = "all order routes in one place")]
pub fn routes() {}

/// A store.
#[control("security.data.encryption-at-rest", evidence = "AES-GCM before writing")]
pub struct Store;

/// A module.
#[control("compliance.audit.audit-logging", evidence = "audit events in their own table")]
pub mod audit {}

#[control("orders.idempotency", catalog = "orders", evidence = "Idempotency-Key header")]
impl Store {
    /// Saves.
    pub fn save(&self) {}
}

/// Validation.
pub struct Validator;

impl Validator {
    /// Validates input; the attribute works on associated fns of inherent impls too.
    #[control("security.data.input-validation", evidence = "serde with deny_unknown_fields and length limits")]
    #[control("x.orders.validation", evidence = "the same function")]
    pub fn validate(&self) {}
}

/// The pool check.
#[check(name = "db:pool", controls("performance.scalability.db-pooling"), kinds(readiness, startup), critical,
        timeout = "500ms", interval = "10s", initial_delay = "1s", ttl = "2s", fail_after = 3, pass_after = 2,
        component_type = "datastore", description = "the pool answers")]
pub async fn db_pool(pool: State<Pool>, ctx: CheckContext) -> Result<Outcome, String> {
    Ok(Outcome::pass().observed(pool.size, "connections").with_output(ctx.name().to_owned()))
}

/// The configuration.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:config")]
pub struct Config {
    #[attest(env = "UI_JWT_SECRET", secret, file, min_len = 32)]
    jwt_secret: SecretString,
    #[attest(env = "UI_TOKEN", secret)]
    token: Option<SecretString>,
    #[attest(env = "UI_PORT", default = "8080")]
    port: u16,
    #[attest(env = "UI_NAME")]
    name: Option<String>,
}

attestations! {
    "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "365d", evidence: "https://wiki.example/pentest" },
    "security.network.ddos" => waived { reason: "internal-only service", until: "2027-03-01" },
}

fn main() {
    routes();
    Store.save();
    Validator.validate();
    if let Ok(config) = Config::from_env() {
        let _ = (config.jwt_secret, config.token, config.port, config.name);
    }
}
