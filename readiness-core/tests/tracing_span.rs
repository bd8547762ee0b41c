//! A `tracing` span per check run. Alone in its binary because it installs the global subscriber:
//! a thread-local one races with callsite-interest caching in other tests' threads.

use std::sync::{Arc, Mutex};

use readiness_core::{CheckSpec, Outcome};

#[derive(Default)]
struct Captured {
    spans: Mutex<Vec<(String, String)>>,
}

struct CaptureLayer(Arc<Captured>);

impl<S> tracing_subscriber::Layer<S> for CaptureLayer
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Visitor<'a>(&'a mut String);
        impl tracing::field::Visit for Visitor<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "check" {
                    *self.0 = format!("{value:?}");
                }
            }
        }
        let mut check = String::new();
        attrs.record(&mut Visitor(&mut check));
        self.0.spans.lock().unwrap().push((attrs.metadata().name().to_owned(), check));
    }

    fn on_record(
        &self,
        _id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Visitor<'a>(&'a mut Vec<(String, String)>);
        impl tracing::field::Visit for Visitor<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.push((field.name().to_owned(), value.to_owned()));
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        values.record(&mut Visitor(&mut self.0.spans.lock().unwrap()));
    }
}

#[tokio::test]
async fn every_run_has_a_tracing_span_with_name_and_status() {
    use tracing_subscriber::layer::SubscriberExt;
    let captured = Arc::new(Captured::default());
    let subscriber = tracing_subscriber::registry().with(CaptureLayer(Arc::clone(&captured)));
    let _guard = tracing::subscriber::set_default(subscriber);
    let readiness = readiness_core::testing::builder()
        .check_fn(CheckSpec::new("db:ping"), |_| async { Outcome::warn("slow") })
        .build()
        .unwrap();
    readiness.readiness().await;
    let spans = captured.spans.lock().unwrap().clone();
    assert!(spans.contains(&("readiness.check".to_owned(), "db:ping".to_owned())), "{spans:?}");
    assert!(spans.contains(&("status".to_owned(), "warn".to_owned())), "{spans:?}");
}
