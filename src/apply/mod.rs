//! Carries out a plan against a PSA: one bulk read of what the stale checks need, then
//! cancels, updates and creates, each phase with bounded concurrency, then one bulk read-back
//! of every pair a create touched, which cancels a duplicate a concurrent apply or a request
//! that landed late made. Every outcome is reported (and optionally written to an audit log).
//!
//! A stale or rejected action fails alone; an error that would fail every later action too
//! (credentials, unreachable PSA) or an interrupt stops new writes, and writes in flight
//! finish, so a re-plan sees exactly what was done.

mod audit;
mod guard;
mod interrupt;
mod lock;
mod readback;
mod saved;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

pub use audit::{AuditContext, AuditLog};
pub use guard::destructive;
pub use interrupt::Interrupt;
pub use lock::{LockError, WorkspaceLock};
pub use readback::Duplicate;
pub use saved::{Base, EXIT_CODES as SAVED_PLAN_EXIT_CODES, SavedPlan, SavedPlanError};

use crate::live::{LiveError, Psa};
use crate::model::{Addition, Applied, PsaId};
use crate::reconcile::{Action, ActionKind, Plan};

/// What happened to one planned action.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The action.
    pub action: &'a Action,
    /// Applied, failed, or not attempted.
    pub result: Result<Applied, ActionError>,
}

/// Why an action was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The provider refused or failed it.
    #[error(transparent)]
    Failed(#[from] LiveError),
    /// Not attempted: an earlier error stopped the run.
    #[error("not attempted: an earlier error stopped the apply")]
    Skipped,
    /// Not started: the apply was interrupted first.
    #[error("not started: the apply was interrupted")]
    Interrupted,
    /// Not attempted: the read its stale check needs failed.
    #[error("not attempted: reading the live additions to check the plan against failed: {0}")]
    Unchecked(String),
    /// Another addition appeared on the pair at the same time, with a different quantity; the
    /// one this run made was cancelled as its duplicate.
    #[error(
        "addition {kept} appeared on this agreement and product at the same time (another apply, or a request \
         that landed late) with quantity {quantity}; the one this apply made was cancelled as its duplicate. Run \
         plan again"
    )]
    Overtaken { kept: PsaId, quantity: f64 },
}

/// Something apply reports as it happens, for the terminal and the audit log.
pub enum Event<'e> {
    /// One planned action finished (or was not started).
    Done(&'e Action, &'e Result<Applied, ActionError>),
    /// A duplicate found by the read-back was cancelled (or the cancel failed).
    Duplicate(&'e Duplicate),
}

/// Everything one apply did.
#[derive(Debug)]
pub struct Run<'a> {
    /// Each planned action's outcome, in plan order.
    pub outcomes: Vec<Outcome<'a>>,
    /// Duplicates the read-back found and what was done about them.
    pub duplicates: Vec<Duplicate>,
    /// Why the read-back after the writes did not happen or failed, if it did not run.
    pub readback: Option<String>,
    /// Whether an interrupt stopped new writes.
    pub interrupted: bool,
}

/// Runs every action of `plan` against `psa` with at most `concurrency` writes in flight,
/// calling `report` as each finishes (in completion order). Returns outcomes in plan order.
pub async fn execute<'a>(
    plan: &'a Plan,
    psa: &dyn Psa,
    concurrency: usize,
    mut report: impl FnMut(&Action, &Result<Applied, ActionError>),
) -> Vec<Outcome<'a>> {
    let never = AtomicBool::new(false);
    run(plan, psa, concurrency, &never, |event| {
        if let Event::Done(action, result) = event {
            report(action, result);
        }
    })
    .await
    .outcomes
}

/// The whole apply: check read, writes, read-back. Once `interrupt` is set no new write
/// starts (writes in flight finish and are reported) and the read-back is left to the next
/// plan.
pub async fn run<'a>(
    plan: &'a Plan,
    psa: &dyn Psa,
    concurrency: usize,
    interrupt: &AtomicBool,
    mut report: impl FnMut(Event<'_>),
) -> Run<'a> {
    let mut results: Vec<Option<Result<Applied, ActionError>>> = plan.actions.iter().map(|_| None).collect();
    let bulk = psa.bulk_additions();
    let checked: BTreeSet<PsaId> = plan
        .actions
        .iter()
        .filter(|a| bulk || a.kind != ActionKind::Create)
        .map(|a| a.write.agreement())
        .collect();
    let mut live: HashMap<PsaId, Vec<Addition>> = HashMap::new();
    if !checked.is_empty() {
        match psa.additions(&checked.iter().copied().collect::<Vec<_>>()).await {
            Ok(found) => {
                for a in found {
                    live.entry(a.agreement).or_default().push(a);
                }
            }
            Err(e) => {
                let why = e.to_string();
                for (i, action) in plan.actions.iter().enumerate() {
                    let result = Err(ActionError::Unchecked(why.clone()));
                    report(Event::Done(action, &result));
                    results[i] = Some(result);
                }
            }
        }
    }

    let stopped = AtomicBool::new(false);
    for phase in [ActionKind::Cancel, ActionKind::Update, ActionKind::Create] {
        let indices: Vec<usize> = (0..plan.actions.len())
            .filter(|&i| plan.actions[i].kind == phase && results[i].is_none())
            .collect();
        let (stopped, live) = (&stopped, &live);
        let mut running = futures::stream::iter(indices)
            .map(|i| async move {
                if interrupt.load(Ordering::SeqCst) {
                    return (i, Err(ActionError::Interrupted));
                }
                if stopped.load(Ordering::SeqCst) {
                    return (i, Err(ActionError::Skipped));
                }
                let write = &plan.actions[i].write;
                let on_agreement = live.get(&write.agreement()).map(Vec::as_slice).unwrap_or(&[]);
                (i, psa.write(write, write.current(on_agreement)).await.map_err(ActionError::from))
            })
            .buffer_unordered(concurrency.max(1));
        // Writes already in flight when a run-stopping error arrives still finish and count.
        while let Some((i, result)) = running.next().await {
            if let Err(ActionError::Failed(e)) = &result
                && stops_run(e)
            {
                stopped.store(true, Ordering::SeqCst);
            }
            report(Event::Done(&plan.actions[i], &result));
            results[i] = Some(result);
        }
    }
    let mut results: Vec<Result<Applied, ActionError>> =
        results.into_iter().map(|r| r.unwrap_or(Err(ActionError::Skipped))).collect();

    let interrupted = interrupt.load(Ordering::SeqCst);
    let (duplicates, readback) = if interrupted {
        (Vec::new(), Some("the apply was interrupted; the next plan reads what was written".to_string()))
    } else {
        readback::confirm(plan, psa, bulk, &mut results, &mut report).await
    };
    let outcomes =
        plan.actions.iter().zip(results).map(|(action, result)| Outcome { action, result }).collect();
    Run { outcomes, duplicates, readback, interrupted }
}

/// Errors that would fail every later write too.
fn stops_run(e: &LiveError) -> bool {
    matches!(
        e,
        LiveError::Auth { .. }
            | LiveError::Config(_)
            | LiveError::Transport { .. }
            | LiveError::Source { .. }
    )
}
