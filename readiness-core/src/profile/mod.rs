//! Profiles: which controls a service is required to cover, flat or as a ladder of levels, and
//! the [`Verdict`] of a profile applied to a report.

mod document;
mod ladder;
mod verdict;

use serde::{Deserialize, Serialize};

use crate::catalog::Control;

pub use verdict::{Standing, Unmet, Verdict, VerdictLevel};

/// Which controls are required, and so count against the service when failing, expired or
/// missing.
///
/// A profile is flat ([`Profile::new`], [`Profile::production`]) or a **ladder**: after
/// [`Profile::level`], every requirement added belongs to that level, and a service reaches a
/// level when every control required at it and at the levels below is satisfied
/// ([`Profile::levels`] is the built-in ladder).
///
/// ```
/// use readiness_core::{catalog, Profile};
///
/// let production = Profile::production();
/// assert!(production.requires(catalog::lookup("security.data.secrets").unwrap()));
///
/// let api_only = Profile::new("api").require_control("security.auth.jwt-validation");
/// assert!(!api_only.requires(catalog::lookup("security.data.secrets").unwrap()));
///
/// let ladder = Profile::new("mine")
///     .level("bronze")
///     .require_control("security.data.secrets")
///     .level("silver")
///     .require_group("security.auth");
/// let jwt = catalog::lookup("security.auth.jwt-validation").unwrap();
/// assert_eq!(ladder.level_of(jwt), Some("silver"));
/// assert!(!ladder.up_to("bronze").unwrap().requires(jwt));
/// ```
///
/// A profile can also be written down (JSON, YAML, TOML through serde): `name`, what every
/// level requires (`catalogs`, `groups`, `controls`), the `levels` lowest first with the same
/// three lists each, and `exempt`. Unknown fields and repeated level names are refused.
///
/// ```
/// use readiness_core::{catalog, Profile};
///
/// let profile: Profile = serde_json::from_str(r#"{
///     "name": "api",
///     "controls": ["security.data.secrets"],
///     "levels": [{"name": "bronze", "groups": ["security.auth"]}]
/// }"#).unwrap();
/// assert_eq!(profile.level_of(catalog::lookup("security.auth.rbac").unwrap()), Some("bronze"));
/// let again: Profile = serde_json::from_value(serde_json::to_value(&profile).unwrap()).unwrap();
/// assert_eq!(again, profile);
/// assert!(serde_json::from_str::<Profile>(r#"{"name": "x", "control": []}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "document::ProfileDocument", try_from = "document::ProfileDocument")]
pub struct Profile {
    name: String,
    /// What every level requires (a flat profile has only this).
    base: Requirements,
    /// The rungs of a ladder, lowest first.
    levels: Vec<(String, Requirements)>,
    exempt: Vec<String>,
}

/// What one level (or a flat profile) requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Requirements {
    catalogs: Vec<String>,
    groups: Vec<String>,
    controls: Vec<String>,
}

impl Requirements {
    fn requires(&self, control: &Control) -> bool {
        self.controls.iter().any(|id| *id == control.id)
            || self.catalogs.iter().any(|catalog| *catalog == control.catalog)
            || self.groups.iter().any(|group| in_group(&control.id, group))
    }
}

/// Whether `id` is in the group `group` (`security.auth` holds `security.auth.rbac`).
fn in_group(id: &str, group: &str) -> bool {
    id.strip_prefix(group).is_some_and(|rest| rest.starts_with('.'))
}

/// A level name given to [`Profile::up_to`] that the profile does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile `{profile}` has no level `{level}` (its levels: {known})")]
pub struct UnknownLevel {
    /// The profile's name.
    pub profile: String,
    /// The level asked for.
    pub level: String,
    /// The profile's levels, comma-separated (`none` for a flat profile).
    pub known: String,
}

