//! The Dicker Data dialect of the simulator:
//!
//! - `POST /api/AccessKeyRequest` (documented): account code + access token give an AccessKey
//!   that expires; calls with a stale or unknown key get 401;
//! - `POST /api/Cloud/Customers` and `POST /api/Cloud/Subscriptions`: the **MODELLED** listing
//!   (see [`crate::live::dickerdata::api::listing`]), paged, served from the sandbox state's
//!   `dicker_data` side;
//! - `GET /api/PricingRequest` and `POST /api/DickerData/GetPrice` (documented): unit cost and
//!   RRP of the stock codes the state holds;
//! - `GET|PUT /_sandbox/dicker_data/keys`: the key policy (lifetime in seconds and, to force an
//!   expiry at an exact point of a run, in uses), so tests can make keys expire mid-run. Like
//!   every dialect route it passes the fault layer and is counted in `/_sandbox/stats`: set it
//!   before turning faults on, then reset the stats.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

use super::SimShared;
use crate::live::dickerdata::api::listing::{
    CustomerRecord, Figure, MAX_PAGE_SIZE, Page, PageRequest, SubscriptionRecord,
};
use crate::live::dickerdata::api::{ACCESS_KEY_PATH, PRICING_PATH};
use crate::live::dickerdata::rules;
use crate::model::{LicenceStatus, StockCode};

/// Where tests read and set the key policy.
pub const KEYS_CONTROL_PATH: &str = "/_sandbox/dicker_data/keys";

/// How long the AccessKeys the simulator issues stay valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyPolicy {
    /// Lifetime of a new key, reported in its `ExpireDateTime`.
    pub lifetime_secs: f64,
    /// When set, a new key is refused after this many accepted calls (an expiry the client
    /// cannot see coming, at an exact point of a run).
    pub lifetime_uses: Option<u64>,
    /// On PUT: make every key issued so far stale at once.
    #[serde(skip_serializing)]
    pub expire_issued: bool,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy { lifetime_secs: 1200.0, lifetime_uses: None, expire_issued: false }
    }
}

struct Issued {
    expires: Instant,
    uses_left: Option<u64>,
}

struct Dialect {
    shared: Arc<SimShared>,
    policy: Mutex<KeyPolicy>,
    keys: Mutex<HashMap<String, Issued>>,
}

type Shared = State<Arc<Dialect>>;

/// Routes of this dialect.
pub fn routes(shared: Arc<SimShared>) -> Router {
    let dialect = Arc::new(Dialect {
        shared,
        policy: Mutex::new(KeyPolicy::default()),
        keys: Mutex::new(HashMap::new()),
    });
    let defaults = crate::live::dickerdata::ListingSettings::default();
    Router::new()
        .route(ACCESS_KEY_PATH, post(access_key))
        .route(&defaults.customers_path, post(customers))
        .route(&defaults.subscriptions_path, post(subscriptions))
        .route(PRICING_PATH, get(pricing))
        .route("/api/DickerData/GetPrice", post(get_price))
        .route(KEYS_CONTROL_PATH, get(get_policy).put(put_policy))
        .with_state(dialect)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A refused call: its status and Dicker Data style `{Status, Message}` body.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "Status": "Failed", "Message": self.1 }))).into_response()
    }
}

fn failed(status: StatusCode, message: &str) -> Response {
    Refused(status, message.to_string()).into_response()
}

