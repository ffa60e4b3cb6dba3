//! Dicker Data's cloud-subscriptions API as a licence source.
//!
//! Dicker Data has not published this surface; cspctl speaks it as its one public production
//! client does (see README, "Dicker Data API"): an AccessKey exchange ([`access_key`]), then
//! `POST` calls with `Authorization: Bearer <AccessKey>`, a fresh `DD-TransactionID` per
//! request and `DD-ApiVersion: 1.0`, each body a `{"In": {...}}` envelope and each answer an
//! `{"Out": [...]}` list ([`subscriptions`]). What that client does not show (paging, date
//! formats, whether quantities are numbers or text, error bodies) is read defensively.

mod access_key;
mod credentials;
pub mod subscriptions;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

pub use access_key::ACCESS_KEY_PATH;
pub use credentials::DickerDataCredentials;
pub use subscriptions::{GET_SUBSCRIPTION_DETAILS_PATH, GET_TENANT_PATH};

use crate::live::http::{self, Reply, RetryPolicy};
use crate::live::{Distributor, LiveError, RequestLabel};
use crate::model::DistributorSnapshot;
use access_key::{Key, KeyCache};

/// Dicker Data's cloud-subscriptions API root.
pub const DEFAULT_BASE_URL: &str = "https://api.dickerdata.com.au/";

/// The `DD-ApiVersion` every call sends.
pub const API_VERSION: &str = "1.0";

/// What every call needs: where, with what, how hard to retry.
pub(super) struct Connection {
    base: String,
    http: reqwest::Client,
    credentials: DickerDataCredentials,
    retry: RetryPolicy,
}

impl Connection {
    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}

/// A client of the Dicker Data subscriptions API; one AccessKey is shared by all its calls.
pub struct DickerDataApi {
    conn: Connection,
    keys: KeyCache,
}

impl std::fmt::Debug for DickerDataApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DickerDataApi")
            .field("base", &self.conn.base)
            .field("credentials", &self.conn.credentials)
            .finish_non_exhaustive()
    }
}

/// The request envelope every call sends.
#[derive(Debug, Serialize)]
struct Envelope<'a, T> {
    #[serde(rename = "In")]
    input: &'a T,
}

impl DickerDataApi {
    /// A client for `base_url` (default [`DEFAULT_BASE_URL`]; `http://127.0.0.1:PORT` for the
    /// simulator). No request is made until the first read.
    pub fn new(base_url: Option<&str>, credentials: DickerDataCredentials) -> Result<Self, LiveError> {
        let base = base_url.unwrap_or(DEFAULT_BASE_URL).trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base)
            .map_err(|e| LiveError::Config(format!("dicker_data api base_url `{base}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(LiveError::Config(format!(
                "dicker_data api base_url `{base}` should be an http(s) URL without a query"
            )));
        }
        Ok(DickerDataApi {
            conn: Connection {
                base,
                http: http::client(Duration::from_secs(60))?,
                credentials,
                retry: RetryPolicy::default(),
            },
            keys: KeyCache::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.conn.retry = retry;
        self
    }

    /// Replaces the per-request timeout (default 60 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, LiveError> {
        self.conn.http = http::client(timeout)?;
        Ok(self)
    }

    /// `POST {base}{path}` with `{"In": input}`, decoded by `decode` from the 2xx answer. Every
    /// attempt gets a new `DD-TransactionID`; a 2xx answer that does not decode is asked for
    /// again (the calls only read). A call refused with 401/403, or a body complaining about
    /// the AccessKey, gets one new key and one more try.
    pub(super) async fn call<I: Serialize, T>(
        &self,
        path: &str,
        input: &I,
        decode: impl Fn(&RequestLabel, &Reply) -> Result<T, LiveError>,
    ) -> Result<T, LiveError> {
        let label = RequestLabel::new("POST", format!("/{}", path.trim_start_matches('/')));
        let key = self.keys.get(&self.conn).await?;
        match self.send_with(&label, path, input, &key, &decode).await {
            Err(CallError::Refused) => {
                tracing::info!(request = %label, "AccessKey refused; renewing it once");
                let key = self.keys.renew(&self.conn, &key).await?;
                self.send_with(&label, path, input, &key, &decode)
                    .await
                    .map_err(|e| e.into_error(self, &label))
            }
            other => other.map_err(|e| e.into_error(self, &label)),
        }
    }

    async fn send_with<I: Serialize, T>(
        &self,
        label: &RequestLabel,
        path: &str,
        input: &I,
        key: &Key,
        decode: &impl Fn(&RequestLabel, &Reply) -> Result<T, LiveError>,
    ) -> Result<T, CallError> {
        let url = self.conn.url(path);
        let body = Envelope { input };
        let build = || {
            self.conn
                .http
                .post(&url)
                .bearer_auth(key.value.expose())
                .header("DD-TransactionID", uuid::Uuid::new_v4().to_string())
                .header("DD-ApiVersion", API_VERSION)
                .header("Accept", "application/json")
                .json(&body)
        };
        let outcome = http::read(label, &self.conn.retry, build, |reply| {
            if refused(reply) {
                // Surfaced to `call` as a refusal, not retried here.
                return Err(LiveError::Auth {
                    request: label.clone(),
                    status: reply.status.as_u16(),
                    message: self.conn.credentials.redact(&vendor_message(reply)),
                });
            }
            if !reply.status.is_success() {
                return Err(LiveError::Vendor {
                    request: label.clone(),
                    status: reply.status.as_u16(),
                    message: self.conn.credentials.redact(&vendor_message(reply)),
                });
            }
            decode(label, reply)
        })
        .await;
        match outcome {
            Err(LiveError::Auth { .. }) => Err(CallError::Refused),
            other => other.map_err(CallError::Failed),
        }
    }
}

