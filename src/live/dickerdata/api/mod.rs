//! Dicker Data's B2B REST API as a licence source.
//!
//! Documented by Dicker Data (and followed here): the AccessKey exchange
//! ([`access_key`]), the `RequestHeader { TransactionID, Token, AccessKey }` that POST bodies
//! carry (GET calls send the same as dotted query names), and the pricing call
//! ([`DickerDataApi::unit_prices`]).
//!
//! **MODELLED**, not documented: the customer and subscription listing ([`listing`]). Dicker
//! Data has not published the endpoint its portal partners use for cloud subscriptions, so
//! cspctl models it on the Annuity Information export (same fields, same rules), with paths
//! and page size set in `cspctl.yaml` so the real contract can be slotted in once Dicker Data
//! confirms it.

mod access_key;
mod credentials;
pub mod listing;
mod pricing;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

pub use access_key::ACCESS_KEY_PATH;
pub use credentials::DickerDataCredentials;
pub use listing::ListingSettings;
pub use pricing::{PRICING_PATH, UnitPrice};

use crate::live::http::{self, Idempotency, Reply, RetryPolicy};
use crate::live::{Distributor, LiveError, RequestLabel};
use crate::model::DistributorSnapshot;
use access_key::{Key, KeyCache};

/// Dicker Data's production API root.
pub const DEFAULT_BASE_URL: &str = "https://b2b-api.dickerdata.com.au";

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

/// A client of the Dicker Data B2B API; one AccessKey is shared by all its calls.
pub struct DickerDataApi {
    conn: Connection,
    keys: KeyCache,
    listing: ListingSettings,
}

impl std::fmt::Debug for DickerDataApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DickerDataApi")
            .field("base", &self.conn.base)
            .field("credentials", &self.conn.credentials)
            .field("listing", &self.listing)
            .finish_non_exhaustive()
    }
}

/// The `RequestHeader` of a POST body (PascalCase, as Dicker Data's swagger names it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RequestHeader<'a> {
    #[serde(rename = "TransactionID")]
    transaction_id: &'a str,
    token: &'a str,
    access_key: &'a str,
}

impl DickerDataApi {
    /// A client for `base_url` (default [`DEFAULT_BASE_URL`]; `http://127.0.0.1:PORT` for the
    /// simulator). No request is made until the first read.
    pub fn new(
        base_url: Option<&str>,
        credentials: DickerDataCredentials,
        listing: ListingSettings,
    ) -> Result<Self, LiveError> {
        let base = base_url.unwrap_or(DEFAULT_BASE_URL).trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base)
            .map_err(|e| LiveError::Config(format!("dicker_data api base_url `{base}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(LiveError::Config(format!(
                "dicker_data api base_url `{base}` should be an http(s) URL without a query"
            )));
        }
        listing.check()?;
        Ok(DickerDataApi {
            conn: Connection {
                base,
                http: http::client(Duration::from_secs(60))?,
                credentials,
                retry: RetryPolicy::default(),
            },
            keys: KeyCache::default(),
            listing,
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

    /// Sends one authenticated call. `build` gets the URL-less pieces of the header (transaction
    /// id, token, key) and is called once per attempt. A call refused with 401/403 or a body
    /// complaining about the AccessKey gets one new key and one more try.
    pub(super) async fn call(
        &self,
        label: &RequestLabel,
        build: impl Fn(&RequestHeader<'_>) -> reqwest::RequestBuilder,
    ) -> Result<Reply, LiveError> {
        let key = self.keys.get(&self.conn).await?;
        let reply = self.send_with(label, &key, &build).await?;
        let reply = if refused(&reply) {
            tracing::info!(request = %label, "AccessKey refused; renewing it once");
            let key = self.keys.renew(&self.conn, &key).await?;
            self.send_with(label, &key, &build).await?
        } else {
            reply
        };
        if refused(&reply) {
            return Err(LiveError::Auth {
                request: label.clone(),
                status: reply.status.as_u16(),
                message: self.conn.credentials.redact(&vendor_message(&reply)),
            });
        }
        if !reply.status.is_success() {
            return Err(LiveError::Vendor {
                request: label.clone(),
                status: reply.status.as_u16(),
                message: self.conn.credentials.redact(&vendor_message(&reply)),
            });
        }
        Ok(reply)
    }

    async fn send_with(
        &self,
        label: &RequestLabel,
        key: &Key,
        build: &impl Fn(&RequestHeader<'_>) -> reqwest::RequestBuilder,
    ) -> Result<Reply, LiveError> {
        let transaction = uuid::Uuid::new_v4().to_string();
        let header = RequestHeader {
            transaction_id: &transaction,
            token: self.conn.credentials.access_token.expose(),
            access_key: key.value.expose(),
        };
        http::send(label, &self.conn.retry, Idempotency::Retry, || build(&header)).await
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
    let said: String = ["Status", "Message", "ErrorDescription"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (said.contains("accesskey") || said.contains("access key"))
        && (said.contains("expired") || said.contains("invalid") || said.contains("fail"))
}

/// The vendor's own words: `Message` or `ErrorDescription` when the body has them.
fn vendor_message(reply: &Reply) -> String {
    serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| {
            ["Message", "ErrorDescription", "message"].iter().find_map(|k| {
                v.get(*k).and_then(|m| m.as_str()).filter(|m| !m.trim().is_empty()).map(str::to_string)
            })
        })
        .unwrap_or_else(|| reply.text_excerpt())
}

#[async_trait]
impl Distributor for DickerDataApi {
    fn name(&self) -> &str {
        "dicker_data api"
    }

    async fn snapshot(&self) -> Result<DistributorSnapshot, LiveError> {
        listing::snapshot(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn a_refused_key_is_recognised_by_status_or_by_body() {
        assert!(refused(&reply(401, "")));
        assert!(refused(&reply(403, "<html>Forbidden</html>")));
        assert!(refused(&reply(200, r#"{"Status":"Failed","Message":"AccessKey has expired"}"#)));
        assert!(refused(&reply(200, r#"{"Status":"Error","ErrorDescription":"Invalid access key"}"#)));
        assert!(!refused(&reply(200, r#"{"Status":"Success","Items":[]}"#)));
        assert!(!refused(&reply(200, r#"{"Status":"Failed","Message":"PageSize too large"}"#)));
        assert!(!refused(&reply(500, "AccessKey service invalid")));
    }

    #[test]
    fn vendor_messages_prefer_the_message_field() {
        assert_eq!(vendor_message(&reply(400, r#"{"Status":"Failed","Message":"Bad page"}"#)), "Bad page");
        assert_eq!(vendor_message(&reply(502, "<html>Bad Gateway</html>")), "<html>Bad Gateway</html>");
    }

    #[test]
    fn base_urls_are_checked() {
        let creds = || DickerDataCredentials::new("a", "b");
        assert!(DickerDataApi::new(Some("ftp://x"), creds(), ListingSettings::default()).is_err());
        assert!(DickerDataApi::new(Some("not a url"), creds(), ListingSettings::default()).is_err());
        assert!(
            DickerDataApi::new(Some("http://127.0.0.1:1/?k=v"), creds(), ListingSettings::default()).is_err()
        );
        let api =
            DickerDataApi::new(Some("http://127.0.0.1:1/"), creds(), ListingSettings::default()).unwrap();
        assert_eq!(api.conn.url("/api/AccessKeyRequest"), "http://127.0.0.1:1/api/AccessKeyRequest");
        let zero = ListingSettings { page_size: 0, ..Default::default() };
        assert!(DickerDataApi::new(None, creds(), zero).is_err());
    }
}
