//! The gauges a report gives to metrics libraries (the `metrics` facade, prometheus-client):
//! one list, so both export the same families with the same labels as `/readiness/metrics`.

use crate::outcome::Status;
use crate::report::Report;

/// One family: its name, help, and samples (labels and value).
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

fn one_hot(status: Status, current: Status) -> f64 {
    f64::from(u8::from(status == current))
}

/// The families of `report`: statuses, check durations, control attestations (with controls),
/// the profile and its levels (with a verdict). No `instance` or `job` label.
pub(crate) fn families(report: &Report) -> Vec<Family> {
    let statuses = [Status::Pass, Status::Warn, Status::Fail];
    let mut families = vec![
        Family {
            name: "readiness_status",
            help: "Overall status of every check together: 1 for the current status.",
            samples: statuses
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
            help: "Status of each check after flap damping: 1 for the current status.",
            samples: report
                .checks
                .iter()
                .flat_map(|check| {
                    statuses.iter().map(move |status| {
                        (
                            vec![
                                ("check", check.name.clone()),
                                ("critical", check.critical.to_string()),
                                ("status", status.as_str().to_owned()),
                            ],
                            one_hot(*status, check.status),
                        )
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
            help: "Each control's attestation: 1 for the current one.",
            samples: report
                .controls
                .iter()
                .map(|control| {
                    (
                        vec![
                            ("control", control.control.id.to_string()),
                            ("required", control.required.to_string()),
                            ("attestation", control.attestation.as_str().to_owned()),
                        ],
                        1.0,
                    )
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
    }
    families
}
