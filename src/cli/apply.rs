use std::io::{BufRead, Write as _};
use std::path::PathBuf;

use super::plan::{PlanOptions, Prepared, prepare, render_plan};
use super::{CliError, ExitStatus, Format, Printer};
use crate::apply::{ActionError, AuditLog, SavedPlan};
use crate::reconcile::{Action, ActionKind};

/// Arguments of `cspctl apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    options: PlanOptions,
    /// Apply without asking (required when not at a terminal, e.g. in CI).
    #[arg(long)]
    auto_approve: bool,
    /// Writes in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Append one JSON line per write to this file.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Apply even when the plan cancels or cuts a large share of what is billed.
    #[arg(long)]
    allow_destructive: bool,
}

/// `cspctl apply`: plan, show, confirm, write, report each outcome.
pub async fn run(args: &ApplyArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    // `apply FILE` applies a saved plan, and only if a fresh plan is identical to it.
    let saved = match args.options.workspace.dir.is_file() {
        true => Some(SavedPlan::read(&args.options.workspace.dir).map_err(|e| CliError::new(&e))?),
        false => None,
    };
    let mut options = args.options.clone();
    if let Some(saved) = &saved {
        options.workspace.dir = saved.workspace.clone();
        options.date = Some(saved.date);
        options.target = saved.targets.clone();
    }
    let Prepared { live, plan, origin, .. } = prepare(&options, printer).await?;
    if let Some(saved) = &saved {
        let differences = saved.differences(&plan);
        if differences > 0 {
            return Err(CliError::msg(format!(
                "{} is stale: {differences} action(s) differ from a fresh plan (live state or the workspace changed since it was saved); nothing was applied",
                args.options.workspace.dir.display()
            ))
            .hint("run `cspctl plan --out` again and review the new plan"));
        }
    }
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
            Some(AuditLog::open(path).map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?)
        }
        None => None,
    };
    let outcomes = crate::apply::execute(&plan, live.psa.as_ref(), args.concurrency, |action, result| {
        if let Some(log) = audit.as_mut()
            && let Err(e) = log.record(action, result)
        {
            printer.status(&format!("warning: audit log not written: {e}"));
        }
        if !document {
            printer.status(&outcome_line(action, result));
        }
    })
    .await;
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let applied = outcomes.len() - failed;
    if json {
        let lines: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(a) => serde_json::json!({ "kind": o.action.kind, "client": o.action.client, "agreement": o.action.agreement, "product": o.action.product, "status": "applied", "addition": a.addition }),
                Err(e) => serde_json::json!({ "kind": o.action.kind, "client": o.action.client, "agreement": o.action.agreement, "product": o.action.product, "status": if matches!(e, ActionError::Skipped) { "skipped" } else { "failed" }, "error": e.to_string() }),
            })
            .collect();
        let report = serde_json::json!({ "plan": crate::render::json_value(&plan), "outcomes": lines });
        printer.out(&format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()));
    } else if document {
        let options = crate::render::RenderOptions { color: false, verbose: printer.verbose };
        printer.out(&crate::render::markdown_applied(&plan, options, &origin, &outcomes));
    }
    printer.status(&format!("Apply complete: {applied} applied, {failed} failed."));
    if failed > 0 {
        return Err(CliError::msg(format!("{failed} of {} action(s) were not applied", outcomes.len()))
            .hint("run `cspctl plan` to see what is left; a new apply finishes it"));
    }
    Ok(ExitStatus::Success)
}

fn outcome_line(action: &Action, result: &Result<crate::model::Applied, ActionError>) -> String {
    let what = format!("{} / {} / {}", action.client_name, action.agreement, action.product);
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
        Err(e) => format!("  FAILED  {what}: {e}"),
    }
}

fn confirm(count: usize) -> Result<bool, CliError> {
    eprint!("Apply these {count} change(s)? Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| CliError::new(&e))?;
    Ok(answer.trim() == "yes")
}
