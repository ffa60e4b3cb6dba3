//! The Autotask transport: base URL (configured or found by zone lookup), credential headers
//! sent only to that origin, at most N requests in flight per endpoint, retries through
//! [`crate::live::http::send`], `{"errors":[...]}` bodies turned into messages that name the
//! request, and `POST /{Entity}/query` with `nextPageUrl` paging.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Mutex as AsyncMutex, OnceCell, Semaphore};
use url::Url;

use super::AutotaskOptions;
use super::budget::{self, Threshold};
use super::credentials::AutotaskCredentials;
use super::wire;
use crate::live::http::{self, Idempotency, Reply};
use crate::live::{LiveError, RequestLabel};
use crate::model::Calendar;

/// Autotask's advertised zone lookup root.
pub const DEFAULT_ZONE_URL: &str = "https://webservices2.autotask.net/atservicesrest/";

/// Autotask's page size limit (`MaxRecords` 1..=500), also the largest `in` list cspctl sends.
pub const PAGE_SIZE: usize = 500;

/// Autotask allows three concurrent requests per endpoint and integration.
pub const MAX_PER_ENDPOINT: usize = 3;

/// A connection to one Autotask zone.
pub struct Api {
    http: reqwest::Client,
    options: AutotaskOptions,
    credentials: AutotaskCredentials,
    /// The API root: configured, or found by zone lookup (and found again once after a 401,
    /// since a 401 can mean the tenant's zone moved).
    root: AsyncMutex<Option<Url>>,
    relooked: AtomicBool,
    /// The root a zone move left behind, so requests still addressed to it follow the move.
    left: Mutex<Option<Url>>,
    gates: Mutex<HashMap<&'static str, Arc<Semaphore>>>,
    requests: AtomicU64,
    threshold: OnceCell<Option<Threshold>>,
    warned: AtomicBool,
}

