//! The domain's plain types, shared by config, live providers, reconcile and render. No I/O.

mod calendar;
mod distributor;
mod fingerprint;
mod name;
mod psa;
mod stock_code;
mod write;

pub use calendar::{Calendar, DEFAULT_ZONE};
pub use distributor::{Customer, DistributorSnapshot, Licence, LicenceStatus};
pub use fingerprint::Fingerprint;
pub use name::{NameKey, same_psa_name};
pub use psa::{Addition, Agreement, AgreementStatus, Company, Product, PsaId, PsaScope, PsaSnapshot};
pub use stock_code::{Billing, StockCode, StockCodeError, Term};
pub use write::{Applied, Write};
