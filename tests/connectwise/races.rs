//! What no apply may leave behind: two applies at once (as from CI runners on two machines,
//! which share no lock) and a create that lands at the server after the client gave up on
//! it each end with exactly one active addition per (agreement, product); and a seeded fault
//! soak (CSPCTL_SOAK_SEEDS, default 3) whose every run converges.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::NaiveDate;
use cspctl::apply::{ActionError, run};
use cspctl::config::Workspace;
use cspctl::live::connectwise::ConnectWise;
use cspctl::live::sandbox::SandboxState;
use cspctl::live::{LiveError, Psa};
use cspctl::reconcile::{ActionKind, Plan, plan, scope};
use cspctl::render::{RenderOptions, text};
use cspctl::sim::{Faults, RunningSim};

use crate::support::*;

fn today() -> NaiveDate {
    day("2026-11-28")
}

fn example() -> (Workspace, SandboxState) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connectwise");
    let ws = cspctl::config::load(&dir).expect("the example loads");
    let state = SandboxState::load(&dir.join("state.yaml")).expect("state");
    (ws, state)
}

async fn plan_now(ws: &Workspace, state: &SandboxState, cw: &ConnectWise) -> Result<Plan, LiveError> {
    Ok(plan(ws, &state.dicker_data, &cw.snapshot(&scope(ws)).await?, today()))
}

/// Active additions per (agreement, product) in the simulator.
fn active_pairs(sim: &RunningSim) -> BTreeMap<(i64, i64), usize> {
    let mut pairs = BTreeMap::new();
    for a in sim.shared.lock_state().psa.additions.iter().filter(|a| a.is_active_on(today())) {
        *pairs.entry((a.agreement, a.product)).or_insert(0) += 1;
    }
    pairs
}

fn timed_client(sim: &RunningSim, timeout: Duration) -> ConnectWise {
    client(sim).with_timeout(timeout).expect("timeout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once_leave_one_addition_per_pair_and_say_what_they_did() {
    let (ws, state) = example();
    let sim = start_with(state.clone(), Faults { latency_ms: 30, ..Faults::default() }).await;
    let (first, second) = (client(&sim), client(&sim));
    // Both plan before either writes: both plan the same creates.
    let plan_a = plan_now(&ws, &state, &first).await.expect("plan");
    let plan_b = plan_now(&ws, &state, &second).await.expect("plan");
    let creates = plan_a.count(ActionKind::Create);
    assert!(creates > 0, "{}", text(&plan_a, RenderOptions::default()));
    let never = AtomicBool::new(false);
    let (a, b) =
        tokio::join!(run(&plan_a, &first, 4, &never, |_| {}), run(&plan_b, &second, 4, &never, |_| {}));

    assert!(active_pairs(&sim).values().all(|&n| n == 1), "{:?}", active_pairs(&sim));
    // Each pair was created twice; the read-backs cancelled the newer one (both sides agree
    // on which), and said so.
    let mut cancelled: Vec<i64> = a.duplicates.iter().chain(&b.duplicates).map(|d| d.cancelled).collect();
    cancelled.sort_unstable();
    cancelled.dedup();
    assert_eq!(cancelled.len(), creates, "{:?} {:?}", a.duplicates, b.duplicates);
    assert!(a.duplicates.iter().chain(&b.duplicates).all(|d| d.result.is_ok() && d.kept < d.cancelled));
    // Every outcome is clear: applied (the pair holds what the plan asked), or refused as
    // stale because the other apply changed the addition first.
    for o in a.outcomes.iter().chain(&b.outcomes) {
        match &o.result {
            Ok(_) | Err(ActionError::Failed(LiveError::Stale { .. })) => {}
            other => panic!("{:?}: {other:?}", o.action.write),
        }
    }
    let again = plan_now(&ws, &state, &first).await.expect("plan");
    assert!(!again.has_changes(), "{}", text(&again, RenderOptions::default()));
    assert_eq!(requests(&sim, "DELETE"), 0);
}

#[tokio::test]
async fn a_create_that_lands_late_is_not_left_as_a_duplicate() {
    let (ws, state) = example();
    // The first create is held 600 ms and then made; the client gives up after 400 ms,
    // finds nothing, and sends it again.
    let faults = Faults { late_writes: 1, late_ms: 600, ..Faults::default() };
    let sim = start_with(state.clone(), faults).await;
    let cw = timed_client(&sim, Duration::from_millis(400));
    let first = plan_now(&ws, &state, &cw).await.expect("plan");
    let never = AtomicBool::new(false);
    let done = run(&first, &cw, 4, &never, |_| {}).await;
    for o in &done.outcomes {
        assert!(o.result.is_ok(), "{:?}: {:?}", o.action.write, o.result);
    }
    assert_eq!(done.duplicates.len(), 1, "{:?}", done.duplicates);
    assert!(done.duplicates[0].result.is_ok());
    assert!(active_pairs(&sim).values().all(|&n| n == 1), "{:?}", active_pairs(&sim));
    let again = plan_now(&ws, &state, &cw).await.expect("plan");
    assert!(!again.has_changes(), "{}", text(&again, RenderOptions::default()));
}

/// Seeds to run: CSPCTL_SOAK_SEEDS, else a handful for CI.
pub fn soak_seeds() -> u64 {
    std::env::var("CSPCTL_SOAK_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3)
}

/// 20% of requests faulted: 429, 5xx, truncated JSON, held past the timeout, landing late.
pub fn soak_faults(seed: u64) -> Faults {
    Faults {
        rate_429: 0.05,
        retry_after_secs: 0.01,
        rate_5xx: 0.05,
        rate_malformed: 0.05,
        rate_slow: 0.025,
        rate_late: 0.025,
        slow_ms: 500,
        late_ms: 500,
        seed,
        ..Faults::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_soak_converges_with_one_addition_per_pair() {
    let (ws, state) = example();
    let (mut faults, mut duplicates, mut cancelled, mut stuck) = (0, 0, 0, Vec::new());
    let seeds = soak_seeds();
    for seed in 0..seeds {
        let sim = start_with(state.clone(), soak_faults(seed)).await;
        let cw = timed_client(&sim, Duration::from_millis(300));
        let never = AtomicBool::new(false);
        let mut converged = false;
        for _round in 0..8 {
            let Ok(current) = plan_now(&ws, &state, &cw).await else { continue };
            if !current.has_changes() {
                converged = true;
                break;
            }
            let done = run(&current, &cw, 4, &never, |_| {}).await;
            cancelled += done.duplicates.iter().filter(|d| d.result.is_ok()).count();
        }
        faults += sim.shared.faults_injected();
        sim.shared.set_faults(Faults::default());
        let last = plan_now(&ws, &state, &cw).await.expect("plan without faults");
        converged &= !last.has_changes() && last.errors.is_empty();
        duplicates += active_pairs(&sim).values().filter(|&&n| n > 1).count();
        if !converged {
            stuck.push(seed);
        }
    }
    println!(
        "connectwise soak: {seeds} runs, {faults} faults injected, {cancelled} duplicates caught and cancelled, \
         {duplicates} duplicates left, {} non-convergent runs {stuck:?}",
        stuck.len()
    );
    assert_eq!(duplicates, 0);
    assert!(stuck.is_empty(), "seeds that did not converge: {stuck:?}");
}
