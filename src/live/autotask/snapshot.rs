//! Reading the scope in bulk: five lists, each filtered with `in` batches of at most 500
//! values and read in pages of 500, never one request per client. Companies and services are
//! read side by side, then contracts, then contract services and their current unit rows side
//! by side.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use futures::future::try_join_all;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::api::{Api, PAGE_SIZE};
use super::wire::{self, CompanyRow, ContractRow, ContractServiceRow, ServiceRow, UnitRow, leaf, query};
use crate::live::LiveError;
use crate::model::{
    Addition, Agreement, AgreementStatus, Company, Fingerprint, NameKey, Product, PsaId, PsaScope,
    PsaSnapshot,
};

/// Reads `entity` rows for each `in` batch of `values` (concurrently, within the endpoint's
/// thread limit), with `extra` conditions ANDed, de-duplicated by id.
async fn read_batches<T: DeserializeOwned>(
    api: &Api,
    entity: &'static str,
    fields: &[&str],
    batches: Vec<Value>,
    filter: impl Fn(Value) -> Vec<Value>,
    id: impl Fn(&T) -> PsaId,
) -> Result<Vec<T>, LiveError> {
    let bodies: Vec<Value> = batches.into_iter().map(|b| query(fields, filter(b))).collect();
    let pages: Vec<Vec<T>> = try_join_all(bodies.iter().map(|body| api.query_rows(entity, body))).await?;
    let mut out = BTreeMap::new();
    for row in pages.into_iter().flatten() {
        out.insert(id(&row), row);
    }
    Ok(out.into_values().collect())
}

/// The contract services on `contracts` as the model's additions (units in force on `today`),
/// ordered by id: two queries per 500 contracts at most (the services and their unit rows, side
/// by side), whatever the number of services. Each batch is joined as soon as both its reads
/// are in, so the joining overlaps the other batches' reads instead of following them all.
pub async fn additions(api: &Api, contracts: &[PsaId], today: NaiveDate) -> Result<Vec<Addition>, LiveError> {
    let calendar = api.calendar();
    let batch = |contracts: Value| async move {
        let services = read_batches(
            api,
            "ContractServices",
            wire::CONTRACT_SERVICE_FIELDS,
            vec![contracts.clone()],
            |b| vec![leaf("in", "contractID", b)],
            |r: &ContractServiceRow| r.id,
        );
        let units = read_batches(
            api,
            "ContractServiceUnits",
            wire::UNIT_FIELDS,
            vec![contracts],
            |b| {
                vec![
                    leaf("in", "contractID", b),
                    // Before tomorrow's midnight and not over before yesterday's: right whether
                    // Autotask keeps the tenant's midnights or UTC ones.
                    leaf("lt", "startDate", wire::midnight(calendar, today.succ_opt().unwrap_or(today))),
                    json!({ "op": "or", "items": [
                        leaf("gte", "endDate", wire::midnight(calendar, today.pred_opt().unwrap_or(today))),
                        json!({ "op": "notExist", "field": "endDate" }),
                    ]}),
                ]
            },
            |r: &UnitRow| r.id,
        );
        let (services, rows) = futures::try_join!(services, units)?;
        let mut rows_by_service: HashMap<PsaId, Vec<UnitRow>> = HashMap::new();
        for r in rows {
            rows_by_service.entry(r.contract_service_id).or_default().push(r);
        }
        Ok::<_, LiveError>(
            services
                .iter()
                .map(|s| addition(s, rows_by_service.get(&s.id).map(Vec::as_slice).unwrap_or(&[]), today))
                .collect::<Vec<_>>(),
        )
    };
    let mut out: Vec<Addition> =
        try_join_all(wire::chunks(contracts).into_iter().map(batch)).await?.into_iter().flatten().collect();
    out.sort_by_key(|a| a.id);
    out.dedup_by_key(|a| a.id);
    Ok(out)
}

/// A contract service as cspctl's model sees it, with its version hash.
pub fn addition(service: &ContractServiceRow, rows: &[UnitRow], today: NaiveDate) -> Addition {
    let current = wire::row_on(rows, today);
    let quantity = current.and_then(|r| r.units).unwrap_or(0.0);
    Addition {
        id: service.id,
        agreement: service.contract_id,
        product: service.service_id,
        quantity,
        description: service.invoice_description.clone(),
        unit_price: service.adjusted_price.or(service.unit_price),
        unit_cost: service.unit_cost,
        effective_date: None,
        cancelled_date: current.filter(|_| quantity == 0.0).and_then(|r| r.start_date),
        adjusted_on: adjusted_on(rows, today),
        fingerprint: fingerprint(service, current),
    }
}

/// `today` when the units in force today start today with other units than yesterday's: an
/// adjustment already dated today (Autotask takes one per contract service per day). A period
/// that starts today with unchanged units is not one.
fn adjusted_on(rows: &[UnitRow], today: NaiveDate) -> Option<NaiveDate> {
    let current = wire::row_on(rows, today).filter(|r| r.start_date == Some(today))?;
    let yesterday = today.pred_opt().and_then(|d| wire::row_on(rows, d));
    let before = yesterday.and_then(|r| r.units).unwrap_or(0.0);
    (current.units.unwrap_or(0.0) != before).then_some(today)
}

