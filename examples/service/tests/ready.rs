//! The example service's readiness, asserted in process with `assert_ready!`: the service's own
//! integration test, as a user would write it.
//!
//! Each test runs in a child process of its own: the service reads its configuration from the
//! environment, and the log-masking canary needs this process's global subscriber.

use readiness_core::testing::{self, ChildTest};
use readiness_core::{Profile, assert_ready};

/// A configuration the test controls: an in-memory database, a strong secret, a free port.
const ENV: [(&str, &str); 4] = [
    ("DATABASE_URL", "sqlite::memory:"),
    ("JWT_SECRET", "k7Qv2LmX9pR4tZ8wN3cB6yH1jF5sD0aG"),
    ("READINESS_TOKEN", "a-readiness-token-for-tests"),
    ("ADDR", "127.0.0.1:0"),
];

/// What this configuration proves in process, without TLS in front or a PostgreSQL to back up.
fn in_process() -> Profile {
    Profile::new("in-process")
        .require_control("security.data.secrets")
        .require_control("security.data.log-masking")
        .require_control("performance.scalability.db-pooling")
        .require_control("security.network.headers")
        .require_control("security.network.cors")
        .require_control("security.auth.jwt-validation")
        .require_control("security.auth.rate-limiting")
}

async fn service() -> example_service::Service {
    // As the binary does: every line through the masking writer, so the canary verifies.
    tracing_subscriber::fmt().with_writer(readiness_core::masking::MaskingWriter::new(std::io::sink)).init();
    let settings = example_service::Settings::from_env().expect("the test's configuration is valid");
    example_service::assemble(&settings).await.expect("the service assembles")
}

#[test]
fn the_service_meets_what_it_proves_in_process() {
    if !testing::is_child() {
        ChildTest::new("the_service_meets_what_it_proves_in_process").envs(ENV).run();
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let service = service().await;
        assert_ready!(service.readiness, in_process());
    });
}

#[test]
fn the_production_profile_is_not_met_and_the_table_says_why() {
    if !testing::is_child() {
        ChildTest::new("the_production_profile_is_not_met_and_the_table_says_why").envs(ENV).run();
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let service = service().await;
        let readiness = service.readiness.clone();
        let failure = tokio::spawn(async move { assert_ready!(readiness, Profile::production()) }).await.unwrap_err();
        let message = *failure.into_panic().downcast::<String>().unwrap();
        assert!(message.contains("example-service 0.1.0 is not ready"), "{message}");
        assert!(message.contains("profile `production` not met"), "{message}");
        // No certificate is configured: the control fails, with the check's own words.
        let tls = message.lines().find(|line| line.trim_start().starts_with("security.data.tls-in-transit")).unwrap();
        assert!(tls.contains("failing") && tls.contains("tls:certificate"), "{message}");
        // An operator's waiver satisfies the profile: it is not in the table.
        assert!(!message.contains("security.network.ddos"), "{message}");
        // The ladder: the same service is below bronze, and the verdict says what bronze needs.
        let verdict = readiness_core::Verdict::of(&Profile::levels(), &service.readiness.settled_checklist().await);
        assert_eq!(verdict.next_level.as_deref(), Some("bronze"), "{verdict}");
        assert!(verdict.next_level_needs().any(|unmet| unmet.control == "security.data.tls-in-transit"), "{verdict}");
    });
}
