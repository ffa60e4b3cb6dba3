//! Opens the live providers a workspace names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use super::CliError;
use crate::config::{DickerDataSettings, DistributorSource, PsaConnection, Workspace};
use crate::live::autotask::{Autotask, AutotaskCredentials, AutotaskOptions, MAX_PER_ENDPOINT};
use crate::live::connectwise::{
    CLIENT_ID_VAR, ConnectWise, ConnectWiseCredentials, PRIVATE_KEY_VAR, PUBLIC_KEY_VAR,
};
use crate::live::dickerdata::{DickerDataApi, DickerDataCredentials, DickerDataExport};
use crate::live::sandbox::Sandbox;
use crate::live::{Distributor, Psa};

/// The two live sides of a run.
pub struct Live {
    /// Licence source.
    pub distributor: Arc<dyn Distributor>,
    /// Billing target.
    pub psa: Arc<dyn Psa>,
}

/// Opens both sides. `state_out` redirects sandbox writes (so the shipped example stays as
/// committed); `date` is the plan date, which providers that read dated state (Autotask's
/// unit periods) read for.
pub fn open(workspace: &Workspace, state_out: Option<&Path>, date: NaiveDate) -> Result<Live, CliError> {
    let mut sandbox: Option<Arc<Sandbox>> = None;
    let mut open_sandbox = || -> Result<Arc<Sandbox>, CliError> {
        if let Some(s) = &sandbox {
            return Ok(s.clone());
        }
        let settings = workspace.settings.sandbox.as_ref().ok_or_else(|| {
            CliError::msg("a side is `sandbox` but cspctl.yaml has no `sandbox: { state: FILE }`")
        })?;
        let path: PathBuf = workspace.root.join(&settings.state);
        let out = state_out.map(Path::to_path_buf).unwrap_or_else(|| path.clone());
        let opened = Arc::new(Sandbox::open(&path, &out).map_err(|e| CliError::new(&e))?);
        sandbox = Some(opened.clone());
        Ok(opened)
    };
    let distributor: Arc<dyn Distributor> = match &workspace.settings.distributor {
        DistributorSource::Sandbox => open_sandbox()?,
        DistributorSource::DickerData(settings) => open_dicker_data(workspace, settings)?,
    };
    let psa: Arc<dyn Psa> = match &workspace.settings.psa {
        PsaConnection::Sandbox => open_sandbox()?,
        PsaConnection::Connectwise(settings) => {
            let credentials = ConnectWiseCredentials::from_env().map_err(|e| {
                CliError::new(&e).hint(format!(
                    "export {PUBLIC_KEY_VAR}, {PRIVATE_KEY_VAR} and {CLIENT_ID_VAR} (an API member's keys and your clientId)"
                ))
            })?;
            Arc::new(
                ConnectWise::new(settings, credentials)
                    .map_err(|e| CliError::new(&e))?
                    .with_calendar(workspace.settings.calendar),
            )
        }
        PsaConnection::Autotask(settings) => {
            let credentials = AutotaskCredentials::from_env(settings.username_env.as_deref())
                .map_err(|e| CliError::new(&e))?;
            let options = AutotaskOptions {
                base_url: settings.base_url.clone(),
                zone_url: settings.zone_url.clone(),
                concurrency: settings.concurrency.map_or(MAX_PER_ENDPOINT, usize::from),
                today: Some(date),
                calendar: workspace.settings.calendar,
                ..AutotaskOptions::default()
            };
            Arc::new(Autotask::new(options, credentials).map_err(|e| CliError::new(&e))?)
        }
    };
    Ok(Live { distributor, psa })
}

/// Opens Dicker Data from its export file or its API, whichever the settings name (exactly one).
fn open_dicker_data(
    workspace: &Workspace,
    settings: &DickerDataSettings,
) -> Result<Arc<dyn Distributor>, CliError> {
    match (&settings.export, &settings.api) {
        (Some(export), None) => {
            let path = workspace.root.join(export);
            Ok(Arc::new(DickerDataExport::open(&path).map_err(|e| CliError::new(&e))?))
        }
        (None, Some(api)) => {
            let credentials = DickerDataCredentials::from_env().map_err(|e| {
                CliError::new(&e).hint(format!(
                    "set {} (Dicker Data issues it; {} too if your key exchange needs the account code), or read the export with `dicker_data: {{ export: FILE }}`",
                    DickerDataCredentials::ACCESS_TOKEN_VAR,
                    DickerDataCredentials::ACCOUNT_CODE_VAR
                ))
            })?;
            let client =
                DickerDataApi::new(api.base_url.as_deref(), credentials).map_err(|e| CliError::new(&e))?;
            Ok(Arc::new(client))
        }
        _ => Err(CliError::msg(
            "cspctl.yaml: `distributor: { dicker_data: ... }` needs exactly one of `export: FILE` or `api: { ... }`",
        )),
    }
}
