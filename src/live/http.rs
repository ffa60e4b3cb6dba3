//! The HTTP plumbing every vendor client shares: timeouts, retries with exponential backoff
//! and full jitter, `Retry-After`, and errors that name the request.

use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use super::adaptive::{Adaptive, Outcome, route};
use super::{LiveError, RequestLabel};

/// How hard to try before giving up on a request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in total, including the first.
    pub max_attempts: u32,
    /// First backoff ceiling; doubles per attempt.
    pub base_delay: Duration,
    /// Largest backoff (and largest `Retry-After` honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Whether a request may be sent again after an unclear outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads and idempotent updates: retry on 429, 502/503/504, timeouts and connection errors.
    Retry,
    /// Creates: retry only a 429 (refused before any work); anything else goes back to the
    /// caller, which re-reads before deciding to send again.
    Once,
}

/// Builds a reqwest client with the timeouts every vendor call uses.
pub fn client(timeout: Duration) -> Result<reqwest::Client, LiveError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .user_agent(concat!("cspctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| LiveError::Config(format!("cannot build HTTP client: {e}")))
}

/// A response body read to the end, with its status and headers.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (pagination links, rate-limit hints).
    pub headers: reqwest::header::HeaderMap,
    /// The whole body.
    pub body: bytes::Bytes,
}

impl Reply {
    /// A reply as a vendor would send it, for the unit tests of error-body parsing.
    #[cfg(test)]
    pub(crate) fn canned(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    /// Decodes a JSON body, naming the request when it is not what was expected.
    pub fn json<T: DeserializeOwned>(&self, request: &RequestLabel) -> Result<T, LiveError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| LiveError::Malformed { request: request.clone(), detail: e.to_string() })
    }

    /// The body as text for error messages, cut to a readable length.
    pub fn text_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(300) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_string(),
        }
    }
}

/// The `tracing` target of the one event per request (`-v` shows them).
pub const REQUEST_TARGET: &str = "cspctl::request";

/// Sends a request built by `build` (called once per attempt) and retries what is safe.
///
/// Returns the first reply that is not retryable, or the last one when attempts run out;
/// callers turn error statuses into vendor-specific messages. Logs one event per request at
/// [`REQUEST_TARGET`]: method, path (the label never holds credentials or a query string),
/// final status, time including retries, and how many retries it took.
pub async fn send(
    request: &RequestLabel,
    policy: &RetryPolicy,
    idempotency: Idempotency,
    build: impl Fn() -> RequestBuilder,
) -> Result<Reply, LiveError> {
    send_gated(request, policy, idempotency, None, build).await
}

/// As [`send`], each attempt holding a slot of `gate` (when given) and telling it how the
/// attempt went, so the number in flight follows what the server can take.
pub async fn send_gated(
    request: &RequestLabel,
    policy: &RetryPolicy,
    idempotency: Idempotency,
    gate: Option<&Adaptive>,
    build: impl Fn() -> RequestBuilder,
) -> Result<Reply, LiveError> {
    let started = std::time::Instant::now();
    let mut attempts = 0;
    let result = send_with_retries(request, policy, idempotency, gate, build, &mut attempts).await;
    let status = match &result {
        Ok(reply) => reply.status.as_u16().to_string(),
        Err(_) => "failed".to_string(),
    };
    tracing::info!(
        target: REQUEST_TARGET,
        method = %request.method,
        path = %request.path,
        status = %status,
        ms = started.elapsed().as_millis() as u64,
        retries = attempts.saturating_sub(1),
        "request"
    );
    result
}

