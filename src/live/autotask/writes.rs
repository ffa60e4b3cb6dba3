//! Writes. Units only change through create-only ContractServiceAdjustments, which cannot be
//! read back, so every adjustment is computed from the units apply's bulk read found just
//! before writing, and after an unclear outcome (timeout, 5xx, unreadable answer) the units
//! are read again and only the remaining change is sent: an adjustment is never re-sent
//! blindly. No write reads back on its own: apply's one bulk read after writing does.
//!
//! Autotask refuses a second adjustment of one contract service on one date ("Attempt to
//! insert duplicate data into contract_service_period"). That rule is what keeps a late or
//! concurrent adjustment from counting twice: when it refuses cspctl's, cspctl reads the units
//! and reports the write done when they are already right (an earlier attempt or another
//! apply landed), else [`LiveError::SameDay`]; it never moves the date.

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::api::{Api, unclear};
use super::wire::{self, ContractServiceRow, UnitRow, leaf, query};
use crate::live::LiveError;
use crate::live::http::Idempotency;
use crate::model::{Addition, Applied, Fingerprint, PsaId, Write};

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

async fn units_on(api: &Api, contract_service: PsaId, date: NaiveDate) -> Result<i64, LiveError> {
    Ok(wire::units_on(&unit_rows(api, contract_service).await?, date))
}

async fn service_on(
    api: &Api,
    contract: PsaId,
    service: PsaId,
) -> Result<Option<ContractServiceRow>, LiveError> {
    let filter = vec![leaf("eq", "contractID", json!(contract)), leaf("eq", "serviceID", json!(service))];
    Ok(services_where(api, filter).await?.into_iter().min_by_key(|s| s.id))
}

