//! Lookups over the inputs, built once per plan so each step is a map access.

use std::collections::{BTreeMap, HashMap};

use crate::config::{ProductMapping, Workspace};
use crate::model::{
    Addition, Agreement, Company, DistributorSnapshot, Licence, Product, PsaId, PsaSnapshot, StockCode,
};

/// The PSA side, indexed by what YAML names.
pub(super) struct PsaIndex<'a> {
    pub companies: HashMap<&'a str, &'a Company>,
    pub agreements: HashMap<(PsaId, &'a str), &'a Agreement>,
    pub agreement_names: HashMap<&'a str, Vec<&'a Agreement>>,
    pub products: HashMap<&'a str, &'a Product>,
    pub product_ids: HashMap<PsaId, &'a Product>,
    pub additions: HashMap<PsaId, Vec<&'a Addition>>,
}

impl<'a> PsaIndex<'a> {
    pub fn new(psa: &'a PsaSnapshot) -> Self {
        let mut agreement_names: HashMap<&str, Vec<&Agreement>> = HashMap::new();
        for a in &psa.agreements {
            agreement_names.entry(a.name.as_str()).or_default().push(a);
        }
        let mut additions: HashMap<PsaId, Vec<&Addition>> = HashMap::new();
        for a in &psa.additions {
            additions.entry(a.agreement).or_default().push(a);
        }
        for list in additions.values_mut() {
            list.sort_by_key(|a| a.id);
        }
        PsaIndex {
            companies: psa.companies.iter().map(|c| (c.identifier.as_str(), c)).collect(),
            agreements: psa.agreements.iter().map(|a| ((a.company, a.name.as_str()), a)).collect(),
            agreement_names,
            products: psa.products.iter().map(|p| (p.identifier.as_str(), p)).collect(),
            product_ids: psa.products.iter().map(|p| (p.id, p)).collect(),
            additions,
        }
    }
}

/// Active licences grouped by customer, in a stable order.
pub(super) fn licences_by_customer(dd: &DistributorSnapshot) -> BTreeMap<&str, Vec<&Licence>> {
    let mut out: BTreeMap<&str, Vec<&Licence>> = BTreeMap::new();
    for l in &dd.licences {
        out.entry(l.customer.as_str()).or_default().push(l);
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| (&a.subscription, &a.stock_code).cmp(&(&b.subscription, &b.stock_code)));
    }
    out
}

/// Finds the product mapping of a licence's stock code.
pub(super) struct MappingIndex<'a> {
    by_item: HashMap<(&'a str, &'a str), Vec<&'a ProductMapping>>,
}

/// Why a stock code has no single mapping.
pub(super) enum Unmapped<'a> {
    /// No mapping names it.
    Missing,
    /// A 3-part code matches several billing variants.
    Ambiguous(Vec<&'a str>),
}

impl<'a> MappingIndex<'a> {
    pub fn new(ws: &'a Workspace) -> Self {
        let mut by_item: HashMap<(&str, &str), Vec<&ProductMapping>> = HashMap::new();
        for m in &ws.products {
            let code = &m.dicker_data.stock_code;
            by_item.entry((code.product_id.as_str(), code.sku_id.as_str())).or_default().push(m);
        }
        MappingIndex { by_item }
    }

    /// The mapping for `code`: an exact match wins; otherwise the one mapping it matches.
    pub fn find(&self, code: &StockCode) -> Result<&'a ProductMapping, Unmapped<'a>> {
        let candidates = self.by_item.get(&(code.product_id.as_str(), code.sku_id.as_str()));
        let candidates = candidates.map(Vec::as_slice).unwrap_or_default();
        if let Some(exact) = candidates.iter().find(|m| &m.dicker_data.stock_code == code) {
            return Ok(exact);
        }
        let matching: Vec<&ProductMapping> =
            candidates.iter().copied().filter(|m| code.matches(&m.dicker_data.stock_code)).collect();
        match matching.as_slice() {
            [] => Err(Unmapped::Missing),
            [one] => Ok(one),
            many => Err(Unmapped::Ambiguous(many.iter().map(|m| m.key.as_str()).collect())),
        }
    }
}
