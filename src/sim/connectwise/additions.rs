//! Writes to agreement additions: POST (201 + record), PATCH with a JSON-patch array (200 +
//! record), DELETE (204), each validated with ConnectWise-shaped 400/404 bodies and stamping
//! a new `_info.lastUpdated`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde_json::Value;

use super::conditions::parse_datetime;
use super::listing::agreement_exists;
use super::{SimShared, error, json_response, wire};
use crate::live::sandbox::next_stamp;
use crate::model::{Addition, Calendar, Fingerprint, PsaId, PsaSnapshot};

/// A 400 `InvalidObject` listing the fields that were wrong.
fn invalid(errors: &[(&str, &str, &str)]) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        wire::error_body("InvalidObject", "addition object is invalid", errors),
    )
}

fn find(psa: &PsaSnapshot, agreement: PsaId, id: PsaId) -> Result<usize, Response> {
    agreement_exists(psa, agreement)?;
    psa.additions.iter().position(|a| a.id == id && a.agreement == agreement).ok_or_else(|| {
        error(StatusCode::NOT_FOUND, "NotFound", &format!("Addition recId '{id}' was not found"))
    })
}

fn parse_body(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(StatusCode::BAD_REQUEST, "InvalidObject", &format!("the request body is not valid JSON: {e}"))
    })
}

/// A date-time received, as the tenant's day it falls on (ConnectWise keeps the instant and
/// shows the tenant its local date).
fn date_field(
    value: &Value,
    field: &'static str,
    calendar: &Calendar,
) -> Result<Option<NaiveDate>, (&'static str, String)> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse_datetime(s)
            .map(|d| Some(calendar.day_of(d)))
            .ok_or((field, format!("{field} must be a date-time like 2026-05-01T00:00:00Z"))),
        _ => Err((field, format!("{field} must be a date-time string"))),
    }
}

fn number_field(value: &Value, field: &'static str) -> Result<Option<f64>, (&'static str, String)> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        _ => Err((field, format!("{field} must be a number"))),
    }
}

/// `POST /finance/agreements/{id}/additions`.
pub(super) async fn create(
    State(shared): State<Arc<SimShared>>,
    Path(agreement): Path<PsaId>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let calendar = shared.calendar();
    let mut state = shared.lock_state();
    let psa = &mut state.psa;
    if let Err(r) = agreement_exists(psa, agreement) {
        return r;
    }
    let product = body.get("product").and_then(|p| p.get("id")).and_then(Value::as_i64);
    let bill = body.get("billCustomer").and_then(Value::as_str);
    let mut missing = Vec::new();
    if product.is_none() {
        missing.push(("MissingRequiredField", "product", "The product field is required."));
    }
    match bill {
        None => missing.push(("MissingRequiredField", "billCustomer", "The billCustomer field is required.")),
        Some("Billable" | "DoNotBill" | "NoCharge") => {}
        Some(_) => missing.push((
            "InvalidField",
            "billCustomer",
            "billCustomer must be Billable, DoNotBill or NoCharge.",
        )),
    }
    if !missing.is_empty() {
        return invalid(&missing);
    }
    let product = product.unwrap_or_default();
    if !psa.products.iter().any(|p| p.id == product) {
        return invalid(&[("InvalidField", "product", "product id does not match a catalog item.")]);
    }
    let field = |name: &str| body.get(name).unwrap_or(&Value::Null);
    let parsed = (|| {
        Ok::<_, (&'static str, String)>((
            number_field(field("quantity"), "quantity")?,
            number_field(field("unitPrice"), "unitPrice")?,
            number_field(field("unitCost"), "unitCost")?,
            date_field(field("effectiveDate"), "effectiveDate", &calendar)?,
            date_field(field("cancelledDate"), "cancelledDate", &calendar)?,
        ))
    })();
    let (quantity, unit_price, unit_cost, effective_date, cancelled_date) = match parsed {
        Ok(p) => p,
        Err((field, message)) => return invalid(&[("InvalidField", field, &message)]),
    };
    let description = match field("description") {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        _ => return invalid(&[("InvalidField", "description", "description must be a string.")]),
    };
    let id = psa.additions.iter().map(|a| a.id).max().unwrap_or(0) + 1;
    let addition = Addition {
        id,
        agreement,
        product,
        quantity: quantity.unwrap_or(0.0),
        description,
        unit_price,
        unit_cost,
        effective_date: Some(effective_date.unwrap_or_else(|| calendar.today())),
        cancelled_date,
        adjusted_on: None,
        fingerprint: next_stamp(&Fingerprint::default(), Utc::now()),
    };
    let served = wire::addition(&addition, psa, &calendar);
    psa.additions.push(addition);
    json_response(StatusCode::CREATED, served)
}

