//! The masking writer: a [`MakeWriter`] wrapper and a ready-made `fmt` layer.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use super::canary::observe_canary;
use super::scan::mask_bytes;

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

/// The writer of [`MaskingWriter`], made for one event. Whatever the formatter writes is
/// gathered and masked as one text when the writer is dropped (the event is complete), so a
/// secret cut in two by the writes, or a key on one line and its private key on the next, is
/// still found. `flush` passes on the complete lines gathered so far and keeps the rest.
pub struct MaskedWrite<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

thread_local! {
    /// The buffer of the last writer dropped on this thread: one allocation per thread rather
    /// than one per event.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A buffer kept for the next event is given back only while it is small: one huge event must
/// not pin its memory for the life of the thread.
const MAX_SPARE: usize = 64 * 1024;

impl<W: Write> MaskedWrite<W> {
    fn emit(&mut self, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        let masked = mask_bytes(&self.buffer[..len]);
        observe_canary(&masked);
        let result = self.inner.write_all(&masked);
        drop(masked);
        self.buffer.drain(..len);
        result
    }
}

impl<W: Write> Write for MaskedWrite<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.capacity() == 0 {
            self.buffer = SPARE.with(std::cell::Cell::take);
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let complete = self.buffer.iter().rposition(|&byte| byte == b'\n').map_or(0, |newline| newline + 1);
        self.emit(complete)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for MaskedWrite<W> {
    fn drop(&mut self) {
        // Nothing to report a write error to; the event is lost as it would be unmasked.
        let _ = self.emit(self.buffer.len());
        let mut buffer = std::mem::take(&mut self.buffer);
        if buffer.capacity() <= MAX_SPARE {
            buffer.clear();
            // During thread teardown the slot may be gone; the buffer is then simply freed.
            let _ = SPARE.try_with(|spare| spare.set(buffer));
        }
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
