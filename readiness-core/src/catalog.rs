//! Catalogs: named checklists of controls.
//!
//! Two catalogs are built in, both taken word for word from the team's seed documents:
//!
//! * [`osgb()`]: the 75 items of the *OSGB System Production Readiness Checklist*, with ids
//!   `<section>.<group>.<item>` (for example `security.auth.jwt-validation`);
//! * [`requirements()`]: the steps of *Production Requirements* (`requirements.<step>`).
//!
//! Services add their own with [`Catalog::new`] and [`Catalog::control`], or declare ad-hoc
//! controls in the reserved `x.` namespace (for example `x.orders.idempotency`), which is always
//! accepted without a catalog.
//!
//! ```
//! use readiness_core::catalog;
//!
//! let jwt = catalog::lookup("security.auth.jwt-validation").unwrap();
//! assert_eq!(jwt.title, "JWT tokens properly validated");
//! assert_eq!(jwt.section, "Security");
//! assert_eq!(jwt.group, "Authentication & Authorization");
//! assert_eq!(catalog::osgb().controls().len(), 75);
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::Serialize;

/// The namespace prefix for ad-hoc controls that need no catalog.
pub const CUSTOM_PREFIX: &str = "x.";

/// One item of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    /// Stable dotted id, for example `security.data.secrets`.
    pub id: Cow<'static, str>,
    /// The checklist's own words for the item.
    pub title: Cow<'static, str>,
    /// The section heading the item sits under (for example `Security`).
    pub section: Cow<'static, str>,
    /// The group heading the item sits under (for example `Data Protection`).
    pub group: Cow<'static, str>,
    /// The id of the catalog the control belongs to.
    pub catalog: Cow<'static, str>,
    /// Sub-items the control covers, when the source lists them (for example the five pillars of
    /// an architectural review).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Cow<'static, str>>,
}

impl Control {
    /// A control with owned strings, for user catalogs built at runtime.
    pub fn new(
        catalog: impl Into<Cow<'static, str>>,
        id: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
        section: impl Into<Cow<'static, str>>,
        group: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            section: section.into(),
            group: group.into(),
            catalog: catalog.into(),
            covers: Vec::new(),
        }
    }

    /// An ad-hoc control of the `x.` namespace, titled by its id.
    pub fn custom(id: &str) -> Self {
        Self::new("custom", id.to_owned(), id.to_owned(), "Custom", "Custom")
    }
}

/// A named checklist of controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    id: Cow<'static, str>,
    title: Cow<'static, str>,
    controls: Vec<Control>,
}

impl Catalog {
    /// An empty catalog. Add items with [`Catalog::control`].
    pub fn new(id: impl Into<Cow<'static, str>>, title: impl Into<Cow<'static, str>>) -> Self {
        Self { id: id.into(), title: title.into(), controls: Vec::new() }
    }

    /// Adds a control with the given id, title, section and group.
    #[must_use]
    pub fn control(
        mut self,
        id: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
        section: impl Into<Cow<'static, str>>,
        group: impl Into<Cow<'static, str>>,
    ) -> Self {
        let control = Control::new(self.id.clone(), id, title, section, group);
        self.controls.push(control);
        self
    }

    /// The catalog's id (`osgb`, `requirements`, or a user's).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The catalog's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The controls, in checklist order.
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// The control with this id, if the catalog has it.
    pub fn get(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|control| control.id == id)
    }
}

/// `(section id, section title, [(group id, group title, [(item id, item title)])])`, in seed order.
type SeedTable = &'static [(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static [(&'static str, &'static str)])],
)];

#[rustfmt::skip]
const OSGB: SeedTable = &[
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
const REQUIREMENTS: &[(&str, &str)] = &[
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
const ARCHITECTURE_PILLARS: &[&str] =
    &["Operational Excellence", "Security", "Reliability", "Performance Efficiency", "Cost Optimization"];

static OSGB_CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut catalog = Catalog::new("osgb", "OSGB System Production Readiness Checklist");
    for (section_id, section, groups) in OSGB {
        for (group_id, group, items) in *groups {
            for (item_id, title) in *items {
                catalog = catalog.control(format!("{section_id}.{group_id}.{item_id}"), *title, *section, *group);
            }
        }
    }
    catalog
});

static REQUIREMENTS_CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut catalog = Catalog::new("requirements", "Production Requirements");
    for (step_id, title) in REQUIREMENTS {
        catalog = catalog.control(format!("requirements.{step_id}"), *title, "Production Requirements", *title);
    }
    if let Some(review) = catalog.controls.first_mut() {
        review.covers = ARCHITECTURE_PILLARS.iter().map(|pillar| Cow::Borrowed(*pillar)).collect();
    }
    catalog
});

/// The built-in `osgb` catalog: the 75 items of the production-readiness checklist.
pub fn osgb() -> &'static Catalog {
    &OSGB_CATALOG
}

/// The built-in `requirements` catalog: the steps of the production requirements.
pub fn requirements() -> &'static Catalog {
    &REQUIREMENTS_CATALOG
}

/// Both built-in catalogs, `osgb` first.
pub fn built_in() -> [&'static Catalog; 2] {
    [osgb(), requirements()]
}

/// Looks a control id up in the built-in catalogs.
pub fn lookup(id: &str) -> Option<&'static Control> {
    built_in().into_iter().find_map(|catalog| catalog.get(id))
}

/// Whether `id` is in the reserved namespace for ad-hoc controls (`x.` followed by a slug).
pub fn is_custom_id(id: &str) -> bool {
    id.strip_prefix(CUSTOM_PREFIX).is_some_and(is_valid_slug_path)
}

/// Whether `id` is dotted lowercase slugs (`a-z`, `0-9`, `-`), for example `x.orders.idempotency`.
pub fn is_valid_slug_path(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn osgb_has_75_unique_ids_in_15_groups() {
        let controls = osgb().controls();
        assert_eq!(controls.len(), 75);
        let ids: HashSet<_> = controls.iter().map(|c| c.id.as_ref()).collect();
        assert_eq!(ids.len(), 75);
        let groups: HashSet<_> = controls.iter().map(|c| (&c.section, &c.group)).collect();
        assert_eq!(groups.len(), 15);
        assert!(controls.iter().all(|c| is_valid_slug_path(&c.id) && c.catalog == "osgb"));
    }

    #[test]
    fn requirements_has_eight_steps_and_the_five_pillars() {
        let steps = requirements().controls();
        assert_eq!(steps.len(), 8);
        let review = requirements().get("requirements.architectural-review").unwrap();
        assert_eq!(review.covers.len(), 5);
        assert_eq!(review.covers[4], "Cost Optimization");
        assert!(requirements().get("requirements.penetration-testing").is_some());
    }

    #[test]
    fn custom_ids_need_the_prefix_and_a_slug() {
        assert!(is_custom_id("x.orders.idempotency"));
        assert!(!is_custom_id("x."));
        assert!(!is_custom_id("x.Orders"));
        assert!(!is_custom_id("orders.idempotency"));
        assert!(lookup("x.orders").is_none());
        assert!(lookup("security.network.ddos").is_some());
    }
}