/// `GET /finance/agreements/{id}/additions/{additionId}`.
pub(super) async fn get_one(
    State(shared): State<Arc<SimShared>>,
    Path((agreement, id)): Path<(PsaId, PsaId)>,
) -> Response {
    let state = shared.lock_state();
    match find(&state.psa, agreement, id) {
        Ok(i) => json_response(
            StatusCode::OK,
            wire::addition(&state.psa.additions[i], &state.psa, &shared.calendar()),
        ),
        Err(r) => r,
    }
}

/// `PATCH /finance/agreements/{id}/additions/{additionId}` with `[{op, path, value}]`.
pub(super) async fn patch(
    State(shared): State<Arc<SimShared>>,
    Path((agreement, id)): Path<(PsaId, PsaId)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(ops) = body.as_array() else {
        return error(StatusCode::BAD_REQUEST, "InvalidObject", "PATCH body must be an array of operations");
    };
    let calendar = shared.calendar();
    let mut state = shared.lock_state();
    let index = match find(&state.psa, agreement, id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut row = state.psa.additions[index].clone();
    for op in ops {
        if let Err((field, message)) = apply_op(&mut row, op, &calendar) {
            return invalid(&[("InvalidField", field, &message)]);
        }
    }
    row.fingerprint = next_stamp(&row.fingerprint, Utc::now());
    state.psa.additions[index] = row;
    json_response(StatusCode::OK, wire::addition(&state.psa.additions[index], &state.psa, &calendar))
}

fn apply_op(row: &mut Addition, op: &Value, calendar: &Calendar) -> Result<(), (&'static str, String)> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
    let path = op.get("path").and_then(Value::as_str).unwrap_or("").trim_start_matches('/');
    let value = match kind.to_ascii_lowercase().as_str() {
        "replace" | "add" => op.get("value").unwrap_or(&Value::Null),
        "remove" => &Value::Null,
        _ => return Err(("op", format!("op '{kind}' is not one of add, replace, remove"))),
    };
    match path {
        "quantity" => row.quantity = number_field(value, "quantity")?.unwrap_or(0.0),
        "unitPrice" => row.unit_price = number_field(value, "unitPrice")?,
        "unitCost" => row.unit_cost = number_field(value, "unitCost")?,
        "effectiveDate" => row.effective_date = date_field(value, "effectiveDate", calendar)?,
        "cancelledDate" => row.cancelled_date = date_field(value, "cancelledDate", calendar)?,
        "description" => {
            row.description = match value {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                _ => return Err(("description", "description must be a string".into())),
            }
        }
        _ => return Err(("path", format!("'{path}' is not a field this simulator can patch"))),
    }
    Ok(())
}

/// `DELETE /finance/agreements/{id}/additions/{additionId}`: 204 (cspctl never sends it).
pub(super) async fn delete(
    State(shared): State<Arc<SimShared>>,
    Path((agreement, id)): Path<(PsaId, PsaId)>,
) -> Response {
    let mut state = shared.lock_state();
    match find(&state.psa, agreement, id) {
        Ok(i) => {
            state.psa.additions.remove(i);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}
