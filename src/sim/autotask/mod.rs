//! The Autotask dialect of the simulator: zone lookup, the query API with paging, contract
//! services and their unit adjustments, ThresholdInformation, Autotask's error shapes and its
//! three-requests-per-endpoint thread limit. Paths are served under `/ATServicesRest/V1.0` and
//! `/atservicesrest/v1.0` (Autotask treats path case loosely; clients use both spellings).
//!
//! It holds clients to what live tenants do: a POST-started query's `nextPageUrl` carries no
//! `search`, so only a POST of the unchanged body reads the next page (GET answers 405, a
//! bodyless POST 500 "queryModel"); `pageDetails.count` is the page's count. Through
//! `/_sandbox/autotask/quirks` ([`Quirks`]) a test can move the tenant to another zone (the
//! old one then answers 401), refuse entities as a security level would (HTTP 500 "does not
//! have the adequate permissions") and answer thread-limit breaches (`Itgenatr005`) with a
//! status other than 429. Unknown paths answer IIS's HTML 404.

pub mod query;
mod records;
mod units;
mod writes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::SimShared;
use crate::model::{Calendar, PsaSnapshot};
use query::Query;
use records::{ENTITIES, Index};
use units::UnitBook;

/// Requests one integration may have in flight per endpoint before Autotask refuses more.
pub const THREAD_LIMIT: usize = 3;

/// Hourly request budget ThresholdInformation reports.
pub const REQUEST_THRESHOLD: u64 = 10_000;

/// Where tests read and set the [`Quirks`].
pub const QUIRKS_CONTROL_PATH: &str = "/_sandbox/autotask/quirks";

/// Live-tenant behaviours a test can switch on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quirks {
    /// The zone the tenant lives in: 1 (`/ATServicesRest/`) or 2 (`/zone2/ATServicesRest/`).
    /// Zone lookup names it; the other zone answers 401 to every call.
    pub zone: u8,
    /// Entities whose queries are refused as the API user's security level would refuse them.
    pub deny: Vec<String>,
    /// HTTP status of a thread-limit refusal (`Itgenatr005`): 429, or e.g. 500 as some tenants answer.
    pub thread_limit_status: u16,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks { zone: 1, deny: Vec::new(), thread_limit_status: 429 }
    }
}

impl Quirks {
    fn root(&self) -> &'static str {
        if self.zone == 2 { "/zone2/ATServicesRest" } else { "/ATServicesRest" }
    }
}

/// The dialect's own state beside the shared sandbox state.
#[derive(Debug)]
pub struct Dialect {
    shared: Arc<SimShared>,
    quirks: Mutex<Quirks>,
    units: Mutex<UnitBook>,
    in_flight: Mutex<HashMap<String, usize>>,
    /// Most requests seen in flight at once on one endpoint, and on all endpoints together.
    max_in_flight: AtomicU64,
    max_in_flight_total: AtomicU64,
    /// Requests refused for going over [`THREAD_LIMIT`].
    thread_refusals: AtomicU64,
    /// Authenticated requests, as ThresholdInformation counts them.
    counted: AtomicU64,
    /// Time each admitted request takes on the server, holding its thread-limit slot.
    work_ms: AtomicU64,
    /// The index of the records as they last were.
    index: Mutex<Option<Arc<Index>>>,
}

/// What a test can learn about the dialect beyond `/_sandbox/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialectStats {
    /// Most requests in flight at once on one endpoint.
    pub max_in_flight: u64,
    /// Most requests in flight at once on all endpoints together.
    pub max_in_flight_total: u64,
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

/// The Autotask dialect serving `shared`, if one does.
fn dialect(shared: &Arc<SimShared>) -> Option<Arc<Dialect>> {
    let list = registry().lock().unwrap_or_else(|p| p.into_inner());
    list.iter().find(|(s, _)| s.as_ptr() == Arc::as_ptr(shared)).and_then(|(_, d)| d.upgrade())
}

/// The dialect counters of a running simulator, for tests.
pub fn dialect_stats(shared: &Arc<SimShared>) -> Option<DialectStats> {
    let dialect = dialect(shared)?;
    Some(DialectStats {
        max_in_flight: dialect.max_in_flight.load(Ordering::Relaxed),
        max_in_flight_total: dialect.max_in_flight_total.load(Ordering::Relaxed),
        thread_refusals: dialect.thread_refusals.load(Ordering::Relaxed),
        counted: dialect.counted.load(Ordering::Relaxed),
    })
}

/// Makes every admitted Autotask request take `ms` on the server (holding its thread-limit
/// slot), so tests can see how many a client keeps in flight per endpoint.
pub fn set_work_latency(shared: &Arc<SimShared>, ms: u64) -> bool {
    dialect(shared).map(|d| d.work_ms.store(ms, Ordering::Relaxed)).is_some()
}

