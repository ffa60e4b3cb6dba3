//! Writes: contract services added to a contract (POST) or corrected (PATCH, `id` in the body),
//! and ContractServiceAdjustments, which are the only way units change. Business-rule
//! failures answer HTTP 500 with `{"errors":[...]}`, as Autotask does.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::units::{AdjustError, next_stamp, seed_start};
use super::{Dialect, Refusal, fail, today};
use crate::model::{Addition, Calendar, Fingerprint, PsaId, PsaSnapshot};

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

fn id_field(body: &Map<String, Value>, name: &str) -> Option<PsaId> {
    field(body, name).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
}

/// A date received (a plain day, or a date-time read as the tenant's day it falls on).
fn date_field(body: &Map<String, Value>, name: &str, calendar: &Calendar) -> Option<NaiveDate> {
    calendar.read(field(body, name)?.as_str()?).ok()
}

fn server_error(message: impl Into<String>) -> Response {
    fail(StatusCode::INTERNAL_SERVER_ERROR, message)
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The request body is not a JSON object.".into(),
        }),
    }
}

/// Adds a contract service with no units yet (units come from adjustments).
fn add_service(
    psa: &mut PsaSnapshot,
    contract: PsaId,
    service: PsaId,
    body: &Map<String, Value>,
    today: NaiveDate,
) -> PsaId {
    let id = psa.additions.iter().map(|a| a.id).max().unwrap_or(0) + 1;
    let start = seed_start(
        &Addition {
            id,
            agreement: contract,
            product: service,
            quantity: 0.0,
            description: None,
            unit_price: None,
            unit_cost: None,
            effective_date: None,
            cancelled_date: None,
            adjusted_on: None,
            fingerprint: Fingerprint::default(),
        },
        psa.agreements.iter().find(|a| a.id == contract),
        today,
    );
    let catalog = psa.products.iter().find(|p| p.id == service);
    let price = field(body, "adjustedPrice").or(field(body, "unitPrice")).and_then(Value::as_f64);
    psa.additions.push(Addition {
        id,
        agreement: contract,
        product: service,
        quantity: 0.0,
        description: field(body, "invoiceDescription").and_then(Value::as_str).map(str::to_string),
        unit_price: price.or(catalog.and_then(|p| p.unit_price)),
        unit_cost: field(body, "unitCost").and_then(Value::as_f64).or(catalog.and_then(|p| p.unit_cost)),
        effective_date: Some(start),
        cancelled_date: Some(start),
        adjusted_on: None,
        fingerprint: next_stamp(&Fingerprint::default()),
    });
    id
}

