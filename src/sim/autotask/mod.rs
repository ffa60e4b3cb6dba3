//! The Autotask dialect of the simulator: zone lookup, the query API with paging, contract
//! services and their unit adjustments, ThresholdInformation, Autotask's error shapes and its
//! three-requests-per-endpoint thread limit. Paths are served under `/ATServicesRest/V1.0` and
//! `/atservicesrest/v1.0` (Autotask treats path case loosely; clients use both spellings).

pub mod query;
mod records;
mod units;
mod writes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::SimShared;
use query::Query;
use records::{ENTITIES, records};
use units::UnitBook;

/// Requests one integration may have in flight per endpoint before Autotask refuses more.
pub const THREAD_LIMIT: usize = 3;

/// Hourly request budget ThresholdInformation reports.
pub const REQUEST_THRESHOLD: u64 = 10_000;

/// The dialect's own state beside the shared sandbox state.
#[derive(Debug)]
pub struct Dialect {
    shared: Arc<SimShared>,
    units: Mutex<UnitBook>,
    in_flight: Mutex<HashMap<String, usize>>,
    /// Most requests seen in flight at once on one endpoint.
    max_in_flight: AtomicU64,
    /// Requests refused for going over [`THREAD_LIMIT`].
    thread_refusals: AtomicU64,
    /// Authenticated requests, as ThresholdInformation counts them.
    counted: AtomicU64,
    /// Time each admitted request takes on the server, holding its thread-limit slot.
    work_ms: AtomicU64,
}

/// What a test can learn about the dialect beyond `/_sandbox/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialectStats {
    /// Most requests in flight at once on one endpoint.
    pub max_in_flight: u64,
    /// Requests refused by the thread limit.
    pub thread_refusals: u64,
    /// Requests ThresholdInformation has counted.
    pub counted: u64,
}

type Registry = Mutex<Vec<(Weak<SimShared>, Weak<Dialect>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Vec::new()))
}

/// The dialect counters of a running simulator, for tests.
pub fn dialect_stats(shared: &Arc<SimShared>) -> Option<DialectStats> {
    let list = registry().lock().unwrap_or_else(|p| p.into_inner());
    let dialect =
        list.iter().find(|(s, _)| s.as_ptr() == Arc::as_ptr(shared)).and_then(|(_, d)| d.upgrade())?;
    Some(DialectStats {
        max_in_flight: dialect.max_in_flight.load(Ordering::Relaxed),
        thread_refusals: dialect.thread_refusals.load(Ordering::Relaxed),
        counted: dialect.counted.load(Ordering::Relaxed),
    })
}

/// Makes every admitted Autotask request take `ms` on the server (holding its thread-limit
/// slot), so tests can see how many a client keeps in flight per endpoint.
pub fn set_work_latency(shared: &Arc<SimShared>, ms: u64) -> bool {
    let list = registry().lock().unwrap_or_else(|p| p.into_inner());
    let found = list.iter().find(|(s, _)| s.as_ptr() == Arc::as_ptr(shared)).and_then(|(_, d)| d.upgrade());
    found.map(|d| d.work_ms.store(ms, Ordering::Relaxed)).is_some()
}

/// Units of every contract service on `date` as the dialect holds them, for tests.
pub fn units_on(shared: &Arc<SimShared>, contract_service: i64, date: NaiveDate) -> Option<i64> {
    let list = registry().lock().unwrap_or_else(|p| p.into_inner());
    let dialect =
        list.iter().find(|(s, _)| s.as_ptr() == Arc::as_ptr(shared)).and_then(|(_, d)| d.upgrade())?;
    let state = dialect.shared.lock_state();
    let mut book = dialect.units.lock().unwrap_or_else(|p| p.into_inner());
    book.sync(&state.psa, today(&dialect.shared));
    units::units_at(book.rows(contract_service), date)
}

/// The tenant's day in the simulator (the same calendar cspctl plans with).
fn today(shared: &SimShared) -> NaiveDate {
    shared.calendar().today()
}

/// An Autotask error response: `{"errors":[message]}`.
fn fail(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "errors": [message.into()] }))).into_response()
}

