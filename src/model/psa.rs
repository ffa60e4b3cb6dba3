use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Fingerprint;

/// A PSA record id (ConnectWise int32, Autotask int64).
pub type PsaId = i64;

/// A PSA company (customer account), referred to in YAML by its identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// PSA record id.
    pub id: PsaId,
    /// ConnectWise company identifier / Autotask company number or name: what YAML names.
    pub identifier: String,
    /// Display name, used for suggestions.
    pub name: String,
}

/// Lifecycle of an agreement / contract; only `Active` ones receive writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgreementStatus {
    /// Billing.
    Active,
    /// Cancelled by the MSP.
    Cancelled,
    /// Past its end date.
    Expired,
    /// Not yet or no longer in use.
    Inactive,
}

/// A ConnectWise agreement or an Autotask recurring-service contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// PSA record id.
    pub id: PsaId,
    /// Name as YAML refers to it (unique per company).
    pub name: String,
    /// Owning company's record id.
    pub company: PsaId,
    /// Only active agreements are written to.
    pub status: AgreementStatus,
    /// First day changes may take effect (Autotask rejects dates outside the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    /// Last day changes may take effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

/// A ConnectWise catalog item or an Autotask service: what an addition bills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// PSA record id.
    pub id: PsaId,
    /// ConnectWise catalog identifier / Autotask service name: what YAML names.
    pub identifier: String,
    /// Catalog description.
    #[serde(default)]
    pub description: String,
    /// Inactive products are warned about and not written.
    pub active: bool,
    /// Catalog unit price, used on create by the default price policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    /// Catalog unit cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<f64>,
}

/// A ConnectWise agreement addition or an Autotask contract service with its current units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addition {
    /// PSA record id.
    pub id: PsaId,
    /// The agreement / contract it sits on.
    pub agreement: PsaId,
    /// The product / service it bills.
    pub product: PsaId,
    /// Billed quantity (ConnectWise allows fractions; licences never have them).
    pub quantity: f64,
    /// Text shown on the invoice line, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unit price charged to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    /// Unit cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<f64>,
    /// When billing started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<NaiveDate>,
    /// When billing stops; on or before the plan date means history, never touched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_date: Option<NaiveDate>,
    /// A quantity change already dated the plan date, as the PSA reports it (Autotask: the
    /// units period in force starts that day with other units than the day before). Autotask
    /// takes one unit adjustment per contract service per day, so a plan dated then cannot
    /// change this quantity again. Other PSAs leave it unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_on: Option<NaiveDate>,
    /// Version as read, compared again before any write.
    #[serde(default, skip_serializing_if = "Fingerprint::is_empty")]
    pub fingerprint: Fingerprint,
}

impl Addition {
    /// Whether the addition still bills on `today` (cancelled ones are history).
    pub fn is_active_on(&self, today: NaiveDate) -> bool {
        self.cancelled_date.is_none_or(|d| d > today)
    }
}

/// What a plan needs from the PSA, so providers fetch in bulk and nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsaScope {
    /// Company identifiers the workspace names.
    pub companies: BTreeSet<String>,
    /// (company identifier, agreement name) pairs the workspace names.
    pub agreements: BTreeSet<(String, String)>,
    /// Product identifiers the workspace maps to.
    pub products: BTreeSet<String>,
    /// Onboarding (`import`, `suggest`): read every company, agreement and product, not only
    /// those named, in pages of the largest size. Additions are still read only for the named
    /// agreements.
    pub whole: bool,
}

/// The in-scope PSA state, read in one go: the other input of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsaSnapshot {
    /// Companies (at least those in scope).
    #[serde(default)]
    pub companies: Vec<Company>,
    /// Agreements of those companies.
    #[serde(default)]
    pub agreements: Vec<Agreement>,
    /// Products (at least those in scope).
    #[serde(default)]
    pub products: Vec<Product>,
    /// Additions on the agreements in scope (all of them, managed or not).
    #[serde(default)]
    pub additions: Vec<Addition>,
    /// Companies the PSA marks inactive (ConnectWise status or deleted flag, Autotask
    /// `isActive`): onboarding ranks them below active ones and never links them on its own.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub inactive_companies: BTreeSet<PsaId>,
}
