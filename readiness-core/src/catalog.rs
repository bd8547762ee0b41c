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

use readiness_rules::seed::{ARCHITECTURE_PILLARS, OSGB, OSGB_TITLE, REQUIREMENTS, REQUIREMENTS_TITLE};
pub use readiness_rules::{CUSTOM_PREFIX, is_custom_id, is_slug_path as is_valid_slug_path};
use serde::{Deserialize, Serialize};

/// One item of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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

static OSGB_CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut catalog = Catalog::new("osgb", OSGB_TITLE);
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
    let mut catalog = Catalog::new("requirements", REQUIREMENTS_TITLE);
    for (step_id, title) in REQUIREMENTS {
        catalog = catalog.control(format!("requirements.{step_id}"), *title, REQUIREMENTS_TITLE, *title);
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
