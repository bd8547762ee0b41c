//! Items registered at compile time by the macros (`#[control]`, `#[check]`,
//! `#[derive(Attest)]`, `attestations!`), collected with `inventory` into one process-wide
//! list that [`crate::ReadinessBuilder::build`] reads.
//!
//! The list is global because the macros run where no builder exists: at the user's item, in
//! any crate of the binary. Generated code reaches these types through `__private`.

use crate::attestation::{Declaration, OperatorAttestation, SourceLocation, Waiver};
use crate::spec::CheckRegistration;

/// One item registered at compile time.
#[derive(Debug)]
pub enum StaticItem {
    /// `#[control]` on an item.
    Control(StaticControl),
    /// `#[check]` on an async fn.
    Check(StaticCheck),
    /// An operator attestation from `attestations!`.
    Attestation(StaticAttestation),
    /// A waiver from `attestations!`.
    Waiver(StaticWaiver),
}

/// Where a static item was written.
#[derive(Debug, Clone, Copy)]
pub struct StaticSource {
    /// `file!()`.
    pub file: &'static str,
    /// `line!()`.
    pub line: u32,
    /// `column!()`.
    pub column: u32,
    /// `module_path!()`.
    pub module: &'static str,
}

impl StaticSource {
    fn to_location(self) -> SourceLocation {
        SourceLocation {
            file: self.file.to_owned(),
            line: self.line,
            column: self.column,
            module: self.module.to_owned(),
        }
    }
}

/// A control declaration.
#[derive(Debug)]
pub struct StaticControl {
    /// The control id (validated by the macro).
    pub id: &'static str,
    /// The evidence text.
    pub evidence: &'static str,
    /// The declared item, as `fn name`, `struct Name`…
    pub item: &'static str,
    /// Where.
    pub source: StaticSource,
}

impl StaticControl {
    pub(crate) fn to_declaration(&self) -> Declaration {
        Declaration {
            control: self.id.to_owned(),
            evidence: self.evidence.to_owned(),
            source: Some(self.source.to_location()),
            item: Some(self.item.to_owned()),
        }
    }
}

/// A check.
#[derive(Debug)]
pub struct StaticCheck {
    /// The check's name.
    pub name: &'static str,
    /// Makes the registration.
    pub register: fn() -> CheckRegistration,
    /// Where.
    pub source: StaticSource,
}

/// An operator attestation; dates and durations were validated by the macro.
#[derive(Debug)]
pub struct StaticAttestation {
    /// The control id.
    pub control: &'static str,
    /// Who.
    pub by: &'static str,
    /// `YYYY-MM-DD`.
    pub on: &'static str,
    /// A duration such as `365d`.
    pub valid_for: &'static str,
    /// The evidence link.
    pub evidence: &'static str,
    /// Where.
    pub source: StaticSource,
}

impl StaticAttestation {
    pub(crate) fn to_attestation(&self) -> Option<OperatorAttestation> {
        Some(OperatorAttestation {
            control: self.control.to_owned(),
            by: self.by.to_owned(),
            on: crate::attestation::parse_date(self.on).ok()?,
            valid_for: crate::attestation::parse_duration(self.valid_for).ok()?,
            evidence: self.evidence.to_owned(),
        })
    }
}

/// A waiver; the date was validated by the macro.
#[derive(Debug)]
pub struct StaticWaiver {
    /// The control id.
    pub control: &'static str,
    /// Why.
    pub reason: &'static str,
    /// `YYYY-MM-DD`.
    pub until: &'static str,
    /// Where.
    pub source: StaticSource,
}

impl StaticWaiver {
    pub(crate) fn to_waiver(&self) -> Option<Waiver> {
        Some(Waiver {
            control: self.control.to_owned(),
            reason: self.reason.to_owned(),
            until: crate::attestation::parse_date(self.until).ok()?,
        })
    }
}

impl StaticItem {
    /// Where the item was written.
    pub fn source(&self) -> StaticSource {
        match self {
            StaticItem::Control(item) => item.source,
            StaticItem::Check(item) => item.source,
            StaticItem::Attestation(item) => item.source,
            StaticItem::Waiver(item) => item.source,
        }
    }
}

::inventory::collect!(StaticItem);

/// Every item registered in the program so far.
pub fn registered() -> impl Iterator<Item = &'static StaticItem> {
    inventory::iter::<StaticItem>.into_iter()
}

/// What `build_info!()` expands to: the values it captured at compile time (`dirty`: whether
/// the working tree had changes, `None` when unknown), and whether the calling crate was
/// compiled with debug assertions.
#[doc(hidden)]
pub fn captured_build_info(
    commit: Option<&str>,
    ci: Option<&str>,
    rustc: Option<&str>,
    dirty: Option<bool>,
    debug_assertions: bool,
) -> crate::report::BuildInfo {
    crate::report::BuildInfo {
        commit: commit.map(str::to_owned),
        ci: ci.map(str::to_owned),
        rustc: rustc.map(str::to_owned),
        profile: Some(if debug_assertions { "debug" } else { "release" }.to_owned()),
        dirty,
    }
}