/// Turns a configured zone URL into the API root ending in `V1.0/`.
pub fn api_root(base: &str) -> Result<Url, LiveError> {
    let bad = |why: &str| LiveError::Config(format!("Autotask base URL `{base}` {why}"));
    let mut url = Url::parse(base.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("must be an http(s)://host[:port]/ATServicesRest/ URL"));
    }
    url.set_query(None);
    url.set_fragment(None);
    let mut path = url.path().trim_end_matches('/').to_string();
    if path.is_empty() {
        path.push_str("/ATServicesRest");
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if !last.eq_ignore_ascii_case("v1.0") {
        path.push_str("/V1.0");
    }
    path.push('/');
    url.set_path(&path);
    Ok(url)
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether an error leaves it unknown if a write took effect (so the caller re-reads).
pub fn unclear(e: &LiveError) -> bool {
    match e {
        LiveError::Transport { .. } | LiveError::Malformed { .. } => true,
        LiveError::Vendor { status, .. } => matches!(status, 429 | 502..=504),
        _ => false,
    }
}

/// The message of an Autotask error body: `{"errors":["..."]}`, `{"errors":[{"message":..}]}`
/// or ASP.NET's `{"Message":".."}`.
fn messages(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(list) = body.get("errors").and_then(Value::as_array) {
        for e in list {
            match e {
                Value::String(s) => out.push(s.clone()),
                Value::Object(o) => {
                    let text = o.get("message").and_then(Value::as_str).unwrap_or("(no message)");
                    match o.get("field").and_then(Value::as_str) {
                        Some(f) => out.push(format!("{f}: {text}")),
                        None => out.push(text.to_string()),
                    }
                }
                other => out.push(other.to_string()),
            }
        }
    }
    if let Some(m) = body.get("Message").or(body.get("message")).and_then(Value::as_str) {
        out.push(m.to_string());
    }
    out
}

fn failure(label: &RequestLabel, reply: &Reply) -> LiveError {
    let parsed: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let list = parsed.as_ref().map(messages).unwrap_or_default();
    let message = if list.is_empty() {
        html_title(reply).unwrap_or_else(|| reply.text_excerpt())
    } else {
        list.join("; ")
    };
    let message = if message.is_empty() {
        reply.status.canonical_reason().unwrap_or("no message").to_string()
    } else {
        message
    };
    let status = reply.status.as_u16();
    if matches!(status, 401 | 403) {
        LiveError::Auth { request: label.clone(), status, message }
    } else if is_permission(&message) {
        LiveError::Permission { request: label.clone(), status, message }
    } else {
        LiveError::Vendor { request: label.clone(), status, message }
    }
}

/// Autotask refuses what the API user's security level forbids with a 500 (not a 403).
fn is_permission(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("adequate permission") || m.contains("not have permission")
}

/// Autotask's thread-limit breach, `Itgenatr005` "Thread Threshold Exceeded", which can come
/// with a status other than 429. Refused before any work, so safe to send again.
fn thread_limited(reply: &Reply) -> bool {
    if reply.status.is_success() {
        return false;
    }
    let text = String::from_utf8_lossy(&reply.body).to_ascii_lowercase();
    text.contains("itgenatr005") || text.contains("thread threshold")
}

/// The `<title>` of an HTML error page (IIS answers unknown routes with one), so the message
/// reads "404 - File or directory not found." rather than markup.
fn html_title(reply: &Reply) -> Option<String> {
    let text = String::from_utf8_lossy(&reply.body);
    let lower = text.to_ascii_lowercase();
    if !lower.trim_start().starts_with('<') {
        return None;
    }
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(text[start..end].split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty())
}

impl Api {
    /// A connection; nothing is sent until the first call.
    pub fn new(options: AutotaskOptions, credentials: AutotaskCredentials) -> Result<Self, LiveError> {
        let http = http::client(options.timeout)?;
        let root = options.base_url.as_deref().map(api_root).transpose()?;
        if let Some(zone) = &options.zone_url {
            Url::parse(zone).map_err(|e| LiveError::Config(format!("Autotask zone URL `{zone}`: {e}")))?;
        }
        Ok(Api {
            http,
            options,
            credentials,
            root: AsyncMutex::new(root),
            relooked: AtomicBool::new(false),
            left: Mutex::new(None),
            gates: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            threshold: OnceCell::new(),
            warned: AtomicBool::new(false),
        })
    }

    /// The tenant's calendar, for reading and writing dates.
    pub fn calendar(&self) -> &Calendar {
        &self.options.calendar
    }

    /// Requests sent so far (every attempt counts), for budgeting and tests.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The API root (`…/ATServicesRest/V1.0/`), looked up once per run when not configured.
    pub async fn root(&self) -> Result<Url, LiveError> {
        let mut root = self.root.lock().await;
        if let Some(r) = root.as_ref() {
            return Ok(r.clone());
        }
        let found = self.discover_zone().await?;
        *root = Some(found.clone());
        Ok(found)
    }

    /// Where `url` lives after it answered 401: a 401 can mean the tenant's zone moved, so the
    /// zone is looked up again, once per run. `None` when nothing moved (a configured base
    /// URL, the same zone, or the one lookup already spent): the 401 stands.
    async fn moved(&self, url: &Url) -> Result<Option<Url>, LiveError> {
        if self.options.base_url.is_some() {
            return Ok(None);
        }
        let mut root = self.root.lock().await;
        let Some(current) = root.clone() else { return Ok(None) };
        let rest = |from: &Url| {
            let (u, f) = (url.as_str(), from.as_str());
            u.get(..f.len()).filter(|p| p.eq_ignore_ascii_case(f)).map(|_| u[f.len()..].to_string())
        };
        let Some(tail) = rest(&current) else {
            // Another request already followed the move: follow it too.
            let left = self.left.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Ok(left.as_ref().and_then(rest).and_then(|tail| current.join(&tail).ok()));
        };
        if self.relooked.swap(true, Ordering::SeqCst) {
            return Ok(None);
        }
        let fresh = self.discover_zone().await?;
        if fresh == current {
            return Ok(None);
        }
        tracing::info!(zone = %fresh, "Autotask zone moved; following it");
        *self.left.lock().unwrap_or_else(|p| p.into_inner()) = Some(current);
        *root = Some(fresh.clone());
        fresh.join(&tail).map(Some).map_err(|e| LiveError::Config(format!("Autotask URL: {e}")))
    }

    /// `GET {zone}/v1.0/zoneInformation?user=…`, sent without credentials.
    async fn discover_zone(&self) -> Result<Url, LiveError> {
        let zone = self.options.zone_url.as_deref().unwrap_or(DEFAULT_ZONE_URL);
        let mut url =
            Url::parse(zone).map_err(|e| LiveError::Config(format!("Autotask zone URL `{zone}`: {e}")))?;
        let path = format!("{}/v1.0/zoneInformation", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut().clear().append_pair("user", self.credentials.username.expose());
        let label = RequestLabel::new("GET", url.path());
        let build = || {
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.http.get(url.clone())
        };
        // An unreadable answer is asked for again, as for a 5xx: the lookup is a read.
        let found = http::read(&label, &self.options.retry, build, |reply| {
            if !reply.status.is_success() {
                return Err(failure(&label, reply));
            }
            let body: Value = reply.json(&label)?;
            let found = body.get("url").or(body.get("Url")).and_then(Value::as_str).ok_or_else(|| {
                LiveError::Malformed {
                    request: label.clone(),
                    detail: "no `url` in the zone answer; is the user name right?".into(),
                }
            })?;
            let zone_name = body.get("zoneName").and_then(Value::as_str).unwrap_or("?");
            tracing::debug!(zone = zone_name, "Autotask zone found");
            Ok(found.to_string())
        })
        .await?;
        api_root(&found)
    }

    /// Requests this client keeps in flight on one endpoint.
    pub fn per_endpoint(&self) -> usize {
        self.options.concurrency.clamp(1, MAX_PER_ENDPOINT)
    }

    fn gate(&self, endpoint: &'static str) -> Arc<Semaphore> {
        let permits = self.per_endpoint();
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates.entry(endpoint).or_insert_with(|| Arc::new(Semaphore::new(permits))).clone()
    }

    fn build(&self, method: &Method, url: &Url, body: Option<&Value>) -> reqwest::RequestBuilder {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let c = &self.credentials;
        let mut b = self
            .http
            .request(method.clone(), url.clone())
            .header("ApiIntegrationCode", c.integration_code.expose())
            .header("UserName", c.username.expose())
            .header("Secret", c.secret.expose())
            .header("Accept", "application/json");
        if let Some(id) = &c.impersonation_resource_id {
            b = b.header("ImpersonationResourceId", id.expose());
        }
        if let Some(body) = body {
            b = b.json(body);
        }
        b
    }

    /// One call to `endpoint` (the entity whose thread limit it counts against). Credentials
    /// go only to the configured origin; a JSON body that does not parse is read again when
    /// the call is safe to repeat.
    pub async fn call(
        &self,
        endpoint: &'static str,
        method: Method,
        url: Url,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> Result<Value, LiveError> {
        let root = self.root().await?;
        let mut url = url;
        let label = RequestLabel::new(method.as_str(), url.path());
        if origin(&url) != origin(&root) {
            return Err(LiveError::Config(format!(
                "{label}: Autotask pointed to {}, which is not the configured API origin {}; cspctl sends \
                 credentials only to the configured origin",
                origin(&url),
                origin(&root)
            )));
        }
        let gate = self.gate(endpoint);
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The slot is held while Autotask has the request, not while its answer is parsed
            // or a back-off waits: the thread limit counts requests the server is working on.
            let permit = gate.acquire().await.map_err(|_| LiveError::Transport {
                request: label.clone(),
                message: "the request gate closed".into(),
            })?;
            let reply =
                http::send(&label, &self.options.retry, idempotency, || self.build(&method, &url, body))
                    .await?;
            drop(permit);
            self.after_request();
            if thread_limited(&reply) && attempt < self.options.retry.max_attempts {
                tracing::debug!(request = %label, status = %reply.status, attempt, "thread limit (Itgenatr005); backing off");
                http::sleep_backoff(&self.options.retry, attempt, None).await;
                continue;
            }
            if reply.status == reqwest::StatusCode::UNAUTHORIZED
                && let Some(moved) = self.moved(&url).await?
            {
                url = moved;
                continue;
            }
            if !reply.status.is_success() {
                return Err(failure(&label, &reply));
            }
            match serde_json::from_slice::<Value>(&reply.body) {
                Ok(value) => {
                    let errors = messages(&value);
                    let has_result =
                        ["items", "item", "itemId", "queryCount"].iter().any(|k| value.get(k).is_some());
                    if !errors.is_empty() && !has_result {
                        return Err(LiveError::Vendor {
                            request: label,
                            status: reply.status.as_u16(),
                            message: errors.join("; "),
                        });
                    }
                    return Ok(value);
                }
                Err(e) if idempotency == Idempotency::Retry && attempt < self.options.retry.max_attempts => {
                    tracing::debug!(request = %label, error = %e, "unreadable JSON; asking again");
                }
                Err(e) => return Err(LiveError::Malformed { request: label, detail: e.to_string() }),
            }
        }
    }

    /// `POST /{entity}/query` with `body`, following every `nextPageUrl` (same method and body).
    pub async fn query(&self, entity: &'static str, body: &Value) -> Result<Vec<Value>, LiveError> {
        self.query_rows(entity, body).await
    }

    /// As [`Api::query`], each page decoded into `T` as it arrives, so only the rows (not every
    /// page's JSON) are held. `pageDetails.count` is a page's count, not a total: the walk ends
    /// when there is no `nextPageUrl`.
    pub async fn query_rows<T: DeserializeOwned>(
        &self,
        entity: &'static str,
        body: &Value,
    ) -> Result<Vec<T>, LiveError> {
        let root = self.root().await?;
        let mut url = root
            .join(&format!("{entity}/query"))
            .map_err(|e| LiveError::Config(format!("Autotask URL for {entity}: {e}")))?;
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let label = RequestLabel::new("POST", url.path());
            let mut page = self.call(entity, Method::POST, url, Some(body), Idempotency::Retry).await?;
            match page.get_mut("items").map(Value::take) {
                Some(Value::Array(list)) => {
                    for item in list {
                        items.push(
                            wire::decode(item, self.calendar())
                                .map_err(|detail| LiveError::Malformed { request: label.clone(), detail })?,
                        );
                    }
                }
                _ => return Err(LiveError::Malformed { request: label, detail: "no `items` list".into() }),
            }
            let next =
                page.pointer("/pageDetails/nextPageUrl").and_then(Value::as_str).filter(|s| !s.is_empty());
            let Some(next) = next else { break };
            if !seen.insert(next.to_string()) {
                return Err(LiveError::Malformed {
                    request: label,
                    detail: "nextPageUrl repeats a page".into(),
                });
            }
            url = Url::parse(next)
                .map_err(|e| LiveError::Malformed { request: label, detail: format!("nextPageUrl: {e}") })?;
        }
        Ok(items)
    }

    /// A URL under the API root, e.g. `Contracts/12/Services`.
    pub async fn url(&self, path: &str) -> Result<Url, LiveError> {
        self.root().await?.join(path).map_err(|e| LiveError::Config(format!("Autotask URL {path}: {e}")))
    }

    /// `GET /ThresholdInformation`, once per run; `None` when Autotask would not say.
    pub async fn threshold(&self) -> Result<Option<Threshold>, LiveError> {
        let read = || async {
            let url = self.url("ThresholdInformation").await?;
            match self.call("ThresholdInformation", Method::GET, url.clone(), None, Idempotency::Retry).await
            {
                Ok(v) => Ok(serde_json::from_value::<Threshold>(v).ok()),
                Err(e @ LiveError::Auth { .. }) => Err(e),
                Err(e) => {
                    tracing::debug!(error = %e, "Autotask threshold information unavailable");
                    Ok(None)
                }
            }
        };
        self.threshold.get_or_try_init(read).await.copied()
    }

    /// Warns once when `estimate` more requests would use a large share of the hourly budget.
    pub async fn expect_requests(&self, estimate: u64) -> Result<(), LiveError> {
        if let Some(t) = self.threshold().await?
            && let Some(w) = budget::warning(&t, estimate)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("{w}");
        }
        Ok(())
    }

    fn after_request(&self) {
        let Some(Some(t)) = self.threshold.get() else { return };
        let used = self.requests();
        if let Some(w) = budget::warning(t, used)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("{w}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply::canned(status, body)
    }

    #[test]
    fn error_bodies_of_every_shape_give_a_message() {
        let label = RequestLabel::new("PATCH", "/ATServicesRest/V1.0/ContractServices");
        let html = "<!DOCTYPE html>\r\n<html><head><title>404 - File or directory\r\n not found.</title></head><body>…</body></html>";
        let e = failure(&label, &reply(404, html));
        assert_eq!(
            e.to_string(),
            "PATCH /ATServicesRest/V1.0/ContractServices failed with HTTP 404: 404 - File or directory not found."
        );
        let denied = r#"{"errors":["The logged in Resource does not have the adequate permissions to create this entity type."]}"#;
        assert!(matches!(failure(&label, &reply(500, denied)), LiveError::Permission { status: 500, .. }));
        let rule = r#"{"errors":["ContractServiceAdjustment effectiveDate must be between the start date and end date"]}"#;
        assert!(matches!(failure(&label, &reply(500, rule)), LiveError::Vendor { status: 500, .. }));
        assert!(thread_limited(&reply(500, r#"{"errors":["Itgenatr005: Thread Threshold Exceeded"]}"#)));
        assert!(!thread_limited(&reply(200, r#"{"items":[],"note":"Itgenatr005"}"#)));
        assert_eq!(
            failure(&label, &reply(502, "")).to_string(),
            "PATCH /ATServicesRest/V1.0/ContractServices failed with HTTP 502: Bad Gateway"
        );
    }
}
