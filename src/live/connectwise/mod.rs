//! ConnectWise Manage (PSA) over its REST API: bulk, paged reads of companies, agreements and
//! catalog items filtered with `conditions`; per-agreement addition reads with adaptive,
//! bounded concurrency; creates that re-read instead of retrying blindly; updates and cancels as
//! JSON-patch after a `_info.lastUpdated` check. Never DELETE.

mod conditions;
mod credentials;
mod pages;
mod request;
mod snapshot;
mod wire;
mod write;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt, stream};
use std::sync::atomic::AtomicBool;
use tokio::sync::Mutex as AsyncMutex;

pub use credentials::{CLIENT_ID_VAR, ConnectWiseCredentials, PRIVATE_KEY_VAR, PUBLIC_KEY_VAR};

use super::adaptive::{Adaptive, Summary};
use super::http::{self, RetryPolicy};
use super::{LiveError, Psa};
use crate::config::ConnectWiseSettings;
use crate::model::{Addition, Applied, Calendar, PsaId, PsaScope, PsaSnapshot, Write};

/// The API model version cspctl is written against (sent in `Accept`).
pub const DEFAULT_API_VERSION: &str = "2026.4";

/// Most reads in flight at once, unless `concurrency:` says otherwise. Reads start at
/// [`INITIAL_LIMIT`](crate::live::adaptive::INITIAL_LIMIT) and adapt up to this bound.
pub const DEFAULT_MAX_CONCURRENCY: usize = 32;

/// Largest page ConnectWise serves.
pub const PAGE_SIZE: usize = 1000;

/// How long one request may take before it counts as failed.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A ConnectWise Manage site, opened with an API member's keys.
#[derive(Debug)]
pub struct ConnectWise {
    http: reqwest::Client,
    /// `scheme://host[:port]` of the site.
    origin: url::Url,
    company: String,
    codebase: Option<String>,
    /// `{origin}/{codebase}apis/3.0`, found once (and once more after a 404, see
    /// [`ConnectWise::moved`]).
    api_base: AsyncMutex<Option<String>>,
    /// Whether the codebase was already looked up again this run.
    rediscovered: AtomicBool,
    accept: String,
    credentials: ConnectWiseCredentials,
    /// How many reads go at once: adapts to the tenant's answers (see [`Adaptive`]).
    reads: Adaptive,
    retry: RetryPolicy,
    forward_only: bool,
    /// Reads ConnectWise's date-times as tenant days and writes days as tenant midnights.
    calendar: Calendar,
    /// Per-request timeout, also how long a request whose answer was lost may still land.
    timeout: Duration,
    /// When the last write answer was lost (timeout, 5xx): the read-back waits for it to land.
    lost: Mutex<Option<Instant>>,
}

impl ConnectWise {
    /// Opens a site from `cspctl.yaml` settings and credentials (see
    /// [`ConnectWiseCredentials::from_env`]). No request is made until the first read.
    pub fn new(
        settings: &ConnectWiseSettings,
        credentials: ConnectWiseCredentials,
    ) -> Result<Self, LiveError> {
        let origin = request::origin(&settings.site)?;
        if settings.company.trim().is_empty() {
            return Err(LiveError::Config("psa.connectwise.company must not be empty".into()));
        }
        let codebase = settings.codebase.as_deref().map(|c| format!("{}/", c.trim_matches('/')));
        Ok(ConnectWise {
            http: http::client(DEFAULT_TIMEOUT)?,
            origin,
            company: settings.company.clone(),
            codebase,
            api_base: AsyncMutex::new(None),
            rediscovered: AtomicBool::new(false),
            accept: format!(
                "application/vnd.connectwise.com+json; version={}",
                settings.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION)
            ),
            credentials,
            reads: Adaptive::new(settings.concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY)),
            retry: RetryPolicy::default(),
            forward_only: false,
            calendar: Calendar::default(),
            timeout: DEFAULT_TIMEOUT,
            lost: Mutex::new(None),
        })
    }

    /// Uses a different per-request timeout (tests use short ones).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, LiveError> {
        self.http = http::client(timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    /// Uses a different retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Reads and writes dates in the tenant's calendar (`timezone:`) instead of the default.
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Keeps reads at exactly `limit` in flight instead of adapting (benches compare the two).
    pub fn with_fixed_concurrency(mut self, limit: usize) -> Self {
        self.reads = Adaptive::fixed(limit);
        self
    }

    /// What the read limiter did so far: its limit, the most reads in flight, throttles seen.
    pub fn read_concurrency(&self) -> Summary {
        self.reads.summary()
    }

    /// Pages with `pagination-type: forward-only` (`pageId`) instead of page numbers.
    pub fn with_forward_only(mut self, forward_only: bool) -> Self {
        self.forward_only = forward_only;
        self
    }
}

#[async_trait]
impl Psa for ConnectWise {
    fn name(&self) -> &str {
        "connectwise"
    }

    async fn snapshot(&self, scope: &PsaScope) -> Result<PsaSnapshot, LiveError> {
        snapshot::read(self, scope).await
    }

    async fn additions(&self, agreements: &[PsaId]) -> Result<Vec<Addition>, LiveError> {
        let mut ids = agreements.to_vec();
        ids.sort_unstable();
        ids.dedup();
        stream::iter(ids)
            .map(|id| self.additions_of(id))
            .buffer_unordered(self.reads.max())
            .try_concat()
            .await
    }

    fn bulk_additions(&self) -> bool {
        false
    }

    async fn write(&self, write: &Write, current: Option<&Addition>) -> Result<Applied, LiveError> {
        write::apply(self, write, current).await
    }

    async fn settle(&self) {
        let lost = *self.lost.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = lost {
            let until = at + self.timeout;
            tracing::debug!(
                "a write answer was lost; waiting up to {:?} for it to land before reading back",
                self.timeout
            );
            tokio::time::sleep_until(until.into()).await;
        }
    }
}

impl ConnectWise {
    /// Notes that a write's answer was lost, so [`Psa::settle`] waits for it.
    fn lost_answer(&self) {
        *self.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }
}
