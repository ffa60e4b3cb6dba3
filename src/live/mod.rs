//! What exists: the distributor and PSA traits that return model snapshots, and one module per
//! vendor. Reads are whole snapshots (no per-object getters, so no N+1 request patterns);
//! writes take one [`Write`] with the fingerprint its plan saw.

pub mod autotask;
pub mod connectwise;
pub mod dickerdata;
mod error;
pub mod http;
pub mod sandbox;

use async_trait::async_trait;

pub use error::{LiveError, RequestLabel};

use crate::model::{Applied, DistributorSnapshot, PsaScope, PsaSnapshot, Write};

/// Where licences come from (Dicker Data's API, its export, or the sandbox).
#[async_trait]
pub trait Distributor: Send + Sync {
    /// Short name for messages, e.g. `dicker_data export`.
    fn name(&self) -> &str;

    /// Every customer and licence, read in bulk.
    async fn snapshot(&self) -> Result<DistributorSnapshot, LiveError>;
}

/// Where billing happens (ConnectWise Manage, Autotask, or the sandbox).
#[async_trait]
pub trait Psa: Send + Sync {
    /// Short name for messages, e.g. `connectwise`.
    fn name(&self) -> &str;

    /// The companies, agreements, products and additions in scope, read in bulk.
    async fn snapshot(&self, scope: &PsaScope) -> Result<PsaSnapshot, LiveError>;

    /// Carries out one write; refuses with [`LiveError::Stale`] when the record moved since
    /// the plan read it. Safe to call concurrently for different additions.
    async fn apply(&self, write: &Write) -> Result<Applied, LiveError>;

    /// A warning when this run, with `planned_writes` more writes, would use a large share of
    /// a request budget the PSA shares between integrations (Autotask's hourly threshold).
    /// Asked after the snapshot so the plan can carry it as a finding.
    async fn budget_warning(&self, _planned_writes: usize) -> Result<Option<String>, LiveError> {
        Ok(None)
    }
}
