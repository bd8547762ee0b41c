//! The built-in catalogs match the seed documents word for word.

use std::collections::HashMap;

use readiness_core::catalog;

const CHECKLIST: &str = include_str!("data/production-readiness-checklist.md");
const REQUIREMENTS: &str = include_str!("data/production-requirements.md");

/// `(section, group, title)` of every `- [ ]` item of the checklist seed.
fn seed_items() -> Vec<(String, String, String)> {
    let (mut section, mut group) = (String::new(), String::new());
    let mut items = Vec::new();
    for line in CHECKLIST.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            group = heading.trim().to_owned();
        } else if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim().to_owned();
        } else if let Some(title) = line.strip_prefix("- [ ] ") {
            items.push((section.clone(), group.clone(), title.trim().to_owned()));
        }
    }
    items
}

#[test]
fn osgb_has_every_seed_item_exactly_once_with_its_section_and_group() {
    let seed = seed_items();
    assert_eq!(seed.len(), 75);
    let controls = catalog::osgb().controls();
    assert_eq!(controls.len(), 75);
    // "Incident response procedures" is in the seed twice (Maintenance and Operational
    // Documentation), so an item is its title within its section and group.
    let mut items: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for control in controls {
        *items.entry((&control.section, &control.group, &control.title)).or_default() += 1;
    }
    for (section, group, title) in &seed {
        let count = items.get(&(section.as_str(), group.as_str(), title.as_str())).copied().unwrap_or(0);
        assert_eq!(count, 1, "seed item `{section} / {group} / {title}` appears {count} times");
    }
    assert_eq!(controls.iter().filter(|c| c.title == "Incident response procedures").count(), 2);
    // Same order as the seed.
    let order: Vec<_> = controls.iter().map(|c| c.title.to_string()).collect();
    let seed_order: Vec<_> = seed.iter().map(|(_, _, title)| title.clone()).collect();
    assert_eq!(order, seed_order);
}

#[test]
fn osgb_ids_follow_the_design_table() {
    let expected_groups = [
        "security.auth",
        "security.data",
        "security.network",
        "performance.scalability",
        "performance.monitoring",
        "reliability.availability",
        "reliability.backup",
        "compliance.privacy",
        "compliance.audit",
        "operations.deployment",
        "operations.maintenance",
        "documentation.technical",
        "documentation.operational",
        "testing.qa",
        "testing.acceptance",
    ];
    let controls = catalog::osgb().controls();
    for (index, group) in expected_groups.iter().enumerate() {
        for control in &controls[index * 5..index * 5 + 5] {
            assert!(control.id.starts_with(&format!("{group}.")), "{} not in {group}", control.id);
        }
    }
    for id in [
        "security.auth.jwt-validation",
        "security.data.log-masking",
        "security.network.headers",
        "performance.scalability.db-pooling",
        "reliability.backup.automated",
        "operations.deployment.zero-downtime",
        "operations.deployment.ci-cd",
        "testing.acceptance.stakeholder-approval",
        "documentation.operational.sla",
    ] {
        assert!(catalog::lookup(id).is_some(), "{id}");
    }
}

#[test]
fn requirements_has_every_seed_step_in_order() {
    let steps: Vec<&str> = REQUIREMENTS.lines().filter_map(|line| line.strip_prefix("## ")).map(str::trim).collect();
    let titles: Vec<&str> = catalog::requirements().controls().iter().map(|c| c.title.as_ref()).collect();
    assert_eq!(titles, steps);
    let review = catalog::lookup("requirements.architectural-review").unwrap();
    for pillar in &review.covers {
        assert!(REQUIREMENTS.contains(&format!("- {pillar}")), "{pillar}");
    }
}

#[test]
fn the_macros_know_exactly_the_built_in_ids() {
    // readiness-macros validates ids at compile time with readiness-rules; it must not drift.
    let rule_ids: Vec<String> = readiness_rules::built_in_control_ids().collect();
    let catalog_ids: Vec<String> =
        catalog::built_in().iter().flat_map(|c| c.controls()).map(|control| control.id.to_string()).collect();
    assert_eq!(rule_ids, catalog_ids);
}
