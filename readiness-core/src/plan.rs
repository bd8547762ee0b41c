//! The plan: everything a validated builder hands the runner, as one plain value.

use std::sync::Arc;
use std::time::Duration;

use crate::attestation::{Declaration, OperatorAttestation, Waiver};
use crate::catalog::Control;
use crate::profile::Profile;
use crate::report::{ServiceInfo, StatusChange};
use crate::spec::CheckRegistration;
use crate::state::StateMap;

/// A status-change listener given to the builder.
pub(crate) type Listener = Arc<dyn Fn(&StatusChange) + Send + Sync>;

/// How many check runs may be in flight at once unless set. DESIGN §4 said 64; DESIGN §9 asks
/// that 100 checks sleeping 50 ms answer in one report of at most 60 ms *at the defaults*, which
/// 64 permits turn into two waves (about 104 ms). 256 runs the 100 in one wave and still bounds
/// a plan of thousands of checks. A check never has two runs in flight (single-flight), so with
/// fewer checks than this the bound never waits.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 256;

/// Timing and size settings of the runner.
#[derive(Debug, Clone)]
pub(crate) struct RunnerSettings {
    pub(crate) max_concurrency: usize,
    pub(crate) default_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) default_ttl: Duration,
    pub(crate) max_output_bytes: usize,
    pub(crate) max_jitter: Duration,
}

impl Default for RunnerSettings {
    /// The defaults of DESIGN §4, chosen to fit Kubernetes' probe timeout of 1 s.
    fn default() -> Self {
        Self {
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            default_timeout: Duration::from_millis(800),
            deadline: Duration::from_millis(900),
            default_ttl: Duration::from_secs(1),
            max_output_bytes: 1024,
            max_jitter: Duration::from_millis(250),
        }
    }
}

/// A validated configuration: check names unique and valid, every control id known, settings
/// in range. Only [`crate::ReadinessBuilder::build`] makes one.
pub(crate) struct Plan {
    pub(crate) service: ServiceInfo,
    pub(crate) state: StateMap,
    pub(crate) checks: Vec<CheckRegistration>,
    /// Every control reports list, in order: built-in catalogs, added catalogs, `x.` controls.
    pub(crate) controls: Vec<Control>,
    pub(crate) declarations: Vec<Declaration>,
    pub(crate) attestations: Vec<OperatorAttestation>,
    pub(crate) waivers: Vec<Waiver>,
    pub(crate) profile: Profile,
    pub(crate) settings: RunnerSettings,
    pub(crate) listeners: Vec<Listener>,
}
