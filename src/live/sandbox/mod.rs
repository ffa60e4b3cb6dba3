//! The built-in sandbox: both sides' live state in one local YAML or JSON file, so plan and
//! apply run with no credentials and tests can run whole flows. The simulator serves the
//! same state over HTTP in each vendor's wire format.

mod state;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tokio::sync::Mutex;

pub use state::SandboxState;
pub(crate) use state::next_stamp;

use super::{Distributor, LiveError, Psa};
use crate::model::{Addition, Applied, DistributorSnapshot, PsaId, PsaScope, PsaSnapshot, Write};

/// A sandbox state file opened for plan or apply. Every write is saved at once, atomically,
/// so an interrupted apply leaves a state that a new plan reads and finishes.
pub struct Sandbox {
    state: Mutex<SandboxState>,
    out: PathBuf,
}

impl Sandbox {
    /// Opens `path`; writes go to `out` (the same file unless `--state-out` says otherwise).
    pub fn open(path: &Path, out: &Path) -> Result<Self, LiveError> {
        let state = SandboxState::load(path)?;
        Ok(Sandbox { state: Mutex::new(state), out: out.to_path_buf() })
    }
}

#[async_trait]
impl Distributor for Sandbox {
    fn name(&self) -> &str {
        "sandbox"
    }

    async fn snapshot(&self) -> Result<DistributorSnapshot, LiveError> {
        Ok(self.state.lock().await.dicker_data.clone())
    }
}

#[async_trait]
impl Psa for Sandbox {
    fn name(&self) -> &str {
        "sandbox"
    }

    async fn snapshot(&self, _scope: &PsaScope) -> Result<PsaSnapshot, LiveError> {
        Ok(self.state.lock().await.psa.clone())
    }

    async fn additions(&self, agreements: &[PsaId]) -> Result<Vec<Addition>, LiveError> {
        let state = self.state.lock().await;
        Ok(state.psa.additions.iter().filter(|a| agreements.contains(&a.agreement)).cloned().collect())
    }

    /// The sandbox checks against its own state, where the write is made under one lock.
    async fn write(&self, write: &Write, _current: Option<&Addition>) -> Result<Applied, LiveError> {
        let mut state = self.state.lock().await;
        let mut next = state.clone();
        let applied = next.psa.apply(write, chrono::Utc::now())?;
        next.save(&self.out)?;
        *state = next;
        Ok(applied)
    }
}
