use std::path::Path;

use super::{CliError, ExitStatus, Printer, WorkspaceArg};
use crate::config::Workspace;

/// Arguments of `cspctl plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
}

/// Loads a workspace, turning its problems into one error that lists them all.
pub fn load_workspace(dir: &Path) -> Result<Workspace, CliError> {
    crate::config::load(dir).map_err(|e| {
        CliError::msg(format!("the workspace has {} problem(s):\n{e}", e.0.len()))
            .hint("fix the YAML above; `cspctl validate` checks it offline")
    })
}

/// `cspctl plan` (not built yet).
pub async fn run(args: &PlanArgs, _printer: &Printer) -> Result<ExitStatus, CliError> {
    let _ = load_workspace(&args.workspace.dir)?;
    Err(CliError::msg("plan is not built yet"))
}
