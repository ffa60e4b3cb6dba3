//! `cspctl report`: the monthly billing reconciliation (billed, cost, margin, unbilled licences,
//! renewals, accepted exceptions) from the same reads and the same pure plan as `cspctl plan`,
//! without planning or making any write.

use chrono::NaiveDate;

use super::plan::{PlanOptions, prepare};
use super::{CliError, ExitStatus, Format, Printer, WorkspaceArg};
use crate::render::{Report, report_csv, report_json, report_markdown};

/// Output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Headings and tables, for a wiki page or an email.
    Markdown,
    /// One row per client and a total row, for a spreadsheet.
    Csv,
    /// The figures for scripts (versioned like the plan's JSON).
    Json,
}

/// Arguments of `cspctl report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// The day the report describes (default: today): renewals are counted from it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Report only these clients (Dicker Data ids); repeat for several.
    #[arg(long, value_name = "CLIENT")]
    pub target: Vec<String>,
}

/// Reads both sides, reconciles, prints the report. Writes nothing, anywhere. Exits 1 when
/// the plan has errors: the figures then leave something out (the report lists what).
pub async fn run(args: &ReportArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let options = PlanOptions {
        workspace: args.workspace.clone(),
        format: Format::Json,
        date: args.date,
        strict: false,
        state_out: None,
        target: args.target.clone(),
    };
    let prepared = prepare(&options, printer).await?;
    let report = Report::new(&prepared.plan, prepared.date);
    printer.out(&match args.format {
        ReportFormat::Markdown => report_markdown(&report),
        ReportFormat::Csv => report_csv(&report),
        ReportFormat::Json => report_json(&report),
    });
    Ok(if prepared.plan.errors.is_empty() { ExitStatus::Success } else { ExitStatus::Failure })
}
