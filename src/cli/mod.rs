//! The command line: argument parsing, output policy and exit codes. Each subcommand has its
//! own file; this one dispatches and turns errors into messages and exit codes.

mod apply;
mod connect;
mod import;
mod output;
mod plan;
mod report;
mod sandbox;
mod schema;
mod suggest;
mod validate;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::{ColorChoice, Format, Printer};

const EXAMPLES: &str = "\
Examples:
  cspctl plan examples/quickstart                 show what apply would change
  cspctl plan . --format markdown > plan.md       a plan for a pull-request comment
  cspctl plan . --detailed-exitcode --strict      CI check: 2 on changes, 1 on warnings
  cspctl apply . --auto-approve                   make the PSA match (CI after merge)
  cspctl plan . --out plan.json && cspctl apply plan.json
                                                  apply exactly the reviewed plan (refused if stale)
  cspctl validate .                               check the YAML offline
  cspctl import new-ws --psa sandbox --distributor sandbox --state ../examples/onboarding/state.yaml
                                                  write a workspace from live state, for review
  cspctl suggest .                                the YAML to add for Not Setup / Not Mapped
  cspctl report . --format csv > billing.csv      this month's billed, cost, margin and unbilled
  cspctl sandbox serve --state state.yaml         run the vendor simulator on 127.0.0.1

Exit codes:
  0  success; with --detailed-exitcode: no changes
  1  any error: usage (unknown flag, bad value), invalid YAML, unreachable vendor,
     plan errors, warnings with --strict, a refused apply or a failed write
  2  changes present, only with --detailed-exitcode
  3-7  apply refused a saved plan (see `cspctl apply --help`)
Credentials come only from environment variables (see README).";

/// `--version`: the package version and the git commit it was built from, when built in a
/// checkout (build.rs).
const VERSION: &str = env!("CSPCTL_VERSION");

/// Declarative Microsoft CSP licence billing: Dicker Data licences into ConnectWise Manage or Autotask.
#[derive(Debug, Parser)]
#[command(name = "cspctl", version = VERSION, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to use colour, on stdout and in logs (`NO_COLOR` turns it off, `CLICOLOR_FORCE` on).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Show more: unmanaged additions, one log line per HTTP request.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
    /// Show only errors and the plan.
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read live state and show what apply would change.
    Plan(plan::PlanArgs),
    /// Plan, confirm, then make the PSA match.
    #[command(after_help = crate::apply::SAVED_PLAN_EXIT_CODES)]
    Apply(apply::ApplyArgs),
    /// Check the workspace YAML offline (schema and references).
    Validate(validate::ValidateArgs),
    /// Print the billing reconciliation (billed, cost, margin, unbilled, renewals); writes nothing.
    Report(report::ReportArgs),
    /// Print the JSON Schema of workspace files.
    Schema,
    /// Write a workspace from live state, with proposed links for review.
    Import(import::ImportArgs),
    /// Propose entries for Not Setup clients and Not Mapped licences (a diff, or --write).
    Suggest(suggest::SuggestArgs),
    /// The built-in sandbox and vendor simulator.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Print a shell completion script (e.g. `cspctl completions bash > /etc/bash_completion.d/cspctl`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `cspctl man > ~/.local/share/man/man1/cspctl.1`.
    Man,
}

/// How a run ended; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; nothing to change or all changes applied.
    Success,
    /// Something failed or was refused.
    Failure,
    /// Changes are present (`--detailed-exitcode`).
    Changes,
    /// `apply` refused a saved plan, with the code saying why
    /// ([`crate::apply::SavedPlanError::exit_code`]).
    Refused(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Refused(code) => code,
        })
    }
}

/// An error at the edge: what happened, with hints for what to do next.
#[derive(Debug)]
pub struct CliError {
    /// The message (already includes its cause chain).
    pub message: String,
    /// `Hint:` lines.
    pub hints: Vec<String>,
    /// Already-rendered detail printed before the message (e.g. YAML diagnostics).
    pub details: Option<String>,
    /// How the run ends: [`ExitStatus::Failure`] unless a refusal has its own code.
    pub status: ExitStatus,
}

impl CliError {
    /// An error from any displayable cause, with its source chain.
    pub fn new(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(&format!("\n  caused by: {cause}"));
            source = cause.source();
        }
        CliError { message, hints: Vec::new(), details: None, status: ExitStatus::Failure }
    }

    /// An error from a plain message.
    pub fn msg(message: impl Into<String>) -> Self {
        CliError { message: message.into(), hints: Vec::new(), details: None, status: ExitStatus::Failure }
    }

    /// Sets the exit status (a refusal with its own code).
    pub fn status(mut self, status: ExitStatus) -> Self {
        self.status = status;
        self
    }

    /// Adds rendered detail shown above the message.
    pub fn details(mut self, details: String) -> Self {
        self.details = Some(details);
        self
    }

    /// Adds a `Hint:` line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e).into(),
    };
    init_logging(cli.color, cli.verbose);
    let printer = Printer::new(cli.color, cli.verbose, cli.quiet);
    let status = run(cli, &printer).unwrap_or_else(|e| {
        printer.error(&e);
        e.status
    });
    let _ = std::io::stdout().flush();
    status.into()
}

/// `--help` and `--version` print and succeed; any other parse error is a usage error and
/// exits 1 like every other error. (clap's own 2 would read as "changes present" to a CI job
/// using `--detailed-exitcode`.)
fn usage_error(e: &clap::Error) -> ExitStatus {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitStatus::Success,
        _ => ExitStatus::Failure,
    }
}

fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus, CliError> {
    match cli.command {
        Command::Schema => schema::run(printer),
        Command::Validate(args) => validate::run(&args, printer),
        Command::Plan(args) => runtime()?.block_on(plan::run(&args, printer)),
        Command::Apply(args) => runtime()?.block_on(apply::run(&args, printer)),
        Command::Import(args) => runtime()?.block_on(import::run(&args, printer)),
        Command::Suggest(args) => runtime()?.block_on(suggest::run(&args, printer)),
        Command::Report(args) => runtime()?.block_on(report::run(&args, printer)),
        Command::Sandbox(cmd) => runtime()?.block_on(sandbox::run(cmd, printer)),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "cspctl", &mut out);
            printer.out(&String::from_utf8_lossy(&out));
            Ok(ExitStatus::Success)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| CliError::new(&e))?;
            printer.out(&String::from_utf8_lossy(&out));
            Ok(ExitStatus::Success)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| CliError::new(&e))
}

/// Logs go to stderr, coloured by the same rule as stdout (for stderr's terminal). Off unless
/// `-v` (one line per HTTP request, and other progress) or `CSPCTL_LOG` (a tracing filter) asks;
/// warnings a reviewer must see are plan findings, not logs.
fn init_logging(color: ColorChoice, verbose: bool) {
    use std::io::IsTerminal as _;
    let filter =
        std::env::var("CSPCTL_LOG").unwrap_or_else(|_| if verbose { "cspctl=info" } else { "off" }.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(output::use_color(color, std::io::stderr().is_terminal()))
        .without_time()
        .try_init();
}

/// The workspace directory argument shared by plan, apply and validate.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkspaceArg {
    /// Workspace directory (holds cspctl.yaml); for apply, also a plan saved with `plan --out`.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}
