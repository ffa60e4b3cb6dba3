//! The simulator: one HTTP server that serves a sandbox state in each vendor's wire format
//! (ConnectWise, Autotask and Dicker Data dialects side by side on one port), with injectable
//! faults and request counting, so the real HTTP clients are tested end to end.

pub mod autotask;
pub mod connectwise;
pub mod dickerdata;
mod faults;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

pub use faults::{Faults, InFlight};

use crate::live::sandbox::SandboxState;
use crate::model::Calendar;

/// Credentials the simulator accepts, one set per dialect.
#[derive(Debug, Clone)]
pub struct SimCredentials {
    /// ConnectWise: company id, public key, private key, clientId.
    pub connectwise: [String; 4],
    /// Autotask: ApiIntegrationCode, UserName, Secret.
    pub autotask: [String; 3],
    /// Dicker Data: AccountCode, AccessToken.
    pub dicker_data: [String; 2],
}

impl Default for SimCredentials {
    fn default() -> Self {
        let s = |v: &str| v.to_string();
        SimCredentials {
            connectwise: [s("sandbox"), s("sandbox-public"), s("sandbox-private"), s("sandbox-client-id")],
            autotask: [s("SANDBOXINTEGRATION"), s("api@sandbox.example"), s("sandbox-secret")],
            dicker_data: [s("SANDBOX"), s("sandbox-token")],
        }
    }
}

/// State shared by every dialect: the sandbox data, fault settings, request counts.
#[derive(Debug)]
pub struct SimShared {
    /// The live data all dialects read and write.
    pub state: Mutex<SandboxState>,
    /// What to inject into the next responses.
    pub faults: Mutex<Faults>,
    /// Requests served, keyed `METHOD /route/template`.
    pub stats: Mutex<BTreeMap<String, u64>>,
    /// Accepted credentials.
    pub credentials: SimCredentials,
    /// `http://127.0.0.1:PORT`, for absolute URLs in responses (Autotask `nextPageUrl`).
    pub base_url: OnceLock<String>,
    /// When set, every exchange is recorded (spec-conformance tests read it).
    pub journal: Mutex<Option<Vec<Exchange>>>,
    /// The tenant's calendar: days are served as its midnights in UTC, as the PSAs store
    /// them, and date-times received are read as its days. Default: cspctl's default zone.
    calendar: Mutex<Calendar>,
    /// Requests in flight under [`Faults::max_in_flight`], and those refused for it.
    pub in_flight: InFlight,
    /// Moves on every change to the state (see [`StateGuard`]).
    generation: std::sync::atomic::AtomicU64,
    /// Indexes of the state, each with the generation it was built from.
    views: Mutex<std::collections::HashMap<&'static str, (u64, View)>>,
}

/// An index of the state, type-erased so each dialect keeps its own.
type View = Arc<dyn std::any::Any + Send + Sync>;

/// The locked sandbox state. Reading goes through `Deref`; changing it through `DerefMut`,
/// which moves the state's generation so indexes built from it are rebuilt.
pub struct StateGuard<'a> {
    guard: std::sync::MutexGuard<'a, SandboxState>,
    generation: &'a std::sync::atomic::AtomicU64,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = SandboxState;
    fn deref(&self) -> &SandboxState {
        &self.guard
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut SandboxState {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        &mut self.guard
    }
}

/// One request and its response, as recorded by the journal.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Route template that matched, e.g. `/v4_6_release/apis/3.0/finance/agreements/{id}/additions`.
    pub route: String,
    /// Actual path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Request headers (names lower-case; values of credential headers included: tests only).
    pub request_headers: Vec<(String, String)>,
    /// Request body.
    pub request_body: String,
    /// Response status.
    pub status: u16,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: String,
}