/// A request refused before any work, turned into a response by the handler.
struct Refusal {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let throttled = self.status == StatusCode::TOO_MANY_REQUESTS;
        let mut r = fail(self.status, self.message);
        if throttled {
            r.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("0.05"));
        }
        r
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Holds one of an endpoint's thread-limit slots while a request runs.
struct Slot<'a> {
    dialect: &'a Dialect,
    endpoint: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut map = self.dialect.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.endpoint) {
            *n = n.saturating_sub(1);
        }
    }
}

impl Dialect {
    /// Checks credentials, counts the request, takes a thread-limit slot and spends the
    /// configured work time holding it.
    async fn admit(&self, headers: &HeaderMap, endpoint: &str) -> Result<Slot<'_>, Refusal> {
        let slot = self.enter(headers, endpoint)?;
        let ms = self.work_ms.load(Ordering::Relaxed);
        if ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        Ok(slot)
    }

    fn enter(&self, headers: &HeaderMap, endpoint: &str) -> Result<Slot<'_>, Refusal> {
        let [code, user, secret] = &self.shared.credentials.autotask;
        let ok = header(headers, "ApiIntegrationCode") == code
            && header(headers, "UserName").eq_ignore_ascii_case(user)
            && header(headers, "Secret") == secret;
        if !ok {
            return Err(Refusal {
                status: StatusCode::UNAUTHORIZED,
                message: "Authentication failed".into(),
            });
        }
        self.counted.fetch_add(1, Ordering::Relaxed);
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(endpoint.to_string()).or_default();
        if *n >= THREAD_LIMIT {
            self.thread_refusals.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: format!(
                    "Thread limit of {THREAD_LIMIT} concurrent requests exceeded for the {endpoint} endpoint."
                ),
            });
        }
        *n += 1;
        self.max_in_flight.fetch_max(*n as u64, Ordering::Relaxed);
        Ok(Slot { dialect: self, endpoint: endpoint.to_string() })
    }

    /// The zone lookup: no credentials, answers with this server as the zone.
    fn zone(&self) -> Response {
        let base = self.shared.base_url();
        axum::Json(json!({
            "zoneName": "Sandbox",
            "url": format!("{base}/ATServicesRest/"),
            "webUrl": format!("{base}/"),
            "ci": 0
        }))
        .into_response()
    }

    async fn threshold(&self, headers: &HeaderMap) -> Response {
        let _slot = match self.admit(headers, "ThresholdInformation").await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        };
        axum::Json(json!({
            "externalRequestThreshold": REQUEST_THRESHOLD,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": self.counted.load(Ordering::Relaxed)
        }))
        .into_response()
    }

    /// `/{Entity}/query`, `/query/next` and `/query/count`, by GET (`search=`) or POST (body).
    async fn query(
        &self,
        entity: &'static str,
        kind: QueryKind,
        headers: &HeaderMap,
        uri: &Uri,
        body: &Bytes,
    ) -> Response {
        let _slot = match self.admit(headers, entity).await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        };
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        let search = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("search")).map(|(_, v)| v.clone());
        let source = match (&kind, search) {
            (_, Some(s)) => s.into_bytes(),
            (QueryKind::Next, None) => {
                return fail(StatusCode::INTERNAL_SERVER_ERROR, "The next page URL has no search parameter.");
            }
            (_, None) => body.to_vec(),
        };
        let parsed: Value = match serde_json::from_slice(&source) {
            Ok(v) => v,
            Err(e) => {
                return fail(StatusCode::INTERNAL_SERVER_ERROR, format!("The query is not valid JSON: {e}"));
            }
        };
        let query = match Query::parse(entity, &parsed) {
            Ok(q) => q,
            Err(message) => return fail(StatusCode::INTERNAL_SERVER_ERROR, message),
        };
        let after = match kind {
            QueryKind::Next => {
                let paging =
                    params.iter().find(|(k, _)| k.eq_ignore_ascii_case("paging")).map(|(_, v)| v.as_str());
                match paging.and_then(|p| serde_json::from_str::<Value>(p).ok()) {
                    Some(p) => p.get("lastId").and_then(Value::as_i64).unwrap_or(i64::MIN),
                    None => {
                        return fail(StatusCode::INTERNAL_SERVER_ERROR, "The paging parameter is missing.");
                    }
                }
            }
            _ => i64::MIN,
        };
        let state = self.shared.lock_state();
        let mut book = self.units.lock().unwrap_or_else(|p| p.into_inner());
        book.sync(&state.psa, today(&self.shared));
        let all = records(entity, &state.psa, &book, self.shared.calendar());
        if let QueryKind::Count = kind {
            let n = all.iter().filter(|r| query.matches(r)).count();
            return axum::Json(json!({ "queryCount": n })).into_response();
        }
        let mut page = Vec::new();
        let mut more = false;
        for r in all.iter().filter(|r| r.id > after) {
            if !query.matches(r) {
                continue;
            }
            if page.len() == query.max_records {
                more = true;
                break;
            }
            page.push(r);
        }
        let next = match page.last() {
            Some(last) if more => {
                let paging = json!({ "pageSize": query.max_records, "lastId": last.id }).to_string();
                let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                Value::String(format!(
                    "{}/ATServicesRest/V1.0/{entity}/query/next?paging={}&search={}",
                    self.shared.base_url(),
                    enc(&paging),
                    enc(&parsed.to_string())
                ))
            }
            _ => Value::Null,
        };
        let items: Vec<Value> = page.iter().map(|r| r.to_json(entity, &query.include)).collect();
        axum::Json(json!({
            "items": items,
            "pageDetails": {
                "count": items.len(),
                "requestCount": query.max_records,
                "prevPageUrl": null,
                "nextPageUrl": next
            }
        }))
        .into_response()
    }
}

