//! Adaptive request concurrency: how many reads a vendor gets at once when its limit is not
//! published (ConnectWise cloud tenants sit behind Cloudflare). AIMD, judged per window: a
//! window is the answers to requests sent at the current limit, and it closes when as many have
//! come back as the limit allows in flight, so each decision describes the limit it judges (an
//! answer to a request sent before the last change says nothing about the new limit).
//!
//! - It starts modest ([`INITIAL_LIMIT`]) and doubles per clean window while nothing has gone
//!   wrong (slow start), then grows by one per clean window, and only while the limit is what
//!   holds requests back.
//! - A window whose answers are mostly slow (well above the fastest round trip seen for the same
//!   route: a page of a thousand companies is not a queued request for ten additions; the server
//!   is queueing) cuts the limit to 80%; a 429/503 halves it at once and holds every new
//!   request until its `Retry-After` has passed. At most one cut per window.
//! - The limit where trouble was last seen is remembered: growth back towards it takes
//!   [`PROBE_WINDOWS`] clean windows per step, so a limit that hurt is not reached again quickly.
//!
//! An upper bound (`psa.connectwise.concurrency`) caps it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Requests in flight at first.
pub const INITIAL_LIMIT: usize = 4;

/// A round trip above this many times the fastest one seen (plus [`SLACK`]) is slow: a
/// request that waits behind a full server takes up to one more service time.
const SLOW: f64 = 1.3;

/// Slack added before a round trip counts as slow: jitter of busy machines.
const SLACK: Duration = Duration::from_millis(5);

/// Clean windows needed per step of growth at or just below the limit where trouble was seen.
pub const PROBE_WINDOWS: u32 = 3;

/// The kind of a request, from its path with every run of digits blanked
/// (`/finance/agreements/17/additions` and `…/18/additions` are one kind).
pub fn route(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut digits = false;
    for c in path.chars() {
        match c.is_ascii_digit() {
            true if digits => continue,
            true => '#'.hash(&mut hasher),
            false => c.hash(&mut hasher),
        }
        digits = c.is_ascii_digit();
    }
    hasher.finish()
}

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
    limit: usize,
    in_flight: usize,
    /// Bumped whenever the limit changes: permits remember the epoch they were taken in.
    epoch: u64,
    /// Answers of this epoch so far, and how many of them were slow.
    answers: usize,
    slow: usize,
    /// Whether a request had to wait for a slot in this epoch (the limit binds).
    binding: bool,
    /// Clean windows in a row while probing towards `trouble`.
    clean: u32,
    slow_start: bool,
    /// The limit at which the last cut happened.
    trouble: Option<usize>,
    /// The fastest round trip seen per route ([`Outcome::Answered`]).
    fastest: std::collections::HashMap<u64, Duration>,
    paused_until: Option<Instant>,
    peak_in_flight: usize,
    refusals: u64,
}

/// How one request ended, as the limiter needs to know it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Answered (whatever the status, except a throttle) in `rtt`; `route` names the kind of
    /// request (see [`route`]), since only round trips of one kind compare.
    Answered { rtt: Duration, route: u64 },
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
    epoch: u64,
    done: bool,
}

