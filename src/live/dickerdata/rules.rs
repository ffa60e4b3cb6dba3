//! cspctl's rules for turning Dicker Data subscription lines into licences, shared by the
//! export and the API so both sources give the same snapshot:
//!
//! - a customer is keyed by its **tenant id**; its name is the tenant name;
//! - a line is **usage-based** (Azure and other consumption charges) when its charge type is
//!   neither `NCE` nor licence-based, or its stock code has the Azure `PRODUCT:SKU` form.
//!   Usage-based lines have no seat count to bill: they are skipped and counted (logged at
//!   info level), and their tenant still appears as a customer;
//! - status `Active` (any case) is [`LicenceStatus::Active`]; every other status (suspended,
//!   cancelled, expired, pending, empty) is [`LicenceStatus::Inactive`] and bills nothing;
//! - several subscriptions with the same stock code for one tenant stay separate licences
//!   (the plan adds them up).

use std::collections::HashMap;

use crate::model::{Billing, Customer, DistributorSnapshot, Licence, LicenceStatus, StockCode};

/// Whether a charge type names a usage-based (not licence-based) charge. An empty charge type
/// says nothing: the stock code decides.
pub fn is_usage_charge_type(charge_type: &str) -> bool {
    let key: String =
        charge_type.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    !(key.is_empty()
        || key == "NCE"
        || key.starts_with("NCELICEN")
        || key.starts_with("LICENCE")
        || key.starts_with("LICENSE"))
}

/// Whether a stock code is the Azure (usage) form.
pub fn is_usage_stock_code(code: &StockCode) -> bool {
    code.billing == Billing::Usage || code.term.is_none()
}

/// The documented status rule: `Active` or not.
pub fn status(text: &str) -> LicenceStatus {
    if text.trim().eq_ignore_ascii_case("active") { LicenceStatus::Active } else { LicenceStatus::Inactive }
}

/// Collects customers and licences line by line, keeping first-seen order.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    customers: Vec<Customer>,
    index: HashMap<String, usize>,
    licences: Vec<Licence>,
    skipped_usage: usize,
}

impl SnapshotBuilder {
    /// Records a customer (once per tenant id; the first name seen wins).
    pub fn customer(&mut self, tenant_id: &str, name: &str) {
        if !self.index.contains_key(tenant_id) {
            self.index.insert(tenant_id.to_string(), self.customers.len());
            self.customers.push(Customer { id: tenant_id.to_string(), name: name.to_string() });
        }
    }

    /// Records a licence line (its customer must have been recorded).
    pub fn licence(&mut self, licence: Licence) {
        self.licences.push(licence);
    }

    /// Counts a usage-based line that is not a licence.
    pub fn skip_usage(&mut self) {
        self.skipped_usage += 1;
    }

    /// Usage-based lines skipped so far.
    pub fn skipped_usage(&self) -> usize {
        self.skipped_usage
    }

    /// The finished snapshot; logs how many usage-based lines were left out.
    pub fn finish(self, source: &str) -> DistributorSnapshot {
        if self.skipped_usage > 0 {
            tracing::info!(
                source,
                skipped = self.skipped_usage,
                "skipped usage-based (Azure / non-licence) lines: they carry no seat count to bill"
            );
        }
        tracing::debug!(source, customers = self.customers.len(), licences = self.licences.len(), "read");
        DistributorSnapshot { customers: self.customers, licences: self.licences }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_types() {
        for licence_based in ["NCE", "nce", "", "  ", "Licence-based", "LICENSE BASED", "NCE Licence"] {
            assert!(!is_usage_charge_type(licence_based), "{licence_based}");
        }
        for usage in ["AZURE", "Usage", "Usage-based", "CONSUMPTION", "AZURE PLAN"] {
            assert!(is_usage_charge_type(usage), "{usage}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status(" ACTIVE "), LicenceStatus::Active);
        for other in ["Suspended", "Cancelled", "Expired", "", "Pending"] {
            assert_eq!(status(other), LicenceStatus::Inactive);
        }
    }
}