/// Adds `service` to `contract` (no units yet) and returns the contract service id, and
/// whether this call is known to have made it (so it holds no units yet). After an
/// unclear outcome or a refusal it looks for the service before sending again: an earlier
/// attempt that landed late, or another apply at the same moment, may have added it.
async fn add_service(
    api: &Api,
    contract: PsaId,
    service: PsaId,
    description: Option<&str>,
    price: Option<f64>,
    cost: Option<f64>,
) -> Result<(PsaId, bool), LiveError> {
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
        let error = match api
            .call("ContractServices", Method::POST, url.clone(), Some(&body), Idempotency::Once)
            .await
        {
            Ok(answer) => match answer.get("itemId").and_then(Value::as_i64) {
                Some(id) => return Ok((id, true)),
                None => None,
            },
            Err(e) => Some(e),
        };
        if let Some(found) = service_on(api, contract, service).await? {
            return Ok((found.id, false));
        }
        match error {
            Some(e) if unclear(&e) && attempt < UNCLEAR_ATTEMPTS => {
                tracing::debug!(error = %e, "adding the service had an unclear outcome and it is not there; sending again");
            }
            Some(e) => return Err(e),
            None => {
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
}

fn same_day(e: &LiveError) -> bool {
    matches!(e, LiveError::Vendor { message, .. } if message.contains("contract_service_period"))
}

/// Brings units on `date` from `units` to `target` with one adjustment (none when they match).
async fn adjust_to(
    api: &Api,
    service: &ContractServiceRow,
    target: i64,
    date: NaiveDate,
    mut units: i64,
) -> Result<(), LiveError> {
    let url = api.url("ContractServiceAdjustments").await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let change = target - units;
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
                units = units_on(api, service.id, date).await?;
            }
            Err(e) if same_day(&e) => {
                // Refused as a second adjustment that day: fine if the units are already right.
                if units_on(api, service.id, date).await? == target {
                    return Ok(());
                }
                return Err(LiveError::SameDay { addition: service.id, date });
            }
            Err(e) => return Err(e),
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

/// The contract service as apply's bulk read found it.
fn row(current: &Addition) -> ContractServiceRow {
    ContractServiceRow {
        id: current.id,
        contract_id: current.agreement,
        service_id: current.product,
        unit_price: current.unit_price,
        unit_cost: current.unit_cost,
        adjusted_price: current.unit_price,
        invoice_description: current.description.clone(),
    }
}

/// Units in force on `date`: the bulk read's when `date` is the day it read for.
async fn units_from(
    api: &Api,
    current: &Addition,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<i64, LiveError> {
    if date == today { Ok(current.quantity.round() as i64) } else { units_on(api, current.id, date).await }
}

fn stale(addition: PsaId, expected: &Fingerprint, current: Option<&Addition>) -> LiveError {
    let found = current
        .map(|a| a.fingerprint.clone())
        .unwrap_or_else(|| Fingerprint("(no longer on the contract)".into()));
    LiveError::Stale { addition, expected: expected.clone(), found }
}

/// The service was added but its units were not set: say so, so the audit line records a
/// half-done create (a new plan sees a zero-unit service and finishes it).
fn half_done(e: LiveError, service: PsaId, contract: PsaId) -> LiveError {
    let note = format!(
        "contract service {service} was added to contract {contract} with 0 units, but setting its units failed; \
         a new plan finishes it"
    );
    match e {
        LiveError::Vendor { request, status, message } => {
            LiveError::Vendor { request, status, message: format!("{message}; {note}") }
        }
        LiveError::Transport { request, message } => {
            LiveError::Transport { request, message: format!("{message}; {note}") }
        }
        LiveError::Malformed { request, detail } => {
            LiveError::Malformed { request, detail: format!("{detail}; {note}") }
        }
        other => other,
    }
}

/// Carries out one write against `current`, the service as apply's read before writing
/// found it. The new version is left to apply's read-back (an adjustment's answer has none).
pub async fn apply(
    api: &Api,
    write: &Write,
    current: Option<&Addition>,
    today: NaiveDate,
) -> Result<Applied, LiveError> {
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
            let target = i64::from(*quantity);
            match current {
                None => {
                    let (id, made) = add_service(
                        api,
                        *agreement,
                        *product,
                        description.as_deref(),
                        *unit_price,
                        *unit_cost,
                    )
                    .await?;
                    let service = ContractServiceRow {
                        id,
                        contract_id: *agreement,
                        service_id: *product,
                        unit_price: *unit_price,
                        unit_cost: *unit_cost,
                        adjusted_price: *unit_price,
                        invoice_description: description.clone(),
                    };
                    // A new service may already hold units when another apply added it first.
                    let units = if made { 0 } else { units_on(api, id, *effective_date).await? };
                    adjust_to(api, &service, target, *effective_date, units)
                        .await
                        .map_err(|e| half_done(e, id, *agreement))?;
                    Ok(Applied { addition: id, fingerprint: Fingerprint::default() })
                }
                Some(s) => {
                    // Already there: history cancelled to zero (re-added by adjusting it), or
                    // an earlier apply that stopped half-way. Anything else moved under the plan.
                    let units = units_from(api, s, *effective_date, today).await?;
                    if units != 0 && units != target {
                        return Err(stale(s.id, &Fingerprint::default(), Some(s)));
                    }
                    let service = row(s);
                    patch(api, &service, description.as_deref(), *unit_price).await?;
                    adjust_to(api, &service, target, *effective_date, units).await?;
                    Ok(Applied { addition: s.id, fingerprint: Fingerprint::default() })
                }
            }
        }
        Write::Update { addition, expected, quantity, description, unit_price, effective_date, .. } => {
            let Some(s) = current.filter(|s| &s.fingerprint == expected) else {
                return Err(stale(*addition, expected, current));
            };
            let service = row(s);
            patch(api, &service, description.as_deref(), *unit_price).await?;
            if let Some(q) = quantity {
                let units = units_from(api, s, *effective_date, today).await?;
                adjust_to(api, &service, i64::from(*q), *effective_date, units).await?;
            }
            Ok(Applied { addition: *addition, fingerprint: Fingerprint::default() })
        }
        Write::Cancel { addition, expected, cancelled_date, .. } => {
            let Some(s) = current.filter(|s| &s.fingerprint == expected) else {
                return Err(stale(*addition, expected, current));
            };
            let units = units_from(api, s, *cancelled_date, today).await?;
            adjust_to(api, &row(s), 0, *cancelled_date, units).await?;
            Ok(Applied { addition: *addition, fingerprint: Fingerprint::default() })
        }
    }
}
