//! Autotask PSA over its REST API. Customers' licences bill as services on Recurring Service
//! contracts (contractType 7); units are not a field but the sum of create-only adjustments,
//! read back from ContractServiceUnits.
//!
//! Model mapping: Company.identifier = `companyNumber` (else `companyName`); Agreement = a
//! type-7 contract (`status` 1 = active); Product = a catalogue Service (identifier = `name`);
//! Addition = a ContractService whose quantity is the units of the ContractServiceUnits row in
//! force on the plan date. A service whose current units are zero is reported cancelled from
//! the start of that row: history, so a cancel converges. Credentials come from
//! `CSPCTL_AT_INTEGRATION_CODE`, `CSPCTL_AT_USERNAME` (or the variable `username_env` names),
//! `CSPCTL_AT_SECRET` and optionally `CSPCTL_AT_IMPERSONATION_RESOURCE_ID`.

mod api;
mod budget;
mod credentials;
mod snapshot;
mod wire;
mod writes;

use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use api::{DEFAULT_ZONE_URL, MAX_PER_ENDPOINT, PAGE_SIZE, api_root};
pub use budget::{Threshold, warning as budget_warning};
pub use credentials::{
    AutotaskCredentials, IMPERSONATION_ENV, INTEGRATION_CODE_ENV, SECRET_ENV, USERNAME_ENV,
};

use super::http::RetryPolicy;
use super::{LiveError, Psa};
use crate::model::{Addition, Applied, Calendar, PsaId, PsaScope, PsaSnapshot, Write};

/// How to reach Autotask and how hard to push it.
#[derive(Debug, Clone)]
pub struct AutotaskOptions {
    /// Zone base URL (`https://webservicesN.autotask.net/ATServicesRest/`, or a full
    /// `http://host:port/...` for the simulator); found by zone lookup when absent.
    pub base_url: Option<String>,
    /// Zone lookup root; default [`DEFAULT_ZONE_URL`].
    pub zone_url: Option<String>,
    /// Requests in flight per endpoint, 1..=3 (Autotask's thread limit is 3).
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries of 429 / 5xx / timeouts.
    pub retry: RetryPolicy,
    /// The plan date units are read for; default: today in `calendar`.
    pub today: Option<NaiveDate>,
    /// The tenant's calendar: Autotask's date-times are read as its days, and days are
    /// written as its midnights.
    pub calendar: Calendar,
}

impl Default for AutotaskOptions {
    fn default() -> Self {
        AutotaskOptions {
            base_url: None,
            zone_url: None,
            concurrency: MAX_PER_ENDPOINT,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            today: None,
            calendar: Calendar::default(),
        }
    }
}

/// Requests one write may take without retries, for the budget estimate: the write itself,
/// the unit rows it is computed from, and its share of apply's reads before and after.
const REQUESTS_PER_WRITE: u64 = 4;

/// The Autotask PSA provider.
pub struct Autotask {
    api: api::Api,
    today: Option<NaiveDate>,
}

impl Autotask {
    /// A provider; nothing is sent until the first snapshot or write.
    pub fn new(options: AutotaskOptions, credentials: AutotaskCredentials) -> Result<Self, LiveError> {
        let today = options.today;
        Ok(Autotask { api: api::Api::new(options, credentials)?, today })
    }

    /// Requests sent so far by this provider (every attempt counts).
    pub fn requests(&self) -> u64 {
        self.api.requests()
    }

    /// The hourly request budget as Autotask reported it at the start of the run.
    pub async fn threshold(&self) -> Result<Option<Threshold>, LiveError> {
        self.api.threshold().await
    }

    fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| self.api.calendar().today())
    }
}

#[async_trait]
impl Psa for Autotask {
    fn name(&self) -> &str {
        "autotask"
    }

    async fn snapshot(&self, scope: &PsaScope) -> Result<PsaSnapshot, LiveError> {
        snapshot::read(&self.api, scope, self.today()).await
    }

    async fn additions(&self, agreements: &[PsaId]) -> Result<Vec<Addition>, LiveError> {
        let mut ids = agreements.to_vec();
        ids.sort_unstable();
        ids.dedup();
        snapshot::additions(&self.api, &ids, self.today()).await
    }

    /// Two writes per endpoint slot: a create sends its service and then its adjustment to
    /// two endpoints, so both stay busy; the per-endpoint gate still holds each to its limit.
    fn writes_in_flight(&self) -> usize {
        2 * self.api.per_endpoint()
    }

    async fn write(&self, write: &Write, current: Option<&Addition>) -> Result<Applied, LiveError> {
        self.api.expect_requests(0).await?;
        writes::apply(&self.api, write, current, self.today()).await
    }

    async fn budget_warning(&self, planned_writes: usize) -> Result<Option<String>, LiveError> {
        let Some(threshold) = self.api.threshold().await? else { return Ok(None) };
        let estimate = self.requests() + REQUESTS_PER_WRITE * planned_writes as u64;
        Ok(budget::warning(&threshold, estimate))
    }
}
