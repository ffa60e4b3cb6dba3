//! Step one of a plan: from the workspace and the distributor's licences, what each
//! (agreement, product) pair should bill, plus the warnings and errors found on the way.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::findings::Findings;
use super::index::{Found, MappingIndex, PsaIndex, Unmapped, list_named};
use super::money::{Cycle, Holding, MoneyBuilder, Unbilled};
use crate::config::{Client, OnLicenceRemoved, PricePolicy, ProductMapping, SyncDescription, Workspace};
use crate::model::{
    Agreement, AgreementStatus, Company, Customer, DistributorSnapshot, Licence, LicenceStatus, NameKey,
    Product, PsaId,
};

/// Who an agreement bills for: the client (first by id) that names it.
#[derive(Clone)]
pub(super) struct Owner<'a> {
    pub client: &'a Client,
    /// The workspace's name for the client, else Dicker Data's.
    pub client_name: &'a str,
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
    /// Mapping keys feeding it, with the client's active Dicker Data seats of each.
    pub mappings: BTreeMap<&'a str, u32>,
    /// Dicker Data's side: seats held, their cost, their term ends.
    pub holding: Holding,
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
    /// Whether each mapped PSA product's price is per month or per year.
    pub cycles: HashMap<PsaId, Cycle>,
    pub findings: Findings,
    /// Money found on the way: licences billed nowhere.
    pub money: MoneyBuilder,
}

/// Walks every client and licence once.
pub(super) fn desired<'a>(
    ws: &'a Workspace,
    dd: &'a DistributorSnapshot,
    psa: &PsaIndex<'a>,
    today: NaiveDate,
) -> Desired<'a> {
    let licences = super::index::licences_by_customer(dd);
    let clients: BTreeMap<&str, &Client> =
        ws.clients.iter().rev().map(|c| (c.dicker_data.as_str(), c)).collect();
    let mut walk = Walk {
        ws,
        psa,
        mappings: MappingIndex::new(ws),
        by_key: ws.products.iter().map(|m| (m.key.as_str(), m)).collect(),
        findings: Findings::default(),
        money: MoneyBuilder::default(),
        today,
        targets: BTreeMap::new(),
        agreements: BTreeMap::new(),
        blocked: BTreeSet::new(),
    };
    not_setup(dd, &clients, &licences, &mut walk.findings, &mut walk.money);
    let (mapped_products, cycles) = mapped_products(ws, psa, &mut walk.findings);
    let customers: HashMap<&str, &Customer> = dd.customers.iter().map(|c| (c.id.as_str(), c)).collect();
    for (id, client) in clients.into_iter().filter(|(_, c)| !c.ignore) {
        match customers.get(id) {
            Some(customer) => {
                walk.client(client, customer, licences.get(id).map(Vec::as_slice).unwrap_or_default())
            }
            None => walk.findings.error(
                "client_missing",
                Some(id),
                format!("client {id} is in the workspace but Dicker Data has no such customer; nothing is planned for it"),
            ),
        }
    }
    let Walk { mut targets, mut agreements, blocked, findings, money, .. } = walk;
    for id in blocked {
        agreements.remove(&id);
    }
    targets.retain(|(agreement, _), _| agreements.contains_key(agreement));
    Desired { targets, agreements, mapped_products, cycles, findings, money }
}

/// Dicker Data customers with active licences that no workspace file names.
fn not_setup(
    dd: &DistributorSnapshot,
    clients: &BTreeMap<&str, &Client>,
    licences: &BTreeMap<&str, Vec<&Licence>>,
    findings: &mut Findings,
    money: &mut MoneyBuilder,
) {
    for customer in dd.customers.iter().filter(|c| !clients.contains_key(c.id.as_str())) {
        let mut holding = Holding::default();
        for l in licences.get(customer.id.as_str()).into_iter().flatten() {
            if l.status == LicenceStatus::Active {
                holding.add(l);
            }
        }
        if holding.lines == 0 {
            continue; // nothing to bill: not worth a warning
        }
        let unbilled = Unbilled::of(&holding);
        findings.warn(
            "not_setup",
            Some(&customer.id),
            format!(
                "client {} \"{}\" is Not Setup: Dicker Data bills it {} active licence line(s){} but no workspace file names it (add it under `clients:`, or with `ignore: true`)",
                customer.id,
                customer.name,
                holding.lines,
                at_cost(&unbilled),
            ),
        );
        money.unbilled(&customer.id, &customer.name, true, unbilled);
    }
}

