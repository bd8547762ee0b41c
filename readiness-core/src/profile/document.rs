//! A profile as a document (JSON, YAML, TOML…): how a team keeps its own profile in a file
//! that `readiness check --profile FILE` and its tests read.

use serde::{Deserialize, Serialize};

use super::{Profile, Requirements};

/// The written form of a [`Profile`]: `name`, what every level requires (`catalogs`, `groups`,
/// `controls`), the `levels` lowest first, each with its own three lists, and `exempt`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileDocument {
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    catalogs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    levels: Vec<LevelDocument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    exempt: Vec<String>,
}

/// One rung of a ladder, written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelDocument {
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    catalogs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<String>,
}

impl From<Profile> for ProfileDocument {
    fn from(profile: Profile) -> Self {
        let Requirements { catalogs, groups, controls } = profile.base;
        let levels = profile
            .levels
            .into_iter()
            .map(|(name, Requirements { catalogs, groups, controls })| LevelDocument {
                name,
                catalogs,
                groups,
                controls,
            })
            .collect();
        Self { name: profile.name, catalogs, groups, controls, levels, exempt: profile.exempt }
    }
}

impl TryFrom<ProfileDocument> for Profile {
    type Error = String;

    fn try_from(document: ProfileDocument) -> Result<Self, String> {
        if document.name.trim().is_empty() {
            return Err("a profile needs a non-empty `name`".to_owned());
        }
        let mut seen = Vec::new();
        for level in &document.levels {
            if level.name.trim().is_empty() {
                return Err(format!("profile `{}`: every level needs a non-empty `name`", document.name));
            }
            if seen.contains(&level.name.as_str()) {
                return Err(format!("profile `{}`: level `{}` is given twice", document.name, level.name));
            }
            seen.push(&level.name);
        }
        let base = Requirements { catalogs: document.catalogs, groups: document.groups, controls: document.controls };
        let levels = document
            .levels
            .into_iter()
            .map(|LevelDocument { name, catalogs, groups, controls }| {
                (name, Requirements { catalogs, groups, controls })
            })
            .collect();
        Ok(Self { name: document.name, base, levels, exempt: document.exempt })
    }
}
