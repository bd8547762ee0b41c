//! The built-in catalogs' items, word for word from the seed documents in `shared/seeds/`.
//!
//! `readiness-core` builds its `Catalog`s from these tables; `readiness-macros` checks control
//! ids against them at compile time. One table, so the two can never disagree.

/// `(section id, section title, [(group id, group title, [(item id, item title)])])`, in seed order.
pub type SeedTable = &'static [(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static [(&'static str, &'static str)])],
)];

/// The 75 items of `production-readiness-checklist.md`, in seed order.
#[rustfmt::skip]
pub const OSGB: SeedTable = &[
    ("security", "Security", &[
        ("auth", "Authentication & Authorization", &[
            ("jwt-validation", "JWT tokens properly validated"),
            ("password-strength", "Password strength requirements enforced"),
            ("rate-limiting", "Rate limiting implemented"),
            ("session-management", "Session management secure"),
            ("rbac", "Role-based access control verified"),
        ]),
        ("data", "Data Protection", &[
            ("encryption-at-rest", "Database encryption at rest"),
            ("tls-in-transit", "SSL/TLS encryption in transit"),
            ("log-masking", "Sensitive data masked in logs"),
            ("secrets", "API keys and secrets properly secured"),
            ("input-validation", "Input validation prevents injection attacks"),
        ]),
        ("network", "Network Security", &[
            ("firewall", "Firewall rules configured"),
            ("ports", "Only necessary ports exposed"),
            ("cors", "CORS policy properly configured"),
            ("headers", "Security headers implemented"),
            ("ddos", "DDoS protection in place"),
        ]),
    ]),
    ("performance", "Performance", &[
        ("scalability", "Scalability", &[
            ("load-testing", "Load testing completed"),
            ("db-pooling", "Database connection pooling configured"),
            ("caching", "Caching mechanisms implemented"),
            ("horizontal-scaling", "Horizontal scaling possible"),
            ("resource-utilization", "Resource utilization optimized"),
        ]),
        ("monitoring", "Monitoring", &[
            ("apm", "Application performance monitoring"),
            ("db-monitoring", "Database performance monitoring"),
            ("system-resources", "System resource monitoring"),
            ("error-rate", "Error rate tracking"),
            ("response-time", "Response time monitoring"),
        ]),
    ]),
    ("reliability", "Reliability", &[
        ("availability", "High Availability", &[
            ("db-replication", "Database replication configured"),
            ("load-balancer", "Load balancer in place"),
            ("redundancy", "Redundant systems deployed"),
            ("failover", "Failover procedures tested"),
            ("disaster-recovery", "Disaster recovery plan documented"),
        ]),
        ("backup", "Backup & Recovery", &[
            ("automated", "Automated backups configured"),
            ("retention-policy", "Backup retention policy defined"),
            ("restore-tested", "Restore procedures tested"),
            ("integrity", "Backup integrity verified"),
            ("offsite", "Offsite backup storage configured"),
        ]),
    ]),
    ("compliance", "Compliance", &[
        ("privacy", "Data Privacy", &[
            ("gdpr", "GDPR compliance verified"),
            ("data-retention", "Data retention policies implemented"),
            ("data-deletion", "User data deletion procedures"),
            ("privacy-policy", "Privacy policy accessible"),
            ("consent", "Consent management in place"),
        ]),
        ("audit", "Audit & Logging", &[
            ("audit-logging", "Comprehensive audit logging"),
            ("log-retention", "Log retention policy defined"),
            ("log-access", "Log access controls implemented"),
            ("security-events", "Security event monitoring"),
            ("reporting", "Compliance reporting capabilities"),
        ]),
    ]),
    ("operations", "Operations", &[
        ("deployment", "Deployment", &[
            ("ci-cd", "CI/CD pipeline configured"),
            ("rollback", "Rollback procedures documented"),
            ("automation", "Deployment automation in place"),
            ("zero-downtime", "Zero-downtime deployment possible"),
            ("validation", "Deployment validation procedures"),
        ]),
        ("maintenance", "Maintenance", &[
            ("maintenance-windows", "Scheduled maintenance windows"),
            ("patching", "Patch management process"),
            ("updates", "System update procedures"),
            ("alert-thresholds", "Monitoring alert thresholds"),
            ("incident-response", "Incident response procedures"),
        ]),
    ]),
    ("documentation", "Documentation", &[
        ("technical", "Technical Documentation", &[
            ("architecture", "System architecture documented"),
            ("api", "API documentation current"),
            ("schema", "Database schema documented"),
            ("deployment", "Deployment procedures documented"),
            ("troubleshooting", "Troubleshooting guides available"),
        ]),
        ("operational", "Operational Documentation", &[
            ("runbooks", "Runbooks for common operations"),
            ("incident-response", "Incident response procedures"),
            ("contacts", "Contact information current"),
            ("sla", "Service level agreements defined"),
            ("change-management", "Change management procedures"),
        ]),
    ]),
    ("testing", "Testing", &[
        ("qa", "Quality Assurance", &[
            ("unit-coverage", "Unit test coverage >80%"),
            ("integration", "Integration tests passing"),
            ("e2e", "End-to-end tests passing"),
            ("security", "Security testing completed"),
            ("performance", "Performance testing completed"),
        ]),
        ("acceptance", "User Acceptance", &[
            ("uat", "User acceptance testing completed"),
            ("business-requirements", "Business requirements validated"),
            ("usability", "Usability testing completed"),
            ("accessibility", "Accessibility requirements met"),
            ("stakeholder-approval", "Stakeholder approval obtained"),
        ]),
    ]),
];

/// `(step id, step title)` of `production-requirements.md`, in seed order.
pub const REQUIREMENTS: &[(&str, &str)] = &[
    ("architectural-review", "Architectural Review"),
    ("code-review", "Code Review"),
    ("dpia", "Data Protection Impact Assessment"),
    ("documentation", "Documentation"),
    ("pipeline-testing", "Pipeline & Automated Testing"),
    ("manual-qa", "Manual QA"),
    ("monitoring-alerting", "Monitoring & Alerting"),
    ("penetration-testing", "Penetration testing"),
];

/// The five pillars the architectural review covers, in the seed's words.
pub const ARCHITECTURE_PILLARS: &[&str] =
    &["Operational Excellence", "Security", "Reliability", "Performance Efficiency", "Cost Optimization"];

/// The title of the `osgb` catalog.
pub const OSGB_TITLE: &str = "OSGB System Production Readiness Checklist";

/// The title of the `requirements` catalog (also the section of each of its controls).
pub const REQUIREMENTS_TITLE: &str = "Production Requirements";

/// Every built-in control id, `osgb` first, in seed order: `<section>.<group>.<item>` and
/// `requirements.<step>`.
pub fn built_in_control_ids() -> impl Iterator<Item = String> {
    let osgb = OSGB.iter().flat_map(|(section, _, groups)| {
        groups
            .iter()
            .flat_map(move |(group, _, items)| items.iter().map(move |(item, _)| format!("{section}.{group}.{item}")))
    });
    osgb.chain(REQUIREMENTS.iter().map(|(step, _)| format!("requirements.{step}")))
}

/// Whether `id` is a control of a built-in catalog.
pub fn is_built_in_control(id: &str) -> bool {
    built_in_control_ids().any(|known| known == id)
}
