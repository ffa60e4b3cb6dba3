//! Dicker Data as a licence source, from either of the two places a partner can read it:
//!
//! - [`DickerDataExport`]: the *Annuity Information* export (`.xlsx` or `.csv`) that every
//!   partner can download from the portal;
//! - [`DickerDataApi`]: the B2B REST API. Its AccessKey exchange and pricing call are
//!   documented by Dicker Data; its customer and subscription listing is **modelled** by
//!   cspctl (Dicker Data has not published it), with paths and paging set in `cspctl.yaml`.
//!
//! Both sources give the same [`DistributorSnapshot`](crate::model::DistributorSnapshot)
//! through one set of rules ([`rules`]), so a workspace can switch between them without edits.

pub mod api;
pub mod export;
pub mod rules;
pub mod values;

pub use api::{DickerDataApi, DickerDataCredentials, ListingSettings, UnitPrice};

pub use export::{DickerDataExport, ExportError, read_export, read_export_bytes};
