//! Writes. Units only change through create-only ContractServiceAdjustments, which cannot be
//! read back, so every adjustment is computed from units read just before it, and after an
//! unclear outcome (timeout, 5xx, unreadable answer) the units are read again and only the
//! remaining change is sent: an adjustment is never re-sent blindly.
//!
//! Autotask refuses a second adjustment of one contract service on one date ("Attempt to
//! insert duplicate data into contract_service_period"). One plan makes at most one write per
//! contract service, so this only happens when a second apply on the same day changes units
//! again; cspctl then refuses that write with a message saying so, and never moves the date.

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::api::{Api, unclear};
use super::snapshot::{addition, fingerprint};
use super::wire::{self, ContractServiceRow, UnitRow, leaf, query};
use crate::live::LiveError;
use crate::live::http::Idempotency;
use crate::model::{Applied, Fingerprint, PsaId, Write};

/// How many times an unclear write is re-checked and completed before giving up.
const UNCLEAR_ATTEMPTS: u32 = 4;

async fn services_where(api: &Api, filter: Vec<Value>) -> Result<Vec<ContractServiceRow>, LiveError> {
    let items = api.query("ContractServices", &query(wire::CONTRACT_SERVICE_FIELDS, filter)).await?;
    items
        .into_iter()
        .map(|i| {
            wire::decode(i, api.calendar()).map_err(|detail| LiveError::Malformed {
                request: crate::live::RequestLabel::new("POST", "/ContractServices/query"),
                detail,
            })
        })
        .collect()
}

async fn unit_rows(api: &Api, contract_service: PsaId) -> Result<Vec<UnitRow>, LiveError> {
    let body = query(wire::UNIT_FIELDS, vec![leaf("eq", "contractServiceID", json!(contract_service))]);
    api.query("ContractServiceUnits", &body)
        .await?
        .into_iter()
        .map(|i| {
            wire::decode(i, api.calendar()).map_err(|detail| LiveError::Malformed {
                request: crate::live::RequestLabel::new("POST", "/ContractServiceUnits/query"),
                detail,
            })
        })
        .collect()
}

/// The contract service `id` on `contract`, as it is now.
async fn service_by_id(api: &Api, contract: PsaId, id: PsaId) -> Result<ContractServiceRow, LiveError> {
    services_where(api, vec![leaf("eq", "id", json!(id))])
        .await?
        .into_iter()
        .find(|s| s.contract_id == contract)
        .ok_or_else(|| LiveError::Vendor {
            request: crate::live::RequestLabel::new("POST", "/ContractServices/query"),
            status: 404,
            message: format!("contract service {id} is not on contract {contract} any more; run plan again"),
        })
}

async fn service_on(
    api: &Api,
    contract: PsaId,
    service: PsaId,
) -> Result<Option<ContractServiceRow>, LiveError> {
    let filter = vec![leaf("eq", "contractID", json!(contract)), leaf("eq", "serviceID", json!(service))];
    Ok(services_where(api, filter).await?.into_iter().min_by_key(|s| s.id))
}

/// Adds `service` to `contract` (no units yet); re-reads after an unclear outcome.
async fn add_service(
    api: &Api,
    contract: PsaId,
    service: PsaId,
    description: Option<&str>,
    price: Option<f64>,
    cost: Option<f64>,
) -> Result<ContractServiceRow, LiveError> {
    let mut body = Map::new();
    body.insert("contractID".into(), json!(contract));
    body.insert("serviceID".into(), json!(service));
    if let Some(d) = description {
        body.insert("invoiceDescription".into(), json!(d));
    }
    if let Some(p) = price {
        body.insert("unitPrice".into(), json!(p));
        body.insert("adjustedPrice".into(), json!(p));
    }
    if let Some(c) = cost {
        body.insert("unitCost".into(), json!(c));
    }
    let body = Value::Object(body);
    let url = api.url(&format!("Contracts/{contract}/Services")).await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match api.call("ContractServices", Method::POST, url.clone(), Some(&body), Idempotency::Once).await {
            Ok(_) => {}
            Err(e) if unclear(&e) && attempt < UNCLEAR_ATTEMPTS => {
                tracing::debug!(error = %e, "adding the service had an unclear outcome; reading back");
            }
            Err(e) => return Err(e),
        }
        if let Some(found) = service_on(api, contract, service).await? {
            return Ok(found);
        }
        if attempt >= UNCLEAR_ATTEMPTS {
            return Err(LiveError::Vendor {
                request: crate::live::RequestLabel::new("POST", url.path()),
                status: 200,
                message: format!(
                    "Autotask accepted service {service} on contract {contract} but does not list it"
                ),
            });
        }
    }
}

fn duplicate_date(e: LiveError, service: PsaId, date: NaiveDate) -> LiveError {
    match e {
        LiveError::Vendor { request, status, message } if message.contains("contract_service_period") => {
            LiveError::Vendor {
                request,
                status,
                message: format!(
                    "{message}. Contract service {service} already has a unit adjustment dated {date}, and \
                     Autotask allows one per service per day; cspctl does not move the date. Apply again \
                     tomorrow, or change the units by hand in Autotask"
                ),
            }
        }
        other => other,
    }
}

