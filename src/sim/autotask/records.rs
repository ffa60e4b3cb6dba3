//! The five entities cspctl reads, as Autotask serves them (camelCase fields), built from the
//! sandbox state on demand so a query only materialises the fields its filter names.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::query::{Key, Lookup};
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

impl<'a> Record<'a> {
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

    /// The instant a date field holds: `Some(None)` when the record has no such date,
    /// `None` when `name` is not a date field of this record.
    pub fn instant(&self, name: &str) -> Option<Option<chrono::DateTime<chrono::Utc>>> {
        let day = match (&self.view, name) {
            (View::Contract(a), "startDate") => a.start_date,
            (View::Contract(a), "endDate") => a.end_date,
            (View::Unit { start, .. }, "startDate") => Some(*start),
            (View::Unit { end, .. }, "endDate") => *end,
            _ => return None,
        };
        Some(day.map(|d| self.calendar.midnight(d)))
    }

    /// The record as Autotask writes it, limited to `include` when given (the id is always
    /// kept): serialised straight to bytes, without a JSON tree per row.
    pub fn wire<'r>(&'r self, entity: &'r str, include: &'r [&'static str]) -> Wire<'r, 'a> {
        Wire { record: self, entity, include }
    }
}

/// A [`Record`] as Autotask writes it ([`Record::wire`]).
pub struct Wire<'r, 'a> {
    record: &'r Record<'a>,
    entity: &'r str,
    include: &'r [&'static str],
}

impl serde::Serialize for Wire<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for f in fields(self.entity) {
            if !self.include.is_empty() && *f != "id" && !self.include.contains(f) {
                continue;
            }
            map.serialize_entry(f, &self.record.field(f))?;
        }
        map.end()
    }
}

/// Where a record lives in the state: what an index holds instead of the record itself.
#[derive(Debug, Clone, Copy)]
enum Place {
    Company(u32),
    Contract(u32),
    Service(u32),
    ContractService(u32),
    /// A unit row: the position of its contract service, the row's start and units, and the
    /// date it ends (the day before the next row, else the contract's end).
    Unit {
        addition: u32,
        start: NaiveDate,
        units: i64,
        end: Option<NaiveDate>,
    },
}

/// The fields besides `id` an index keys each entity by: the references cspctl's `in` lists
/// name (other queries scan).
fn indexed(entity: &str) -> &'static [&'static str] {
    match entity {
        "Companies" => &["companyNumber", "companyName"],
        "Contracts" => &["companyID"],
        "Services" => &["name"],
        "ContractServices" | "ContractServiceUnits" => &["contractID"],
        _ => &[],
    }
}

/// Record positions by the key of one field.
type Postings = HashMap<Key, Vec<u32>>;

/// One entity's records ordered by id (found by id with a binary search), with postings of its
/// [`indexed`] fields.
#[derive(Debug)]
pub struct Table {
    places: Vec<(PsaId, Place)>,
    postings: HashMap<&'static str, Postings>,
}

impl Table {
    fn build(entity: &str, psa: &PsaSnapshot, units: &UnitBook, calendar: Calendar) -> Table {
        let at = |i: usize| u32::try_from(i).expect("fewer than 2^32 records");
        let mut places: Vec<(PsaId, Place)> = match entity {
            "Companies" => {
                psa.companies.iter().enumerate().map(|(i, c)| (c.id, Place::Company(at(i)))).collect()
            }
            "Contracts" => {
                psa.agreements.iter().enumerate().map(|(i, a)| (a.id, Place::Contract(at(i)))).collect()
            }
            "Services" => {
                psa.products.iter().enumerate().map(|(i, p)| (p.id, Place::Service(at(i)))).collect()
            }
            "ContractServices" => {
                psa.additions.iter().enumerate().map(|(i, a)| (a.id, Place::ContractService(at(i)))).collect()
            }
            "ContractServiceUnits" => {
                let contract_end: HashMap<PsaId, Option<NaiveDate>> =
                    psa.agreements.iter().map(|a| (a.id, a.end_date)).collect();
                let mut rows = Vec::new();
                for (i, a) in psa.additions.iter().enumerate() {
                    let list = units.rows(a.id);
                    let last = contract_end.get(&a.agreement).copied().flatten();
                    for (r, row) in list.iter().enumerate() {
                        let end = list.get(r + 1).map(|n| n.start.pred_opt().unwrap_or(n.start)).or(last);
                        let place = Place::Unit { addition: at(i), start: row.start, units: row.units, end };
                        rows.push((row.id, place));
                    }
                }
                rows
            }
            _ => Vec::new(),
        };
        places.sort_by_key(|(id, _)| *id);
        let mut table = Table { places, postings: HashMap::new() };
        for field in indexed(entity) {
            let mut postings = Postings::new();
            for i in 0..table.places.len() {
                if let Some(v) = table.record(i, psa, calendar).field(field) {
                    postings.entry(Key::of(&v)).or_default().push(at(i));
                }
            }
            table.postings.insert(field, postings);
        }
        table
    }