/// `, $253.71/month at cost` when the cost is known, for unbilled licences.
fn at_cost(unbilled: &Unbilled) -> String {
    if unbilled.cost.is_zero() {
        return String::new();
    }
    let unpriced = if unbilled.unpriced_seats > 0 {
        format!(" and {} seat(s) of unknown cost", unbilled.unpriced_seats)
    } else {
        String::new()
    };
    format!(
        " ({} licences, {}/month at cost{unpriced}, billed to no one)",
        unbilled.licences,
        super::money::show(unbilled.cost)
    )
}

/// The PSA products the mappings name, with their mapping keys; unknown and inactive ones
/// are reported once each.
fn mapped_products<'a>(
    ws: &'a Workspace,
    psa: &PsaIndex,
    findings: &mut Findings,
) -> (BTreeMap<PsaId, BTreeSet<&'a str>>, HashMap<PsaId, Cycle>) {
    let mut mapped: BTreeMap<PsaId, BTreeSet<&str>> = BTreeMap::new();
    let mut unknown: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut ambiguous: BTreeMap<&str, (Vec<&Product>, Vec<&str>)> = BTreeMap::new();
    for m in ws.products.iter().filter(|m| !m.is_incomplete()) {
        match psa.products.find(&NameKey::new(&m.psa.product)) {
            Found::One(p) => {
                mapped.entry(p.id).or_default().insert(m.key.as_str());
            }
            Found::None => unknown.entry(m.psa.product.as_str()).or_default().push(m.key.as_str()),
            Found::Ambiguous(many) => ambiguous
                .entry(m.psa.product.as_str())
                .or_insert_with(|| (many, Vec::new()))
                .1
                .push(m.key.as_str()),
        }
    }
    for (product, keys) in unknown {
        findings.error(
            "unknown_product",
            None,
            format!(
                "PSA product `{product}` (mapping {}) does not exist in the PSA catalog",
                keys.join(", ")
            ),
        );
    }
    for (product, (many, keys)) in ambiguous {
        findings.error(
            "ambiguous_product",
            None,
            format!(
                "PSA products {} all answer to `{product}` (mapping {}): the PSA compares names without case, so cspctl cannot tell which one is meant and writes none (rename all but one in the PSA)",
                list_named(&many, |p| (p.identifier.as_str(), p.id)),
                keys.join(", ")
            ),
        );
    }
    for (id, keys) in &mapped {
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
    let by_key: HashMap<&str, &ProductMapping> = ws.products.iter().map(|m| (m.key.as_str(), m)).collect();
    let cycles = mapped
        .iter()
        .map(|(id, keys)| {
            (*id, Cycle::of(keys.iter().filter_map(|k| by_key.get(k)).map(|m| &m.dicker_data.stock_code)))
        })
        .collect();
    (mapped, cycles)
}

/// Seats a client holds per mapping key, with one licence to take a description from.
type Held<'a> = BTreeMap<&'a str, (Holding, Option<&'a Licence>)>;

/// The state of the walk over clients: what has been decided so far.
struct Walk<'a, 'p> {
    ws: &'a Workspace,
    psa: &'p PsaIndex<'a>,
    mappings: MappingIndex<'a>,
    by_key: HashMap<&'a str, &'a ProductMapping>,
    findings: Findings,
    money: MoneyBuilder,
    today: NaiveDate,
    targets: BTreeMap<(PsaId, PsaId), Target<'a>>,
    agreements: BTreeMap<PsaId, Owner<'a>>,
    blocked: BTreeSet<PsaId>,
}

impl<'a> Walk<'a, '_> {
    /// One client: check it, sum its licences per mapping, resolve its agreements, add targets.
    fn client(&mut self, client: &'a Client, customer: &'a Customer, licences: &[&'a Licence]) {
        let id = client.dicker_data.as_str();
        if let Some(expected) = &client.name
            && !same_name(expected, &customer.name)
        {
            self.findings.warn(
                "name_mismatch",
                Some(id),
                format!(
                    "client {id}: the workspace says \"{expected}\" but Dicker Data says \"{}\"",
                    customer.name
                ),
            );
        }
        let company_name = client.company.as_deref().unwrap_or_default();
        let company = match self.psa.companies.find(&NameKey::new(company_name)) {
            Found::One(company) => company,
            Found::None => {
                self.findings.error(
                    "unknown_company",
                    Some(id),
                    format!("client {id}: PSA company `{company_name}` does not exist; nothing is planned for this client"),
                );
                return;
            }
            Found::Ambiguous(many) => {
                self.findings.error(
                    "ambiguous_company",
                    Some(id),
                    format!(
                        "client {id}: PSA companies {} all answer to `{company_name}`: the PSA compares names without case, so cspctl cannot tell which one is meant; nothing is planned for this client (rename all but one in the PSA)",
                        list_named(&many, |c| (c.identifier.as_str(), c.id))
                    ),
                );
                return;
            }
        };
        let client_name = client.name.as_deref().unwrap_or(&customer.name);
        let owner = |agreement: &'a Agreement| Owner {
            client,
            client_name,
            company,
            agreement,
            sync: self.ws.sync_description(client),
            on_removed: self.ws.on_licence_removed(client),
        };
        let held = self.held(client, client_name, licences);
        super::renewals::renewals(
            id,
            licences,
            self.today,
            self.ws.settings.renewal_window_days,
            &mut self.findings,
        );
        let resolved = self.resolve_agreements(client, company, &owner);
        for (key, (holding, sample)) in held {
            let quantity = holding.seats;
            let Some(mapping) = self.by_key.get(key).copied() else { continue };
            let rules = client.products.get(key).cloned().unwrap_or_default();
            let Some(agreement_name) = rules.agreement.as_deref().or(client.agreement.as_deref()) else {
                self.findings.error(
                    "no_agreement",
                    Some(id),
                    format!("client {id}: no agreement for product `{key}` (set `agreement:` on the client or the product)"),
                );
                continue;
            };
            let (Some(Some(agreement)), Some(product)) =
                (resolved.get(agreement_name), self.psa.products.one(&NameKey::new(&mapping.psa.product)))
            else {
                continue;
            };
            if !product.active {
                continue;
            }
            let billed = quantity.saturating_sub(rules.included.unwrap_or(0)).max(rules.minimum.unwrap_or(0));
            let description = mapping.description.clone().or_else(|| sample.map(|l| l.description.clone()));
            let target = self.targets.entry((agreement.id, product.id)).or_insert_with(|| Target {
                owner: owner(agreement),
                product,
                quantity: 0,
                mappings: BTreeMap::new(),
                holding: Holding::default(),
                description,
                price: mapping.price.clone().unwrap_or_default(),
            });
            target.quantity = target.quantity.saturating_add(billed);
            target.mappings.insert(mapping.key.as_str(), quantity);
            target.holding.merge(&holding);
        }
    }

    /// Active seats per mapping key (every key the client has rules for included); licences
    /// with no single mapping are reported as Not Mapped.
    fn held(&mut self, client: &'a Client, client_name: &str, licences: &[&'a Licence]) -> Held<'a> {
        let id = client.dicker_data.as_str();
        let mut held: Held = BTreeMap::new();
        let mut unmapped: BTreeMap<String, (Holding, String)> = BTreeMap::new();
        for licence in licences.iter().filter(|l| l.status == LicenceStatus::Active) {
            match self.mappings.find(&licence.stock_code) {
                Ok(m) => {
                    let entry = held.entry(m.key.as_str()).or_insert((Holding::default(), Some(licence)));
                    entry.0.add(licence);
                }
                Err(why) => {
                    let note = match why {
                        Unmapped::Missing => "no product mapping has this stock code".to_string(),
                        Unmapped::Ambiguous(keys) => format!(
                            "no product mapping has this stock code (matches {}: map the exact code)",
                            keys.join(", ")
                        ),
                        Unmapped::Incomplete(key) => {
                            format!("mapping `{key}` is incomplete: it names no PSA product yet")
                        }
                    };
                    let entry =
                        unmapped.entry(licence.stock_code.to_string()).or_insert((Holding::default(), note));
                    entry.0.add(licence);
                }
            }
        }
        let mut unbilled = Holding::default();
        for (code, (holding, note)) in unmapped {
            self.findings.warn(
                "not_mapped",
                Some(id),
                format!(
                    "client {id}: licence {code} × {} is Not Mapped: {note}{}",
                    holding.seats,
                    at_cost(&Unbilled::of(&holding))
                ),
            );
            unbilled.merge(&holding);
        }
        self.money.unbilled(id, client_name, false, Unbilled::of(&unbilled));
        for key in client.products.keys() {
            held.entry(key.as_str()).or_insert((Holding::default(), None));
        }
        held
    }

    /// Every agreement the client names, resolved on its company. Active ones are managed
    /// (even when no licence maps to them today); others are reported and never written.
    fn resolve_agreements(
        &mut self,
        client: &'a Client,
        company: &Company,
        owner: &impl Fn(&'a Agreement) -> Owner<'a>,
    ) -> BTreeMap<&'a str, Option<&'a Agreement>> {
        let id = client.dicker_data.as_str();
        let mut named: BTreeSet<&str> = client.agreement.iter().map(String::as_str).collect();
        named.extend(client.products.values().filter_map(|p| p.agreement.as_deref()));
        let mut resolved = BTreeMap::new();
        for name in named {
            let found = resolve_agreement(self.psa, company, name, id, &mut self.findings);
            if let Some(a) = found {
                if a.status == AgreementStatus::Active {
                    self.agreements.entry(a.id).or_insert_with(|| owner(a));
                } else {
                    self.blocked.insert(a.id);
                    self.findings.warn(
                        "inactive_agreement",
                        Some(id),
                        format!(
                            "client {id}: agreement \"{name}\" is {:?}; nothing is written to it",
                            a.status
                        ),
                    );
                }
            }
            resolved.insert(name, found.filter(|a| a.status == AgreementStatus::Active));
        }
        resolved
    }
}