/// Builds the dialect's unit rows and the index of every entity now, as a live tenant has its
/// data indexed before anyone asks; benches call it so a measured read does not pay for the
/// simulator's first query. `false` when `shared` serves no Autotask dialect.
pub fn warm(shared: &Arc<SimShared>) -> bool {
    let Some(dialect) = dialect(shared) else { return false };
    dialect.read(|psa, book, index, calendar| {
        for entity in ENTITIES {
            index.table(entity, psa, book, calendar);
        }
    });
    true
}

/// Units of every contract service on `date` as the dialect holds them, for tests.
pub fn units_on(shared: &Arc<SimShared>, contract_service: i64, date: NaiveDate) -> Option<i64> {
    dialect(shared)?.read(|_, book, _, _| units::units_at(book.rows(contract_service), date))
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
            let status = StatusCode::from_u16(self.quirks().thread_limit_status)
                .unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            return Err(Refusal {
                status,
                message: format!(
                    "Itgenatr005: Thread Threshold Exceeded: the limit of {THREAD_LIMIT} concurrent requests for the {endpoint} endpoint was reached."
                ),
            });
        }
        *n += 1;
        self.max_in_flight.fetch_max(*n as u64, Ordering::Relaxed);
        self.max_in_flight_total.fetch_max(map.values().sum::<usize>() as u64, Ordering::Relaxed);
        Ok(Slot { dialect: self, endpoint: endpoint.to_string() })
    }

    /// Runs `read` on the state with the unit book synced to it and the index of both, all
    /// under the state lock.
    fn read<R>(&self, read: impl FnOnce(&PsaSnapshot, &UnitBook, &Index, Calendar) -> R) -> R {
        let calendar = self.shared.calendar();
        let state = self.shared.lock_state();
        let mut book = self.units.lock().unwrap_or_else(|p| p.into_inner());
        let generation = self.shared.generation();
        book.sync_at(&state.psa, today(&self.shared), generation);
        let index = self.index(generation, &book);
        read(&state.psa, &book, &index, calendar)
    }

    /// The index of the records as they are at `generation` with `book` synced to it; callers
    /// hold the state lock, so the state cannot move while they read through it.
    fn index(&self, generation: u64, book: &UnitBook) -> Arc<Index> {
        let key = (generation, book.version());
        let mut cached = self.index.lock().unwrap_or_else(|p| p.into_inner());
        match &*cached {
            Some(index) if index.built_from == key => index.clone(),
            _ => {
                let index = Arc::new(Index::new(key));
                *cached = Some(index.clone());
                index
            }
        }
    }

    fn quirks(&self) -> Quirks {
        self.quirks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The zone lookup: no credentials, answers with this server's current zone.
    fn zone(&self) -> Response {
        let base = self.shared.base_url();
        axum::Json(json!({
            "zoneName": format!("Sandbox {}", self.quirks().zone),
            "url": format!("{base}{}/", self.quirks().root()),
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
        method: &Method,
        headers: &HeaderMap,
        uri: &Uri,
        body: &Bytes,
    ) -> Response {
        let _slot = match self.admit(headers, entity).await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        };
        if self.quirks().deny.iter().any(|d| d.eq_ignore_ascii_case(entity)) {
            return fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The logged in Resource does not have the adequate permissions to query this entity type.",
            );
        }
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        let search = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("search")).map(|(_, v)| v.clone());
        let by_get = search.is_some();
        let source = match (&kind, search) {
            (_, Some(s)) => s.into_bytes(),
            // A POST-started cursor: only a POST of the unchanged query reads on.
            (QueryKind::Next, None) if method == Method::GET => {
                return (
                    StatusCode::METHOD_NOT_ALLOWED,
                    axum::Json(
                        json!({ "Message": "The requested resource does not support http method 'GET'." }),
                    ),
                )
                    .into_response();
            }
            (QueryKind::Next, None) if body.iter().all(u8::is_ascii_whitespace) => {
                return fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Value cannot be null.\r\nParameter name: queryModel",
                );
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
                    Some(p) if p.get("query").and_then(Value::as_u64) != Some(fingerprint(&parsed)) => {
                        return fail(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "The query does not match the one this page was started with.",
                        );
                    }
                    Some(p) => p.get("lastId").and_then(Value::as_i64).unwrap_or(i64::MIN),
                    None => {
                        return fail(StatusCode::INTERNAL_SERVER_ERROR, "The paging parameter is missing.");
                    }
                }
            }
            _ => i64::MIN,
        };
        // The page is built under the locks; the answer is written after they are released.
        let found = self.read(|psa, book, index, calendar| {
            let table = index.table(entity, psa, book, calendar);
            let positions = match query.narrowed(table) {
                Some(positions) => positions,
                None => (0..table.len() as u32).collect(),
            };
            let first = positions.partition_point(|&p| table.id(p as usize) <= after);
            let mut matching = positions[first..]
                .iter()
                .map(|&p| table.record(p as usize, psa, calendar))
                .filter(|r| query.matches(r));
            if let QueryKind::Count = kind {
                return Found::Count(matching.count());
            }
            let page: Vec<_> = matching.by_ref().take(query.max_records).collect();
            let more = matching.next().is_some();
            let rows: Vec<_> = page.iter().map(|r| r.wire(entity, &query.include)).collect();
            let items = serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into());
            Found::Page { items, count: rows.len(), last: page.last().map(|r| r.id), more }
        });
        let (items, count, last, more) = match found {
            Found::Count(n) => return axum::Json(json!({ "queryCount": n })).into_response(),
            Found::Page { items, count, last, more } => (items, count, last, more),
        };
        let next = match last {
            Some(last) if more => {
                let paging =
                    json!({ "pageSize": query.max_records, "lastId": last, "query": fingerprint(&parsed) })
                        .to_string();
                let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                // Only a GET-started query carries its search in the next page's URL.
                let search =
                    if by_get { format!("&search={}", enc(&parsed.to_string())) } else { String::new() };
                Value::String(format!(
                    "{}{}/V1.0/{entity}/query/next?paging={}{search}",
                    self.shared.base_url(),
                    self.quirks().root(),
                    enc(&paging),
                ))
            }
            _ => Value::Null,
        };
        let details = json!({
            "count": count,
            "requestCount": query.max_records,
            "prevPageUrl": null,
            "nextPageUrl": next
        });
        let body = format!(r#"{{"items":{items},"pageDetails":{details}}}"#);
        ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// Identifies a query within one run, so a next page asked for with another query is refused.
fn fingerprint(query: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    query.to_string().hash(&mut h);
    h.finish() >> 11 // fits a JSON number exactly
}

/// IIS's answer to a path it does not serve.
async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::response::Html(
            "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body><h2>404 - File or directory not found.</h2></body></html>",
        ),
    )
        .into_response()
}

