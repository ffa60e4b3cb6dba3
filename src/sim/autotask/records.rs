//! The five entities cspctl reads, as Autotask serves them (camelCase fields), built from the
//! sandbox state on demand so a query only materialises the fields its filter names.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::units::UnitBook;
use crate::model::{AgreementStatus, Calendar, PsaId, PsaSnapshot};

/// The entities the dialect serves, by canonical name.
pub const ENTITIES: [&str; 5] =
    ["Companies", "Contracts", "Services", "ContractServices", "ContractServiceUnits"];

/// Fields of an entity, as the wire spells them; queries naming others are refused like Autotask does.
pub fn fields(entity: &str) -> &'static [&'static str] {
    match entity {
        "Companies" => &["id", "companyName", "companyNumber", "companyType", "isActive"],
        "Contracts" => &[
            "id",
            "companyID",
            "contractName",
            "contractNumber",
            "contractType",
            "status",
            "startDate",
            "endDate",
            "contractPeriodType",
        ],
        "Services" => &[
            "id",
            "name",
            "description",
            "invoiceDescription",
            "isActive",
            "unitPrice",
            "unitCost",
            "periodType",
        ],
        "ContractServices" => &[
            "id",
            "contractID",
            "serviceID",
            "unitPrice",
            "unitCost",
            "adjustedPrice",
            "invoiceDescription",
            "internalDescription",
        ],
        "ContractServiceUnits" => &[
            "id",
            "contractID",
            "contractServiceID",
            "serviceID",
            "startDate",
            "endDate",
            "units",
            "price",
            "cost",
        ],
        _ => &[],
    }
}

/// Autotask's singular entity name, used in its error messages.
pub fn singular(entity: &str) -> &'static str {
    match entity {
        "Companies" => "Company",
        "Contracts" => "Contract",
        "Services" => "Service",
        "ContractServices" => "ContractService",
        "ContractServiceUnits" => "ContractServiceUnit",
        _ => "Entity",
    }
}

/// A date as Autotask serves it: the tenant's midnight in UTC (`2026-06-30T14:00:00Z` is
/// 1 July in Sydney).
fn wire_date(calendar: &Calendar, d: NaiveDate) -> Value {
    Value::String(calendar.wire(d))
}

/// One record: its id and a field getter.
pub struct Record<'a> {
    /// Record id (results are ordered by it).
    pub id: PsaId,
    view: View<'a>,
    calendar: Calendar,
}

