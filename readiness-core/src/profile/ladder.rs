//! The built-in ladder over the `osgb` and `requirements` catalogs.

use super::Profile;

impl Profile {
    /// The built-in ladder, `levels`: **bronze** ⊂ **silver** ⊂ **gold**, each rung a question
    /// an on-call engineer asks of a service before trusting it with more.
    ///
    /// * **bronze — safe to run.** What a service must prove before it holds real data: its
    ///   secrets are real and stay out of the logs (`security.data.secrets`, `log-masking`),
    ///   traffic and database sessions are encrypted (`tls-in-transit`), input is validated and
    ///   responses carry the security headers (`input-validation`, `security.network.headers`),
    ///   its database pool answers (`db-pooling`), it restarts and deploys without dropping
    ///   requests (`operations.deployment.zero-downtime`, `rollback`), its build is traceable
    ///   (`ci-cd`), and its data is backed up (`reliability.backup.automated`). Most of these the
    ///   built-in checks verify at runtime.
    /// * **silver — operable.** What the people who run it need: authentication and the whole
    ///   network boundary (`security.auth`, `security.network`), monitoring of errors, latency
    ///   and resources (`performance.monitoring`), backups that restore (`reliability.backup`),
    ///   audit logging (`compliance.audit`), maintenance and incident response
    ///   (`operations.maintenance`), runbooks and contacts (`documentation.operational`), and the
    ///   tests that guard changes (`testing.qa.unit-coverage`, `testing.qa.integration`).
    /// * **gold — production ready as the checklists mean it.** Every control of `osgb` and
    ///   `requirements`: availability and failover, privacy, load tests, the reviews and the
    ///   penetration test. The same controls as [`Profile::production`].
    ///
    /// ```
    /// use readiness_core::{catalog, Profile};
    ///
    /// let levels = Profile::levels();
    /// assert_eq!(levels.level_names().collect::<Vec<_>>(), ["bronze", "silver", "gold"]);
    /// let secrets = catalog::lookup("security.data.secrets").unwrap();
    /// assert_eq!(levels.level_of(secrets), Some("bronze"));
    /// let gdpr = catalog::lookup("compliance.privacy.gdpr").unwrap();
    /// assert_eq!(levels.level_of(gdpr), Some("gold"));
    /// ```
    pub fn levels() -> Self {
        Self::new("levels")
            .level("bronze")
            .require_control("security.data.secrets")
            .require_control("security.data.log-masking")
            .require_control("security.data.tls-in-transit")
            .require_control("security.data.input-validation")
            .require_control("security.network.headers")
            .require_control("performance.scalability.db-pooling")
            .require_control("operations.deployment.zero-downtime")
            .require_control("operations.deployment.rollback")
            .require_control("operations.deployment.ci-cd")
            .require_control("reliability.backup.automated")
            .level("silver")
            .require_group("security.auth")
            .require_group("security.network")
            .require_group("performance.monitoring")
            .require_group("reliability.backup")
            .require_group("compliance.audit")
            .require_group("operations.maintenance")
            .require_group("documentation.operational")
            .require_control("testing.qa.unit-coverage")
            .require_control("testing.qa.integration")
            .level("gold")
            .require_catalog("osgb")
            .require_catalog("requirements")
    }
}
