//! What each macro registers reaches the built `Readiness` and its report.

use readiness_core::attestation::AttestationState;
use readiness_core::checks::secrets::{ExposeSecret, SecretString};
use readiness_core::testing::{self, ChildTest};
use readiness_core::{
    Attest, CheckContext, CheckKind, Outcome, Readiness, State, Status, attestations, check, control,
};

/// The pool the checks are given.
struct Pool {
    size: u32,
}

const RBAC_LINE: u32 = line!() + 1;
#[control("security.auth.rbac", evidence = "roles checked by require_role")]
#[control("x.behaviour.roles", evidence = "same function, custom control")]
fn require_role() -> bool {
    true
}

#[check(
    name = "behaviour:pool",
    controls("performance.scalability.db-pooling"),
    kinds(readiness, startup),
    critical,
    timeout = "300ms",
    ttl = "1ms",
    component_type = "datastore"
)]
async fn pool_size(pool: State<Pool>, ctx: CheckContext) -> Outcome {
    Outcome::pass().observed(pool.size, "connections").with_output(format!("{} sees the pool", ctx.name()))
}

struct NeverGiven;

#[check(name = "behaviour:missing-state", controls("x.behaviour.missing"))]
async fn needs_state(_never: State<NeverGiven>) -> Outcome {
    Outcome::pass()
}

#[check(name = "behaviour:error", kinds(liveness))]
async fn returns_an_error() -> Result<Outcome, std::io::Error> {
    Err(std::io::Error::other("disk unreadable"))
}

attestations! {
    "testing.qa.security" => { by: "AppSec", on: "2026-09-14", valid_for: "100000d", evidence: "https://wiki.example/pentest" },
    "testing.qa.performance" => { by: "Perf", on: "2020-01-01", valid_for: "30d", evidence: "https://wiki.example/load" },
    "security.network.ddos" => waived { reason: "internal-only service", until: "2999-12-31" },
    "security.network.firewall" => waived { reason: "the platform's job", until: "2020-01-01" },
}

/// The builder of these tests: the attestation above holds for 100,000 days so the tests never
/// expire, over the 400-day default cap, which this raises.
fn builder() -> readiness_core::ReadinessBuilder {
    Readiness::builder().max_attestation_validity(std::time::Duration::from_secs(100_000 * 86_400))
}

/// Configuration used by the child-process tests below.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:behaviour")]
struct Settings {
    #[attest(env = "BEHAVIOUR_JWT_SECRET", secret, file, min_len = 32)]
    jwt_secret: SecretString,
    #[attest(env = "BEHAVIOUR_API_TOKEN", secret)]
    api_token: Option<SecretString>,
    #[attest(env = "BEHAVIOUR_PORT", default = "8080")]
    port: u16,
    #[attest(env = "BEHAVIOUR_WORKERS")]
    workers: u8,
}

/// Two structs of the same name in two modules: each keys its own load record.
mod module_a {
    use readiness_core::Attest;

    #[derive(Attest)]
    #[attest(control = "x.behaviour.module-a", name = "behaviour:module-a")]
    pub(crate) struct Config {
        #[attest(env = "BEHAVIOUR_MODULE_A_PORT")]
        pub(crate) port: u16,
    }
}

mod module_b {
    use readiness_core::Attest;

    #[derive(Attest)]
    #[attest(control = "x.behaviour.module-b", name = "behaviour:module-b")]
    pub(crate) struct Config {
        #[attest(env = "BEHAVIOUR_MODULE_B_PORT")]
        pub(crate) port: u16,
    }
}

const STRONG: &str = "x7Qp2LzR9vKc4NwT8hYb3MdF6sJg1AeU5oZi";

