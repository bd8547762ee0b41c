//! The gauges a report gives to metrics libraries (the `metrics` facade, prometheus-client):
//! one list, so both export the families of `/readiness/metrics` that a fleet's rules and
//! dashboards read, with the same labels (`output::prometheus` writes the rest).

use crate::attestation::AttestationState;
use crate::outcome::Status;
use crate::report::Report;

/// One family: its name, help, and samples (labels and value).
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

const STATUSES: [Status; 3] = [Status::Pass, Status::Warn, Status::Fail];

fn one_hot(status: Status, current: Status) -> f64 {
    f64::from(u8::from(status == current))
}

/// The families of `report`: statuses, check durations, control attestations (with controls),
/// the profile and its levels (with a verdict). No `instance` or `job` label.
pub(crate) fn families(report: &Report) -> Vec<Family> {
    let mut families = vec![
        Family {
            name: "readiness_status",
            help: "Overall status of every check together: 1 for the current status.",
            samples: STATUSES
                .iter()
                .map(|s| (vec![("status", s.as_str().to_owned())], one_hot(*s, report.status)))
                .collect(),
        },
        Family {
            name: "readiness_shutting_down",
            help: "1 once the service began shutting down.",
            samples: vec![(Vec::new(), f64::from(u8::from(report.shutting_down)))],
        },
        Family {
            name: "readiness_check_status",
            help: "Status of each check after flap damping: 1 for the current status, per kind.",
            samples: report
                .checks
                .iter()
                .flat_map(|check| {
                    check.kinds.iter().flat_map(move |kind| {
                        STATUSES.into_iter().map(move |status| {
                            (
                                vec![
                                    ("check", check.name.clone()),
                                    ("kind", kind.as_str().to_owned()),
                                    ("critical", check.critical.to_string()),
                                    ("status", status.as_str().to_owned()),
                                ],
                                one_hot(status, check.status),
                            )
                        })
                    })
                })
                .collect(),
        },
        Family {
            name: "readiness_check_duration_seconds",
            help: "Duration of each check's last completed run.",
            samples: report
                .checks
                .iter()
                .filter(|check| check.time.is_some())
                .map(|check| (vec![("check", check.name.clone())], check.duration.as_secs_f64()))
                .collect(),
        },
    ];
    if !report.controls.is_empty() {
        families.push(Family {
            name: "readiness_control_attestation",
            help: "Attestation of each control: 1 for the current state (verified, failing, declared, attested, expired, waived, missing).",
            samples: report
                .controls
                .iter()
                .flat_map(|control| {
                    AttestationState::ALL.into_iter().map(move |state| {
                        (
                            vec![
                                ("control", control.control.id.to_string()),
                                ("catalog", control.control.catalog.to_string()),
                                ("required", control.required.to_string()),
                                ("attestation", state.as_str().to_owned()),
                            ],
                            f64::from(u8::from(control.attestation == state)),
                        )
                    })
                })
                .collect(),
        });
    }
    if let Some(verdict) = &report.verdict {
        families.push(Family {
            name: "readiness_profile_met",
            help: "1 when every control the profile requires is satisfied.",
            samples: vec![(vec![("profile", verdict.profile.clone())], f64::from(u8::from(verdict.met)))],
        });
        families.push(Family {
            name: "readiness_level_reached",
            help: "1 for each level of the ladder that is reached.",
            samples: verdict
                .levels
                .iter()
                .map(|level| {
                    (
                        vec![("profile", verdict.profile.clone()), ("level", level.name.clone())],
                        f64::from(u8::from(level.reached)),
                    )
                })
                .collect(),
        });
        if !verdict.levels.is_empty() {
            families.push(Family {
                name: "readiness_levels_reached",
                help: "How many levels of the ladder are reached (0 for none).",
                samples: vec![(
                    vec![("profile", verdict.profile.clone())],
                    verdict.levels.iter().filter(|level| level.reached).count() as f64,
                )],
            });
        }
    }
    families
}
