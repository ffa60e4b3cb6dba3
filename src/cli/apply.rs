use super::{CliError, ExitStatus, Printer, WorkspaceArg};

/// Arguments of `cspctl apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
}

/// `cspctl apply` (not built yet).
pub async fn run(_args: &ApplyArgs, _printer: &Printer) -> Result<ExitStatus, CliError> {
    Err(CliError::msg("apply is not built yet"))
}
