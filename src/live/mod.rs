//! What exists: the distributor and PSA traits that return model snapshots, and one module per
//! vendor. Reads are whole snapshots (no per-object getters, so no N+1 request patterns);
//! writes take one [`Write`] with the fingerprint its plan saw.

pub mod adaptive;
pub mod autotask;
pub mod connectwise;
pub mod dickerdata;
mod error;
pub mod http;
pub mod sandbox;

use async_trait::async_trait;

pub use error::{LiveError, RequestLabel};

use crate::model::{Addition, Applied, DistributorSnapshot, PsaId, PsaScope, PsaSnapshot, Write};

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

    /// The additions now on `agreements`, read in bulk. Apply reads them once before writing
    /// (what every stale check needs, instead of one read per write) and once after (the one
    /// read-back that confirms outcomes and finds a duplicate a concurrent apply or a late
    /// request made).
    async fn additions(&self, agreements: &[PsaId]) -> Result<Vec<Addition>, LiveError>;

    /// Whether [`Psa::additions`] reads many agreements per request (Autotask: 500 contracts
    /// a query; the sandbox: free). When it does not (ConnectWise: one request per agreement),
    /// apply reads before writing only the agreements a stale check needs and after writing
    /// only those a create touched.
    fn bulk_additions(&self) -> bool {
        true
    }

    /// Writes apply keeps in flight when the operator does not say (`--concurrency`): enough
    /// to keep the PSA's own limits busy without going past them.
    fn writes_in_flight(&self) -> usize {
        4
    }

    /// Carries out one write checked against `current`: for an update or cancel, the addition
    /// as apply's read before writing found it (`None`: gone); for a create, any addition
    /// already on the pair. Refuses with [`LiveError::Stale`] when the record moved since the
    /// plan read it. Safe to call concurrently for different additions.
    async fn write(&self, write: &Write, current: Option<&Addition>) -> Result<Applied, LiveError>;

    /// Waits, after writes whose answers were lost (timeouts), long enough for a request the
    /// server still held to land, so the read-back after writing sees it.
    async fn settle(&self) {}

    /// One write on its own, with the checks apply makes in bulk: read its agreement (where
    /// apply would), write, read back for the new version (where apply would).
    async fn apply(&self, write: &Write) -> Result<Applied, LiveError> {
        let agreement = [write.agreement()];
        let before = match self.bulk_additions() || write.addition().is_some() {
            true => self.additions(&agreement).await?,
            false => Vec::new(),
        };
        let mut applied = self.write(write, write.current(&before)).await?;
        if self.bulk_additions() || write.addition().is_none() {
            self.settle().await;
            if let Some(now) = self.additions(&agreement).await?.iter().find(|a| a.id == applied.addition) {
                applied.fingerprint = now.fingerprint.clone();
            }
        }
        Ok(applied)
    }

    /// A warning when this run, with `planned_writes` more writes, would use a large share of
    /// a request budget the PSA shares between integrations (Autotask's hourly threshold).
    /// Asked after the snapshot so the plan can carry it as a finding.
    async fn budget_warning(&self, _planned_writes: usize) -> Result<Option<String>, LiveError> {
        Ok(None)
    }
}