fn bad_json(e: JsonRejection) -> Refused {
    Refused(StatusCode::BAD_REQUEST, format!("The request is invalid: {}", e.body_text()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyRequest {
    #[serde(rename = "TransactionID")]
    transaction_id: String,
    access_token: String,
    account_code: String,
}

async fn access_key(State(d): Shared, body: Result<Json<KeyRequest>, JsonRejection>) -> Response {
    let Json(request) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e).into_response(),
    };
    if uuid::Uuid::parse_str(&request.transaction_id).is_err() {
        return failed(StatusCode::BAD_REQUEST, "TransactionID must be a GUID");
    }
    let [account, token] = &d.shared.credentials.dicker_data;
    if &request.account_code != account || &request.access_token != token {
        return failed(StatusCode::UNAUTHORIZED, "Invalid AccountCode or AccessToken");
    }
    let policy = lock(&d.policy).clone();
    let lifetime = Duration::from_secs_f64(policy.lifetime_secs.max(0.0));
    let key = format!("SIM-{}", uuid::Uuid::new_v4().simple());
    lock(&d.keys)
        .insert(key.clone(), Issued { expires: Instant::now() + lifetime, uses_left: policy.lifetime_uses });
    let created = chrono::Utc::now().naive_utc();
    let expires = created + chrono::Duration::from_std(lifetime).unwrap_or_default();
    let stamp = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
    Json(json!({
        "TransactionID": request.transaction_id,
        "AccessKey": key,
        "CreationDateTime": stamp(created),
        "ExpireDateTime": stamp(expires),
        "Status": "Success",
        "Message": "",
    }))
    .into_response()
}

/// Accepts a call carrying the access token and a live key; spends one use of the key.
fn authorise(d: &Dialect, token: &str, key: &str) -> Result<(), Refused> {
    let refuse = || Refused(StatusCode::UNAUTHORIZED, "AccessKey is invalid or expired".into());
    if token != d.shared.credentials.dicker_data[1] {
        return Err(refuse());
    }
    let mut keys = lock(&d.keys);
    let Some(issued) = keys.get_mut(key) else { return Err(refuse()) };
    if Instant::now() >= issued.expires || issued.uses_left == Some(0) {
        return Err(refuse());
    }
    if let Some(left) = issued.uses_left.as_mut() {
        *left -= 1;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HeaderIn {
    #[serde(rename = "TransactionID")]
    transaction_id: String,
    token: String,
    access_key: String,
}

fn page<T: Serialize + Clone>(all: &[T], request: &PageRequest<HeaderIn>) -> Response {
    if request.page_number == 0 || request.page_size == 0 {
        return failed(StatusCode::BAD_REQUEST, "PageNumber and PageSize start at 1");
    }
    let size = request.page_size.min(MAX_PAGE_SIZE) as usize;
    let start = (request.page_number as usize - 1).saturating_mul(size);
    let items: Vec<T> = all.iter().skip(start).take(size).cloned().collect();
    Json(Page {
        status: Some("Success".into()),
        message: None,
        page_number: Some(request.page_number),
        page_size: Some(size as u32),
        total_count: Some(all.len() as u64),
        items,
    })
    .into_response()
}

fn checked(
    d: &Dialect,
    body: Result<Json<PageRequest<HeaderIn>>, JsonRejection>,
) -> Result<PageRequest<HeaderIn>, Refused> {
    let Json(request) = body.map_err(bad_json)?;
    if uuid::Uuid::parse_str(&request.request_header.transaction_id).is_err() {
        return Err(Refused(StatusCode::BAD_REQUEST, "RequestHeader.TransactionID must be a GUID".into()));
    }
    authorise(d, &request.request_header.token, &request.request_header.access_key)?;
    Ok(request)
}

fn customer_number(index: usize) -> String {
    format!("{:06}", 100_001 + index)
}

async fn customers(State(d): Shared, body: Result<Json<PageRequest<HeaderIn>>, JsonRejection>) -> Response {
    let request = match checked(&d, body) {
        Ok(r) => r,
        Err(refused) => return refused.into_response(),
    };
    let all: Vec<CustomerRecord> = d
        .shared
        .lock_state()
        .dicker_data
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| CustomerRecord {
            customer_id: Some(customer_number(i)),
            customer_name: Some(c.name.clone()),
            tenant_id: Some(c.id.clone()),
        })
        .collect();
    page(&all, &request)
}

async fn subscriptions(
    State(d): Shared,
    body: Result<Json<PageRequest<HeaderIn>>, JsonRejection>,
) -> Response {
    let request = match checked(&d, body) {
        Ok(r) => r,
        Err(refused) => return refused.into_response(),
    };
    let all: Vec<SubscriptionRecord> = {
        let state = d.shared.lock_state();
        let customers = &state.dicker_data.customers;
        state
            .dicker_data
            .licences
            .iter()
            .map(|l| {
                let found = customers.iter().position(|c| c.id == l.customer);
                let usage = rules::is_usage_stock_code(&l.stock_code);
                let amount = |v: Option<f64>| v.map(|v| Figure::Text(format!("{v:.2}")));
                SubscriptionRecord {
                    customer_id: found.map(customer_number),
                    customer_name: found.map(|i| customers[i].name.clone()),
                    tenant_id: Some(l.customer.clone()),
                    subscription_id: Some(l.subscription.clone()),
                    stock_code: Some(l.stock_code.to_string()),
                    description: Some(l.description.clone()),
                    quantity: Some(Figure::Number(f64::from(l.quantity))),
                    status: Some(
                        if l.status == LicenceStatus::Active { "Active" } else { "Suspended" }.into(),
                    ),
                    charge_type: Some(if usage { "Azure" } else { "NCE" }.into()),
                    term_start: None,
                    term_end: None,
                    revaluation_date: l.term_end.map(|d| d.to_string()),
                    unit_price: amount(l.unit_price),
                    unit_rrp: amount(l.unit_rrp),
                }
            })
            .collect()
    };
    page(&all, &request)
}

/// The documented pricing item for a code the state prices.
fn priced(d: &Dialect, code: &str) -> Option<serde_json::Value> {
    let wanted: StockCode = code.parse().ok()?;
    let state = d.shared.lock_state();
    let licence =
        state.dicker_data.licences.iter().find(|l| l.stock_code == wanted && l.unit_price.is_some())?;
    let text = |v: Option<f64>| v.map(|v| format!("{v:.2}"));
    Some(json!({
        "PartNumber": code,
        "Description": licence.description,
        "UnitPrice": text(licence.unit_price),
        "RRPExTax": text(licence.unit_rrp),
        "SOH": "9999",
        "BillingFreq": wanted.billing.to_string(),
    }))
}

async fn pricing(State(d): Shared, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    if uuid::Uuid::parse_str(one("pricingRequest.messageID")).is_err() {
        return failed(StatusCode::BAD_REQUEST, "pricingRequest.messageID must be a GUID");
    }
    if let Err(refused) = authorise(&d, one("pricingRequest.token"), one("pricingRequest.accessKey")) {
        return refused.into_response();
    }
    let results: Vec<serde_json::Value> = pairs
        .iter()
        .filter(|(k, _)| k == "pricingRequest.products")
        .filter_map(|(_, code)| priced(&d, code))
        .collect();
    Json(json!({ "Status": "Success", "ErrorDescription": "", "SearchResult": results })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPriceIn {
    request_header: HeaderIn,
    #[serde(default)]
    products: Vec<PartIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartIn {
    part_number: String,
}

async fn get_price(State(d): Shared, body: Result<Json<GetPriceIn>, JsonRejection>) -> Response {
    let Json(request) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e).into_response(),
    };
    if let Err(refused) = authorise(&d, &request.request_header.token, &request.request_header.access_key) {
        return refused.into_response();
    }
    let results: Vec<serde_json::Value> =
        request.products.iter().filter_map(|p| priced(&d, &p.part_number)).collect();
    Json(json!({ "Status": "Success", "ErrorDescription": "", "SearchResult": results })).into_response()
}

async fn get_policy(State(d): Shared) -> Json<KeyPolicy> {
    Json(lock(&d.policy).clone())
}

async fn put_policy(State(d): Shared, Json(policy): Json<KeyPolicy>) -> Json<KeyPolicy> {
    if policy.expire_issued {
        for issued in lock(&d.keys).values_mut() {
            issued.uses_left = Some(0);
        }
    }
    let kept = KeyPolicy { expire_issued: false, ..policy };
    *lock(&d.policy) = kept.clone();
    Json(kept)
}
