//! The report as a [prometheus-client](https://docs.rs/prometheus-client) `Collector`: register
//! it with the service's own `Registry` and readiness' gauges are encoded, from cached results,
//! on every scrape.
//!
//! ```
//! use prometheus_client::registry::Registry;
//! use readiness_core::output::collector::ReadinessCollector;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let readiness = readiness_core::testing::builder().build().unwrap();
//! let mut registry = Registry::default();
//! registry.register_collector(Box::new(ReadinessCollector::new(readiness)));
//! let mut text = String::new();
//! prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
//! assert!(text.contains("readiness_status{status=\"pass\"} 1"), "{text}");
//! # }
//! ```

use futures_util::FutureExt as _;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder};
use prometheus_client::metrics::MetricType;

use super::samples::families;
use crate::readiness::Readiness;

/// A collector of a readiness's cached report.
#[derive(Debug, Clone)]
pub struct ReadinessCollector {
    readiness: Readiness,
}

impl ReadinessCollector {
    /// The collector of `readiness`.
    pub fn new(readiness: Readiness) -> Self {
        Self { readiness }
    }
}

impl Collector for ReadinessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        // `encode` is synchronous; a snapshot from the cache never waits on anything (it runs
        // no check and joins no run), so it is ready on its first poll.
        let Some(report) = self.readiness.snapshot().now_or_never() else {
            return Ok(());
        };
        for family in families(&report) {
            // prometheus-client adds no suffix to a gauge; the name is the family's own.
            let mut metric: MetricEncoder<'_> =
                encoder.encode_descriptor(family.name, family.help, None, MetricType::Gauge)?;
            for (labels, value) in &family.samples {
                metric.encode_family(labels)?.encode_gauge(value)?;
            }
        }
        Ok(())
    }
}