#[derive(Debug, Clone, Copy)]
enum QueryKind {
    First,
    Next,
    Count,
}

/// Routes of this dialect.
pub fn routes(shared: Arc<SimShared>) -> Router {
    let dialect = Arc::new(Dialect {
        shared: shared.clone(),
        units: Mutex::new(UnitBook::default()),
        in_flight: Mutex::new(HashMap::new()),
        max_in_flight: AtomicU64::new(0),
        thread_refusals: AtomicU64::new(0),
        counted: AtomicU64::new(0),
        work_ms: AtomicU64::new(0),
    });
    {
        let mut list = registry().lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|(s, d)| s.strong_count() > 0 && d.strong_count() > 0);
        list.push((Arc::downgrade(&shared), Arc::downgrade(&dialect)));
    }
    let mut router = Router::new();
    for prefix in ["/ATServicesRest/V1.0", "/atservicesrest/v1.0"] {
        for name in ["zoneInformation", "ZoneInformation"] {
            let d = dialect.clone();
            router = router.route(&format!("{prefix}/{name}"), get(move || async move { d.zone() }));
        }
        let d = dialect.clone();
        router = router.route(
            &format!("{prefix}/ThresholdInformation"),
            get(move |h: HeaderMap| async move { d.threshold(&h).await }),
        );
        for entity in ENTITIES {
            for (suffix, kind) in [
                ("query", QueryKind::First),
                ("query/next", QueryKind::Next),
                ("query/count", QueryKind::Count),
            ] {
                let d = dialect.clone();
                let handler = move |h: HeaderMap, uri: Uri, body: Bytes| async move {
                    d.query(entity, kind, &h, &uri, &body).await
                };
                router =
                    router.route(&format!("{prefix}/{entity}/{suffix}"), get(handler.clone()).post(handler));
            }
        }
        let d = dialect.clone();
        let services =
            move |method: axum::http::Method,
                  h: HeaderMap,
                  axum::extract::Path(contract): axum::extract::Path<i64>,
                  body: Bytes| async move { d.contract_services(&method, &h, contract, &body).await };
        router = router
            .route(&format!("{prefix}/Contracts/{{id}}/Services"), post(services.clone()).patch(services));
        let d = dialect.clone();
        router = router.route(
            &format!("{prefix}/ContractServiceAdjustments"),
            post(move |h: HeaderMap, body: Bytes| async move { d.adjustment(&h, None, &body).await }),
        );
        let d = dialect.clone();
        router =
            router.route(
                &format!("{prefix}/Contracts/{{id}}/ServiceAdjustments"),
                post(
                    move |h: HeaderMap,
                          axum::extract::Path(contract): axum::extract::Path<i64>,
                          body: Bytes| async move {
                        d.adjustment(&h, Some(contract), &body).await
                    },
                ),
            );
    }
    router
}
