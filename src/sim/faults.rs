use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::SimShared;

/// Faults to inject into vendor responses. Shares are probabilities in 0..=1, drawn from a
/// seeded generator so a failing test can be replayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every response.
    pub latency_ms: u64,
    /// Share answered 429 with `Retry-After`.
    pub rate_429: f64,
    /// `Retry-After` seconds on injected 429s (fractions allowed).
    pub retry_after_secs: f64,
    /// Share answered 503 (or 502/504) before doing any work.
    pub rate_5xx: f64,
    /// Share held for `slow_ms` before answering (longer than a client timeout).
    pub rate_slow: f64,
    /// How long a slow response takes.
    pub slow_ms: u64,
    /// Share whose JSON body is cut in half after the work is done.
    pub rate_malformed: f64,
    /// Share of creates (POSTs other than Autotask queries) that land late: held for
    /// `late_ms`, then carried out even when the client gave up waiting (its timeout).
    pub rate_late: f64,
    /// The next this-many creates land late, whatever `rate_late` draws (deterministic tests).
    pub late_writes: u64,
    /// How long a late write is held before the server carries it out.
    pub late_ms: u64,
    /// Seed of the generator; the same seed gives the same faults for the same requests.
    pub seed: u64,
    /// When not 0, requests served at once: as many again wait for a slot (answers slow
    /// down), and any beyond that are refused 429 with `Retry-After` (`retry_after_secs`, or
    /// 1 s), as a tenant behind a rate-limiting proxy would.
    pub max_in_flight: usize,
    /// Internal: draws so far, so each request gets a fresh but repeatable draw.
    #[serde(skip)]
    pub draws: u64,
    /// Faults injected so far (every kind but latency), for soak reports.
    #[serde(skip)]
    pub injected: u64,
}

impl Faults {
    fn draw(&mut self) -> f64 {
        self.draws += 1;
        let mut rng = StdRng::seed_from_u64(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.draws);
        rng.random::<f64>()
    }
}

enum Injection {
    None,
    TooMany(f64),
    Unavailable(u16, f64),
    Slow(u64),
    Malformed,
    Late(u64),
}

/// Whether a request creates something (a POST that is not an Autotask query): the writes
/// whose late landing can duplicate, so the ones the late fault holds.
fn is_create(request: &Request) -> bool {
    request.method() == axum::http::Method::POST
        && !request.uri().path().to_ascii_lowercase().contains("/query")
}

/// Middleware: counts the request, then maybe delays, refuses or corrupts its response.
pub(super) async fn inject(State(shared): State<Arc<SimShared>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let key = format!("{} {}", request.method(), route);
    *shared.stats.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default() += 1;

    let write = is_create(&request);
    let (latency, injection) = {
        let mut f = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        let roll = f.draw();
        let which = f.draw();
        let forced_late = write && f.late_writes > 0;
        if forced_late {
            f.late_writes -= 1;
        }
        let mut edge = 0.0;
        let mut pick = || {
            if forced_late {
                return 4;
            }
            let bands = [f.rate_429, f.rate_5xx, f.rate_slow, f.rate_malformed, f.rate_late];
            for (i, share) in bands.iter().enumerate() {
                edge += share;
                if roll < edge {
                    return i;
                }
            }
            usize::MAX
        };
        let injection = match pick() {
            0 => Injection::TooMany(f.retry_after_secs),
            1 => Injection::Unavailable([502, 503, 504][(which * 3.0) as usize % 3], f.retry_after_secs),
            2 => Injection::Slow(f.slow_ms),
            3 => Injection::Malformed,
            4 if write => Injection::Late(f.late_ms),
            _ => Injection::None,
        };
        if !matches!(injection, Injection::None) {
            f.injected += 1;
        }
        (f.latency_ms, injection)
    };
    let (max_in_flight, retry_after) = {
        let f = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        (f.max_in_flight, if f.retry_after_secs > 0.0 { f.retry_after_secs } else { 1.0 })
    };
    let _slot = if max_in_flight > 0 {
        match shared.in_flight.enter(max_in_flight).await {
            Some(slot) => Some(slot),
            None => {
                if latency > 0 {
                    tokio::time::sleep(Duration::from_millis(latency)).await;
                }
                return with_retry_after(
                    (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(CDN_429)).into_response(),
                    retry_after,
                );
            }
        }
    } else {
        None
    };
    let recording = shared.journal.lock().unwrap_or_else(|p| p.into_inner()).is_some();
    if recording {
        return record(&shared, route, latency, injection, request, next).await;
    }
    respond(latency, injection, request, next).await
}

