use std::io::{BufRead, Write as _};
use std::path::PathBuf;

use super::plan::{PlanOptions, Prepared, load_workspace, prepare_loaded, render_plan};
use super::{CliError, ExitStatus, Format, Printer};
use crate::apply::{
    ActionError, AuditContext, AuditLog, Duplicate, Event, Interrupt, LockError, SavedPlan, SavedPlanError,
    WorkspaceLock,
};
use crate::git::Commit;
use crate::reconcile::{Action, ActionKind};
use crate::render::escape::terminal;

/// Arguments of `cspctl apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    options: PlanOptions,
    /// Apply without asking (required when not at a terminal, e.g. in CI).
    #[arg(long)]
    auto_approve: bool,
    /// Writes in flight at once [default: 4; Autotask: 6, two per slot of its per-endpoint limit].
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Append one JSON line per write to this file.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Apply even when the plan cancels or cuts a large share of what is billed.
    #[arg(long)]
    allow_destructive: bool,
}

/// `cspctl apply`: plan, show, confirm, write, report each outcome.
pub async fn run(args: &ApplyArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    // `apply FILE` applies a saved plan: only one made by this release, for this workspace, PSA
    // and workspace files, and only if a fresh plan is identical to it.
    let plan_file = &args.options.workspace.dir;
    let saved = match plan_file.is_file() {
        true => Some(SavedPlan::read(plan_file).map_err(refused)?),
        false => None,
    };
    let mut options = args.options.clone();
    if let Some(saved) = &saved {
        options.workspace.dir = saved.locate(plan_file).map_err(refused)?;
        options.date = Some(saved.date);
        options.target = saved.targets.clone();
    }
    // One apply per workspace at a time on this machine; the read-back after the writes
    // covers applies elsewhere. Taken before planning, so the plan reads what the other wrote.
    let _lock = match WorkspaceLock::acquire(&options.workspace.dir) {
        Ok(lock) => Some(lock),
        Err(e @ LockError::Held { .. }) => {
            return Err(
                CliError::new(&e).hint("wait for it to finish, then run `cspctl plan` to see what is left")
            );
        }
        Err(e) => {
            printer.status(&format!("warning: {e}; applying without the workspace lock"));
            None
        }
    };
    let workspace = load_workspace(&options.workspace.dir, printer)?;
    if let Some(saved) = &saved {
        saved.check(plan_file, &workspace).map_err(refused)?;
    }
    let Prepared { live, plan, mut origin, .. } = prepare_loaded(&options, workspace, printer).await?;
    if let Some(saved) = &saved {
        saved.check_fresh(plan_file, &plan).map_err(refused)?;
        // What was applied is the plan made at that commit (this checkout may be another).
        origin.commit = saved.git.clone();
    }
    let plan_hash = crate::provenance::plan_hash(&plan);
    // JSON and Markdown get one document: the plan alone, or the plan with the outcomes once
    // applied (a pull-request comment or a script reads it whole).
    let json = args.options.format == Format::Json;
    let document = json || args.options.format == Format::Markdown;
    if !document || !plan.errors.is_empty() || !plan.has_changes() || (!args.auto_approve && saved.is_none())
    {
        printer.out(&render_plan(&plan, args.options.format, printer, &origin));
    }
    if !plan.errors.is_empty() {
        return Err(CliError::msg("the plan has errors; nothing was applied")
            .hint("fix the errors listed above and run again"));
    }
    if args.options.strict && !plan.warnings.is_empty() {
        return Err(CliError::msg("the plan has warnings and --strict is set; nothing was applied"));
    }
    if !plan.has_changes() {
        return Ok(ExitStatus::Success);
    }
    if !args.allow_destructive
        && let Some(reason) = crate::apply::destructive(&plan)
    {
        return Err(CliError::msg(format!("refusing to apply: the plan looks destructive ({reason}); nothing was applied"))
            .hint("check the Dicker Data source (an empty or partial export looks like this); if the plan is right, run again with --allow-destructive"));
    }
    // A saved plan was reviewed when it was made: applying it asks no question.
    if !args.auto_approve && saved.is_none() {
        if !printer.interactive {
            return Err(CliError::msg("refusing to apply without confirmation: not at a terminal")
                .hint("review the plan, then run again with --auto-approve"));
        }
        if !confirm(plan.actions.len())? {
            printer.status("Apply cancelled; nothing was changed.");
            return Ok(ExitStatus::Failure);
        }
    }
    let mut audit = match &args.audit_log {
        Some(path) => {
            let context = AuditContext { plan_hash: plan_hash.clone(), commit: origin.commit.clone() };
            Some(
                AuditLog::open(path, context)
                    .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let interrupt = Interrupt::install(
        "interrupted: no new write starts; writes in flight finish and are recorded (interrupt again to stop at once)",
    )
    .map_err(|e| CliError::msg(format!("cannot watch for interrupts: {e}")))?;
    let run = crate::apply::run(
        &plan,
        live.psa.as_ref(),
        args.concurrency.unwrap_or_else(|| live.psa.writes_in_flight()),
        interrupt.flag(),
        |event| {
            let (written, line) = match event {
                Event::Done(action, result) => {
                    (audit.as_mut().map(|log| log.record(action, result)), outcome_line(action, result))
                }
                Event::Duplicate(d) => (audit.as_mut().map(|log| log.record_duplicate(d)), duplicate_line(d)),
            };
            if let Some(Err(e)) = written {
                printer.status(&format!("warning: audit log not written: {e}"));
            }
            if !document {
                printer.status(&line);
            }
        },
    )
    .await;
    drop(interrupt);
    let outcomes = &run.outcomes;
    let applied = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let not_started = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o.result,
                Err(ActionError::Interrupted | ActionError::Skipped | ActionError::Unchecked(_))
            )
        })
        .count();
    let failed = outcomes.len() - applied - not_started;
    if json {
        let lines: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(a) => serde_json::json!({ "kind": o.action.kind, "client": o.action.client, "agreement": o.action.agreement, "product": o.action.product, "status": "applied", "addition": a.addition }),
                Err(e) => serde_json::json!({ "kind": o.action.kind, "client": o.action.client, "agreement": o.action.agreement, "product": o.action.product, "status": status_word(e), "error": e.to_string() }),
            })
            .collect();
        let duplicates: Vec<serde_json::Value> = run
            .duplicates
            .iter()
            .map(|d| serde_json::json!({ "agreement_id": d.agreement, "product_id": d.product, "kept": d.kept, "cancelled": d.cancelled, "status": if d.result.is_ok() { "cancelled" } else { "failed" }, "error": d.result.as_ref().err() }))
            .collect();
        let report = serde_json::json!({
            "plan": crate::render::json_value(&plan, &origin),
            "outcomes": lines,
            "duplicates": duplicates,
            "plan_hash": plan_hash,
            "git": origin.commit,
        });
        printer.out(&format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()));
    } else if document {
        let options = crate::render::RenderOptions { color: false, verbose: printer.verbose };
        printer.out(&crate::render::markdown_applied(&plan, options, &origin, outcomes));
    }
    if let Some(why) = &run.readback {
        printer.status(&format!("warning: {why}"));
    }
    let mut summary = format!("Apply complete: {applied} applied, {failed} failed");
    if not_started > 0 {
        summary.push_str(&format!(", {not_started} not started"));
    }
    let cancelled = run.duplicates.iter().filter(|d| d.result.is_ok()).count();
    if !run.duplicates.is_empty() {
        summary.push_str(&format!("; {cancelled} of {} duplicate(s) cancelled", run.duplicates.len()));
    }
    printer.status(&format!("{summary}."));
    if !json {
        printer.status(&applied_from(&plan_hash, origin.commit.as_ref()));
    }
    if run.interrupted {
        return Err(CliError::msg(format!(
            "the apply was interrupted: {applied} applied, {failed} failed, {not_started} not started"
        ))
        .hint("run `cspctl plan` to see what is left; a new apply finishes it"));
    }
    if failed + not_started > 0 || cancelled < run.duplicates.len() {
        let same_day = outcomes
            .iter()
            .filter(|o| matches!(&o.result, Err(ActionError::Failed(e)) if e.is_same_day()))
            .count();
        let mut error = CliError::msg(format!(
            "{} of {} action(s) were not applied",
            failed + not_started,
            outcomes.len()
        ));
        if same_day > 0 {
            error = error.hint(format!(
                "{same_day} Autotask change(s) meet an adjustment already made today: applying again today will not make them; they can take effect from tomorrow"
            ));
        }
        if same_day < failed + not_started || cancelled < run.duplicates.len() {
            error = error.hint("run `cspctl plan` to see what is left; a new apply finishes it");
        }
        return Err(error);
    }
    Ok(ExitStatus::Success)
}