impl Dialect {
    /// `POST` (add a service to a contract) and `PATCH` (correct price or invoice text) on
    /// `/Contracts/{id}/Services`.
    pub(super) async fn contract_services(
        &self,
        method: &Method,
        headers: &HeaderMap,
        contract: PsaId,
        body: &Bytes,
    ) -> Response {
        let _slot = match self.admit(headers, "ContractServices").await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        };
        let body = match parse_body(body) {
            Ok(b) => b,
            Err(r) => return r.into_response(),
        };
        let mut state = self.shared.lock_state();
        let mut book = self.units.lock().unwrap_or_else(|p| p.into_inner());
        book.sync(&state.psa, today(&self.shared));
        if !state.psa.agreements.iter().any(|a| a.id == contract) {
            return server_error(format!("Contract {contract} does not exist."));
        }
        if method == Method::POST {
            let Some(service) = id_field(&body, "serviceID") else {
                return server_error("serviceID is required.");
            };
            if !state.psa.products.iter().any(|p| p.id == service) {
                return server_error(format!("Service {service} does not exist."));
            }
            if state.psa.additions.iter().any(|a| a.agreement == contract && a.product == service) {
                return server_error("This service already exists on the contract.");
            }
            let id = add_service(&mut state.psa, contract, service, &body, today(&self.shared));
            book.sync(&state.psa, today(&self.shared));
            return axum::Json(json!({ "itemId": id })).into_response();
        }
        let Some(id) = id_field(&body, "id") else {
            return server_error("id is required in the body of an update.");
        };
        let Some(row) = state.psa.additions.iter_mut().find(|a| a.id == id && a.agreement == contract) else {
            return server_error(format!("ContractService {id} does not exist on contract {contract}."));
        };
        for (k, _) in body.iter() {
            let known = ["id", "contractID", "serviceID", "adjustedPrice", "invoiceDescription"];
            if !known.iter().any(|f| f.eq_ignore_ascii_case(k)) {
                return server_error(format!("{k} is read-only on ContractService."));
            }
        }
        if let Some(v) = field(&body, "invoiceDescription") {
            row.description = v.as_str().map(str::to_string);
        }
        if let Some(p) = field(&body, "adjustedPrice").and_then(Value::as_f64) {
            row.unit_price = Some(p);
        }
        row.fingerprint = next_stamp(&row.fingerprint);
        axum::Json(json!({ "itemId": id })).into_response()
    }

    /// A ContractServiceAdjustment: changes units from its effective date on.
    pub(super) async fn adjustment(
        &self,
        headers: &HeaderMap,
        path_contract: Option<PsaId>,
        body: &Bytes,
    ) -> Response {
        let _slot = match self.admit(headers, "ContractServiceAdjustments").await {
            Ok(s) => s,
            Err(r) => return r.into_response(),
        };
        let body = match parse_body(body) {
            Ok(b) => b,
            Err(r) => return r.into_response(),
        };
        let Some(contract) = path_contract.or(id_field(&body, "contractID")) else {
            return server_error("contractID is required.");
        };
        let Some(date) = date_field(&body, "effectiveDate", &self.shared.calendar()) else {
            return server_error("effectiveDate is required (YYYY-MM-DD).");
        };
        let change = match field(&body, "unitChange") {
            None => 0,
            Some(v) => match v.as_f64() {
                Some(f) if f.fract() == 0.0 => f as i64,
                _ => return server_error("unitChange must be a whole number."),
            },
        };
        let mut state = self.shared.lock_state();
        let mut book = self.units.lock().unwrap_or_else(|p| p.into_inner());
        book.sync(&state.psa, today(&self.shared));
        let Some(window) =
            state.psa.agreements.iter().find(|a| a.id == contract).map(|a| (a.start_date, a.end_date))
        else {
            return server_error(format!("Contract {contract} does not exist."));
        };
        if window.0.is_some_and(|s| date < s) || window.1.is_some_and(|e| date > e) {
            return server_error("effectiveDate must be between the start date and end date of the Contract");
        }
        let by_id = id_field(&body, "contractServiceID");
        let service = id_field(&body, "serviceID");
        let existing = state.psa.additions.iter().find(|a| {
            a.agreement == contract
                && (by_id == Some(a.id) || (by_id.is_none() && service == Some(a.product)))
        });
        let id = match (existing, service) {
            (Some(a), _) => a.id,
            (None, Some(service)) if by_id.is_none() => {
                if !state.psa.products.iter().any(|p| p.id == service) {
                    return server_error(format!("Service {service} does not exist."));
                }
                let id = add_service(&mut state.psa, contract, service, &Map::new(), today(&self.shared));
                book.sync(&state.psa, today(&self.shared));
                id
            }
            _ => {
                return server_error(
                    "The contract service of this adjustment does not exist on the contract.",
                );
            }
        };
        let _adjustment = match book.adjust(id, date, change) {
            Ok(n) => n,
            Err(AdjustError::Duplicate) => {
                return server_error("Attempt to insert duplicate data into contract_service_period");
            }
            Err(AdjustError::Negative) => {
                return server_error("The unit change would leave the contract service with negative units.");
            }
        };
        if let Some(row) = state.psa.additions.iter_mut().find(|a| a.id == id) {
            if let Some(p) = field(&body, "adjustedUnitPrice").and_then(Value::as_f64) {
                row.unit_price = Some(p);
            }
            book.write_back(row, today(&self.shared));
        }
        // Live tenants answer a successful adjustment POST with `{"itemId": null}` (the
        // adjustment is create-only and has no id to read back): a client must not need one.
        axum::Json(json!({ "itemId": null })).into_response()
    }
}
