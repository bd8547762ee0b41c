//! The masking writer: a [`MakeWriter`] wrapper and a ready-made `fmt` layer.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use super::canary::observe_canary;
use super::patterns::mask_bytes;

/// Wraps any [`MakeWriter`] so that everything written through it is masked.
///
/// ```
/// use readiness_core::masking::MaskingWriter;
/// use tracing_subscriber::fmt::MakeWriter;
///
/// let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
/// let sink = out.clone();
/// let writer = MaskingWriter::new(move || SharedBuf(sink.clone()));
/// let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(password = "hunter2", url = "postgres://app:s3cr3t@db/app", "login");
/// });
/// let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
/// assert!(text.contains(r#"password="[REDACTED]""#), "{text}");
/// assert!(!text.contains("hunter2") && !text.contains("s3cr3t"));
/// assert!(text.contains("postgres://app:[REDACTED]@db/app"));
/// # struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
/// # impl std::io::Write for SharedBuf {
/// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct MaskingWriter<M> {
    inner: M,
}

impl<M> MaskingWriter<M> {
    /// Masks what `inner` writes.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingWriter<M> {
    type Writer = MaskedWrite<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWrite { inner: self.inner.make_writer(), buffer: Vec::new() }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        MaskedWrite { inner: self.inner.make_writer_for(meta), buffer: Vec::new() }
    }
}

/// The writer of [`MaskingWriter`]. `tracing-subscriber`'s formatters write each event with
/// one `write_all` of a whole line, which is masked and passed on without a copy; a writer used
/// piecemeal buffers the pieces and masks them together on flush or drop, so a secret cut in
/// two by the writes is still found.
pub struct MaskedWrite<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> MaskedWrite<W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = write_masked(&mut self.inner, &self.buffer);
        self.buffer.clear();
        result
    }
}

fn write_masked(inner: &mut impl Write, text: &[u8]) -> io::Result<()> {
    let masked = mask_bytes(text);
    observe_canary(&masked);
    inner.write_all(&masked)
}

impl<W: Write> Write for MaskedWrite<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.is_empty() && bytes.ends_with(b"\n") {
            write_masked(&mut self.inner, bytes)?;
        } else {
            self.buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for MaskedWrite<W> {
    fn drop(&mut self) {
        // Nothing to report a write error to; the event is lost as it would be unmasked.
        let _ = self.emit();
    }
}

/// The type of [`masked_fmt_layer`].
pub type MaskedFmtLayer<S> = tracing_subscriber::fmt::Layer<
    S,
    tracing_subscriber::fmt::format::DefaultFields,
    tracing_subscriber::fmt::format::Format,
    MaskingWriter<fn() -> io::Stderr>,
>;

/// A `fmt` layer writing masked lines to stderr: the usual way to install masking.
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
///
/// tracing_subscriber::registry().with(readiness_core::masking::masked_fmt_layer()).init();
/// ```
pub fn masked_fmt_layer<S>() -> MaskedFmtLayer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer().with_writer(MaskingWriter::new(io::stderr as fn() -> io::Stderr))
}
