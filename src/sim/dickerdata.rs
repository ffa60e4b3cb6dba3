//! The Dicker Data dialect of the simulator, speaking the cloud-subscriptions surface as its
//! public client uses it, and refusing what that client would not send:
//!
//! - `POST /AccessKeyRequest` with `{AccessToken, TransactionID}` (a GUID; `AccountCode`
//!   optional, checked when present) gives an AccessKey (`Status: "GRANTED"`) that expires;
//! - `POST /Subscriptions/GetTenant` and `POST /Subscriptions/GetSubscriptionDetails` need
//!   `Authorization: Bearer <live key>` (else 401), `DD-ApiVersion: 1.0` and a
//!   `DD-TransactionID` GUID never used before (else 400), and a `{"In": {...}}` body; the
//!   subscription call also needs `In.SubscriptionType` (`CSP`, `ADY` or `ADM`). Answers are
//!   `{"Out": [...]}` built from the sandbox state's `dicker_data` side, with the spellings a
//!   client must tolerate: quantities alternately numbers and text, ids as text;
//! - `GET|PUT /_sandbox/dicker_data/keys`: the key policy (lifetime in seconds and, to force an
//!   expiry at an exact point of a run, in uses), so tests can make keys expire mid-run. Like
//!   every dialect route it passes the fault layer and is counted in `/_sandbox/stats`: set it
//!   before turning faults on, then reset the stats.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;

use super::SimShared;
use crate::live::dickerdata::api::subscriptions::{Filter, Scalar, SubscriptionRecord, TenantRecord};
use crate::live::dickerdata::api::{
    ACCESS_KEY_PATH, API_VERSION, GET_SUBSCRIPTION_DETAILS_PATH, GET_TENANT_PATH,
};
use crate::model::LicenceStatus;

/// Where tests read and set the key policy.
pub const KEYS_CONTROL_PATH: &str = "/_sandbox/dicker_data/keys";

/// The subscription programmes the API knows.
const SUBSCRIPTION_TYPES: [&str; 3] = ["CSP", "ADY", "ADM"];

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
    transactions: Mutex<HashSet<String>>,
}

type Shared = State<Arc<Dialect>>;

/// Routes of this dialect.
pub fn routes(shared: Arc<SimShared>) -> Router {
    let dialect = Arc::new(Dialect {
        shared,
        policy: Mutex::new(KeyPolicy::default()),
        keys: Mutex::new(HashMap::new()),
        transactions: Mutex::new(HashSet::new()),
    });
    Router::new()
        .route(&format!("/{ACCESS_KEY_PATH}"), post(access_key))
        .route(&format!("/{GET_TENANT_PATH}"), post(get_tenant))
        .route(&format!("/{GET_SUBSCRIPTION_DETAILS_PATH}"), post(get_subscription_details))
        .route(KEYS_CONTROL_PATH, get(get_policy).put(put_policy))
        .with_state(dialect)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A refused call: its status and a `{Status, Message}` body.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "Status": "Failed", "Message": self.1 }))).into_response()
    }
}

fn bad_json(e: JsonRejection) -> Refused {
    Refused(StatusCode::BAD_REQUEST, format!("The request is invalid: {}", e.body_text()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct KeyRequest {
    #[serde(rename = "TransactionID")]
    transaction_id: String,
    access_token: String,
    #[serde(default)]
    account_code: Option<String>,
}

async fn access_key(State(d): Shared, body: Result<Json<KeyRequest>, JsonRejection>) -> Response {
    let Json(request) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e).into_response(),
    };
    if uuid::Uuid::parse_str(&request.transaction_id).is_err() {
        return Refused(StatusCode::BAD_REQUEST, "TransactionID must be a GUID".into()).into_response();
    }
    let [account, token] = &d.shared.credentials.dicker_data;
    if &request.access_token != token || request.account_code.as_ref().is_some_and(|a| a != account) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "Status": "DENIED", "Message": "Invalid AccessToken" })),
        )
            .into_response();
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
        "Status": "GRANTED",
        "Message": "",
    }))
    .into_response()
}

/// Accepts a call with a live Bearer key, the API version and a fresh transaction id; spends
/// one use of the key.
fn authorise(d: &Dialect, headers: &HeaderMap) -> Result<(), Refused> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    let refuse = || Refused(StatusCode::UNAUTHORIZED, "AccessKey is invalid or expired".into());
    let key = header("authorization").strip_prefix("Bearer ").ok_or_else(refuse)?;
    {
        let mut keys = lock(&d.keys);
        let Some(issued) = keys.get_mut(key) else { return Err(refuse()) };
        if Instant::now() >= issued.expires || issued.uses_left == Some(0) {
            return Err(refuse());
        }
        if let Some(left) = issued.uses_left.as_mut() {
            *left -= 1;
        }
    }
    if header("dd-apiversion") != API_VERSION {
        return Err(Refused(StatusCode::BAD_REQUEST, format!("DD-ApiVersion must be {API_VERSION}")));
    }
    let transaction = header("dd-transactionid");
    if uuid::Uuid::parse_str(transaction).is_err() {
        return Err(Refused(StatusCode::BAD_REQUEST, "DD-TransactionID must be a GUID".into()));
    }
    if !lock(&d.transactions).insert(transaction.to_ascii_lowercase()) {
        return Err(Refused(StatusCode::BAD_REQUEST, "DD-TransactionID was already used".into()));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "In")]
    input: Filter,
}