/// How one attempt with one key ended, when it did not succeed.
enum CallError {
    /// The key was refused: renew it and try once more.
    Refused,
    /// Anything else.
    Failed(LiveError),
}

impl CallError {
    fn into_error(self, api: &DickerDataApi, label: &RequestLabel) -> LiveError {
        match self {
            CallError::Failed(e) => e,
            CallError::Refused => LiveError::Auth {
                request: label.clone(),
                status: 401,
                message: api.conn.credentials.redact(
                    "the AccessKey was refused again right after it was renewed; check the access token",
                ),
            },
        }
    }
}

/// Whether Dicker Data refused the AccessKey: 401/403, or a body whose status or message says
/// the key is invalid or expired.
fn refused(reply: &Reply) -> bool {
    if matches!(reply.status.as_u16(), 401 | 403) {
        return true;
    }
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
        return false;
    };
    let said: String = ["Status", "Message", "ErrorDescription", "message"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (said.contains("accesskey") || said.contains("access key"))
        && (said.contains("expired") || said.contains("invalid") || said.contains("fail"))
}

/// The vendor's own words: `Message`, `ErrorDescription` or `message` (error bodies are not
/// documented), else the body's first characters.
fn vendor_message(reply: &Reply) -> String {
    serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| {
            ["Message", "ErrorDescription", "message", "ErrorMessage", "title"].iter().find_map(|k| {
                v.get(*k).and_then(|m| m.as_str()).filter(|m| !m.trim().is_empty()).map(str::to_string)
            })
        })
        .unwrap_or_else(|| match reply.text_excerpt() {
            t if t.is_empty() => reply.status.canonical_reason().unwrap_or("no body").to_string(),
            t => t,
        })
}

#[async_trait]
impl Distributor for DickerDataApi {
    fn name(&self) -> &str {
        "dicker_data api"
    }

    async fn snapshot(&self) -> Result<DistributorSnapshot, LiveError> {
        subscriptions::snapshot(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply::canned(status, body)
    }

    #[test]
    fn a_refused_key_is_recognised_by_status_or_by_body() {
        assert!(refused(&reply(401, "")));
        assert!(refused(&reply(403, "<html>Forbidden</html>")));
        assert!(refused(&reply(200, r#"{"Status":"Failed","Message":"AccessKey has expired"}"#)));
        assert!(refused(&reply(200, r#"{"Status":"Error","ErrorDescription":"Invalid access key"}"#)));
        assert!(!refused(&reply(200, r#"{"Out":[]}"#)));
        assert!(!refused(&reply(200, r#"{"Status":"Failed","Message":"SubscriptionType is required"}"#)));
        assert!(!refused(&reply(500, "AccessKey service invalid")));
    }

    #[test]
    fn vendor_messages_prefer_the_message_field() {
        assert_eq!(vendor_message(&reply(400, r#"{"Status":"Failed","Message":"Bad In"}"#)), "Bad In");
        assert_eq!(vendor_message(&reply(502, "<html>Bad Gateway</html>")), "<html>Bad Gateway</html>");
        assert_eq!(vendor_message(&reply(503, "")), "Service Unavailable");
    }

    #[test]
    fn base_urls_are_checked() {
        let creds = || DickerDataCredentials::new("t", None);
        assert!(DickerDataApi::new(Some("ftp://x"), creds()).is_err());
        assert!(DickerDataApi::new(Some("not a url"), creds()).is_err());
        assert!(DickerDataApi::new(Some("http://127.0.0.1:1/?k=v"), creds()).is_err());
        let api = DickerDataApi::new(None, creds()).unwrap();
        assert_eq!(api.conn.url(ACCESS_KEY_PATH), "https://api.dickerdata.com.au/AccessKeyRequest");
        let api = DickerDataApi::new(Some("http://127.0.0.1:1/dd/"), creds()).unwrap();
        assert_eq!(api.conn.url(GET_TENANT_PATH), "http://127.0.0.1:1/dd/Subscriptions/GetTenant");
    }
}