    /// How many records the entity has.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// The id of the record at `position`.
    pub fn id(&self, position: usize) -> PsaId {
        self.places[position].0
    }

    /// The record at `position` (ascending positions are ascending ids).
    pub fn record<'a>(&self, position: usize, psa: &'a PsaSnapshot, calendar: Calendar) -> Record<'a> {
        let (id, place) = self.places[position];
        let view = match place {
            Place::Company(i) => {
                let c = &psa.companies[i as usize];
                View::Company(c, !psa.inactive_companies.contains(&c.id))
            }
            Place::Contract(i) => View::Contract(&psa.agreements[i as usize]),
            Place::Service(i) => View::Service(&psa.products[i as usize]),
            Place::ContractService(i) => View::ContractService(&psa.additions[i as usize]),
            Place::Unit { addition, start, units, end } => {
                let a = &psa.additions[addition as usize];
                View::Unit {
                    contract: a.agreement,
                    contract_service: a.id,
                    service: a.product,
                    start,
                    end,
                    units,
                    price: a.unit_price,
                    cost: a.unit_cost,
                }
            }
        };
        Record { id, view, calendar }
    }
}

impl Lookup for Table {
    fn keys(&self, field: &str) -> bool {
        field == "id" || self.postings.contains_key(field)
    }

    fn find(&self, field: &str, key: &Key, out: &mut Vec<u32>) {
        if field == "id" {
            if let Key::Whole(id) = key
                && let Ok(at) = self.places.binary_search_by_key(id, |(id, _)| *id)
            {
                out.push(at as u32);
            }
        } else if let Some(found) = self.postings.get(field).and_then(|p| p.get(key)) {
            out.extend_from_slice(found);
        }
    }
}

/// Every entity's [`Table`], built on first use from one state of the sandbox and its unit
/// book: queries then cost what they return rather than a sort of every row.
#[derive(Debug)]
pub struct Index {
    /// The state generation and unit book version the tables are built from.
    pub built_from: (u64, u64),
    tables: [std::sync::OnceLock<Table>; ENTITIES.len()],
}

impl Index {
    /// An index of the state at `built_from`, its tables not yet built.
    pub fn new(built_from: (u64, u64)) -> Index {
        Index { built_from, tables: Default::default() }
    }

    /// The table of `entity`, built from the state this index belongs to.
    pub fn table(&self, entity: &str, psa: &PsaSnapshot, units: &UnitBook, calendar: Calendar) -> &Table {
        let slot = ENTITIES.iter().position(|e| *e == entity).expect("a served entity");
        self.tables[slot].get_or_init(|| Table::build(entity, psa, units, calendar))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::super::query::Query;
    use super::super::units::UnitBook;
    use super::*;
    use crate::model::{Addition, Agreement, Company, Fingerprint, Product};

    /// Companies, contracts and services in shuffled id order, with names that differ by case.
    fn state() -> PsaSnapshot {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1);
        let mut psa = PsaSnapshot::default();
        for i in (1..=60).rev() {
            let id = (i * 37) % 61;
            psa.companies.push(Company {
                id,
                identifier: if i % 2 == 0 { format!("C{i}") } else { format!("c{i}") },
                name: format!("Company {}", i % 7),
            });
            psa.agreements.push(Agreement {
                id: 1000 + id,
                name: "M365".into(),
                company: id,
                status: AgreementStatus::Active,
                start_date: day,
                end_date: None,
            });
        }
        for j in 1..=4 {
            psa.products.push(Product {
                id: j,
                identifier: format!("P{j}"),
                description: String::new(),
                active: true,
                unit_price: None,
                unit_cost: None,
            });
        }
        for n in 0..240 {
            psa.additions.push(Addition {
                id: 90_000 - n,
                agreement: 1000 + (n * 13) % 61,
                product: n % 4 + 1,
                quantity: n as f64,
                description: None,
                unit_price: None,
                unit_cost: None,
                effective_date: day,
                cancelled_date: None,
                adjusted_on: None,
                fingerprint: Fingerprint(String::new()),
            });
        }
        psa
    }