impl Permit<'_> {
    /// Releases the slot and tells the limiter how the request went.
    pub fn done(mut self, outcome: Outcome) {
        self.done = true;
        self.gate.release(self.epoch, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.gate.release(self.epoch, Outcome::Failed);
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
                limit: start,
                in_flight: 0,
                epoch: 0,
                answers: 0,
                slow: 0,
                binding: false,
                clean: 0,
                slow_start: true,
                trouble: None,
                fastest: std::collections::HashMap::new(),
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
        Summary { limit: s.limit, peak_in_flight: s.peak_in_flight, refusals: s.refusals }
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
                    _ if s.in_flight < s.limit => {
                        s.in_flight += 1;
                        s.peak_in_flight = s.peak_in_flight.max(s.in_flight);
                        return Permit { gate: self, epoch: s.epoch, done: false };
                    }
                    _ => {
                        s.binding = true;
                        None
                    }
                }
            };
            match wait {
                Some(until) => tokio::time::sleep_until(until).await,
                None => notified.await,
            }
        }
    }

    fn release(&self, epoch: u64, outcome: Outcome) {
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            match outcome {
                Outcome::Throttled(retry_after) => {
                    s.refusals += 1;
                    if let Some(wait) = retry_after {
                        let until = Instant::now() + wait;
                        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
                    }
                    // A refusal of a request sent before the last cut is already answered for.
                    if !self.fixed && epoch == s.epoch {
                        let half = s.limit / 2;
                        s.cut(half);
                    }
                }
                Outcome::Answered { rtt, route } if !self.fixed => {
                    let fastest = s.fastest.entry(route).or_insert(rtt);
                    *fastest = (*fastest).min(rtt);
                    let fastest = *fastest;
                    if epoch == s.epoch {
                        s.answers += 1;
                        if rtt.as_secs_f64() > fastest.as_secs_f64() * SLOW + SLACK.as_secs_f64() {
                            s.slow += 1;
                        }
                        if s.answers >= s.limit {
                            s.close_window(self.max);
                        }
                    }
                }
                Outcome::Answered { .. } | Outcome::Failed => {}
            }
        }
        self.changed.notify_waiters();
    }
}

impl State {
    /// A full window of answers at the current limit: cut when most were slow, grow when all
    /// went well and the limit held requests back, and start the next window.
    fn close_window(&mut self, max: usize) {
        if self.slow * 2 > self.answers {
            let to = self.limit * 4 / 5;
            self.cut(to);
            return;
        }
        let grow = self.binding && self.limit < max;
        let next = if !grow {
            self.limit
        } else if self.slow_start {
            (self.limit * 2).min(max)
        } else if self.trouble.is_some_and(|t| self.limit + 1 >= t) {
            // Probing again towards the limit that hurt: one step per few clean windows.
            self.clean += 1;
            if self.clean >= PROBE_WINDOWS {
                self.clean = 0;
                self.limit + 1
            } else {
                self.limit
            }
        } else {
            self.limit + 1
        };
        self.limit = next;
        self.next_window();
    }

    /// Cuts to `to` (at least 1), remembers where trouble was, leaves slow start.
    fn cut(&mut self, to: usize) {
        self.trouble = Some(self.limit);
        self.limit = to.max(1);
        self.slow_start = false;
        self.clean = 0;
        self.next_window();
    }

