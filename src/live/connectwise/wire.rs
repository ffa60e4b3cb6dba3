//! ConnectWise's JSON as cspctl reads it, and its mapping to the model. Fields ConnectWise
//! leaves out when null are optional here; unknown fields are ignored (the schema grows).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use crate::model::{Addition, Agreement, AgreementStatus, Calendar, Company, Fingerprint, Product, PsaId};

/// A `{ "id": ... }` reference to another record.
#[derive(Debug, Deserialize)]
pub struct Reference {
    /// Referenced record id.
    pub id: Option<PsaId>,
}

/// `_info`: a string map holding `lastUpdated`, the version token.
type Info = BTreeMap<String, Value>;

fn last_updated(info: &Option<Info>) -> Fingerprint {
    let stamp = info.as_ref().and_then(|i| i.get("lastUpdated")).and_then(Value::as_str).unwrap_or("");
    Fingerprint(stamp.to_string())
}

fn optional_date(text: &Option<String>, calendar: &Calendar) -> Result<Option<NaiveDate>, String> {
    text.as_deref().filter(|t| !t.is_empty()).map(|t| calendar.read(t)).transpose()
}

/// A `Company`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CwCompany {
    id: PsaId,
    identifier: String,
    #[serde(default)]
    name: String,
    status: Option<Named>,
    deleted_flag: Option<bool>,
}

/// A `{ "name": ... }` reference (a company's status).
#[derive(Debug, Deserialize)]
pub struct Named {
    /// Referenced record name.
    pub name: Option<String>,
}

impl CwCompany {
    /// Record id.
    pub fn id(&self) -> PsaId {
        self.id
    }

    /// Whether the company is deleted or its status says `Inactive`.
    pub fn inactive(&self) -> bool {
        self.deleted_flag == Some(true)
            || self
                .status
                .as_ref()
                .and_then(|s| s.name.as_deref())
                .is_some_and(|n| n.eq_ignore_ascii_case("inactive"))
    }

    /// As the model's company.
    pub fn into_model(self) -> Company {
        Company { id: self.id, identifier: self.identifier, name: self.name }
    }
}

/// An `Agreement`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CwAgreement {
    id: PsaId,
    name: String,
    company: Reference,
    agreement_status: Option<String>,
    cancelled_flag: Option<bool>,
    start_date: Option<String>,
    end_date: Option<String>,
}

impl CwAgreement {
    /// As the model's agreement: `cancelledFlag` wins, then `agreementStatus`, else active.
    pub fn into_model(self, calendar: &Calendar) -> Result<Agreement, String> {
        let status = match (self.cancelled_flag, self.agreement_status.as_deref()) {
            (Some(true), _) | (_, Some("Cancelled")) => AgreementStatus::Cancelled,
            (_, Some("Expired")) => AgreementStatus::Expired,
            (_, Some("Inactive")) => AgreementStatus::Inactive,
            (_, Some("Active") | None) => AgreementStatus::Active,
            (_, Some(other)) => {
                return Err(format!("agreement {} has unknown agreementStatus `{other}`", self.id));
            }
        };
        let company = self.company.id.ok_or_else(|| format!("agreement {} has no company id", self.id))?;
        Ok(Agreement {
            id: self.id,
            name: self.name,
            company,
            status,
            start_date: optional_date(&self.start_date, calendar)?,
            end_date: optional_date(&self.end_date, calendar)?,
        })
    }
}

/// A `CatalogItem`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CwCatalogItem {
    id: PsaId,
    identifier: String,
    description: Option<String>,
    inactive_flag: Option<bool>,
    price: Option<f64>,
    cost: Option<f64>,
}

impl CwCatalogItem {
    /// As the model's product.
    pub fn into_model(self) -> Product {
        Product {
            id: self.id,
            identifier: self.identifier,
            description: self.description.unwrap_or_default(),
            active: !self.inactive_flag.unwrap_or(false),
            unit_price: self.price,
            unit_cost: self.cost,
        }
    }
}