/// What a query found: a count, or one page written out.
enum Found {
    Count(usize),
    Page { items: String, count: usize, last: Option<i64>, more: bool },
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
        max_in_flight_total: AtomicU64::new(0),
        thread_refusals: AtomicU64::new(0),
        counted: AtomicU64::new(0),
        work_ms: AtomicU64::new(0),
        index: Mutex::new(None),
        quirks: Mutex::new(Quirks::default()),
    });
    {
        let mut list = registry().lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|(s, d)| s.strong_count() > 0 && d.strong_count() > 0);
        list.push((Arc::downgrade(&shared), Arc::downgrade(&dialect)));
    }
    let mut router = Router::new();
    for prefix in ["/ATServicesRest/V1.0", "/atservicesrest/v1.0", "/zone2/ATServicesRest/V1.0"] {
        for name in ["zoneInformation", "ZoneInformation"] {
            let d = dialect.clone();
            router = router.route(&format!("{prefix}/{name}"), get(move || async move { d.zone() }));
        }
        let zone = if prefix.starts_with("/zone2") { 2 } else { 1 };
        let d = dialect.clone();
        let in_zone = move |request: axum::extract::Request, next: axum::middleware::Next| {
            let d = d.clone();
            async move {
                if d.quirks().zone != zone {
                    return fail(StatusCode::UNAUTHORIZED, "Authentication failed");
                }
                next.run(request).await
            }
        };
        router = router.merge(zone_routes(&dialect, prefix).route_layer(axum::middleware::from_fn(in_zone)));
    }
    let d = dialect.clone();
    let q = dialect.clone();
    router = router.route(
        QUIRKS_CONTROL_PATH,
        get(move || async move { axum::Json(d.quirks()) }).put(
            move |axum::Json(quirks): axum::Json<Quirks>| async move {
                *q.quirks.lock().unwrap_or_else(|p| p.into_inner()) = quirks.clone();
                axum::Json(quirks)
            },
        ),
    );
    router
}

/// Every authenticated route under one zone prefix, and IIS's HTML 404 for the rest.
fn zone_routes(dialect: &Arc<Dialect>, prefix: &str) -> Router {
    let mut router = Router::new();
    {
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
                let handler = move |method: Method, h: HeaderMap, uri: Uri, body: Bytes| async move {
                    d.query(entity, kind, &method, &h, &uri, &body).await
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
    router.route(&format!("{prefix}/{{*rest}}"), get(not_found).post(not_found).patch(not_found))
}