async fn send_with_retries(
    request: &RequestLabel,
    policy: &RetryPolicy,
    idempotency: Idempotency,
    gate: Option<&Adaptive>,
    build: impl Fn() -> RequestBuilder,
    attempt: &mut u32,
) -> Result<Reply, LiveError> {
    loop {
        *attempt += 1;
        let last = *attempt >= policy.max_attempts;
        let permit = match gate {
            Some(g) => Some(g.acquire().await),
            None => None,
        };
        let started = tokio::time::Instant::now();
        let outcome = build().send().await;
        match outcome {
            Ok(response) => {
                let status = response.status();
                let retry_after = retry_after(&response);
                let throttled = matches!(status.as_u16(), 429 | 503);
                let retryable = status == StatusCode::TOO_MANY_REQUESTS
                    || (idempotency == Idempotency::Retry && matches!(status.as_u16(), 502..=504));
                if throttled && let Some(p) = permit {
                    p.done(Outcome::Throttled(retry_after.map(|d| d.min(policy.max_delay))));
                    if retryable && !last {
                        tracing::debug!(%request, %status, attempt = *attempt, "retrying");
                        // The gate holds new requests for `Retry-After`; this one waits too.
                        sleep_backoff(policy, *attempt, retry_after).await;
                        continue;
                    }
                    let headers = response.headers().clone();
                    let body = response.bytes().await.unwrap_or_default();
                    return Ok(Reply { status, headers, body });
                }
                if retryable && !last {
                    tracing::debug!(%request, %status, attempt = *attempt, "retrying");
                    drop(permit);
                    sleep_backoff(policy, *attempt, retry_after).await;
                    continue;
                }
                let headers = response.headers().clone();
                let body = response.bytes().await;
                if let (Some(p), Ok(_)) = (permit, &body) {
                    p.done(Outcome::Answered { rtt: started.elapsed(), route: route(&request.path) });
                }
                match body {
                    Ok(body) => return Ok(Reply { status, headers, body }),
                    Err(e) if idempotency == Idempotency::Retry && !last => {
                        tracing::debug!(%request, error = %e, attempt = *attempt, "body read failed; retrying");
                        sleep_backoff(policy, *attempt, None).await;
                    }
                    Err(e) => return Err(transport(request, &e)),
                }
            }
            Err(e) if idempotency == Idempotency::Retry && !last => {
                tracing::debug!(%request, error = %e, attempt = *attempt, "retrying");
                drop(permit);
                sleep_backoff(policy, *attempt, None).await;
            }
            Err(e) => return Err(transport(request, &e)),
        }
    }
}

/// Sends an idempotent read and decodes its answer with `decode` (which also turns error
/// statuses into errors). A 2xx answer that `decode` finds malformed (a body cut short in
/// transit, a proxy's page in place of JSON) is asked for again with the same backoff as a
/// 5xx: a read is safe to repeat, and one bad body should not end a run.
pub async fn read<T>(
    request: &RequestLabel,
    policy: &RetryPolicy,
    build: impl Fn() -> RequestBuilder,
    decode: impl Fn(&Reply) -> Result<T, LiveError>,
) -> Result<T, LiveError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let reply = send(request, policy, Idempotency::Retry, &build).await?;
        match decode(&reply) {
            Err(LiveError::Malformed { detail, .. })
                if reply.status.is_success() && attempt < policy.max_attempts =>
            {
                tracing::debug!(%request, %detail, attempt, "unreadable answer; asking again");
                sleep_backoff(policy, attempt, None).await;
            }
            decoded => return decoded,
        }
    }
}

fn transport(request: &RequestLabel, e: &reqwest::Error) -> LiveError {
    let message = if e.is_timeout() {
        "timed out waiting for the server".to_string()
    } else if e.is_connect() {
        "could not connect to the server".to_string()
    } else {
        // reqwest errors can embed the URL; strip it so query strings never reach output.
        e.without_url_ref().to_string()
    };
    LiveError::Transport { request: request.clone(), message }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "");
        }
        text
    }
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
}

/// Waits before attempt `attempt + 1`: `Retry-After` when the server gave one, else
/// exponential backoff with full jitter. Public for callers that run their own retry loop
/// (creates that re-read before sending again).
pub async fn sleep_backoff(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) {
    let delay = match retry_after {
        Some(d) => d.min(policy.max_delay),
        None => {
            let ceiling = policy.base_delay.saturating_mul(1 << attempt.min(16)).min(policy.max_delay);
            let ms = rand::rng().random_range(0..=ceiling.as_millis() as u64);
            Duration::from_millis(ms)
        }
    };
    tokio::time::sleep(delay).await;
}
