//! What no apply may leave behind on Autotask: two applies at once, an adjustment that lands
//! after the client gave up on it, an interrupt mid-apply (the `cspctl` binary, signalled),
//! and a seeded fault soak (CSPCTL_SOAK_SEEDS, default 3): each ends with one contract
//! service per (contract, service) at the units Dicker Data holds, and a plan with no change.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cspctl::apply::{ActionError, run};
use cspctl::sim::{Faults, RunningSim};

use super::*;

fn timed_client(sim: &RunningSim, timeout: Duration) -> Autotask {
    let options = cspctl::live::autotask::AutotaskOptions { timeout, ..options(sim) };
    Autotask::new(options, credentials()).expect("client")
}

/// Active contract services per (contract, service) in the simulator.
fn active_pairs(sim: &RunningSim) -> BTreeMap<(i64, i64), usize> {
    let mut pairs = BTreeMap::new();
    for a in sim.shared.lock_state().psa.additions.iter().filter(|a| a.is_active_on(today())) {
        *pairs.entry((a.agreement, a.product)).or_insert(0) += 1;
    }
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once_change_units_once() {
    let (example, sim, first, ws) = e2e::example_sim().await;
    sim.shared.set_faults(Faults { latency_ms: 30, ..Faults::default() });
    let second = client(&sim);
    let plan_a = e2e::plan(&ws, &example.state, &first).await;
    let plan_b = e2e::plan(&ws, &example.state, &second).await;
    assert!(plan_a.has_changes());
    let never = AtomicBool::new(false);
    let (a, b) =
        tokio::join!(run(&plan_a, &first, 4, &never, |_| {}), run(&plan_b, &second, 4, &never, |_| {}));
    for o in a.outcomes.iter().chain(&b.outcomes) {
        match &o.result {
            Ok(_) | Err(ActionError::Failed(LiveError::Stale { .. })) => {}
            other => panic!("{:?}: {other:?}", o.action.write),
        }
    }
    assert!(active_pairs(&sim).values().all(|&n| n == 1), "{:?}", active_pairs(&sim));
    // Units moved once, not twice: a fresh plan has nothing left to do.
    let again = e2e::plan(&ws, &example.state, &first).await;
    assert!(!again.has_changes(), "{:#?}", again.actions);
}

#[tokio::test]
async fn an_adjustment_that_lands_late_counts_once() {
    let (example, sim, _, ws) = e2e::example_sim().await;
    // The first create-like POST (a unit adjustment or a new service) is held 600 ms and
    // then made; the client gives up after 400 ms, re-reads and completes what is missing.
    sim.shared.set_faults(Faults { late_writes: 1, late_ms: 600, ..Faults::default() });
    let psa = timed_client(&sim, Duration::from_millis(400));
    let first = e2e::plan(&ws, &example.state, &psa).await;
    let never = AtomicBool::new(false);
    let done = run(&first, &psa, 4, &never, |_| {}).await;
    for o in &done.outcomes {
        assert!(o.result.is_ok(), "{:?}: {:?}", o.action.write, o.result);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sim.shared.faults_injected(), 1);
    let again = e2e::plan(&ws, &example.state, &psa).await;
    assert!(!again.has_changes(), "{:#?}", again.actions);
}

#[tokio::test]
async fn a_create_whose_units_fail_says_it_is_half_done_and_the_next_plan_finishes_it() {
    let (example, _sim, psa, ws) = e2e::example_sim().await;
    let first = e2e::plan(&ws, &example.state, &psa).await;
    let create =
        first.actions.iter().find(|a| a.kind == cspctl::reconcile::ActionKind::Create).expect("a create");
    // The service is added, then its adjustment is refused (dated before the contract).
    let mut write = create.write.clone();
    if let Write::Create { effective_date, .. } = &mut write {
        *effective_date = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("date");
    }
    let err = psa.apply(&write).await.expect_err("adjustment refused");
    let text = err.to_string();
    assert!(text.contains("was added to contract") && text.contains("with 0 units"), "{text}");
    assert!(text.contains("a new plan finishes it"), "{text}");
    let again = e2e::plan(&ws, &example.state, &psa).await;
    e2e::apply(&again, &psa).await;
    let last = e2e::plan(&ws, &example.state, &psa).await;
    assert!(!last.has_changes(), "{:#?}", last.actions);
}

/// Seeds to run: CSPCTL_SOAK_SEEDS, else a handful for CI.
fn soak_seeds() -> u64 {
    std::env::var("CSPCTL_SOAK_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_soak_converges_with_one_service_per_pair() {
    let (mut faults, mut duplicates, mut stuck) = (0, 0, Vec::new());
    let seeds = soak_seeds();
    for seed in 0..seeds {
        let (example, sim, _, ws) = e2e::example_sim().await;
        sim.shared.set_faults(Faults {
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
        });
        let psa = timed_client(&sim, Duration::from_millis(300));
        let scope = cspctl::reconcile::scope(&ws);
        let never = AtomicBool::new(false);
        for _round in 0..8 {
            let Ok(live) = psa.snapshot(&scope).await else { continue };
            let current = cspctl::reconcile::plan(&ws, &example.state.dicker_data, &live, today());
            if !current.has_changes() {
                break;
            }
            run(&current, &psa, 4, &never, |_| {}).await;
        }
        faults += sim.shared.faults_injected();
        sim.shared.set_faults(Faults::default());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let last = e2e::plan(&ws, &example.state, &psa).await;
        duplicates += active_pairs(&sim).values().filter(|&&n| n > 1).count();
        if last.has_changes() || !last.errors.is_empty() {
            stuck.push(seed);
        }
    }
    println!(
        "autotask soak: {seeds} runs, {faults} faults injected, {duplicates} duplicates left, {} non-convergent runs {stuck:?}",
        stuck.len()
    );
    assert_eq!(duplicates, 0);
    assert!(stuck.is_empty(), "seeds that did not converge: {stuck:?}");
}

fn cspctl_at(dir: &Path, args: &[&str]) -> std::process::Command {
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cspctl"));
    command
        .args(args)
        .current_dir(dir)
        .env("CSPCTL_AT_INTEGRATION_CODE", code)
        .env("CSPCTL_AT_USERNAME", user)
        .env("CSPCTL_AT_SECRET", secret)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

fn finish(child: std::process::Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_on_the_same_workspace_is_refused_and_names_the_first() {
    let (example, sim, _, _) = e2e::example_sim().await;
    sim.shared.set_faults(Faults { latency_ms: 200, ..Faults::default() });
    let dir = example.dir.path().to_path_buf();
    let (a, b) = tokio::task::spawn_blocking(move || {
        let args = ["apply", ".", "--auto-approve"];
        let first = cspctl_at(&dir, &args).spawn().expect("spawn");
        std::thread::sleep(Duration::from_millis(50));
        let second = cspctl_at(&dir, &args).spawn().expect("spawn");
        (finish(first), finish(second))
    })
    .await
    .expect("join");
    assert_eq!(a.0, Some(0), "{}", a.1);
    assert_eq!(b.0, Some(1), "{}", b.1);
    assert!(b.1.contains("another cspctl apply is running on this workspace (pid "), "{}", b.1);
    assert!(b.1.contains("Nothing was applied"), "{}", b.1);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_mid_apply_finishes_what_is_in_flight_and_the_audit_log_matches() {
    let (example, sim, psa, ws) = e2e::example_sim().await;
    let planned = e2e::plan(&ws, &example.state, &psa).await;
    sim.shared.set_faults(Faults { latency_ms: 400, ..Faults::default() });
    let dir = example.dir.path().to_path_buf();
    let audit = dir.join("audit.jsonl");
    let (code, output) = tokio::task::spawn_blocking({
        let (dir, audit) = (dir.clone(), audit.clone());
        move || {
            let args = ["apply", ".", "--auto-approve", "--concurrency", "1", "--audit-log", "audit.jsonl"];
            let child = cspctl_at(&dir, &args).spawn().expect("spawn");
            let started = Instant::now();
            while std::fs::read_to_string(&audit).map(|t| t.lines().count()).unwrap_or(0) < 1 {
                assert!(started.elapsed() < Duration::from_secs(60), "no write was recorded");
                std::thread::sleep(Duration::from_millis(20));
            }
            let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            assert!(kill.expect("kill runs").success());
            finish(child)
        }
    })
    .await
    .expect("join");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("interrupted: no new write starts"), "{output}");
    assert!(output.contains("not started"), "{output}");

    // One audit line per planned action; each says what the simulator holds.
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), planned.actions.len(), "{lines:#?}");
    let state = sim.shared.lock_state().psa.clone();
    let (mut applied, mut not_started) = (0, 0);
    for line in &lines {
        let w = &line["write"];
        let status = line["status"].as_str().unwrap_or_default();
        let id = w["addition"].as_i64().or_else(|| {
            let (c, s) = (w["agreement"].as_i64(), w["product"].as_i64());
            state.additions.iter().find(|a| Some(a.agreement) == c && Some(a.product) == s).map(|a| a.id)
        });
        let units = id.and_then(|id| units_on(&sim.shared, id, today())).unwrap_or(0);
        let target = match w["op"].as_str() {
            Some("cancel") => Some(0),
            _ => w["quantity"].as_i64(),
        };
        let before = w["from_quantity"].as_f64().map(|q| q as i64).unwrap_or(0);
        match status {
            "applied" => {
                applied += 1;
                if let Some(t) = target {
                    assert_eq!(units, t, "{line}");
                }
            }
            "not_started" => {
                not_started += 1;
                assert_eq!(units, before, "{line}");
            }
            other => panic!("{other}: {line}"),
        }
    }
    assert!(applied >= 1 && not_started >= 1, "{lines:#?}");

    // A new apply finishes the rest.
    sim.shared.set_faults(Faults::default());
    let (code, output) = tokio::task::spawn_blocking(move || {
        let again = finish(cspctl_at(&dir, &["apply", ".", "--auto-approve"]).spawn().expect("spawn"));
        assert_eq!(again.0, Some(0), "{}", again.1);
        finish(cspctl_at(&dir, &["plan", ".", "--detailed-exitcode"]).spawn().expect("spawn"))
    })
    .await
    .expect("join");
    assert_eq!(code, Some(0), "{output}");
}

#[tokio::test]
async fn a_same_day_change_fails_alone_and_says_when_it_can_take_effect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = super::names::workspace(dir.path());
    let sim = start(seeded(3, 3, 2)).await;
    let at = client(&sim);
    let scope = cspctl::reconcile::scope(&ws);
    let plan_with = |held: u32, live: cspctl::model::PsaSnapshot| {
        let mut dd = dd.dicker_data.clone();
        for l in &mut dd.licences {
            l.quantity = held;
        }
        cspctl::reconcile::plan(&ws, &dd, &live, today())
    };
    let first = plan_with(5, snap(&at, &scope).await);
    assert!(cspctl::apply::execute(&first, &at, 2, |_, _| {}).await.iter().all(|o| o.result.is_ok()));
    // Dicker Data moves again the same day: the plan warns, and apply's refusal says the
    // change can only take effect from tomorrow (not "apply again").
    let again = plan_with(7, snap(&at, &scope).await);
    assert!(again.warnings.iter().any(|f| f.code == "same_day_adjustment"), "{:?}", again.warnings);
    let outcomes = cspctl::apply::execute(&again, &at, 2, |_, _| {}).await;
    let [outcome] = outcomes.as_slice() else { panic!("{outcomes:?}") };
    match &outcome.result {
        Err(ActionError::Failed(e)) if e.is_same_day() => {
            let text = e.to_string();
            assert!(text.contains("from the next day") && !text.contains("apply again"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(units_on(&sim.shared, 100_001, today()), Some(5));
}
