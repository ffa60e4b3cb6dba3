//! Evidence beyond the name: what each client holds at Dicker Data and what each company is
//! already billed in the PSA. A company whose active agreements bill the client's licences as
//! the same products in the same quantities is very likely the client.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::model::{AgreementStatus, DistributorSnapshot, LicenceStatus, PsaId, PsaSnapshot, StockCode};

/// Active licence quantities per client and active additions per company.
pub struct Holdings {
    /// Dicker Data id -> stock code -> seats held on active licences.
    pub licences: BTreeMap<String, BTreeMap<StockCode, u32>>,
    /// Company id -> (agreement id, product id, quantity) of additions billing today on active
    /// agreements.
    pub billed: HashMap<PsaId, Vec<(PsaId, PsaId, f64)>>,
}

impl Holdings {
    /// Gathers both sides once per run.
    pub fn new(dd: &DistributorSnapshot, psa: &PsaSnapshot, today: NaiveDate) -> Self {
        let mut licences: BTreeMap<String, BTreeMap<StockCode, u32>> = BTreeMap::new();
        for l in dd.licences.iter().filter(|l| l.status == LicenceStatus::Active) {
            *licences.entry(l.customer.clone()).or_default().entry(l.stock_code.clone()).or_default() +=
                l.quantity;
        }
        let owner: HashMap<PsaId, PsaId> = psa
            .agreements
            .iter()
            .filter(|a| a.status == AgreementStatus::Active)
            .map(|a| (a.id, a.company))
            .collect();
        let mut billed: HashMap<PsaId, Vec<(PsaId, PsaId, f64)>> = HashMap::new();
        for a in psa.additions.iter().filter(|a| a.is_active_on(today) && a.quantity > 0.0) {
            if let Some(company) = owner.get(&a.agreement) {
                billed.entry(*company).or_default().push((a.agreement, a.product, a.quantity));
            }
        }
        Holdings { licences, billed }
    }

    /// Of the client's stock codes that have a product in `mapped`, how many the company bills
    /// as that product at the same quantity, and how many there are.
    pub fn same_quantities(
        &self,
        client: &str,
        company: PsaId,
        mapped: &BTreeMap<StockCode, PsaId>,
    ) -> (usize, usize) {
        let Some(held) = self.licences.get(client) else { return (0, 0) };
        let billed = self.billed.get(&company).map(Vec::as_slice).unwrap_or(&[]);
        let mut total = 0;
        let mut same = 0;
        for (code, qty) in held {
            let Some(product) = mapped.get(code) else { continue };
            total += 1;
            if billed.iter().any(|(_, p, q)| p == product && *q == f64::from(*qty)) {
                same += 1;
            }
        }
        (same, total)
    }
}
