//! Step one of a plan: from the workspace and the distributor's licences, what each
//! (agreement, product) pair should bill, plus the warnings and errors found on the way.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::findings::Findings;
use super::index::{MappingIndex, PsaIndex, Unmapped};
use crate::config::{Client, OnLicenceRemoved, PricePolicy, SyncDescription, Workspace};
use crate::model::{
    Agreement, AgreementStatus, Company, DistributorSnapshot, Licence, LicenceStatus, Product, PsaId,
};

/// Who an agreement bills for: the client (first by id) that names it.
#[derive(Clone)]
pub(super) struct Owner<'a> {
    pub client: &'a Client,
    pub client_name: String,
    pub company: &'a Company,
    pub agreement: &'a Agreement,
    pub sync: SyncDescription,
    pub on_removed: OnLicenceRemoved,
}

/// What one (agreement, product) pair should bill.
pub(super) struct Target<'a> {
    pub owner: Owner<'a>,
    pub product: &'a Product,
    pub quantity: u32,
    pub mappings: BTreeSet<&'a str>,
    pub description: Option<String>,
    pub price: PricePolicy,
}

/// The desired side of the diff.
pub(super) struct Desired<'a> {
    pub targets: BTreeMap<(PsaId, PsaId), Target<'a>>,
    /// Agreements the workspace names and that may be written, with their owner.
    pub agreements: BTreeMap<PsaId, Owner<'a>>,
    /// PSA products that some mapping names, with the mapping keys.
    pub mapped_products: BTreeMap<PsaId, BTreeSet<&'a str>>,
    pub findings: Findings,
}

