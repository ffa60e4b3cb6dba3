//! One apply per workspace at a time on one machine: an advisory lock on
//! `.cspctl-apply.lock` in the workspace, held for the run (released by the OS when the
//! process ends, however it ends), with the holder's identity written inside so a second
//! apply can say who holds it. Runners on other machines share no lock; apply's read-back
//! (see `readback`) is what keeps them from leaving a duplicate.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the workspace directory.
pub const LOCK_FILE: &str = ".cspctl-apply.lock";

/// A held workspace lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another cspctl apply is running on this workspace ({holder}); it holds {}. Nothing was applied",
        path.display()
    )]
    Held { path: PathBuf, holder: String },
    /// The lock file could not be opened or locked.
    #[error("{}: cannot lock the workspace for apply: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl WorkspaceLock {
    /// Takes the lock of the workspace in `dir` without waiting, recording who holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io { path: path.clone(), source };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder =
                    if holder.is_empty() { "holder unknown".to_string() } else { holder.to_string() };
                return Err(LockError::Held { path, holder });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let identity = format!(
            "pid {} on {} by {}, since {}",
            std::process::id(),
            host(),
            std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "?".into()),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(identity.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(WorkspaceLock { _file: file })
    }
}

fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_identity() {
        let dir = tempfile::tempdir().expect("dir");
        let first = WorkspaceLock::acquire(dir.path()).expect("first");
        let second = WorkspaceLock::acquire(dir.path()).expect_err("held");
        let text = second.to_string();
        assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
        assert!(text.contains("another cspctl apply is running"), "{text}");
        drop(first);
        WorkspaceLock::acquire(dir.path()).expect("free again");
    }
}
