use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;

use super::connect::{self, Live};
use super::{CliError, ExitStatus, Format, Printer, WorkspaceArg};
use crate::config::Workspace;
use crate::git::Checkout;
use crate::reconcile::{Finding, Plan};
use crate::render::{self, Origin, RenderOptions};

/// Options shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanOptions {
    #[command(flatten)]
    pub workspace: WorkspaceArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Effective date of changes (default: today in the workspace's `timezone`). Pins output
    /// for reviews and tests.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Fail (exit 1) when the plan has warnings (Not Setup clients, Not Mapped licences, ...).
    #[arg(long)]
    pub strict: bool,
    /// Write sandbox changes to this file instead of the workspace's state file.
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Plan only these clients (Dicker Data ids); repeat for several.
    #[arg(long, value_name = "CLIENT")]
    pub target: Vec<String>,
}

/// Arguments of `cspctl plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub options: PlanOptions,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan for `cspctl apply FILE`, which refuses it if anything changed since.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A plan and what it was made from.
pub struct Prepared {
    /// Both live sides, still open for apply.
    pub live: Live,
    /// The plan.
    pub plan: Plan,
    /// The effective date used.
    pub date: NaiveDate,
    /// What the Markdown header says about the plan.
    pub origin: Origin,
}

/// Loads a workspace, turning its problems into one error that lists them all.
pub fn load_workspace(dir: &Path, printer: &Printer) -> Result<Workspace, CliError> {
    let ws = crate::config::load(dir).map_err(|e| {
        let count = e.0.len();
        let problems = if count == 1 { "1 problem".to_string() } else { format!("{count} problems") };
        CliError::msg(format!("{}: invalid ({problems}); nothing was read or written", dir.display()))
            .details(e.render(printer.color))
            .hint("fix the YAML above; `cspctl validate` checks it offline")
    })?;
    // Unfinished but usable (an incomplete mapping): said once, then the run goes on.
    for warning in &ws.warnings {
        printer.status(warning.render(printer.color).trim_end());
    }
    Ok(ws)
}

/// `cspctl plan`: read both sides, print what apply would change.
pub async fn run(args: &PlanArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let workspace = load_workspace(&args.options.workspace.dir, printer)?;
    let saved_from = args.out.as_ref().map(|_| workspace.clone());
    let Prepared { plan, date, mut origin, .. } = prepare_loaded(&args.options, workspace, printer).await?;
    origin.full_plan = args.out.as_ref().map(|p| p.display().to_string());
    printer.out(&render_plan(&plan, args.options.format, printer, &origin));
    if let (Some(path), Some(workspace)) = (&args.out, &saved_from) {
        let failed = |e: std::io::Error| CliError::msg(format!("{}: {e}", path.display()));
        let saved =
            crate::apply::SavedPlan::new(workspace, path, date, args.options.target.clone(), plan.clone())
                .map_err(failed)?;
        saved.write(path).map_err(failed)?;
        printer.status(&format!(
            "Saved the plan to {}; `cspctl apply {}` applies exactly it.",
            path.display(),
            path.display()
        ));
    }
    Ok(if !plan.errors.is_empty() || (args.options.strict && !plan.warnings.is_empty()) {
        ExitStatus::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Loads the workspace, opens both sides, reads them in bulk and plans.
pub async fn prepare(options: &PlanOptions, printer: &Printer) -> Result<Prepared, CliError> {
    prepare_loaded(options, load_workspace(&options.workspace.dir, printer)?, printer).await
}

/// [`prepare`] for a workspace already loaded (apply checks a saved plan against it first).
pub async fn prepare_loaded(
    options: &PlanOptions,
    workspace: Workspace,
    printer: &Printer,
) -> Result<Prepared, CliError> {
    if let Some(unknown) =
        options.target.iter().find(|t| !workspace.clients.iter().any(|c| &c.dicker_data == *t))
    {
        return Err(CliError::msg(format!(
            "--target {unknown}: no client with that Dicker Data id in the workspace"
        )));
    }
    let today = options.date.unwrap_or_else(|| workspace.settings.calendar.today());
    let live = connect::open(&workspace, options.state_out.as_deref(), today)?;
    let scope = crate::reconcile::scope(&workspace);
    let spinner = printer.progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("Reading {} and {}…", live.distributor.name(), live.psa.name()));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let (distributor, psa) = tokio::join!(live.distributor.snapshot(), live.psa.snapshot(&scope));
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let distributor = distributor.map_err(|e| CliError::new(&e))?;
    let psa = psa.map_err(|e| CliError::new(&e))?;
    let mut plan = crate::reconcile::plan(&workspace, &distributor, &psa, today);
    if !options.target.is_empty() {
        let targeted = |client: &Option<String>| client.as_ref().is_none_or(|c| options.target.contains(c));
        plan.actions.retain(|a| options.target.contains(&a.client));
        plan.errors.retain(|f| targeted(&f.client));
        plan.warnings.retain(|f| targeted(&f.client));
        plan.accepted.retain(|a| options.target.contains(&a.client));
        plan.money.retain_clients(|c| options.target.iter().any(|t| t == c));
    }
    add_refusals(&mut plan, live.psa.as_ref()).await?;
    let checkout = Checkout::of(&options.workspace.dir);
    let origin = Origin {
        workspace: checkout
            .as_ref()
            .and_then(|c| c.relative(&options.workspace.dir))
            .unwrap_or_else(|| options.workspace.dir.display().to_string()),
        psa: live.psa.name().to_string(),
        date: Some(today),
        commit: checkout.as_ref().and_then(Checkout::head),
        full_plan: None,
    };
    Ok(Prepared { live, plan, date: today, origin })
}

/// Adds to the plan, as findings, what apply would refuse although reconcile found no error:
/// a pull-request check then fails (with `--strict`) instead of the apply after merge.
async fn add_refusals(plan: &mut Plan, psa: &dyn crate::live::Psa) -> Result<(), CliError> {
    let warn = |code: &str, message: String| Finding { code: code.to_string(), client: None, message };
    if let Some(reason) = crate::apply::destructive(plan) {
        plan.warnings.push(warn(
            "destructive",
            format!(
                "apply refuses this plan without --allow-destructive: it looks destructive ({reason}); \
                 an empty or partial Dicker Data source looks like this"
            ),
        ));
    }
    if plan.has_changes()
        && let Some(budget) = psa.budget_warning(plan.actions.len()).await.map_err(|e| CliError::new(&e))?
    {
        plan.warnings.push(warn("request_budget", format!("{budget}; apply may be slowed down or refused")));
    }
    Ok(())
}

/// Renders a plan in the chosen format with the printer's colour and verbosity.
pub fn render_plan(plan: &Plan, format: Format, printer: &Printer, origin: &Origin) -> String {
    let options = RenderOptions { color: printer.color, verbose: printer.verbose };
    match format {
        Format::Text => render::text(plan, options),
        Format::Json => render::json_from(plan, origin),
        Format::Markdown => render::markdown(plan, options, origin),
    }
}
