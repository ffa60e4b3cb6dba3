//! Graceful interrupts for apply: the first SIGINT or SIGTERM sets a flag that stops new
//! writes (writes in flight finish or time out, and are reported and audited); a second one
//! ends the process at once. Installed only around the writes, so an interrupt while planning
//! or at the confirmation prompt still ends cspctl immediately, before anything is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code after a second interrupt (128 + SIGINT, as shells report it).
const ABORT_CODE: i32 = 130;

/// The installed listener; dropping it stops listening (the flag stays as it was).
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Interrupt {
    /// Starts listening; `notice` is printed on the first signal.
    pub fn install(notice: &'static str) -> std::io::Result<Self> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut signals = Signals::new()?;
        let set = flag.clone();
        let task = tokio::spawn(async move {
            signals.next().await;
            set.store(true, Ordering::SeqCst);
            eprintln!("{notice}");
            signals.next().await;
            eprintln!("interrupted again: stopping at once; writes in flight may not be in the audit log");
            std::process::exit(ABORT_CODE);
        });
        Ok(Interrupt { flag, task })
    }

    /// The flag apply checks before each write.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals { int: signal(SignalKind::interrupt())?, term: signal(SignalKind::terminate())? })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Signals)
    }

    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
