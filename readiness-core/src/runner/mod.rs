//! The runner: evaluates a [`Plan`]'s checks and turns their results into reports.
//!
//! One idea a file:
//!
//! * [`run`]: one run of one check, with its timeout, panic isolation, tracing span, and the
//!   masking and bounding of what it wrote;
//! * [`cache`]: each check's last result, its TTL, single-flight (concurrent reports share one
//!   run) and flap damping;
//! * [`schedule`]: background checks (those with an interval), with initial delay and jitter;
//! * [`aggregate`]: a selection of checks into a [`Report`](crate::Report) within the report
//!   deadline, and each control's attestation from its evidence.

mod aggregate;
mod cache;
mod control_set;
mod run;

pub(crate) use run::panic_message;
mod schedule;
mod statuses;

pub use aggregate::UnknownCheck;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Semaphore;

use crate::CheckKind;
use crate::attestation::{Declaration, OperatorAttestation, Waiver};
use crate::catalog::Control;
use crate::plan::{Listener, Plan, RunnerSettings};
use crate::profile::Profile;
use crate::report::ServiceInfo;
use crate::spec::CheckRegistration;
use crate::state::StateMap;

use cache::Entry;

/// The runner's state for one `Readiness`: the plan, indexed, and what happened since.
pub(crate) struct Engine {
    service: ServiceInfo,
    state: Arc<StateMap>,
    entries: Vec<Arc<Entry>>,
    /// For each kind of [`CheckKind::ALL`], the entries its selection takes (no exclusions)
    /// that run on demand: what [`Engine::is_cached`] reads on every probe, without judging
    /// each entry again.
    on_demand_by_kind: [Vec<Arc<Entry>>; 3],
    by_name: HashMap<Arc<str>, usize>,
    controls: Vec<Control>,
    checks_by_control: HashMap<String, Vec<usize>>,
    declarations: HashMap<String, Vec<Declaration>>,
    attestations: HashMap<String, OperatorAttestation>,
    waivers: HashMap<String, Waiver>,
    profile: Profile,
    settings: RunnerSettings,
    listeners: Vec<Listener>,
    /// See [`crate::Report::control_set`].
    control_set: Arc<str>,
    /// What subscribers watch (see [`crate::subscription`]).
    statuses: tokio::sync::watch::Sender<crate::subscription::Statuses>,
    permits: Semaphore,
    shutting_down: AtomicBool,
    background_started: AtomicBool,
    startup_complete: AtomicBool,
    /// Bumped whenever anything a report shows may have changed: a check result, shutdown,
    /// startup completing. Lets callers reuse what they rendered from an earlier report.
    version: AtomicU64,
    /// What [`cache::Entry::fresh_until`] counts from.
    epoch: tokio::time::Instant,
}

impl Engine {
    pub(crate) fn new(plan: Plan) -> Self {
        let Plan {
            service,
            state,
            checks,
            controls,
            declarations,
            attestations,
            waivers,
            profile,
            settings,
            listeners,
        } = plan;
        let entries: Vec<Arc<Entry>> = checks
            .into_iter()
            .map(|CheckRegistration { spec, check }| {
                Arc::new(Entry {
                    name: Arc::from(spec.name.as_str()),
                    timeout: spec.timeout.unwrap_or(settings.default_timeout),
                    ttl: spec.ttl.unwrap_or(settings.default_ttl),
                    spec,
                    check,
                    slot: Mutex::default(),
                    recorded: tokio::sync::Notify::new(),
                    fresh_until: AtomicU64::new(0),
                    finishes_at_once: AtomicBool::new(false),
                })
            })
            .collect();
        let on_demand_by_kind = CheckKind::ALL.map(|kind| {
            let selection = crate::Selection { kind: Some(kind), ..Default::default() };
            entries.iter().filter(|entry| entry.is_selected_by(&selection) && !entry.is_background()).cloned().collect()
        });
        let by_name = entries.iter().enumerate().map(|(index, entry)| (Arc::clone(&entry.name), index)).collect();
        let mut checks_by_control: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            for control in &entry.spec.controls {
                checks_by_control.entry(control.clone()).or_default().push(index);
            }
        }
        let mut by_control: HashMap<String, Vec<Declaration>> = HashMap::new();
        for declaration in declarations {
            by_control.entry(declaration.control.clone()).or_default().push(declaration);
        }
        let control_set = Arc::from(control_set::hash(&controls, &entries, &checks_by_control, &by_control));
        let placeholder = crate::subscription::Statuses {
            readiness: crate::outcome::Status::Fail,
            liveness: crate::outcome::Status::Fail,
            startup: crate::outcome::Status::Fail,
            checks: Vec::new(),
            shutting_down: false,
        };
        let engine = Self {
            statuses: tokio::sync::watch::channel(placeholder).0,
            control_set,
            service,
            state: Arc::new(state),
            entries,
            on_demand_by_kind,
            by_name,
            controls,
            checks_by_control,
            declarations: by_control,
            attestations: attestations.into_iter().map(|a| (a.control.clone(), a)).collect(),
            waivers: waivers.into_iter().map(|w| (w.control.clone(), w)).collect(),
            profile,
            permits: Semaphore::new(settings.max_concurrency),
            settings,
            listeners,
            shutting_down: AtomicBool::new(false),
            background_started: AtomicBool::new(false),
            startup_complete: AtomicBool::new(false),
            version: AtomicU64::new(0),
            epoch: tokio::time::Instant::now(),
        };
        engine.statuses.send_replace(engine.current_statuses());
        engine
    }

    /// A subscription to the statuses (see [`crate::subscription`]).
    pub(crate) fn subscribe(&self) -> crate::subscription::Subscription {
        // Nothing is published while nobody watches: subscribe first, so that a change from now
        // on is published to this receiver, then bring the value up to date.
        let receiver = self.statuses.subscribe();
        self.refresh_statuses();
        crate::subscription::Subscription::new(receiver)
    }

    /// See [`crate::Readiness::version`].
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Makes readiness fail from now on; `true` the first time.
    pub(crate) fn begin_shutdown(&self) -> bool {
        let first = !self.shutting_down.swap(true, Ordering::AcqRel);
        if first {
            self.bump_version();
            self.publish_statuses();
        }
        first
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub(crate) fn service(&self) -> &ServiceInfo {
        &self.service
    }

    pub(crate) fn profile(&self) -> &Profile {
        &self.profile
    }

    pub(crate) fn controls(&self) -> &[Control] {
        &self.controls
    }

    pub(crate) fn settings(&self) -> &RunnerSettings {
        &self.settings
    }

    /// The control-set hash.
    pub(crate) fn control_set(&self) -> &Arc<str> {
        &self.control_set
    }

    /// The deadline and the longest check timeout.
    pub(crate) fn timing(&self) -> crate::report::Timing {
        crate::report::Timing {
            deadline: self.settings.deadline,
            longest_check_timeout: self.entries.iter().map(|entry| entry.timeout).max().unwrap_or_default(),
        }
    }

    /// Every check's name, in registration order.
    pub(crate) fn check_names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| &*entry.name)
    }

    /// The settings of a check by name.
    pub(crate) fn check_spec(&self, name: &str) -> Option<&crate::spec::CheckSpec> {
        self.by_name.get(name).map(|index| &self.entries[*index].spec)
    }
}