    /// Ids a query returns through the index's narrowing and by scanning every record.
    fn both(
        entity: &str,
        filter: serde_json::Value,
        psa: &PsaSnapshot,
        book: &UnitBook,
    ) -> (Vec<i64>, Vec<i64>) {
        let query = Query::parse(entity, &json!({ "Filter": filter })).expect("query");
        let calendar = Calendar::default();
        let table = Table::build(entity, psa, book, calendar);
        let ids = |positions: Vec<u32>| -> Vec<i64> {
            positions
                .into_iter()
                .map(|p| table.record(p as usize, psa, calendar))
                .filter(|r| query.matches(r))
                .map(|r| r.id)
                .collect()
        };
        let narrowed = query.narrowed(&table).expect("an indexed condition");
        (ids(narrowed), ids((0..table.len() as u32).collect()))
    }

    #[test]
    fn narrowed_queries_return_what_a_scan_returns_in_id_order() {
        let psa = state();
        let mut book = UnitBook::default();
        book.sync(&psa, NaiveDate::from_ymd_opt(2026, 6, 1).expect("day"));
        let cases = [
            (
                "Companies",
                json!([{ "op": "or", "items": [
                { "op": "in", "field": "companyNumber", "value": ["C2", "c2", "C3", "nope"] },
                { "op": "in", "field": "companyName", "value": ["COMPANY 4"] }] }]),
            ),
            ("Contracts", json!([{ "op": "in", "field": "companyID", "value": [3, "5", 7.0, 99] }])),
            (
                "ContractServices",
                json!([
                { "op": "in", "field": "contractID", "value": [1003, 1005, 1040] },
                { "op": "gt", "field": "serviceID", "value": 1 }]),
            ),
            (
                "ContractServiceUnits",
                json!([{ "op": "and", "items": [
                { "op": "in", "field": "contractID", "value": [1003, 1005] },
                { "op": "in", "field": "serviceID", "value": [2] }] }]),
            ),
            ("Services", json!([{ "op": "in", "field": "name", "value": ["p1", "P3"] }])),
            ("Contracts", json!([{ "op": "in", "field": "id", "value": [1003, "1005", 5, "x"] }])),
            ("ContractServiceUnits", json!([{ "op": "in", "field": "id", "value": [1, 7, 240, 999] }])),
        ];
        for (entity, filter) in cases {
            let (narrowed, scanned) = both(entity, filter, &psa, &book);
            assert!(!scanned.is_empty(), "{entity}: the case selects something");
            assert!(scanned.windows(2).all(|w| w[0] < w[1]), "{entity}: ids ascend");
            assert_eq!(narrowed, scanned, "{entity}");
        }
    }

    #[test]
    fn dates_compare_as_instants_exactly_as_their_wire_text_does() {
        let mut psa = state();
        psa.agreements[3].end_date = NaiveDate::from_ymd_opt(2026, 6, 30);
        let mut book = UnitBook::default();
        book.sync(&psa, NaiveDate::from_ymd_opt(2026, 6, 1).expect("day"));
        book.adjust(psa.additions[0].id, NaiveDate::from_ymd_opt(2026, 3, 1).expect("day"), 2)
            .expect("adjust");
        let calendar = Calendar::named("Australia/Sydney").expect("zone");
        let values =
            ["2025-12-31T13:00:00Z", "2026-01-01T00:00:00Z", "2026-02-28T13:00:00.000Z", "2026-06-30", "x"];
        let mut compared = 0;
        for entity in ["Contracts", "ContractServiceUnits"] {
            let table = Table::build(entity, &psa, &book, calendar);
            for field in ["startDate", "endDate"] {
                for op in ["eq", "noteq", "gt", "gte", "lt", "lte"] {
                    for value in values {
                        let filter = json!([{ "op": op, "field": field, "value": value }]);
                        let query = Query::parse(entity, &json!({ "Filter": filter })).expect("query");
                        for p in 0..table.len() {
                            let record = table.record(p, &psa, calendar);
                            let fast = query.matches(&record);
                            assert_eq!(
                                fast,
                                query.filter[0].holds_generically(&record),
                                "{entity} {field} {op} {value}"
                            );
                            compared += usize::from(fast);
                        }
                    }
                }
            }
        }
        assert!(compared > 100, "the cases hold for many records: {compared}");
    }

    #[test]
    fn a_query_with_no_in_list_on_an_indexed_field_is_a_scan() {
        let query =
            Query::parse("Contracts", &json!({ "Filter": [{ "op": "gte", "field": "id", "value": 0 }] }))
                .expect("query");
        let table = Table::build("Contracts", &state(), &UnitBook::default(), Calendar::default());
        assert_eq!(query.narrowed(&table), None);
    }
}
