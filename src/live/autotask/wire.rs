//! Autotask's JSON as cspctl reads it: the rows of the five entities (camelCase on the wire,
//! unknown fields ignored) and the query bodies cspctl sends. Row fields mirror the wire field
//! of the same name (see the `rename`s); each `*_FIELDS` list is what a query asks for.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::api::PAGE_SIZE;
use crate::model::{Calendar, PsaId};

/// `contractType` of a Recurring Service contract.
pub const RECURRING_SERVICE: i64 = 7;
/// `status` of an active contract.
pub const ACTIVE: i64 = 1;

fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .get(..10)
            .and_then(|head| NaiveDate::parse_from_str(head, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a date"))),
    }
}

/// A company: `companyNumber` is its identifier when set, else `companyName`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompanyRow {
    pub id: PsaId,
    #[serde(rename = "companyName", default)]
    pub company_name: Option<String>,
    #[serde(rename = "companyNumber", default)]
    pub company_number: Option<String>,
    #[serde(rename = "isActive", default)]
    pub is_active: Option<bool>,
}

impl CompanyRow {
    /// What YAML names the company by.
    pub fn identifier(&self) -> String {
        match self.company_number.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => self.company_name.clone().unwrap_or_default(),
        }
    }
}

/// Fields of [`CompanyRow`].
pub const COMPANY_FIELDS: &[&str] = &["id", "companyName", "companyNumber", "isActive"];

/// A contract.
#[derive(Debug, Clone, Deserialize)]
pub struct ContractRow {
    pub id: PsaId,
    #[serde(rename = "companyID")]
    pub company_id: PsaId,
    #[serde(rename = "contractName", default)]
    pub contract_name: Option<String>,
    #[serde(rename = "contractType", default)]
    pub contract_type: Option<i64>,
    #[serde(default)]
    pub status: Option<i64>,
    #[serde(rename = "startDate", default, deserialize_with = "date")]
    pub start_date: Option<NaiveDate>,
    #[serde(rename = "endDate", default, deserialize_with = "date")]
    pub end_date: Option<NaiveDate>,
}

/// Fields of [`ContractRow`].
pub const CONTRACT_FIELDS: &[&str] =
    &["id", "companyID", "contractName", "contractType", "status", "startDate", "endDate"];

/// A catalogue service.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceRow {
    pub id: PsaId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "isActive", default)]
    pub is_active: Option<bool>,
    #[serde(rename = "unitPrice", default)]
    pub unit_price: Option<f64>,
    #[serde(rename = "unitCost", default)]
    pub unit_cost: Option<f64>,
}

/// Fields of [`ServiceRow`].
pub const SERVICE_FIELDS: &[&str] = &["id", "name", "description", "isActive", "unitPrice", "unitCost"];

/// A service on a contract (no units: those are in [`UnitRow`]s). Serialised only to hash it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractServiceRow {
    pub id: PsaId,
    #[serde(rename = "contractID")]
    pub contract_id: PsaId,
    #[serde(rename = "serviceID")]
    pub service_id: PsaId,
    #[serde(rename = "unitPrice", default)]
    pub unit_price: Option<f64>,
    #[serde(rename = "unitCost", default)]
    pub unit_cost: Option<f64>,
    #[serde(rename = "adjustedPrice", default)]
    pub adjusted_price: Option<f64>,
    #[serde(rename = "invoiceDescription", default)]
    pub invoice_description: Option<String>,
}

/// Fields of [`ContractServiceRow`].
pub const CONTRACT_SERVICE_FIELDS: &[&str] =
    &["id", "contractID", "serviceID", "unitPrice", "unitCost", "adjustedPrice", "invoiceDescription"];

/// One period of a contract service's units.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitRow {
    pub id: PsaId,
    #[serde(rename = "contractID", default)]
    pub contract_id: Option<PsaId>,
    #[serde(rename = "contractServiceID")]
    pub contract_service_id: PsaId,
    #[serde(rename = "startDate", deserialize_with = "date")]
    pub start_date: Option<NaiveDate>,
    #[serde(rename = "endDate", default, deserialize_with = "date")]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub units: Option<f64>,
}

/// Fields of [`UnitRow`].
pub const UNIT_FIELDS: &[&str] = &["id", "contractID", "contractServiceID", "startDate", "endDate", "units"];

/// The row in force on `date`: the latest start on or before it.
pub fn row_on(rows: &[UnitRow], date: NaiveDate) -> Option<&UnitRow> {
    rows.iter().filter(|r| r.start_date.is_some_and(|s| s <= date)).max_by_key(|r| (r.start_date, r.id))
}

/// Units in force on `date` (zero before the first period).
pub fn units_on(rows: &[UnitRow], date: NaiveDate) -> i64 {
    row_on(rows, date).and_then(|r| r.units).map(|u| u.round() as i64).unwrap_or(0)
}

/// One condition `{op, field, value}`.
pub fn leaf(op: &str, field: &str, value: Value) -> Value {
    json!({ "op": op, "field": field, "value": value })
}

/// A query body: the largest page, only the fields cspctl reads.
pub fn query(fields: &[&str], filter: Vec<Value>) -> Value {
    json!({ "MaxRecords": PAGE_SIZE, "IncludeFields": fields, "Filter": filter })
}

/// Values split into `in` lists Autotask accepts (at most [`PAGE_SIZE`] each).
pub fn chunks<T: Clone + Into<Value>>(values: &[T]) -> Vec<Value> {
    values.chunks(PAGE_SIZE).map(|c| Value::Array(c.iter().cloned().map(Into::into).collect())).collect()
}

/// A day as an adjustment's `effectiveDate`: the tenant's day, plain (`2026-05-01`), as a
/// live-tested integration sends it; Autotask reads it as that day in the tenant's zone.
pub fn day(d: NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

/// A day as a filter bound on stored dates: the tenant's midnight in UTC, the instant
/// Autotask stores for a date it shows as that day.
pub fn midnight(calendar: &Calendar, d: NaiveDate) -> Value {
    Value::String(calendar.wire(d))
}

/// Fields holding a date, in every entity cspctl reads.
const DATE_FIELDS: [&str; 2] = ["startDate", "endDate"];

/// One row of a query answer, with its date-times read as the tenant's days first: Autotask
/// writes a day as the tenant's midnight in UTC (`2020-02-23T13:00:00Z` is 24 February in
/// Auckland), so the UTC date part would be a day early east of UTC.
pub fn decode<T: DeserializeOwned>(mut item: Value, calendar: &Calendar) -> Result<T, String> {
    if let Value::Object(row) = &mut item {
        for field in DATE_FIELDS {
            if let Some(Value::String(text)) =
                row.get_mut(field).filter(|v| v.as_str().is_some_and(|t| !t.trim().is_empty()))
            {
                *text = calendar.read(text)?.to_string();
            }
        }
    }
    serde_json::from_value(item).map_err(|e| e.to_string())
}