impl Profile {
    /// A profile that requires nothing yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), base: Requirements::default(), levels: Vec::new(), exempt: Vec::new() }
    }

    /// Requires every control of the built-in `osgb` and `requirements` catalogs.
    pub fn production() -> Self {
        Self::new("production").require_catalog("osgb").require_catalog("requirements")
    }

    /// Requires nothing: every control is informative only. The builder's default.
    pub fn informative() -> Self {
        Self::new("informative")
    }

    /// The built-in profiles by name: `production`, `informative` and `levels` (see
    /// [`Profile::levels`]). For a command line or a configuration file.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "production" => Some(Self::production()),
            "informative" => Some(Self::informative()),
            "levels" => Some(Self::levels()),
            _ => None,
        }
    }

    /// Starts a level: what is required from here on belongs to it, and it sits above the
    /// levels started before. Requirements added before the first level belong to every level.
    #[must_use]
    pub fn level(mut self, name: impl Into<String>) -> Self {
        self.levels.push((name.into(), Requirements::default()));
        self
    }

    fn current(&mut self) -> &mut Requirements {
        match self.levels.last_mut() {
            Some((_, requirements)) => requirements,
            None => &mut self.base,
        }
    }

    /// Requires every control of a catalog.
    #[must_use]
    pub fn require_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.current().catalogs.push(catalog.into());
        self
    }

    /// Requires every control of a group: `security.auth` requires `security.auth.rbac` and the
    /// other controls whose id starts with `security.auth.`.
    #[must_use]
    pub fn require_group(mut self, group: impl Into<String>) -> Self {
        self.current().groups.push(group.into());
        self
    }

    /// Requires one control.
    #[must_use]
    pub fn require_control(mut self, id: impl Into<String>) -> Self {
        self.current().controls.push(id.into());
        self
    }

    /// Takes a control out of the requirements again, at every level (for example a catalog
    /// item that cannot apply to this kind of service).
    #[must_use]
    pub fn exempt(mut self, id: impl Into<String>) -> Self {
        self.exempt.push(id.into());
        self
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the levels, lowest first; empty for a flat profile.
    pub fn level_names(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().map(|(name, _)| name.as_str())
    }

    /// Whether the profile requires `control` (at any level).
    pub fn requires(&self, control: &Control) -> bool {
        !self.exempt.iter().any(|id| *id == control.id)
            && (self.base.requires(control) || self.levels.iter().any(|(_, level)| level.requires(control)))
    }

    /// Whether the profile requires any control at all (the informative profile does not).
    pub(crate) fn requires_anything(&self) -> bool {
        self.all_requirements()
            .any(|level| !(level.catalogs.is_empty() && level.groups.is_empty() && level.controls.is_empty()))
    }

    /// The lowest level that requires `control`; `None` when the profile does not require it,
    /// or requires it at every level (a flat profile's requirements).
    pub fn level_of(&self, control: &Control) -> Option<&str> {
        if !self.requires(control) || self.base.requires(control) {
            return None;
        }
        self.levels.iter().find(|(_, level)| level.requires(control)).map(|(name, _)| name.as_str())
    }

    /// The same ladder cut after `level`: what a service must satisfy to reach it, and no more.
    /// Named `<profile>@<level>`.
    ///
    /// # Errors
    ///
    /// [`UnknownLevel`] when the profile has no such level.
    pub fn up_to(&self, level: &str) -> Result<Self, UnknownLevel> {
        let Some(index) = self.levels.iter().position(|(name, _)| name == level) else {
            let known: Vec<&str> = self.level_names().collect();
            return Err(UnknownLevel {
                profile: self.name.clone(),
                level: level.to_owned(),
                known: if known.is_empty() { "none".to_owned() } else { known.join(", ") },
            });
        };
        let mut cut = self.clone();
        cut.levels.truncate(index + 1);
        cut.name = format!("{}@{level}", self.name);
        Ok(cut)
    }

    /// What the profile names that `controls` does not hold, one phrase each (``catalog `x` ``,
    /// ``group `y` ``, ``control `z` ``): a profile read from a file, checked against the
    /// controls a service lists. [`ReadinessBuilder::build`](crate::ReadinessBuilder::build)
    /// refuses such a profile for a running service.
    pub fn unknown_names(&self, controls: &[Control]) -> Vec<String> {
        let mut unknown = Vec::new();
        for catalog in self.named_catalogs() {
            if !controls.iter().any(|control| control.catalog == catalog) {
                unknown.push(format!("catalog `{catalog}`"));
            }
        }
        for group in self.named_groups() {
            if !Self::group_exists(group, controls.iter()) {
                unknown.push(format!("group `{group}`"));
            }
        }
        for id in self.named_controls() {
            if !controls.iter().any(|control| control.id == id) {
                unknown.push(format!("control `{id}`"));
            }
        }
        unknown
    }

    /// The control ids the profile names directly (required or exempt).
    pub(crate) fn named_controls(&self) -> impl Iterator<Item = &str> {
        self.all_requirements().flat_map(|level| &level.controls).chain(&self.exempt).map(String::as_str)
    }

    /// The catalog ids the profile names.
    pub(crate) fn named_catalogs(&self) -> impl Iterator<Item = &str> {
        self.all_requirements().flat_map(|level| &level.catalogs).map(String::as_str)
    }

    /// The groups the profile names.
    pub(crate) fn named_groups(&self) -> impl Iterator<Item = &str> {
        self.all_requirements().flat_map(|level| &level.groups).map(String::as_str)
    }

    fn all_requirements(&self) -> impl Iterator<Item = &Requirements> {
        std::iter::once(&self.base).chain(self.levels.iter().map(|(_, level)| level))
    }

    /// Whether `group` names at least one of `controls`.
    pub(crate) fn group_exists<'a>(group: &str, mut controls: impl Iterator<Item = &'a Control>) -> bool {
        controls.any(|control| in_group(&control.id, group))
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::informative()
    }
}