fn resolve_agreement<'a>(
    psa: &PsaIndex<'a>,
    company: &Company,
    name: &str,
    client: &str,
    findings: &mut Findings,
) -> Option<&'a Agreement> {
    match psa.agreements.find(&(company.id, NameKey::new(name))) {
        Found::One(a) => return Some(a),
        Found::Ambiguous(many) => {
            findings.error(
                "ambiguous_agreement",
                Some(client),
                format!(
                    "client {client}: company `{}` has agreements {} that all answer to \"{name}\": the PSA compares names without case, so cspctl cannot tell which one is meant and writes to none (rename all but one in the PSA)",
                    company.identifier,
                    list_named(&many, |a| (a.name.as_str(), a.id))
                ),
            );
            return None;
        }
        Found::None => {}
    }
    match psa.agreement_names.all(&NameKey::new(name)) {
        [] => findings.error(
            "unknown_agreement",
            Some(client),
            format!("client {client}: company `{}` has no agreement named \"{name}\"", company.identifier),
        ),
        elsewhere => findings.error(
            "agreement_wrong_company",
            Some(client),
            format!(
                "client {client}: agreement \"{name}\" belongs to company id {} , not to `{}`",
                elsewhere[0].company, company.identifier
            ),
        ),
    }
    None
}

/// Names match when they differ only in case and spacing.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}