#[tokio::test]
async fn check_and_control_and_attestations_reach_the_report() {
    let readiness = builder().state(Pool { size: 12 }).build().unwrap();
    let report = readiness.checklist().await;

    let pool = report.check("behaviour:pool").unwrap();
    assert_eq!(pool.status, Status::Pass);
    assert!(pool.critical);
    assert_eq!(pool.component_type, "datastore");
    assert!(pool.kinds.contains(CheckKind::Startup));
    assert_eq!(pool.outcome.observed_value, Some(12.into()));
    assert_eq!(pool.outcome.output.as_deref(), Some("behaviour:pool sees the pool"));
    let spec = readiness.check_spec("behaviour:pool").unwrap();
    assert_eq!(spec.controls(), ["performance.scalability.db-pooling"]);

    let missing = report.check("behaviour:missing-state").unwrap();
    assert_eq!(missing.outcome.status, Status::Fail);
    assert!(missing.outcome.output.as_deref().unwrap().contains("NeverGiven"), "{:?}", missing.outcome.output);

    let liveness = readiness.liveness().await;
    let error = liveness.check("behaviour:error").unwrap();
    assert_eq!(error.outcome.output.as_deref(), Some("disk unreadable"));

    let rbac = report.control("security.auth.rbac").unwrap();
    assert_eq!(rbac.attestation, AttestationState::Declared);
    assert_eq!(rbac.declarations[0].evidence, "roles checked by require_role");
    assert_eq!(rbac.declarations[0].item.as_deref(), Some("fn require_role"));
    let source = rbac.source.as_ref().unwrap();
    assert_eq!(source.file, file!());
    assert_eq!(source.line, RBAC_LINE, "the line of the #[control] attribute");
    assert_eq!(source.module, "behaviour");
    assert_eq!(report.control("x.behaviour.roles").unwrap().attestation, AttestationState::Declared);
    assert_eq!(report.control("performance.scalability.db-pooling").unwrap().attestation, AttestationState::Verified);

    assert_eq!(report.control("testing.qa.security").unwrap().attestation, AttestationState::Attested);
    assert_eq!(report.control("testing.qa.performance").unwrap().attestation, AttestationState::Expired);
    assert_eq!(report.control("security.network.ddos").unwrap().attestation, AttestationState::Waived);
    assert_eq!(report.control("security.network.firewall").unwrap().attestation, AttestationState::Expired);
    assert!(require_role());
}

#[tokio::test]
async fn attest_loads_a_good_configuration_and_its_check_passes() {
    if !testing::is_child() {
        ChildTest::new("attest_loads_a_good_configuration_and_its_check_passes")
            .envs([("BEHAVIOUR_JWT_SECRET", STRONG), ("BEHAVIOUR_WORKERS", "4")])
            .run();
        return;
    }
    let settings = Settings::from_env().unwrap();
    assert_eq!(settings.jwt_secret.expose_secret(), STRONG);
    assert!(settings.api_token.is_none());
    assert_eq!((settings.port, settings.workers), (8080, 4));

    let debug = format!("{settings:?}");
    assert!(!debug.contains(STRONG), "{debug}");
    assert!(debug.contains("jwt_secret: [REDACTED]") && debug.contains("port: 8080"), "{debug}");
    assert_eq!(readiness_core::masking::mask(&format!("token={STRONG}")), "token=[REDACTED]");

    let readiness = builder().state(Pool { size: 1 }).build().unwrap();
    let report = readiness.checklist().await;
    let check = report.check("secrets:behaviour").unwrap();
    assert_eq!(check.status, Status::Pass, "{:?}", check.outcome);
    assert!(check.critical);
    assert_eq!(check.outcome.evidence["BEHAVIOUR_JWT_SECRET"], "env");
    assert_eq!(check.outcome.evidence["BEHAVIOUR_API_TOKEN"], "not set");
    assert_eq!(report.control("security.data.secrets").unwrap().attestation, AttestationState::Verified);
}