async fn record(
    shared: &SimShared,
    route: String,
    latency: u64,
    injection: Injection,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let request_body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let headers = |h: &axum::http::HeaderMap| {
        h.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect()
    };
    let mut exchange = super::Exchange {
        method: parts.method.to_string(),
        route,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        request_headers: headers(&parts.headers),
        request_body: String::from_utf8_lossy(&request_body).into_owned(),
        status: 0,
        response_headers: Vec::new(),
        response_body: String::new(),
    };
    let request = Request::from_parts(parts, Body::from(request_body));
    let response = respond(latency, injection, request, next).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    exchange.status = parts.status.as_u16();
    exchange.response_headers = headers(&parts.headers);
    exchange.response_body = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(journal) = shared.journal.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        journal.push(exchange);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A Cloudflare-style rate-limit page.
const CDN_429: &str = "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>cloudflare</center></body></html>";

fn with_retry_after(mut response: Response, secs: f64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{secs}")) {
        response.headers_mut().insert("retry-after", v);
    }
    response
}

async fn respond(latency: u64, injection: Injection, request: Request, next: Next) -> Response {
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match injection {
        Injection::None => next.run(request).await,
        // Throttling and outages come from the CDN in front of the vendor (Cloudflare for
        // ConnectWise cloud): HTML bodies, with `Retry-After`.
        Injection::TooMany(secs) => with_retry_after(
            (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(CDN_429)).into_response(),
            secs,
        ),
        Injection::Unavailable(code, retry_after_503) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let r = (status, axum::response::Html("<html><body>Service Unavailable</body></html>"))
                .into_response();
            if code == 503 && retry_after_503 > 0.0 { with_retry_after(r, retry_after_503) } else { r }
        }
        Injection::Slow(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(request).await
        }
        // The work runs in its own task, so it completes even when the client has hung up.
        Injection::Late(ms) => {
            let work = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                next.run(request).await
            });
            work.await.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Injection::Malformed => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, Body::from(cut))
        }
    }
}

/// The simulator's in-flight limit ([`Faults::max_in_flight`]): who is served, who waits.
#[derive(Debug, Default)]
pub struct InFlight {
    counts: std::sync::Mutex<(usize, usize)>,
    freed: tokio::sync::Notify,
    refused: std::sync::atomic::AtomicU64,
    peak: std::sync::atomic::AtomicU64,
}

/// A served request's slot, freed on drop.
pub struct Slot<'a>(&'a InFlight);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.counts.lock().unwrap_or_else(|p| p.into_inner()).0 -= 1;
        self.0.freed.notify_one();
    }
}

impl InFlight {
    /// A slot among `max`, after waiting behind at most `max` others; `None` when the queue
    /// is full too (the request is refused).
    async fn enter(&self, max: usize) -> Option<Slot<'_>> {
        use std::sync::atomic::Ordering;
        let mut queued = false;
        loop {
            let notified = self.freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
                if c.0 < max {
                    c.0 += 1;
                    if queued {
                        c.1 -= 1;
                    }
                    self.peak.fetch_max(c.0 as u64, Ordering::Relaxed);
                    return Some(Slot(self));
                }
                if !queued {
                    if c.1 >= max {
                        self.refused.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    c.1 += 1;
                    queued = true;
                }
            }
            notified.await;
        }
    }

    /// Requests refused because the limit and its queue were full.
    pub fn refused(&self) -> u64 {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Most requests served at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(std::sync::atomic::Ordering::Relaxed)
    }
}