impl SimShared {
    /// Wraps a state for serving.
    pub fn new(state: SandboxState, faults: Faults, credentials: SimCredentials) -> Arc<Self> {
        Arc::new(SimShared {
            state: Mutex::new(state),
            faults: Mutex::new(faults),
            stats: Mutex::new(BTreeMap::new()),
            credentials,
            base_url: OnceLock::new(),
            journal: Mutex::new(None),
            calendar: Mutex::new(Calendar::default()),
            in_flight: InFlight::default(),
            generation: std::sync::atomic::AtomicU64::new(0),
            views: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The base URL the server listens on.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or("http://127.0.0.1")
    }

    /// Locks the sandbox state (a poisoned lock still holds valid data: writes are whole).
    /// Any change made through the guard moves the state's generation, which retires the
    /// indexes built with [`SimShared::view`].
    pub fn lock_state(&self) -> StateGuard<'_> {
        StateGuard {
            guard: self.state.lock().unwrap_or_else(|p| p.into_inner()),
            generation: &self.generation,
        }
    }

    /// Moves with every change of the state: what an index built from it is valid for.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A value derived from the state (an index), built once per generation of the state and
    /// shared by every request until the state changes: queries then cost what they return,
    /// not a scan of every row.
    pub fn view<T: std::any::Any + Send + Sync>(
        &self,
        state: &StateGuard<'_>,
        key: &'static str,
        build: impl FnOnce(&SandboxState) -> T,
    ) -> Arc<T> {
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, view)) = views.get(key)
            && *g == generation
            && let Ok(view) = view.clone().downcast::<T>()
        {
            return view;
        }
        let view = Arc::new(build(state));
        views.insert(key, (generation, view.clone()));
        view
    }

    /// Requests served so far, by `METHOD /route`.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Total requests served to vendor dialects.
    pub fn total_requests(&self) -> u64 {
        self.stats().values().sum()
    }

    /// Forgets the counts, e.g. between the plan and the apply of a test.
    pub fn reset_stats(&self) {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Starts recording every exchange (and drops what was recorded).
    pub fn record(&self) {
        *self.journal.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    }

    /// The exchanges recorded since [`SimShared::record`].
    pub fn recorded(&self) -> Vec<Exchange> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default()
    }

    /// The tenant's calendar the dialects serve dates in.
    pub fn calendar(&self) -> Calendar {
        *self.calendar.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves dates in another tenant's calendar (a test's time zone).
    pub fn set_calendar(&self, calendar: Calendar) {
        *self.calendar.lock().unwrap_or_else(|p| p.into_inner()) = calendar;
        // Dates on the wire follow the calendar: indexes that rendered them are retired.
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Faults injected so far (429, 5xx, slow, malformed, late), for soak reports.
    pub fn faults_injected(&self) -> u64 {
        self.faults.lock().unwrap_or_else(|p| p.into_inner()).injected
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }
}

/// A running simulator; dropping it stops the server.
pub struct RunningSim {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state, for tests to inspect and change.
    pub shared: Arc<SimShared>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The whole server: every dialect plus the `/_sandbox` control endpoints.
pub fn router(shared: Arc<SimShared>) -> Router {
    let vendors = Router::new()
        .merge(connectwise::routes(shared.clone()))
        .merge(autotask::routes(shared.clone()))
        .merge(dickerdata::routes(shared.clone()))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), faults::inject));
    let control = Router::new()
        .route("/_sandbox/stats", get(stats_handler))
        .route("/_sandbox/state", get(state_handler))
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .with_state(shared);
    vendors.merge(control)
}

/// Starts the simulator on `addr` (use port 0 for an ephemeral port) inside the current runtime.
pub async fn start(addr: SocketAddr, shared: Arc<SimShared>) -> std::io::Result<RunningSim> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let _ = shared.base_url.set(format!("http://{addr}"));
    let app = router(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(RunningSim { addr, shared, task })
}

async fn stats_handler(State(shared): State<Arc<SimShared>>) -> axum::Json<serde_json::Value> {
    let by_route = shared.stats();
    let total: u64 = by_route.values().sum();
    axum::Json(serde_json::json!({ "total": total, "requests": by_route }))
}

async fn state_handler(State(shared): State<Arc<SimShared>>) -> axum::Json<SandboxState> {
    axum::Json(shared.lock_state().clone())
}

async fn get_faults(State(shared): State<Arc<SimShared>>) -> axum::Json<Faults> {
    axum::Json(shared.faults.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

async fn put_faults(
    State(shared): State<Arc<SimShared>>,
    axum::Json(faults): axum::Json<Faults>,
) -> axum::Json<Faults> {
    shared.set_faults(faults.clone());
    axum::Json(faults)
}