/// A saved plan refused: its message, what to do, and its own exit code.
fn refused(e: SavedPlanError) -> CliError {
    let hint = match &e {
        SavedPlanError::Unreadable { .. } => "pass a file written by `cspctl plan --out`",
        SavedPlanError::OtherWorkspace { .. } => {
            "run apply inside a checkout of the repository the plan was made in (or next to its plan file, outside git), not inside another workspace"
        }
        SavedPlanError::OtherEndpoint { .. } | SavedPlanError::OtherVersion { .. } => {
            "plan again with this cspctl and workspace (`cspctl plan --out`) and review the new plan"
        }
        SavedPlanError::FilesChanged { .. } | SavedPlanError::Stale { .. } => {
            "run `cspctl plan --out` again and review the new plan"
        }
    };
    CliError::new(&e).hint(hint).status(ExitStatus::Refused(e.exit_code()))
}

/// The last line of an apply: the plan applied, the commit it came from and its author.
fn applied_from(plan_hash: &str, commit: Option<&Commit>) -> String {
    match commit {
        Some(c) => format!(
            "Applied plan {plan_hash} from commit {}{} by {}.",
            &c.commit[..c.commit.len().min(12)],
            if c.dirty { " (with uncommitted changes)" } else { "" },
            terminal(c.author.as_deref().unwrap_or("an unknown author"))
        ),
        None => format!("Applied plan {plan_hash} (not from a git checkout)."),
    }
}

