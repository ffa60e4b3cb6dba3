//! Log capture for the tests that check what cspctl logs (no secret in any line).
//!
//! One process-wide subscriber is installed before any callsite is hit, and each capturing test
//! collects the lines written on its own thread. A scoped `set_default` subscriber per test
//! raced with callsites first registered by tests running beside it, which cached their
//! interest as `never` and lost lines at random.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

thread_local! {
    static SINK: RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { RefCell::new(None) };
}

/// The lines logged on this thread while it lives.
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        SINK.with(|sink| *sink.borrow_mut() = None);
    }
}

/// Starts capturing every level of log written on this thread (use a current-thread runtime).
pub fn capture() -> Capture {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| ThreadSink)
            .init();
    });
    let buffer = Arc::new(Mutex::new(Vec::new()));
    SINK.with(|sink| *sink.borrow_mut() = Some(buffer.clone()));
    Capture(buffer)
}

/// Writes into the capturing test's buffer, or nowhere on threads that capture nothing.
struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINK.with(|sink| {
            if let Some(buffer) = &*sink.borrow() {
                buffer.lock().expect("log buffer").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