fn checked(
    d: &Dialect,
    headers: &HeaderMap,
    body: Result<Json<Envelope>, JsonRejection>,
) -> Result<Filter, Refused> {
    authorise(d, headers)?;
    let Json(envelope) = body.map_err(bad_json)?;
    Ok(envelope.input)
}

fn matches(filter: &Option<String>, value: &str) -> bool {
    filter.as_deref().is_none_or(|f| f.eq_ignore_ascii_case(value))
}

async fn get_tenant(
    State(d): Shared,
    headers: HeaderMap,
    body: Result<Json<Envelope>, JsonRejection>,
) -> Response {
    let filter = match checked(&d, &headers, body) {
        Ok(f) => f,
        Err(refused) => return refused.into_response(),
    };
    if filter.subscription_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("CSP")) {
        return Json(json!({ "Out": [] })).into_response();
    }
    let account = d.shared.credentials.dicker_data[0].clone();
    let out: Vec<TenantRecord> = d
        .shared
        .lock_state()
        .dicker_data
        .customers
        .iter()
        .filter(|c| matches(&filter.tenant_id, &c.id))
        .map(|c| TenantRecord {
            tenant_id: Some(Scalar::Text(c.id.clone())),
            company_name: Some(c.name.clone()),
            tenant_description: Some(format!("{} ({account})", c.name)),
        })
        .collect();
    Json(json!({ "Out": out })).into_response()
}

async fn get_subscription_details(
    State(d): Shared,
    headers: HeaderMap,
    body: Result<Json<Envelope>, JsonRejection>,
) -> Response {
    let filter = match checked(&d, &headers, body) {
        Ok(f) => f,
        Err(refused) => return refused.into_response(),
    };
    let Some(kind) = filter.subscription_type.as_deref().filter(|t| SUBSCRIPTION_TYPES.contains(t)) else {
        return Refused(StatusCode::BAD_REQUEST, "In.SubscriptionType must be CSP, ADY or ADM".into())
            .into_response();
    };
    if kind != "CSP" {
        return Json(json!({ "Out": [] })).into_response();
    }
    let account = d.shared.credentials.dicker_data[0].clone();
    let out: Vec<SubscriptionRecord> = {
        let state = d.shared.lock_state();
        let names: HashMap<&str, &str> =
            state.dicker_data.customers.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
        state
            .dicker_data
            .licences
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                matches(&filter.tenant_id, &l.customer)
                    && matches(&filter.subscription_id, &l.subscription)
                    && matches(&filter.stock_code, &l.stock_code.to_string())
            })
            .map(|(i, l)| {
                let name = names.get(l.customer.as_str()).map(|n| n.to_string());
                let quantity = if i % 2 == 0 {
                    Scalar::Number(l.quantity.into())
                } else {
                    Scalar::Text(format!("{}.00", l.quantity))
                };
                SubscriptionRecord {
                    account_code: Some(Scalar::Text(account.clone())),
                    tenant_id: Some(Scalar::Text(l.customer.clone())),
                    subscription_reference: Some(l.description.chars().take(30).collect()),
                    company_name: name.clone(),
                    tenant_description: name,
                    stock_code: Some(format!("MS-{:06}", i + 1)),
                    manufacturer_stock_code: Some(l.stock_code.to_string()),
                    parent_subscription_id: None,
                    subscription_id: Some(Scalar::Text(l.subscription.clone())),
                    status: Some(
                        if l.status == LicenceStatus::Active { "ACTIVE" } else { "SUSPENDED" }.into(),
                    ),
                    billing_frequency: Some(Scalar::Text(l.stock_code.billing.to_string())),
                    last_billing_date: None,
                    next_billing_date: l.next_billing.map(|d| format!("{d}T00:00:00")),
                    confirmed_quantity: Some(quantity),
                    serials: None,
                    expiry_date: l.term_end.map(|d| format!("{d}T00:00:00")),
                    stock_description: Some(l.description.clone()),
                }
            })
            .collect()
    };
    // Serialised straight from the records: no JSON tree of every subscription.
    Json(std::collections::BTreeMap::from([("Out", out)])).into_response()
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