fn status_word(e: &ActionError) -> &'static str {
    match e {
        ActionError::Skipped | ActionError::Unchecked(_) => "skipped",
        ActionError::Interrupted => "not_started",
        _ => "failed",
    }
}

fn duplicate_line(d: &Duplicate) -> String {
    match &d.result {
        Ok(()) => format!(
            "  ok      cancelled addition {} on agreement {}: a duplicate of addition {} (made at the same time by another apply, or by a request that landed late)",
            d.cancelled, d.agreement, d.kept
        ),
        Err(e) => format!(
            "  FAILED  cancelling addition {} on agreement {}, a duplicate of addition {}: {}",
            d.cancelled,
            d.agreement,
            d.kept,
            terminal(&e.to_string())
        ),
    }
}

fn outcome_line(action: &Action, result: &Result<crate::model::Applied, ActionError>) -> String {
    // Names come from Dicker Data, the PSA and the YAML: no control character reaches the terminal.
    let what =
        terminal(&format!("{} / {} / {}", action.client_name, action.agreement, action.product)).into_owned();
    match result {
        Ok(applied) => {
            let verb = match action.kind {
                ActionKind::Create => "created",
                ActionKind::Update => "updated",
                ActionKind::Cancel => "cancelled",
            };
            format!("  ok      {verb} {what} (addition {})", applied.addition)
        }
        Err(ActionError::Skipped) => format!("  skipped {what}: an earlier error stopped the apply"),
        Err(ActionError::Interrupted) => format!("  not started {what}: the apply was interrupted"),
        Err(e) => format!("  FAILED  {what}: {}", terminal(&e.to_string())),
    }
}

fn confirm(count: usize) -> Result<bool, CliError> {
    eprint!("Apply these {count} change(s)? Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| CliError::new(&e))?;
    Ok(answer.trim() == "yes")
}
