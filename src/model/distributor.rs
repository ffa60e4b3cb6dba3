use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::StockCode;

/// A Dicker Data cloud customer (one Microsoft tenant), keyed by its Dicker Data id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Dicker Data customer id or tenant id: the key YAML clients use.
    pub id: String,
    /// Name as Dicker Data holds it; YAML names are checked against it.
    pub name: String,
}

/// Whether Dicker Data still bills a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    /// Billed: counts towards the PSA quantity.
    Active,
    /// Suspended, cancelled, expired or deleted: counts as zero.
    Inactive,
}

/// One subscription line: a quantity of one stock code held by one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// The owning customer's Dicker Data id.
    pub customer: String,
    /// Dicker Data subscription id; several can share a stock code and then add up.
    pub subscription: String,
    /// What is held; matched against product mappings.
    pub stock_code: StockCode,
    /// Dicker Data's product name, written to descriptions when a client asks for it.
    pub description: String,
    /// Seats held.
    pub quantity: u32,
    /// Only active licences are billed.
    pub status: LicenceStatus,
    /// Per-unit cost per term, where the source reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    /// Per-unit recommended retail price per term, where the source reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_rrp: Option<f64>,
    /// Last day (inclusive) of the current commitment term; the subscription renews the day
    /// after. Until then Dicker Data bills the seats held (NCE allows no reduction after the
    /// first 7 days). Export: REVALUATION PERIOD; API: ExpiryDate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_end: Option<NaiveDate>,
    /// The next date Dicker Data invoices this line, where the source reports it (API:
    /// NextBillingDate; the export has no such column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_billing: Option<NaiveDate>,
}

/// Everything the distributor holds, read in one go: the input of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributorSnapshot {
    /// All customers, including those the workspace does not name (they are "Not Setup").
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// All licences of those customers.
    #[serde(default)]
    pub licences: Vec<Licence>,
}