enum View<'a> {
    Company(&'a crate::model::Company, bool),
    Contract(&'a crate::model::Agreement),
    Service(&'a crate::model::Product),
    ContractService(&'a crate::model::Addition),
    Unit {
        contract: PsaId,
        contract_service: PsaId,
        service: PsaId,
        start: NaiveDate,
        end: Option<NaiveDate>,
        units: i64,
        price: Option<f64>,
        cost: Option<f64>,
    },
}

fn num(v: Option<f64>) -> Option<Value> {
    v.and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
}

impl Record<'_> {
    /// The value of one field (canonical name), `None` when absent or null.
    pub fn field(&self, name: &str) -> Option<Value> {
        match &self.view {
            View::Company(c, active) => match name {
                "id" => Some(json!(c.id)),
                "companyName" => Some(json!(c.name)),
                "companyNumber" => Some(json!(c.identifier)),
                "companyType" => Some(json!(if c.id == 0 { 8 } else { 1 })),
                "isActive" => Some(json!(active)),
                _ => None,
            },
            View::Contract(a) => match name {
                "id" => Some(json!(a.id)),
                "companyID" => Some(json!(a.company)),
                "contractName" => Some(json!(a.name)),
                "contractType" => Some(json!(7)),
                "status" => Some(json!(if a.status == AgreementStatus::Active { 1 } else { 0 })),
                "startDate" => a.start_date.map(|d| wire_date(&self.calendar, d)),
                "endDate" => a.end_date.map(|d| wire_date(&self.calendar, d)),
                "contractPeriodType" => Some(json!(1)),
                _ => None,
            },
            View::Service(p) => match name {
                "id" => Some(json!(p.id)),
                "name" => Some(json!(p.identifier)),
                "description" => Some(json!(p.description)),
                "isActive" => Some(json!(p.active)),
                "unitPrice" => num(p.unit_price),
                "unitCost" => num(p.unit_cost),
                "periodType" => Some(json!(2)),
                _ => None,
            },
            View::ContractService(a) => match name {
                "id" => Some(json!(a.id)),
                "contractID" => Some(json!(a.agreement)),
                "serviceID" => Some(json!(a.product)),
                "unitPrice" | "adjustedPrice" => num(a.unit_price),
                "unitCost" => num(a.unit_cost),
                "invoiceDescription" => a.description.as_ref().map(|d| json!(d)),
                _ => None,
            },
            View::Unit { contract, contract_service, service, start, end, units, price, cost } => {
                match name {
                    "id" => Some(json!(self.id)),
                    "contractID" => Some(json!(contract)),
                    "contractServiceID" => Some(json!(contract_service)),
                    "serviceID" => Some(json!(service)),
                    "startDate" => Some(wire_date(&self.calendar, *start)),
                    "endDate" => end.map(|d| wire_date(&self.calendar, d)),
                    "units" => Some(json!(units)),
                    "price" => num(*price),
                    "cost" => num(*cost),
                    _ => None,
                }
            }
        }
    }

    /// The record as JSON, limited to `include` when given (the id is always kept).
    pub fn to_json(&self, entity: &str, include: &[&'static str]) -> Value {
        let mut map = Map::new();
        for f in fields(entity) {
            if !include.is_empty() && *f != "id" && !include.contains(f) {
                continue;
            }
            map.insert((*f).to_string(), self.field(f).unwrap_or(Value::Null));
        }
        Value::Object(map)
    }
}

/// Every record of an entity, ordered by id.
pub fn records<'a>(
    entity: &str,
    psa: &'a PsaSnapshot,
    units: &UnitBook,
    calendar: Calendar,
) -> Vec<Record<'a>> {
    let mut out: Vec<Record<'a>> = match entity {
        "Companies" => psa
            .companies
            .iter()
            .map(|c| Record {
                id: c.id,
                view: View::Company(c, !psa.inactive_companies.contains(&c.id)),
                calendar,
            })
            .collect(),
        "Contracts" => {
            psa.agreements.iter().map(|a| Record { id: a.id, view: View::Contract(a), calendar }).collect()
        }
        "Services" => {
            psa.products.iter().map(|p| Record { id: p.id, view: View::Service(p), calendar }).collect()
        }
        "ContractServices" => psa
            .additions
            .iter()
            .map(|a| Record { id: a.id, view: View::ContractService(a), calendar })
            .collect(),
        "ContractServiceUnits" => {
            let contracts: HashMap<PsaId, &crate::model::Agreement> =
                psa.agreements.iter().map(|a| (a.id, a)).collect();
            let mut rows = Vec::new();
            for a in &psa.additions {
                let contract = contracts.get(&a.agreement).copied();
                let contract_end = contract.and_then(|c| c.end_date);
                let list = units.rows(a.id);
                for (i, r) in list.iter().enumerate() {
                    let end = list.get(i + 1).map(|n| n.start.pred_opt().unwrap_or(n.start)).or(contract_end);
                    rows.push(Record {
                        id: r.id,
                        view: View::Unit {
                            contract: a.agreement,
                            contract_service: a.id,
                            service: a.product,
                            start: r.start,
                            end,
                            units: r.units,
                            price: a.unit_price,
                            cost: a.unit_cost,
                        },
                        calendar,
                    });
                }
            }
            rows
        }
        _ => Vec::new(),
    };
    out.sort_by_key(|r| r.id);
    out
}
