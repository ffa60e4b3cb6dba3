use super::{CliError, ExitStatus, Printer, WorkspaceArg};

/// Arguments of `cspctl validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
}

/// `cspctl validate`: load and check the workspace without touching the network.
pub fn run(args: &ValidateArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let workspace = super::plan::load_workspace(&args.workspace.dir)?;
    printer.out(&format!(
        "{}: valid ({} products, {} clients)\n",
        args.workspace.dir.display(),
        workspace.products.len(),
        workspace.clients.len()
    ));
    Ok(ExitStatus::Success)
}