/// Autotask keeps no last-modified stamp on contract services, so their version is a hash of
/// the service's fields and the unit row in force (id, start, units; not its end date, which
/// moves when a later period is added).
pub fn fingerprint(service: &ContractServiceRow, current: Option<&UnitRow>) -> Fingerprint {
    let row = current.map(|r| (r.id, r.start_date, r.units));
    Fingerprint::of_content(&(service, row))
}

fn estimate(scope: &PsaScope) -> u64 {
    let pages = |n: usize| n.div_ceil(PAGE_SIZE).max(1) as u64;
    // Companies, contracts, services, plus contract services and units at a guess of ten per
    // contract, plus the threshold read.
    pages(scope.companies.len())
        + pages(scope.agreements.len())
        + pages(scope.products.len())
        + 2 * pages(scope.agreements.len() * 10)
        + 1
}

/// A whole read's single batch: every row (`id >= 0`; the MSP's own company is id 0).
fn everything() -> Vec<Value> {
    vec![json!(0)]
}

/// The whole in-scope snapshot; with `scope.whole`, every company, recurring-service contract
/// and service (one paged query each).
pub async fn read(api: &Api, scope: &PsaScope, today: NaiveDate) -> Result<PsaSnapshot, LiveError> {
    api.expect_requests(estimate(scope)).await?;
    let names: Vec<String> = scope.companies.iter().cloned().collect();
    let companies = read_batches(
        api,
        "Companies",
        wire::COMPANY_FIELDS,
        if scope.whole { everything() } else { wire::chunks(&names) },
        |b| {
            if scope.whole {
                vec![leaf("gte", "id", b)]
            } else {
                vec![
                    json!({ "op": "or", "items": [leaf("in", "companyNumber", b.clone()), leaf("in", "companyName", b)] }),
                ]
            }
        },
        |r: &CompanyRow| r.id,
    );
    let products: Vec<String> = scope.products.iter().cloned().collect();
    let services = read_batches(
        api,
        "Services",
        wire::SERVICE_FIELDS,
        if scope.whole { everything() } else { wire::chunks(&products) },
        |b| if scope.whole { vec![leaf("gte", "id", b)] } else { vec![leaf("in", "name", b)] },
        |r: &ServiceRow| r.id,
    );
    let (companies, services) = futures::try_join!(companies, services)?;

    let company_ids: Vec<PsaId> = companies.iter().map(|c| c.id).collect();
    let contracts: Vec<ContractRow> = read_batches(
        api,
        "Contracts",
        wire::CONTRACT_FIELDS,
        if scope.whole { everything() } else { wire::chunks(&company_ids) },
        |b| {
            let owner = if scope.whole { leaf("gte", "id", b) } else { leaf("in", "companyID", b) };
            vec![owner, leaf("eq", "contractType", json!(wire::RECURRING_SERVICE))]
        },
        |r: &ContractRow| r.id,
    )
    .await?
    .into_iter()
    .filter(|c: &ContractRow| c.contract_type.is_none_or(|t| t == wire::RECURRING_SERVICE))
    .collect();

    let identifiers: HashMap<PsaId, NameKey> =
        companies.iter().map(|c| (c.id, NameKey::new(&c.identifier()))).collect();
    let wanted: HashSet<(NameKey, NameKey)> =
        scope.agreements.iter().map(|(c, a)| (NameKey::new(c), NameKey::new(a))).collect();
    let in_scope: Vec<PsaId> = contracts
        .iter()
        .filter(|c| {
            let Some(company) = identifiers.get(&c.company_id) else { return false };
            let name = NameKey::new(c.contract_name.as_deref().unwrap_or(""));
            wanted.contains(&(company.clone(), name))
        })
        .map(|c| c.id)
        .collect();
    let additions = additions(api, &in_scope, today).await?;
    Ok(PsaSnapshot {
        inactive_companies: companies.iter().filter(|c| c.is_active == Some(false)).map(|c| c.id).collect(),
        companies: companies
            .iter()
            .map(|c| Company {
                id: c.id,
                identifier: c.identifier(),
                name: c.company_name.clone().unwrap_or_default(),
            })
            .collect(),
        agreements: contracts
            .into_iter()
            .map(|c| Agreement {
                id: c.id,
                name: c.contract_name.unwrap_or_default(),
                company: c.company_id,
                status: if c.status == Some(wire::ACTIVE) {
                    AgreementStatus::Active
                } else {
                    AgreementStatus::Inactive
                },
                start_date: c.start_date,
                end_date: c.end_date,
            })
            .collect(),
        products: services
            .into_iter()
            .map(|s| Product {
                id: s.id,
                identifier: s.name.unwrap_or_default(),
                description: s.description.unwrap_or_default(),
                active: s.is_active.unwrap_or(true),
                unit_price: s.unit_price,
                unit_cost: s.unit_cost,
            })
            .collect(),
        additions,
    })
}
