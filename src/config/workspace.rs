use std::path::PathBuf;

use crate::model::Calendar;

use super::{
    Client, ClientDefaults, Currency, DistributorSource, Exception, OnLicenceRemoved, ProductMapping,
    PsaConnection, SandboxSettings, SyncDescription,
};

/// How far ahead renewals are reported when `renewal_window_days` is not set.
pub const DEFAULT_RENEWAL_WINDOW_DAYS: u32 = 30;

/// The settings of `cspctl.yaml`, with required parts present.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Licence source.
    pub distributor: DistributorSource,
    /// PSA connection.
    pub psa: PsaConnection,
    /// Sandbox state file, resolved against the workspace directory.
    pub sandbox: Option<SandboxSettings>,
    /// Per-client defaults.
    pub defaults: ClientDefaults,
    /// The tenant's calendar (`timezone:`), the one place that says what day it is.
    pub calendar: Calendar,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Days ahead within which renewals are reported.
    pub renewal_window_days: u32,
}

/// A loaded, checked workspace: what the operator wants.
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    /// The directory it was read from.
    pub root: PathBuf,
    /// `cspctl.yaml`.
    pub settings: Settings,
    /// All product mappings, in file order (files sorted by path).
    pub products: Vec<ProductMapping>,
    /// All clients, in file order (files sorted by path).
    pub clients: Vec<Client>,
    /// All accepted exceptions, in file order.
    pub exceptions: Vec<Exception>,
    /// What loads but is not finished (a product mapping naming no PSA product yet), for
    /// `validate` and `plan` to show; never a reason to refuse.
    pub warnings: Vec<super::Diagnostic>,
}

impl Workspace {
    /// A client's effective `sync_description`.
    pub fn sync_description(&self, client: &Client) -> SyncDescription {
        client.sync_description.or(self.settings.defaults.sync_description).unwrap_or_default()
    }

    /// A client's effective `on_licence_removed`.
    pub fn on_licence_removed(&self, client: &Client) -> OnLicenceRemoved {
        client.on_licence_removed.or(self.settings.defaults.on_licence_removed).unwrap_or_default()
    }
}
