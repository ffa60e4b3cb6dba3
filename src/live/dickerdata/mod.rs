//! Dicker Data as a licence source, from either of the two places a partner can read it:
//!
//! - [`DickerDataExport`]: the *Annuity Information* export (`.xlsx` or `.csv`) that every
//!   partner can download from the portal;
//! - [`DickerDataApi`]: the cloud-subscriptions API (`Subscriptions/GetTenant` and
//!   `Subscriptions/GetSubscriptionDetails`). Dicker Data has not published it; cspctl speaks
//!   it as a public production client does, and reads what that client does not show
//!   defensively (see README).
//!
//! Both sources give the same [`DistributorSnapshot`](crate::model::DistributorSnapshot)
//! through one set of rules ([`rules`]), so a workspace can switch between them without edits.

pub mod api;
pub mod export;
pub mod rules;
pub mod values;

pub use api::{DickerDataApi, DickerDataCredentials};

pub use export::{DickerDataExport, ExportError, read_export, read_export_bytes};