    fn next_window(&mut self) {
        self.epoch += 1;
        self.answers = 0;
        self.slow = 0;
        self.binding = false;
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;

    const RTT: f64 = 50.0;

    /// A server that serves `capacity` requests at once in `RTT` ms each, lets `queue` more
    /// wait for a slot, and refuses (429, after one RTT) any beyond that; `total` requests go
    /// through `gate` as fast as it lets them. Time is simulated, so the run is exact.
    struct Run {
        refused: u64,
        /// Most requests the server held at once (served + waiting).
        peak: usize,
        /// Simulated wall time, ms.
        wall: f64,
    }

    fn run(gate: &Adaptive, capacity: usize, queue: usize, total: usize) -> Run {
        let mut slots = vec![0.0_f64; capacity];
        let mut pending: Vec<(f64, Option<f64>, Permit<'_>)> = Vec::new();
        let (mut now, mut sent, mut refused, mut peak) = (0.0_f64, 0, 0, 0);
        while sent < total || !pending.is_empty() {
            while sent < total {
                let Some(permit) = gate.acquire().now_or_never() else { break };
                sent += 1;
                let held = pending.iter().filter(|(_, rtt, _)| rtt.is_some()).count();
                if held >= capacity + queue {
                    refused += 1;
                    pending.push((now + RTT, None, permit));
                    continue;
                }
                peak = peak.max(held + 1);
                let slot = (0..capacity).min_by(|a, b| slots[*a].total_cmp(&slots[*b])).unwrap_or(0);
                let end = slots[slot].max(now) + RTT;
                slots[slot] = end;
                pending.push((end, Some(end - now), permit));
            }
            let next = (0..pending.len()).min_by(|a, b| pending[*a].0.total_cmp(&pending[*b].0));
            let Some(next) = next else { break };
            let (at, rtt, permit) = pending.swap_remove(next);
            now = at;
            permit.done(match rtt {
                Some(ms) => Outcome::Answered { rtt: Duration::from_secs_f64(ms / 1000.0), route: 0 },
                None => Outcome::Throttled(None),
            });
        }
        Run { refused, peak, wall: now }
    }

    #[test]
    fn grows_to_its_bound_within_a_few_round_trips_when_the_server_keeps_up() {
        let gate = Adaptive::new(32);
        let r = run(&gate, 1_000, 0, 2_000);
        assert_eq!(gate.summary().limit, 32);
        assert_eq!(r.refused, 0);
        // 4, 8, 16, then 32 in flight: 2,000 requests in about 2000 / 32 round trips.
        let floor = (2_000_f64 / 32.0).ceil() * RTT;
        assert!(r.wall <= floor + 4.0 * RTT, "{} ms for a floor of {floor} ms", r.wall);
    }

    #[test]
    fn settles_near_a_queueing_servers_limit_without_a_refusal() {
        let gate = Adaptive::new(32);
        let r = run(&gate, 8, 8, 2_000);
        let used = gate.summary();
        assert_eq!(r.refused, 0, "{used:?}");
        assert!(r.peak <= 16, "{} held at once", r.peak);
        assert!((8..=16).contains(&used.limit), "{used:?}");
        // Close to what the server can do: 8 at a time.
        let floor = (2_000_f64 / 8.0).ceil() * RTT;
        assert!(r.wall <= floor * 1.15, "{} ms for a floor of {floor} ms", r.wall);
    }

    #[test]
    fn a_refusing_server_halves_it_and_it_returns_slowly() {
        // No queue, so no slowing answers to warn: only refusals say where the limit is.
        let gate = Adaptive::new(64);
        let r = run(&gate, 10, 0, 4_000);
        let used = gate.summary();
        assert!(r.refused > 0 && r.refused <= 40, "refused {} of 4,000 ({used:?})", r.refused);
        assert!((5..=12).contains(&used.limit), "{used:?}");
        let fixed = Adaptive::fixed(64);
        let greedy = run(&fixed, 10, 0, 4_000);
        assert!(greedy.refused > 10 * r.refused, "a fixed 64 is refused far more: {}", greedy.refused);
    }

    /// Answers one window of `gate`'s current limit, each in `ms` on `route`.
    fn window(gate: &Adaptive, ms: u64, route: u64) {
        let limit = gate.summary().limit;
        let permits: Vec<_> = (0..limit).filter_map(|_| gate.acquire().now_or_never()).collect();
        for p in permits {
            p.done(Outcome::Answered { rtt: Duration::from_millis(ms), route });
        }
    }

    #[test]
    fn slow_answers_compare_with_their_own_route_only() {
        let gate = Adaptive::new(32);
        window(&gate, 50, route("/finance/agreements/1/additions"));
        let before = gate.summary().limit;
        // Pages of a thousand companies take four times as long as a small read: not queueing.
        for _ in 0..4 {
            window(&gate, 200, route("/company/companies"));
        }
        assert!(gate.summary().limit >= before, "{:?}", gate.summary());
        // The same route slowing down is.
        let grown = gate.summary().limit;
        window(&gate, 400, route("/company/companies"));
        assert!(gate.summary().limit < grown, "{:?}", gate.summary());
        assert_eq!(route("/finance/agreements/17/additions"), route("/finance/agreements/18123/additions"));
        assert_ne!(route("/finance/agreements/17/additions"), route("/company/companies"));
    }

    #[test]
    fn a_fixed_limit_never_moves() {
        let gate = Adaptive::fixed(8);
        let r = run(&gate, 4, 0, 100);
        assert_eq!(gate.summary().limit, 8);
        assert!(r.refused > 0);
    }

    #[tokio::test]
    async fn retry_after_holds_new_requests() {
        let gate = Adaptive::new(64);
        gate.acquire().await.done(Outcome::Throttled(Some(Duration::from_millis(30))));
        let held = Instant::now();
        drop(gate.acquire().await);
        assert!(held.elapsed() >= Duration::from_millis(25), "Retry-After holds new requests");
        assert_eq!(gate.summary().refusals, 1);
        assert_eq!(gate.summary().limit, INITIAL_LIMIT / 2, "and the limit is halved");
    }
}
