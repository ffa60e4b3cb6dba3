//! The sandbox model as ConnectWise serves it: field names, references and computed fields of
//! the 2026.4 schemas (`Company`, `Agreement`, `CatalogItem`, `Addition`). Null fields are left
//! out, as ConnectWise does.

use serde_json::{Map, Value, json};

use crate::model::{
    Addition, Agreement, AgreementStatus, Calendar, Company, Fingerprint, Product, PsaSnapshot,
};

/// `_info.lastUpdated` served for records whose sandbox fingerprint is empty.
pub const INITIAL_STAMP: &str = "2026-01-01T00:00:00Z";

/// Who the simulator says made the last change.
const UPDATED_BY: &str = "sandbox";

fn info(fingerprint: &Fingerprint) -> Value {
    let stamp = if fingerprint.is_empty() { INITIAL_STAMP } else { fingerprint.0.as_str() };
    json!({ "lastUpdated": stamp, "updatedBy": UPDATED_BY })
}

fn status_name(status: AgreementStatus) -> &'static str {
    match status {
        AgreementStatus::Active => "Active",
        AgreementStatus::Cancelled => "Cancelled",
        AgreementStatus::Expired => "Expired",
        AgreementStatus::Inactive => "Inactive",
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v);
    }
}

/// A `Company`; `active` decides its status.
pub fn company(c: &Company, active: bool) -> Value {
    let status =
        if active { json!({ "id": 1, "name": "Active" }) } else { json!({ "id": 2, "name": "Inactive" }) };
    json!({
        "id": c.id,
        "identifier": c.identifier,
        "name": c.name,
        "status": status,
        "deletedFlag": false,
        "_info": info(&Fingerprint::default()),
    })
}

/// An `Agreement`, with its company reference filled from the snapshot; dates as the
/// tenant's midnights in UTC. The company is looked up by the caller (an index), so listing
/// agreements is not quadratic.
pub fn agreement_of(a: &Agreement, company: Option<&Company>, calendar: &Calendar) -> Value {
    let mut company_ref = Map::new();
    company_ref.insert("id".into(), json!(a.company));
    if let Some(c) = company {
        company_ref.insert("identifier".into(), json!(c.identifier));
        company_ref.insert("name".into(), json!(c.name));
    }
    let mut map = Map::new();
    map.insert("id".into(), json!(a.id));
    map.insert("name".into(), json!(a.name));
    map.insert("type".into(), json!({ "id": 1, "name": "Managed Services" }));
    map.insert("company".into(), Value::Object(company_ref));
    map.insert("contact".into(), json!({ "id": 1, "name": "Billing Contact" }));
    put(&mut map, "startDate", a.start_date.map(|d| json!(calendar.wire(d))));
    put(&mut map, "endDate", a.end_date.map(|d| json!(calendar.wire(d))));
    map.insert("noEndingDateFlag".into(), json!(a.end_date.is_none()));
    map.insert("cancelledFlag".into(), json!(a.status == AgreementStatus::Cancelled));
    map.insert("agreementStatus".into(), json!(status_name(a.status)));
    map.insert("billTime".into(), json!("Billable"));
    map.insert("billExpenses".into(), json!("Billable"));
    map.insert("billProducts".into(), json!("Billable"));
    map.insert("_info".into(), info(&Fingerprint::default()));
    Value::Object(map)
}

/// A `CatalogItem`.
pub fn catalog_item(p: &Product) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(p.id));
    map.insert("identifier".into(), json!(p.identifier));
    map.insert("description".into(), json!(p.description));
    map.insert("inactiveFlag".into(), json!(!p.active));
    map.insert("subcategory".into(), json!({ "id": 1, "name": "Software Licensing" }));
    map.insert("type".into(), json!({ "id": 1, "name": "Cloud Subscription" }));
    map.insert("productClass".into(), json!("NonInventory"));
    put(&mut map, "price", p.unit_price.map(|v| json!(v)));
    put(&mut map, "cost", p.unit_cost.map(|v| json!(v)));
    map.insert("customerDescription".into(), json!(p.description));
    map.insert("recurringFlag".into(), json!(true));
    map.insert("_info".into(), info(&Fingerprint::default()));
    Value::Object(map)
}

/// An `Addition`, with ConnectWise's computed fields (`extPrice = quantity × unitPrice`,
/// `extCost = quantity × unitCost`, `margin = extPrice − extCost`).
pub fn addition(a: &Addition, psa: &PsaSnapshot, calendar: &Calendar) -> Value {
    let product = psa.products.iter().find(|p| p.id == a.product);
    let status = psa.agreements.iter().find(|g| g.id == a.agreement).map(|g| g.status);
    addition_of(a, product, status, calendar)
}

/// An `Addition` whose product and agreement status were already looked up.
pub fn addition_of(
    a: &Addition,
    product: Option<&Product>,
    status: Option<AgreementStatus>,
    calendar: &Calendar,
) -> Value {
    let mut product_ref = Map::new();
    product_ref.insert("id".into(), json!(a.product));
    if let Some(p) = product {
        product_ref.insert("identifier".into(), json!(p.identifier));
    }
    let price = a.unit_price.unwrap_or(0.0);
    let cost = a.unit_cost.unwrap_or(0.0);
    let mut map = Map::new();
    map.insert("id".into(), json!(a.id));
    map.insert("product".into(), Value::Object(product_ref));
    map.insert("quantity".into(), json!(a.quantity));
    map.insert("lessIncluded".into(), json!(0.0));
    put(&mut map, "unitPrice", a.unit_price.map(|v| json!(v)));
    put(&mut map, "unitCost", a.unit_cost.map(|v| json!(v)));
    map.insert("billCustomer".into(), json!("Billable"));
    put(&mut map, "effectiveDate", a.effective_date.map(|d| json!(calendar.wire(d))));
    put(&mut map, "cancelledDate", a.cancelled_date.map(|d| json!(calendar.wire(d))));
    map.insert("taxableFlag".into(), json!(false));
    map.insert("agreementId".into(), json!(a.agreement));
    put(&mut map, "description", a.description.as_ref().map(|d| json!(d)));
    map.insert("billedQuantity".into(), json!(a.quantity));
    map.insert("uom".into(), json!("Each"));
    map.insert("extPrice".into(), json!(a.quantity * price));
    map.insert("extCost".into(), json!(a.quantity * cost));
    map.insert("margin".into(), json!(a.quantity * (price - cost)));
    put(&mut map, "agreementStatus", status.map(|s| json!(status_name(s))));
    map.insert("_info".into(), info(&a.fingerprint));
    Value::Object(map)
}

/// ConnectWise's error body (`ErrorResponseMessage`).
pub fn error_body(code: &str, message: &str, errors: &[(&str, &str, &str)]) -> Value {
    let mut body = json!({ "code": code, "message": message });
    if !errors.is_empty() {
        body["errors"] = errors
            .iter()
            .map(|(code, field, message)| {
                json!({ "code": code, "message": message, "resource": "addition", "field": field })
            })
            .collect();
    }
    body
}
