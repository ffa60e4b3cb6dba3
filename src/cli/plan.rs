use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;

use super::connect::{self, Live};
use super::{CliError, ExitStatus, Format, Printer, WorkspaceArg};
use crate::config::Workspace;
use crate::reconcile::Plan;
use crate::render::{self, RenderOptions};

/// Options shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanOptions {
    #[command(flatten)]
    pub workspace: WorkspaceArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Effective date of changes (default: today). Pins output for reviews and tests.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Fail (exit 1) when the plan has warnings (Not Setup clients, Not Mapped licences, ...).
    #[arg(long)]
    pub strict: bool,
    /// Write sandbox changes to this file instead of the workspace's state file.
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
}

/// Arguments of `cspctl plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub options: PlanOptions,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// Loads a workspace, turning its problems into one error that lists them all.
pub fn load_workspace(dir: &Path) -> Result<Workspace, CliError> {
    crate::config::load(dir).map_err(|e| {
        CliError::msg(format!("the workspace has {} problem(s):\n{e}", e.0.len()))
            .hint("fix the YAML above; `cspctl validate` checks it offline")
    })
}

/// `cspctl plan`: read both sides, print what apply would change.
pub async fn run(args: &PlanArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let (_, _, plan) = prepare(&args.options, printer).await?;
    printer.out(&render_plan(&plan, args.options.format, printer));
    Ok(if !plan.errors.is_empty() || (args.options.strict && !plan.warnings.is_empty()) {
        ExitStatus::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Loads the workspace, opens both sides, reads them in bulk and plans.
pub async fn prepare(options: &PlanOptions, printer: &Printer) -> Result<(Workspace, Live, Plan), CliError> {
    let workspace = load_workspace(&options.workspace.dir)?;
    let live = connect::open(&workspace, options.state_out.as_deref())?;
    let today = options.date.unwrap_or_else(|| chrono::Local::now().date_naive());
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
    let plan = crate::reconcile::plan(&workspace, &distributor, &psa, today);
    Ok((workspace, live, plan))
}

/// Renders a plan in the chosen format with the printer's colour and verbosity.
pub fn render_plan(plan: &Plan, format: Format, printer: &Printer) -> String {
    let options = RenderOptions { color: printer.color, verbose: printer.verbose };
    match format {
        Format::Text => render::text(plan, options),
        Format::Json => render::json(plan),
        Format::Markdown => render::markdown(plan, options),
    }
}
