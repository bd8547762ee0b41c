//! Profiles: which controls a service is required to cover.

use serde::Serialize;

use crate::catalog::Control;

/// Which controls are required, and so count against the service when failing, expired or
/// missing.
///
/// ```
/// use readiness_core::{catalog, Profile};
///
/// let production = Profile::production();
/// assert!(production.requires(catalog::lookup("security.data.secrets").unwrap()));
///
/// let api_only = Profile::new("api").require_control("security.auth.jwt-validation");
/// assert!(!api_only.requires(catalog::lookup("security.data.secrets").unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    name: String,
    catalogs: Vec<String>,
    controls: Vec<String>,
    exempt: Vec<String>,
}

impl Profile {
    /// A profile that requires nothing yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), catalogs: Vec::new(), controls: Vec::new(), exempt: Vec::new() }
    }

    /// Requires every control of the built-in `osgb` and `requirements` catalogs.
    pub fn production() -> Self {
        Self::new("production").require_catalog("osgb").require_catalog("requirements")
    }

    /// Requires nothing: every control is informative only. The builder's default.
    pub fn informative() -> Self {
        Self::new("informative")
    }

    /// Requires every control of a catalog.
    #[must_use]
    pub fn require_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalogs.push(catalog.into());
        self
    }

    /// Requires one control.
    #[must_use]
    pub fn require_control(mut self, id: impl Into<String>) -> Self {
        self.controls.push(id.into());
        self
    }

    /// Takes a control out of the requirements again (for example a catalog item that cannot
    /// apply to this kind of service).
    #[must_use]
    pub fn exempt(mut self, id: impl Into<String>) -> Self {
        self.exempt.push(id.into());
        self
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the profile requires `control`.
    pub fn requires(&self, control: &Control) -> bool {
        !self.exempt.iter().any(|id| *id == control.id)
            && (self.controls.iter().any(|id| *id == control.id)
                || self.catalogs.iter().any(|catalog| *catalog == control.catalog))
    }

    /// The control ids the profile names directly (required or exempt).
    pub(crate) fn named_controls(&self) -> impl Iterator<Item = &str> {
        self.controls.iter().chain(&self.exempt).map(String::as_str)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::informative()
    }
}
