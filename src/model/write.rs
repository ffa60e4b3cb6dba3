use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Addition, Fingerprint, PsaId};

/// One change to the PSA, as the plan decided it and a provider carries it out.
///
/// Updates and cancels carry the fingerprint the plan read; a provider re-reads the record
/// and refuses the write as stale when it moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Write {
    /// Add a product to an agreement.
    Create {
        /// Agreement / contract record id.
        agreement: PsaId,
        /// Product / service record id.
        product: PsaId,
        /// Seats to bill.
        quantity: u32,
        /// Invoice text, when the client syncs descriptions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Unit price per the product's price policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_price: Option<f64>,
        /// Unit cost per the catalog.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<f64>,
        /// The date billing starts.
        effective_date: NaiveDate,
    },
    /// Change fields of an existing addition; `None` leaves a field alone.
    Update {
        /// Addition / contract service record id.
        addition: PsaId,
        /// Agreement it sits on (Autotask adjustments need it).
        agreement: PsaId,
        /// Product it bills (Autotask adjustments need it).
        product: PsaId,
        /// Version the plan read.
        expected: Fingerprint,
        /// Quantity the plan read, so unit-delta PSAs can compute the change.
        from_quantity: f64,
        /// New quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quantity: Option<u32>,
        /// New description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// New unit price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_price: Option<f64>,
        /// The date the change takes effect.
        effective_date: NaiveDate,
    },
    /// Stop billing an addition, keeping its history (never a delete).
    Cancel {
        /// Addition / contract service record id.
        addition: PsaId,
        /// Agreement it sits on.
        agreement: PsaId,
        /// Product it bills.
        product: PsaId,
        /// Version the plan read.
        expected: Fingerprint,
        /// Quantity the plan read (Autotask cancels by adjusting this to zero).
        from_quantity: f64,
        /// Last day of billing.
        cancelled_date: NaiveDate,
    },
}

impl Write {
    /// The agreement (contract) the write changes.
    pub fn agreement(&self) -> PsaId {
        match self {
            Write::Create { agreement, .. }
            | Write::Update { agreement, .. }
            | Write::Cancel { agreement, .. } => *agreement,
        }
    }

    /// The product (service) the write bills.
    pub fn product(&self) -> PsaId {
        match self {
            Write::Create { product, .. } | Write::Update { product, .. } | Write::Cancel { product, .. } => {
                *product
            }
        }
    }

    /// The existing addition it changes (`None` for a create).
    pub fn addition(&self) -> Option<PsaId> {
        match self {
            Write::Create { .. } => None,
            Write::Update { addition, .. } | Write::Cancel { addition, .. } => Some(*addition),
        }
    }

    /// What the write is checked against among `live` (the additions on its agreement): the
    /// addition it changes, or for a create the pair's active addition, else its newest one
    /// (an Autotask service cancelled to zero units is re-added by adjusting it).
    pub fn current<'a>(&self, live: &'a [Addition]) -> Option<&'a Addition> {
        match self.addition() {
            Some(id) => live.iter().find(|a| a.id == id),
            None => {
                let (agreement, product) = (self.agreement(), self.product());
                let pair = || live.iter().filter(move |a| a.agreement == agreement && a.product == product);
                pair().find(|a| a.cancelled_date.is_none()).or_else(|| pair().max_by_key(|a| a.id))
            }
        }
    }
}

/// What a provider reports after a write: the record and its new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// Record id (new for creates).
    pub addition: PsaId,
    /// Version after the write.
    pub fingerprint: Fingerprint,
}
