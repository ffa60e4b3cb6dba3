//! The AccessKey exchange: `POST {base}AccessKeyRequest` with the access token and a fresh
//! `TransactionID` returns a short-lived AccessKey (`Status: "GRANTED"`) that every other call
//! carries as a Bearer token. Keys are cached, renewed shortly before they expire, and renewed
//! once when a call is refused.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::Connection;
use crate::live::http;
use crate::live::{LiveError, RequestLabel};
use crate::secret::Secret;

/// Path of the key exchange, relative to the API base.
pub const ACCESS_KEY_PATH: &str = "AccessKeyRequest";

/// Lifetime assumed when the answer gives no usable `ExpireDateTime`.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(600);

/// How long before expiry a key is renewed: a minute, or half the lifetime of a short key.
const RENEW_AHEAD: Duration = Duration::from_secs(60);

/// A key in use, with the generation that tells concurrent callers whether it was renewed.
#[derive(Debug, Clone)]
pub(super) struct Key {
    /// The AccessKey itself.
    pub value: Secret,
    /// 1 for the first key of a client, +1 per renewal.
    pub generation: u64,
    renew_at: Instant,
}

/// The cached key of one client.
#[derive(Debug, Default)]
pub(super) struct KeyCache {
    current: Mutex<Option<Key>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyRequest<'a> {
    #[serde(rename = "TransactionID")]
    transaction_id: String,
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_code: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyAnswer {
    #[serde(default)]
    access_key: Option<String>,
    #[serde(default)]
    creation_date_time: Option<String>,
    #[serde(default)]
    expire_date_time: Option<String>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl KeyCache {
    /// The current key, renewed first when it is close to expiry.
    pub(super) async fn get(&self, conn: &Connection) -> Result<Key, LiveError> {
        let mut current = self.current.lock().await;
        match current.as_ref() {
            Some(key) if Instant::now() < key.renew_at => Ok(key.clone()),
            previous => {
                let generation = previous.map_or(1, |k| k.generation + 1);
                let key = request(conn, generation).await?;
                *current = Some(key.clone());
                Ok(key)
            }
        }
    }

    /// A new key after `refused` was refused, unless another call already renewed it.
    pub(super) async fn renew(&self, conn: &Connection, refused: &Key) -> Result<Key, LiveError> {
        let mut current = self.current.lock().await;
        if let Some(key) = current.as_ref().filter(|k| k.generation > refused.generation) {
            return Ok(key.clone());
        }
        tracing::debug!(generation = refused.generation, "AccessKey refused; requesting a new one");
        let key = request(conn, refused.generation + 1).await?;
        *current = Some(key.clone());
        Ok(key)
    }
}

async fn request(conn: &Connection, generation: u64) -> Result<Key, LiveError> {
    let label = RequestLabel::new("POST", format!("/{ACCESS_KEY_PATH}"));
    let url = conn.url(ACCESS_KEY_PATH);
    let body = KeyRequest {
        transaction_id: uuid::Uuid::new_v4().to_string(),
        access_token: conn.credentials.access_token.expose(),
        account_code: conn.credentials.account_code.as_ref().map(|s| s.expose()),
    };
    let asked = Instant::now();
    // A 2xx answer cut short in transit is asked for again (a new key is harmless).
    let answer = http::read(
        &label,
        &conn.retry,
        || conn.http.post(&url).json(&body),
        |reply| {
            let answer: Option<KeyAnswer> = serde_json::from_slice(&reply.body).ok();
            let message = |fallback: String| {
                let said = answer.as_ref().and_then(|a| {
                    a.message
                        .clone()
                        .filter(|m| !m.trim().is_empty())
                        .or_else(|| a.status.as_ref().map(|s| s.to_string()))
                });
                conn.credentials.redact(&said.unwrap_or(fallback))
            };
            let status = reply.status.as_u16();
            if matches!(status, 401 | 403) {
                return Err(LiveError::Auth {
                    request: label.clone(),
                    status,
                    message: message(reply.text_excerpt()),
                });
            }
            if !reply.status.is_success() {
                return Err(LiveError::Vendor {
                    request: label.clone(),
                    status,
                    message: message(reply.text_excerpt()),
                });
            }
            let Some(answer) = answer.as_ref() else {
                return Err(LiveError::Malformed {
                    request: label.clone(),
                    detail: "no JSON object in the answer".into(),
                });
            };
            if answer.access_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                return Err(LiveError::Auth {
                    request: label.clone(),
                    status,
                    message: message("no AccessKey in the answer: the access token was refused".into()),
                });
            }
            Ok((
                answer.access_key.clone().unwrap_or_default(),
                lifetime(answer.creation_date_time.as_deref(), answer.expire_date_time.as_deref()),
            ))
        },
    )
    .await?;
    let (value, lifetime) = answer;
    let ahead = RENEW_AHEAD.min(lifetime / 2);
    tracing::debug!(generation, lifetime_secs = lifetime.as_secs_f64(), "new AccessKey");
    Ok(Key { value: Secret::new(value), generation, renew_at: asked + lifetime - ahead })
}

/// How long a key lives. Dicker Data's timestamps may carry no zone, so the lifetime is the
/// difference `ExpireDateTime - CreationDateTime` when both read; with only a zoned expiry,
/// the time left on the local clock; otherwise ten minutes.
fn lifetime(created: Option<&str>, expires: Option<&str>) -> Duration {
    let naive = |s: &str| -> Option<NaiveDateTime> {
        let s = s.trim();
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.naive_utc())
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
            .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok())
    };
    let between = match (created.and_then(naive), expires.and_then(naive)) {
        (Some(c), Some(e)) => (e - c).to_std().ok(),
        (None, Some(_)) => expires
            .and_then(|e| DateTime::parse_from_rfc3339(e.trim()).ok())
            .and_then(|e| (e.with_timezone(&Utc) - Utc::now()).to_std().ok()),
        _ => None,
    };
    between.filter(|d| !d.is_zero()).unwrap_or(FALLBACK_LIFETIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_from_the_answer() {
        let d = lifetime(Some("2025-09-01T10:00:00"), Some("2025-09-01T10:20:00.000"));
        assert_eq!(d, Duration::from_secs(1200));
        let d = lifetime(Some("2025-09-01T10:00:00+10:00"), Some("2025-09-01T00:05:00Z"));
        assert_eq!(d, Duration::from_secs(300));
        assert_eq!(lifetime(None, None), FALLBACK_LIFETIME);
        assert_eq!(lifetime(Some("soon"), Some("later")), FALLBACK_LIFETIME);
        assert_eq!(lifetime(Some("2025-09-01T10:20:00"), Some("2025-09-01T10:00:00")), FALLBACK_LIFETIME);
    }
}