/// An `Addition`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CwAddition {
    /// Addition id.
    pub id: PsaId,
    product: Reference,
    quantity: Option<f64>,
    description: Option<String>,
    unit_price: Option<f64>,
    unit_cost: Option<f64>,
    effective_date: Option<String>,
    cancelled_date: Option<String>,
    agreement_id: Option<PsaId>,
    #[serde(rename = "_info")]
    info: Option<Info>,
}

impl CwAddition {
    /// The version token (`_info.lastUpdated`).
    pub fn fingerprint(&self) -> Fingerprint {
        last_updated(&self.info)
    }

    /// As the model's addition; `agreement` is the agreement it was read from.
    /// Dates are read as tenant days (`calendar`).
    pub fn into_model(self, agreement: PsaId, calendar: &Calendar) -> Result<Addition, String> {
        let fingerprint = self.fingerprint();
        let product = self.product.id.ok_or_else(|| format!("addition {} has no product id", self.id))?;
        Ok(Addition {
            id: self.id,
            agreement: self.agreement_id.unwrap_or(agreement),
            product,
            quantity: self.quantity.unwrap_or(0.0),
            description: self.description.filter(|d| !d.is_empty()),
            unit_price: self.unit_price,
            unit_cost: self.unit_cost,
            effective_date: optional_date(&self.effective_date, calendar)?,
            cancelled_date: optional_date(&self.cancelled_date, calendar)?,
            adjusted_on: None,
            fingerprint,
        })
    }
}

/// ConnectWise's error body (`ErrorResponseMessage`).
#[derive(Debug, Deserialize)]
pub struct CwError {
    code: Option<String>,
    message: Option<String>,
    #[serde(default)]
    errors: Option<Vec<CwFieldError>>,
}

/// One entry of `errors[]` (`ValidationError`).
#[derive(Debug, Deserialize)]
struct CwFieldError {
    code: Option<String>,
    message: Option<String>,
    field: Option<String>,
}

impl CwError {
    /// `message (code); field: message; ...`, for a person to act on.
    pub fn describe(&self) -> String {
        let mut text = self.message.clone().unwrap_or_else(|| "no message".into());
        if let Some(code) = &self.code {
            text.push_str(&format!(" ({code})"));
        }
        for e in self.errors.iter().flatten() {
            let field = e.field.as_deref().unwrap_or("?");
            let message = e.message.as_deref().or(e.code.as_deref()).unwrap_or("invalid");
            text.push_str(&format!("; {field}: {message}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Live tenants omit null-valued keys: every optional field must read from absent.
    #[test]
    fn records_read_without_their_optional_fields() {
        let c: CwCompany = serde_json::from_str(r#"{"id":1,"identifier":"ACME"}"#).unwrap();
        assert_eq!(c.into_model().name, "");
        let a: CwAgreement =
            serde_json::from_str(r#"{"id":2,"name":"M365","company":{"id":1},"extra":{"x":1}}"#).unwrap();
        let a = a.into_model(&Calendar::default()).unwrap();
        assert_eq!((a.status, a.start_date, a.end_date), (AgreementStatus::Active, None, None));
        let p: CwCatalogItem = serde_json::from_str(r#"{"id":3,"identifier":"P1"}"#).unwrap();
        let p = p.into_model();
        assert!(p.active && p.unit_price.is_none() && p.description.is_empty());
        let x: CwAddition = serde_json::from_str(r#"{"id":4,"product":{"id":3}}"#).unwrap();
        let x = x.into_model(2, &Calendar::default()).unwrap();
        assert_eq!((x.agreement, x.quantity, x.cancelled_date), (2, 0.0, None));
        assert!(x.fingerprint.is_empty());
        let e: CwError = serde_json::from_str(r#"{"errors":null}"#).unwrap();
        assert_eq!(e.describe(), "no message");
        let info: CwAddition = serde_json::from_str(
            r#"{"id":5,"product":{"id":3,"_info":{"typeId":"2"}},"_info":{"lastUpdated":"2026-01-01T00:00:00Z","image_href":"https://h/apis/3.0//x?lm=1"}}"#,
        )
        .unwrap();
        assert_eq!(info.fingerprint().0, "2026-01-01T00:00:00Z");
    }
}
