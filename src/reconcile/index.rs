//! Lookups over the inputs, built once per plan so each step is a map access.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::config::{ProductMapping, Workspace};
use crate::model::{
    Addition, Agreement, Company, DistributorSnapshot, Licence, NameKey, Product, PsaId, PsaSnapshot,
    StockCode,
};

/// Records of one kind indexed by a name the PSA compares without case ([`NameKey`]), so a
/// YAML name finds what the PSA would find for it, and two records the PSA cannot tell apart
/// are seen as such instead of one silently winning.
pub(super) struct ByName<'a, K, T>(HashMap<K, Vec<&'a T>>);

/// What a name finds.
pub(super) enum Found<'a, T> {
    /// No record has it.
    None,
    /// Exactly one record.
    One(&'a T),
    /// Several records share it (they differ at most by case): none is chosen.
    Ambiguous(Vec<&'a T>),
}

impl<'a, K: Eq + Hash, T> ByName<'a, K, T> {
    fn new(records: &'a [T], key: impl Fn(&'a T) -> K) -> Self {
        let mut map: HashMap<K, Vec<&T>> = HashMap::new();
        for r in records {
            map.entry(key(r)).or_default().push(r);
        }
        ByName(map)
    }

    pub fn find(&self, key: &K) -> Found<'a, T> {
        match self.0.get(key).map(Vec::as_slice) {
            None | Some([]) => Found::None,
            Some([one]) => Found::One(one),
            Some(many) => Found::Ambiguous(many.to_vec()),
        }
    }

    /// The one record with this name, if exactly one has it.
    pub fn one(&self, key: &K) -> Option<&'a T> {
        match self.0.get(key).map(Vec::as_slice) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// Every record with this name.
    pub fn all(&self, key: &K) -> &[&'a T] {
        self.0.get(key).map(Vec::as_slice).unwrap_or_default()
    }
}

/// The PSA side, indexed by what YAML names.
pub(super) struct PsaIndex<'a> {
    pub companies: ByName<'a, NameKey, Company>,
    pub agreements: ByName<'a, (PsaId, NameKey), Agreement>,
    pub agreement_names: ByName<'a, NameKey, Agreement>,
    pub products: ByName<'a, NameKey, Product>,
    pub product_ids: HashMap<PsaId, &'a Product>,
    pub additions: HashMap<PsaId, Vec<&'a Addition>>,
}

impl<'a> PsaIndex<'a> {
    pub fn new(psa: &'a PsaSnapshot) -> Self {
        let mut additions: HashMap<PsaId, Vec<&Addition>> = HashMap::new();
        for a in &psa.additions {
            additions.entry(a.agreement).or_default().push(a);
        }
        for list in additions.values_mut() {
            list.sort_by_key(|a| a.id);
        }
        PsaIndex {
            companies: ByName::new(&psa.companies, |c| NameKey::new(&c.identifier)),
            agreements: ByName::new(&psa.agreements, |a| (a.company, NameKey::new(&a.name))),
            agreement_names: ByName::new(&psa.agreements, |a| NameKey::new(&a.name)),
            products: ByName::new(&psa.products, |p| NameKey::new(&p.identifier)),
            product_ids: psa.products.iter().map(|p| (p.id, p)).collect(),
            additions,
        }
    }
}

/// `` `AdatumHealth` (id 12) and `adatumhealth` (id 40) ``: records one name finds, for a
/// message that lets the reader rename all but one.
pub(super) fn list_named<T>(records: &[&T], name: impl Fn(&T) -> (&str, PsaId)) -> String {
    let mut parts: Vec<(PsaId, String)> = records
        .iter()
        .map(|r| {
            let (text, id) = name(r);
            (id, format!("`{text}` (id {id})"))
        })
        .collect();
    parts.sort();
    let parts: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
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
    /// The one mapping of the code names no PSA product yet (its key).
    Incomplete(&'a str),
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
    /// A mapping that names no PSA product yet maps nothing.
    pub fn find(&self, code: &StockCode) -> Result<&'a ProductMapping, Unmapped<'a>> {
        let found = self.find_any(code)?;
        if found.is_incomplete() {
            return Err(Unmapped::Incomplete(found.key.as_str()));
        }
        Ok(found)
    }

    fn find_any(&self, code: &StockCode) -> Result<&'a ProductMapping, Unmapped<'a>> {
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