#[tokio::test]
async fn attest_reports_every_problem_at_once_and_its_check_fails() {
    if !testing::is_child() {
        ChildTest::new("attest_reports_every_problem_at_once_and_its_check_fails")
            .envs([("BEHAVIOUR_API_TOKEN", "changeme"), ("BEHAVIOUR_PORT", "eighty"), ("BEHAVIOUR_WORKERS", "4")])
            .run();
        return;
    }
    let error = Settings::from_env().unwrap_err();
    let problems: Vec<String> = error.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "BEHAVIOUR_JWT_SECRET is not set (or BEHAVIOUR_JWT_SECRET_FILE)",
            "BEHAVIOUR_API_TOKEN is a placeholder value",
            "BEHAVIOUR_PORT cannot be parsed as u16: invalid digit found in string",
        ]
    );
    assert!(!error.to_string().contains("eighty"), "values never appear in errors");
    let readiness = builder().state(Pool { size: 1 }).build().unwrap();
    let check = readiness.checklist().await.check("secrets:behaviour").unwrap().clone();
    assert_eq!(check.status, Status::Fail);
    assert!(check.outcome.output.as_deref().unwrap().contains("BEHAVIOUR_JWT_SECRET is not set"));
    assert_eq!(readiness.readiness().await.status, Status::Fail, "the check is critical");
}

#[tokio::test]
async fn attest_reads_name_file_and_refuses_a_world_readable_one() {
    if !testing::is_child() {
        let dir = std::env::temp_dir().join(format!("readiness-attest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("jwt-private");
        let public = dir.join("jwt-public");
        for path in [&private, &public] {
            std::fs::write(path, format!("{STRONG}\n")).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o644)).unwrap();
        ChildTest::new("attest_reads_name_file_and_refuses_a_world_readable_one")
            .envs([
                ("BEHAVIOUR_JWT_SECRET_FILE", private.to_str().unwrap()),
                ("BEHAVIOUR_WORKERS", "1"),
                ("EXPECT", "ok"),
            ])
            .run();
        ChildTest::new("attest_reads_name_file_and_refuses_a_world_readable_one")
            .envs([
                ("BEHAVIOUR_JWT_SECRET_FILE", public.to_str().unwrap()),
                ("BEHAVIOUR_WORKERS", "1"),
                ("EXPECT", "refused"),
            ])
            .run();
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    let result = Settings::from_env();
    if std::env::var("EXPECT").unwrap() == "ok" {
        let settings = result.unwrap();
        assert_eq!(settings.jwt_secret.expose_secret(), STRONG, "the trailing newline is not part of the secret");
        let readiness = builder().state(Pool { size: 1 }).build().unwrap();
        let check = readiness.checklist().await.check("secrets:behaviour").unwrap().clone();
        assert!(check.outcome.evidence["BEHAVIOUR_JWT_SECRET"].starts_with("file "), "{:?}", check.outcome.evidence);
    } else {
        let message = result.unwrap_err().to_string();
        assert!(message.contains("is accessible to other users (mode 644)"), "{message}");
    }
}

#[tokio::test]
async fn attest_structs_of_one_name_in_two_modules_judge_their_own_load() {
    if !testing::is_child() {
        ChildTest::new("attest_structs_of_one_name_in_two_modules_judge_their_own_load")
            .envs([("BEHAVIOUR_MODULE_A_PORT", "8081")])
            .run();
        return;
    }
    assert_eq!(module_a::Config::from_env().unwrap().port, 8081);
    let error = module_b::Config::from_env().unwrap_err();
    assert!(error.to_string().contains("BEHAVIOUR_MODULE_B_PORT is not set"), "{error}");

    let readiness = builder().include_registered(true).build().unwrap();
    let report = readiness.checklist().await;
    let a = report.check("behaviour:module-a").unwrap();
    assert_eq!(a.status, Status::Pass, "{:?}", a.outcome);
    let b = report.check("behaviour:module-b").unwrap();
    assert_eq!(b.status, Status::Fail, "{:?}", b.outcome);
    assert!(b.outcome.output.as_deref().unwrap().contains("BEHAVIOUR_MODULE_B_PORT is not set"), "{:?}", b.outcome);
}
