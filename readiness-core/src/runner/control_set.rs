//! The control-set hash: what a deploy declares and checks, in one value, so a deploy that
//! silently dropped a control, a check or a declaration shows as a changed hash.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::cache::Entry;
use crate::attestation::Declaration;
use crate::catalog::Control;

/// `sha256:<hex>` over, for each control in catalog order, its id, the names of the checks
/// bound to it and the source locations of its declarations (each sorted), then the names of
/// every check. A line per item, so no two sets hash the same text.
pub(super) fn hash(
    controls: &[Control],
    entries: &[Arc<Entry>],
    checks_by_control: &HashMap<String, Vec<usize>>,
    declarations: &HashMap<String, Vec<Declaration>>,
) -> String {
    let mut text = String::new();
    for control in controls {
        let _ = writeln!(text, "control {}", control.id);
        let mut checks: Vec<&str> = checks_by_control
            .get(control.id.as_ref())
            .into_iter()
            .flatten()
            .map(|index| &*entries[*index].name)
            .collect();
        checks.sort_unstable();
        for check in checks {
            let _ = writeln!(text, "  bound {check}");
        }
        let mut places: Vec<String> = declarations
            .get(control.id.as_ref())
            .into_iter()
            .flatten()
            .map(|declaration| match &declaration.source {
                Some(source) => format!("{}:{}", source.file, source.line),
                None => "(builder)".to_owned(),
            })
            .collect();
        places.sort_unstable();
        for place in places {
            let _ = writeln!(text, "  declared {place}");
        }
    }
    let mut names: Vec<&str> = entries.iter().map(|entry| &*entry.name).collect();
    names.sort_unstable();
    for name in names {
        let _ = writeln!(text, "check {name}");
    }
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}