/// Walks every client and licence once.
pub(super) fn desired<'a>(ws: &'a Workspace, dd: &'a DistributorSnapshot, psa: &PsaIndex<'a>) -> Desired<'a> {
    let mut findings = Findings::default();
    let mappings = MappingIndex::new(ws);
    let licences = super::index::licences_by_customer(dd);
    let clients: BTreeMap<&str, &Client> =
        ws.clients.iter().rev().map(|c| (c.dicker_data.as_str(), c)).collect();

    for customer in &dd.customers {
        if clients.contains_key(customer.id.as_str()) {
            continue;
        }
        let active = licences.get(customer.id.as_str()).map_or(0, |l| count_active(l));
        if active == 0 {
            continue; // nothing to bill: not worth a warning
        }
        findings.warn(
            "not_setup",
            Some(&customer.id),
            format!(
                "client {} \"{}\" is Not Setup: Dicker Data bills it {active} active licence line(s) but no workspace file names it (add it under `clients:`, or with `ignore: true`)",
                customer.id, customer.name
            ),
        );
    }

    let mut mapped_products: BTreeMap<PsaId, BTreeSet<&str>> = BTreeMap::new();
    let mut unknown_products: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in &ws.products {
        match psa.products.get(m.psa.product.as_str()) {
            Some(p) => {
                mapped_products.entry(p.id).or_default().insert(m.key.as_str());
            }
            None => unknown_products.entry(m.psa.product.as_str()).or_default().push(m.key.as_str()),
        }
    }
    for (product, keys) in unknown_products {
        findings.error(
            "unknown_product",
            None,
            format!(
                "PSA product `{product}` (mapping {}) does not exist in the PSA catalog",
                keys.join(", ")
            ),
        );
    }
    for (id, keys) in &mapped_products {
        if let Some(p) = psa.product_ids.get(id).filter(|p| !p.active) {
            let keys: Vec<&str> = keys.iter().copied().collect();
            findings.warn(
                "inactive_product",
                None,
                format!(
                    "PSA product `{}` (mapping {}) is inactive; nothing is written for it",
                    p.identifier,
                    keys.join(", ")
                ),
            );
        }
    }

    let by_key: HashMap<&str, &crate::config::ProductMapping> =
        ws.products.iter().map(|m| (m.key.as_str(), m)).collect();
    let customers: HashMap<&str, &crate::model::Customer> =
        dd.customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut targets: BTreeMap<(PsaId, PsaId), Target> = BTreeMap::new();
    let mut agreements: BTreeMap<PsaId, Owner> = BTreeMap::new();
    let mut blocked: BTreeSet<PsaId> = BTreeSet::new();

    for (id, client) in &clients {
        if client.ignore {
            continue;
        }
        let client_id = Some(*id);
        let Some(customer) = customers.get(id) else {
            findings.error(
                "client_missing",
                client_id,
                format!("client {id} is in the workspace but Dicker Data has no such customer; nothing is planned for it"),
            );
            continue;
        };
        if let Some(expected) = &client.name
            && !same_name(expected, &customer.name)
        {
            findings.warn(
                "name_mismatch",
                client_id,
                format!(
                    "client {id}: the workspace says \"{expected}\" but Dicker Data says \"{}\"",
                    customer.name
                ),
            );
        }
        let company_name = client.company.as_deref().unwrap_or_default();
        let Some(company) = psa.companies.get(company_name) else {
            findings.error(
                "unknown_company",
                client_id,
                format!("client {id}: PSA company `{company_name}` does not exist; nothing is planned for this client"),
            );
            continue;
        };

        // Quantity per mapping key: active licences mapped to it, then the client's rules.
        let mut held: BTreeMap<&str, (u32, Option<&Licence>)> = BTreeMap::new();
        let mut unmapped: BTreeMap<String, (u32, String)> = BTreeMap::new();
        for licence in licences.get(id).into_iter().flatten() {
            if licence.status != LicenceStatus::Active {
                continue;
            }
            match mappings.find(&licence.stock_code) {
                Ok(m) => {
                    let entry = held.entry(m.key.as_str()).or_insert((0, Some(licence)));
                    entry.0 = entry.0.saturating_add(licence.quantity);
                }
                Err(why) => {
                    let note = match why {
                        Unmapped::Missing => String::new(),
                        Unmapped::Ambiguous(keys) => {
                            format!(" (matches {}: map the exact code)", keys.join(", "))
                        }
                    };
                    let entry = unmapped.entry(licence.stock_code.to_string()).or_insert((0, note));
                    entry.0 = entry.0.saturating_add(licence.quantity);
                }
            }
        }
        for (code, (quantity, note)) in unmapped {
            findings.warn(
                "not_mapped",
                client_id,
                format!("client {id}: licence {code} × {quantity} is Not Mapped: no product mapping has this stock code{note}"),
            );
        }
        for key in client.products.keys() {
            held.entry(key.as_str()).or_insert((0, None));
        }

        let owner_for = |agreement: &'a Agreement| Owner {
            client,
            client_name: client.name.clone().unwrap_or_else(|| customer.name.clone()),
            company,
            agreement,
            sync: ws.sync_description(client),
            on_removed: ws.on_licence_removed(client),
        };
        // Every agreement the client names is managed, even when no licence maps to it today.
        let mut named: BTreeSet<&str> = client.agreement.iter().map(String::as_str).collect();
        named.extend(client.products.values().filter_map(|p| p.agreement.as_deref()));
        let mut resolved: BTreeMap<&str, Option<&Agreement>> = BTreeMap::new();
        for name in named {
            let found = resolve_agreement(psa, company, name, id, &mut findings);
            if let Some(a) = found {
                if a.status == AgreementStatus::Active {
                    agreements.entry(a.id).or_insert_with(|| owner_for(a));
                } else {
                    blocked.insert(a.id);
                    findings.warn(
                        "inactive_agreement",
                        client_id,
                        format!(
                            "client {id}: agreement \"{name}\" is {:?}; nothing is written to it",
                            a.status
                        ),
                    );
                }
            }
            resolved.insert(name, found.filter(|a| a.status == AgreementStatus::Active));
        }

        for (key, (quantity, sample)) in held {
            let Some(mapping) = by_key.get(key) else { continue };
            let rules = client.products.get(key).cloned().unwrap_or_default();
            let Some(agreement_name) = rules.agreement.as_deref().or(client.agreement.as_deref()) else {
                findings.error(
                    "no_agreement",
                    client_id,
                    format!("client {id}: no agreement for product `{key}` (set `agreement:` on the client or the product)"),
                );
                continue;
            };
            let (Some(Some(agreement)), Some(product)) =
                (resolved.get(agreement_name), psa.products.get(mapping.psa.product.as_str()))
            else {
                continue;
            };
            if !product.active {
                continue;
            }
            let billed = quantity.saturating_sub(rules.included.unwrap_or(0)).max(rules.minimum.unwrap_or(0));
            let description = mapping.description.clone().or_else(|| sample.map(|l| l.description.clone()));
            let target = targets.entry((agreement.id, product.id)).or_insert_with(|| Target {
                owner: owner_for(agreement),
                product,
                quantity: 0,
                mappings: BTreeSet::new(),
                description,
                price: mapping.price.clone().unwrap_or_default(),
            });
            target.quantity = target.quantity.saturating_add(billed);
            target.mappings.insert(mapping.key.as_str());
        }
    }
    for id in blocked {
        agreements.remove(&id);
    }
    targets.retain(|(agreement, _), _| agreements.contains_key(agreement));
    Desired { targets, agreements, mapped_products, findings }
}

fn resolve_agreement<'a>(
    psa: &PsaIndex<'a>,
    company: &Company,
    name: &str,
    client: &str,
    findings: &mut Findings,
) -> Option<&'a Agreement> {
    if let Some(a) = psa.agreements.get(&(company.id, name)) {
        return Some(a);
    }
    match psa.agreement_names.get(name) {
        Some(elsewhere) => findings.error(
            "agreement_wrong_company",
            Some(client),
            format!(
                "client {client}: agreement \"{name}\" belongs to company id {} , not to `{}`",
                elsewhere[0].company, company.identifier
            ),
        ),
        None => findings.error(
            "unknown_agreement",
            Some(client),
            format!("client {client}: company `{}` has no agreement named \"{name}\"", company.identifier),
        ),
    }
    None
}

fn count_active(licences: &[&Licence]) -> usize {
    licences.iter().filter(|l| l.status == LicenceStatus::Active).count()
}

/// Names match when they differ only in case and spacing.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}
