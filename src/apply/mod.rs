//! Carries out a plan against a PSA: cancels, then updates, then creates, each phase with
//! bounded concurrency; every outcome reported and (optionally) written to an audit log.
//!
//! A stale or rejected action fails alone; an error that would fail every later action too
//! (credentials, unreachable PSA) stops new writes, so a re-plan sees exactly what was done.

mod audit;
mod guard;
mod saved;

use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

pub use audit::AuditLog;
pub use guard::destructive;
pub use saved::{SavedPlan, SavedPlanError};

use crate::live::{LiveError, Psa};
use crate::model::Applied;
use crate::reconcile::{Action, ActionKind, Plan};

/// What happened to one planned action.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The action.
    pub action: &'a Action,
    /// Applied, failed, or skipped because an earlier error stopped the run.
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
}

/// Runs every action of `plan` against `psa` with at most `concurrency` writes in flight,
/// calling `report` as each finishes (in completion order). Returns outcomes in plan order.
pub async fn execute<'a>(
    plan: &'a Plan,
    psa: &dyn Psa,
    concurrency: usize,
    mut report: impl FnMut(&Action, &Result<Applied, ActionError>),
) -> Vec<Outcome<'a>> {
    let mut results: Vec<Option<Result<Applied, ActionError>>> = plan.actions.iter().map(|_| None).collect();
    let stopped = AtomicBool::new(false);
    for phase in [ActionKind::Cancel, ActionKind::Update, ActionKind::Create] {
        let indices: Vec<usize> =
            (0..plan.actions.len()).filter(|&i| plan.actions[i].kind == phase).collect();
        let stopped = &stopped;
        let mut running = futures::stream::iter(indices)
            .map(|i| async move {
                if stopped.load(Ordering::SeqCst) {
                    return (i, Err(ActionError::Skipped));
                }
                (i, psa.apply(&plan.actions[i].write).await.map_err(ActionError::from))
            })
            .buffer_unordered(concurrency.max(1));
        // Writes already in flight when a run-stopping error arrives still finish and count.
        while let Some((i, result)) = running.next().await {
            if let Err(ActionError::Failed(e)) = &result
                && stops_run(e)
            {
                stopped.store(true, Ordering::SeqCst);
            }
            report(&plan.actions[i], &result);
            results[i] = Some(result);
        }
    }
    plan.actions
        .iter()
        .zip(results)
        .map(|(action, result)| Outcome { action, result: result.unwrap_or(Err(ActionError::Skipped)) })
        .collect()
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
