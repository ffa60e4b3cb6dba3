use super::{CliError, ExitStatus, Printer, WorkspaceArg};

/// Arguments of `cspctl validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
}

/// `cspctl validate`: load and check the workspace without touching the network. Prints a
/// one-line summary when valid, or every problem (with snippets) and exits 1.
pub fn run(args: &ValidateArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let dir = &args.workspace.dir;
    for skipped in crate::config::skipped_files(dir) {
        printer.status(&format!(
            "note: {} is not loaded (workspace files end in .yaml or .yml)",
            crate::render::escape::terminal(&dir.join(skipped).display().to_string())
        ));
    }
    match crate::config::load(dir) {
        Ok(workspace) => {
            if let Some(sandbox) = &workspace.settings.sandbox {
                // The state file is local: its problems are found here too, offline.
                crate::live::sandbox::SandboxState::load(&workspace.root.join(&sandbox.state))
                    .map_err(|e| CliError::new(&e))?;
            }
            if let crate::config::DistributorSource::DickerData(dd) = &workspace.settings.distributor
                && let Some(export) = &dd.export
            {
                crate::live::dickerdata::DickerDataExport::open(&workspace.root.join(export))
                    .map_err(|e| CliError::new(&e))?;
            }
            for warning in &workspace.warnings {
                printer.status(&format!("{}\n", warning.render(printer.color).trim_end()));
            }
            let (products, clients) = (workspace.products.len(), workspace.clients.len());
            let warnings = match workspace.warnings.len() {
                0 => String::new(),
                1 => "; 1 warning".to_string(),
                n => format!("; {n} warnings"),
            };
            printer.out(&format!(
                "{}: valid ({products} product{}, {clients} client{}{warnings})\n",
                dir.display(),
                if products == 1 { "" } else { "s" },
                if clients == 1 { "" } else { "s" },
            ));
            Ok(ExitStatus::Success)
        }
        Err(errors) => {
            printer.status(&errors.render(printer.color));
            let count = errors.0.len();
            printer.status(&format!(
                "\n{}: invalid ({count} problem{})",
                dir.display(),
                if count == 1 { "" } else { "s" }
            ));
            Ok(ExitStatus::Failure)
        }
    }
}
