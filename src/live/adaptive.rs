//! Adaptive request concurrency: how many reads a vendor gets at once when its limit is not
//! published (ConnectWise cloud tenants sit behind Cloudflare). It starts modest, doubles per
//! round trip while answers stay clean (slow start), then grows by one per round trip; it cuts
//! to 80% (at most once per round trip) when answers slow down (queueing at the server: a round
//! trip well above the fastest seen), halves on 429/503, and holds every new request until a
//! `Retry-After` has passed. An upper bound caps it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Requests in flight at first.
pub const INITIAL_LIMIT: usize = 4;

/// A round trip this many times the fastest one seen counts as a sign of queueing (a queued
/// request waits at least one more service time, so it takes about twice as long).
const SLOW: f64 = 1.75;

/// Slack added before a sample counts as slow: jitter of busy machines and larger pages.
const SLACK: Duration = Duration::from_millis(10);

/// A concurrency limit shared by one client's requests.
#[derive(Debug)]
pub struct Adaptive {
    state: Mutex<State>,
    changed: Notify,
    max: usize,
    fixed: bool,
}

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    slow_start: bool,
    fastest: Option<Duration>,
    last_cut: Option<Instant>,
    paused_until: Option<Instant>,
    peak_in_flight: usize,
    refusals: u64,
}

/// How one request ended, as the limiter needs to know it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Answered (whatever the status, except a throttle), in this long.
    Answered(Duration),
    /// Refused with 429 or 503; `Retry-After` when the server gave one.
    Throttled(Option<Duration>),
    /// No answer (timeout, connection error): says nothing about the limit.
    Failed,
}

/// A slot held while one request is in flight; dropping it without [`Permit::done`] counts as
/// [`Outcome::Failed`].
#[derive(Debug)]
pub struct Permit<'a> {
    gate: &'a Adaptive,
    done: bool,
}

impl Permit<'_> {
    /// Releases the slot and tells the limiter how the request went.
    pub fn done(mut self, outcome: Outcome) {
        self.done = true;
        self.gate.release(outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.gate.release(Outcome::Failed);
        }
    }
}

/// What a run's limiter did, for benches and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The limit at the end of the run.
    pub limit: usize,
    /// Most requests in flight at once.
    pub peak_in_flight: usize,
    /// 429/503 answers seen.
    pub refusals: u64,
}

impl Adaptive {
    /// A limit that adapts between 1 and `max`, starting at [`INITIAL_LIMIT`].
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self::with(INITIAL_LIMIT.min(max), max, false)
    }

    /// A limit that never moves (the behaviour before adaptation; benches compare against it).
    pub fn fixed(limit: usize) -> Self {
        Self::with(limit.max(1), limit.max(1), true)
    }

    fn with(start: usize, max: usize, fixed: bool) -> Self {
        Adaptive {
            state: Mutex::new(State {
                limit: start as f64,
                in_flight: 0,
                slow_start: true,
                fastest: None,
                last_cut: None,
                paused_until: None,
                peak_in_flight: 0,
                refusals: 0,
            }),
            changed: Notify::new(),
            max,
            fixed,
        }
    }

    /// The upper bound.
    pub fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the limiter did so far.
    pub fn summary(&self) -> Summary {
        let s = self.lock();
        Summary { limit: s.limit as usize, peak_in_flight: s.peak_in_flight, refusals: s.refusals }
    }

    /// Waits for a slot (and for any `Retry-After` pause to end).
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                match s.paused_until {
                    Some(until) if until > now => Some(until),
                    _ if s.in_flight < (s.limit as usize).max(1) => {
                        s.in_flight += 1;
                        s.peak_in_flight = s.peak_in_flight.max(s.in_flight);
                        return Permit { gate: self, done: false };
                    }
                    _ => None,
                }
            };
            match wait {
                Some(until) => tokio::time::sleep_until(until).await,
                None => notified.await,
            }
        }
    }

    fn release(&self, outcome: Outcome) {
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            let now = Instant::now();
            match outcome {
                Outcome::Throttled(retry_after) => {
                    s.refusals += 1;
                    if let Some(wait) = retry_after {
                        let until = now + wait;
                        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
                    }
                    if !self.fixed {
                        s.slow_start = false;
                        if s.cut_allowed(now) {
                            s.limit = (s.limit / 2.0).max(1.0);
                            s.last_cut = Some(now);
                        }
                    }
                }
                Outcome::Answered(rtt) if !self.fixed => {
                    let fastest = *s.fastest.get_or_insert(rtt);
                    s.fastest = Some(fastest.min(rtt));
                    if rtt.as_secs_f64() > fastest.as_secs_f64() * SLOW + SLACK.as_secs_f64() {
                        s.slow_start = false;
                        if s.cut_allowed(now) {
                            s.limit = (s.limit * 0.8).max(1.0);
                            s.last_cut = Some(now);
                        }
                    } else if s.in_flight + 1 >= s.limit as usize {
                        // Grow only when the limit is what holds requests back.
                        let step = if s.slow_start { 1.0 } else { 1.0 / s.limit };
                        s.limit = (s.limit + step).min(self.max as f64);
                    }
                }
                Outcome::Answered(_) | Outcome::Failed => {}
            }
        }
        self.changed.notify_waiters();
    }
}

impl State {
    /// At most one cut per round trip: answers already in flight when the limit was cut
    /// describe the old limit.
    fn cut_allowed(&self, now: Instant) -> bool {
        let window = self.fastest.unwrap_or(Duration::from_millis(100));
        self.last_cut.is_none_or(|at| now.duration_since(at) >= window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn grows_while_clean_and_stops_at_the_bound() {
        let gate = Adaptive::new(16);
        for _ in 0..200 {
            let permits: Vec<_> =
                futures::future::join_all((0..gate.summary().limit).map(|_| gate.acquire())).await;
            for p in permits {
                p.done(Outcome::Answered(RTT));
            }
        }
        assert_eq!(gate.summary().limit, 16);
    }

    #[tokio::test]
    async fn slow_answers_and_throttles_cut_the_limit() {
        let gate = Adaptive::new(64);
        for _ in 0..40 {
            gate.acquire().await.done(Outcome::Answered(RTT));
        }
        let before = gate.summary().limit;
        gate.acquire().await.done(Outcome::Answered(RTT * 3));
        let after = gate.summary().limit;
        assert!(after < before, "{before} -> {after}");
        tokio::time::sleep(RTT).await;
        gate.acquire().await.done(Outcome::Throttled(Some(Duration::from_millis(30))));
        assert!(gate.summary().limit <= after / 2 + 1);
        let held = Instant::now();
        drop(gate.acquire().await);
        assert!(held.elapsed() >= Duration::from_millis(25), "Retry-After holds new requests");
        assert_eq!(gate.summary().refusals, 1);
    }

    #[tokio::test]
    async fn a_fixed_limit_never_moves() {
        let gate = Adaptive::fixed(8);
        gate.acquire().await.done(Outcome::Throttled(None));
        gate.acquire().await.done(Outcome::Answered(RTT));
        assert_eq!(gate.summary().limit, 8);
    }
}