/// Brings units on `date` to `target` with one adjustment (none when they already match).
async fn adjust_to(
    api: &Api,
    service: &ContractServiceRow,
    target: i64,
    date: NaiveDate,
    mut rows: Vec<UnitRow>,
) -> Result<(), LiveError> {
    let url = api.url("ContractServiceAdjustments").await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let change = target - wire::units_on(&rows, date);
        if change == 0 {
            return Ok(());
        }
        let body = json!({
            "contractID": service.contract_id,
            "serviceID": service.service_id,
            "contractServiceID": service.id,
            "unitChange": change,
            "effectiveDate": wire::day(date),
        });
        match api
            .call("ContractServiceAdjustments", Method::POST, url.clone(), Some(&body), Idempotency::Once)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if unclear(&e) && attempt < UNCLEAR_ATTEMPTS => {
                tracing::debug!(error = %e, "adjustment had an unclear outcome; reading units back");
                rows = unit_rows(api, service.id).await?;
            }
            Err(e) => return Err(duplicate_date(e, service.id, date)),
        }
    }
}

/// Corrects invoice text and price: the only two fields Autotask lets cspctl change.
async fn patch(
    api: &Api,
    service: &ContractServiceRow,
    description: Option<&str>,
    price: Option<f64>,
) -> Result<(), LiveError> {
    let mut body = Map::new();
    body.insert("id".into(), json!(service.id));
    if let Some(d) = description.filter(|d| service.invoice_description.as_deref() != Some(*d)) {
        body.insert("invoiceDescription".into(), json!(d));
    }
    if let Some(p) = price.filter(|p| service.adjusted_price.or(service.unit_price) != Some(*p)) {
        body.insert("adjustedPrice".into(), json!(p));
    }
    if body.len() == 1 {
        return Ok(());
    }
    let url = api.url(&format!("Contracts/{}/Services", service.contract_id)).await?;
    api.call("ContractServices", Method::PATCH, url, Some(&Value::Object(body)), Idempotency::Retry).await?;
    Ok(())
}

/// The service and its units as they are now, with the version the plan compares.
async fn current(
    api: &Api,
    contract: PsaId,
    id: PsaId,
    today: NaiveDate,
) -> Result<(ContractServiceRow, Vec<UnitRow>, Fingerprint), LiveError> {
    let (service, rows) = futures::try_join!(service_by_id(api, contract, id), unit_rows(api, id))?;
    let version = fingerprint(&service, wire::row_on(&rows, today));
    Ok((service, rows, version))
}

async fn applied(api: &Api, contract: PsaId, id: PsaId, today: NaiveDate) -> Result<Applied, LiveError> {
    let (service, rows, _) = current(api, contract, id, today).await?;
    Ok(Applied { addition: id, fingerprint: addition(&service, &rows, today).fingerprint })
}

fn stale(addition: PsaId, expected: &Fingerprint, found: Fingerprint) -> LiveError {
    LiveError::Stale { addition, expected: expected.clone(), found }
}

/// Carries out one write.
pub async fn apply(api: &Api, write: &Write, today: NaiveDate) -> Result<Applied, LiveError> {
    match write {
        Write::Create {
            agreement,
            product,
            quantity,
            description,
            unit_price,
            unit_cost,
            effective_date,
        } => {
            let existing = service_on(api, *agreement, *product).await?;
            let (service, rows) = match existing {
                None => {
                    let s = add_service(
                        api,
                        *agreement,
                        *product,
                        description.as_deref(),
                        *unit_price,
                        *unit_cost,
                    )
                    .await?;
                    let rows = unit_rows(api, s.id).await?;
                    (s, rows)
                }
                Some(s) => {
                    // Already there: history cancelled to zero (re-added by adjusting it), or
                    // an earlier apply that stopped half-way. Anything else moved under the plan.
                    let rows = unit_rows(api, s.id).await?;
                    let units = wire::units_on(&rows, today);
                    if units != 0 && units != i64::from(*quantity) {
                        return Err(stale(
                            s.id,
                            &Fingerprint::default(),
                            fingerprint(&s, wire::row_on(&rows, today)),
                        ));
                    }
                    patch(api, &s, description.as_deref(), *unit_price).await?;
                    (s, rows)
                }
            };
            adjust_to(api, &service, i64::from(*quantity), *effective_date, rows).await?;
            applied(api, *agreement, service.id, today).await
        }
        Write::Update {
            addition,
            agreement,
            expected,
            quantity,
            description,
            unit_price,
            effective_date,
            ..
        } => {
            let (service, rows, version) = current(api, *agreement, *addition, today).await?;
            if &version != expected {
                return Err(stale(*addition, expected, version));
            }
            patch(api, &service, description.as_deref(), *unit_price).await?;
            if let Some(q) = quantity {
                adjust_to(api, &service, i64::from(*q), *effective_date, rows).await?;
            }
            applied(api, *agreement, *addition, today).await
        }
        Write::Cancel { addition, agreement, expected, cancelled_date, .. } => {
            let (service, rows, version) = current(api, *agreement, *addition, today).await?;
            if &version != expected {
                return Err(stale(*addition, expected, version));
            }
            adjust_to(api, &service, 0, *cancelled_date, rows).await?;
            applied(api, *agreement, *addition, today).await
        }
    }
}
