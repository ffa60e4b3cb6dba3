//! The Autotask query language: `{MaxRecords, IncludeFields, Filter}` with nested and/or
//! groups and thirteen operators. Keys, field names and string comparisons ignore case, as
//! Autotask does; unknown fields and operators are refused with Autotask-like messages.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

use super::records::{Record, fields, singular};
use crate::model::NameKey;

/// A parsed query, ready to run against an entity's records.
#[derive(Debug)]
pub struct Query {
    /// Page size, 1..=500.
    pub max_records: usize,
    /// Fields to return (canonical names); empty = all.
    pub include: Vec<&'static str>,
    /// Conditions, all of which must hold.
    pub filter: Vec<Condition>,
}

/// One compiled condition.
#[derive(Debug)]
pub enum Condition {
    /// `and` group.
    All(Vec<Condition>),
    /// `or` group.
    Any(Vec<Condition>),
    /// Comparison of one field; `at` is the value as an instant when it names one, so date
    /// fields compare without formatting.
    Leaf { field: &'static str, op: Op, value: Value, set: ValueSet, at: Option<DateTime<Utc>> },
}

/// A value as an `in` list compares it: whole numbers apart, so ids compare without
/// formatting, anything else by its [`normal`] form. Indexes are keyed the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A whole number (or a string holding one).
    Whole(i64),
    /// Any other value, normalised.
    Text(String),
}

impl Key {
    /// The key of a value.
    pub fn of(v: &Value) -> Key {
        whole(v).map_or_else(|| Key::Text(normal(v)), Key::Whole)
    }
}

/// The values of an `in` / `notIn` list.
#[derive(Debug, Default)]
pub struct ValueSet(HashSet<Key>);

fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl ValueSet {
    fn new(list: &[Value]) -> Self {
        ValueSet(list.iter().map(Key::of).collect())
    }

    fn contains(&self, v: &Value) -> bool {
        self.0.contains(&Key::of(v))
    }
}

/// What an index of one entity's records can tell a query.
pub trait Lookup {
    /// Whether the index finds records by `field`.
    fn keys(&self, field: &str) -> bool;
    /// Appends the positions of the records whose `field` has `key`.
    fn find(&self, field: &str, key: &Key, out: &mut Vec<u32>);
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (or absent).
    NotEq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Text starts with.
    BeginsWith,
    /// Text ends with.
    EndsWith,
    /// Text contains.
    Contains,
    /// Field has a value.
    Exist,
    /// Field has no value.
    NotExist,
    /// One of a list.
    In,
    /// None of a list (or absent).
    NotIn,
}

fn key<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

impl Query {
    /// Parses a query body for `entity`, or returns the message Autotask would send.
    pub fn parse(entity: &str, body: &Value) -> Result<Query, String> {
        let object = body.as_object().ok_or("The query body must be a JSON object.")?;
        let max_records = match key(object, "MaxRecords") {
            None | Some(Value::Null) => 500,
            Some(v) => match v.as_i64() {
                Some(n) if (1..=500).contains(&n) => n as usize,
                _ => return Err("maxCountOfRecordsToReturn must be between 1 and 500".into()),
            },
        };
        let mut include = Vec::new();
        if let Some(Value::Array(list)) = key(object, "IncludeFields") {
            for f in list {
                let name = f.as_str().unwrap_or_default();
                include.push(canonical(entity, name)?);
            }
        }
        let filter = match key(object, "Filter") {
            Some(Value::Array(items)) => {
                items.iter().map(|c| compile(entity, c)).collect::<Result<Vec<_>, _>>()?
            }
            _ => Vec::new(),
        };
        if filter.is_empty() {
            return Err("A query must have at least one filter condition.".into());
        }
        Ok(Query { max_records, include, filter })
    }

    /// Whether a record satisfies every condition.
    pub fn matches(&self, record: &Record<'_>) -> bool {
        self.filter.iter().all(|c| c.holds(record))
    }

    /// The positions an index narrows this query to (every match is among them, ascending),
    /// when one of its conditions is an `in` list on a field the index keys; `None` means a scan.
    pub fn narrowed(&self, index: &impl Lookup) -> Option<Vec<u32>> {
        let mut positions = narrowest(&self.filter, index)?;
        positions.sort_unstable();
        positions.dedup();
        Some(positions)
    }
}

/// The smallest narrowing of conditions that must all hold.
fn narrowest(all: &[Condition], index: &impl Lookup) -> Option<Vec<u32>> {
    all.iter().filter_map(|c| c.narrowed(index)).min_by_key(Vec::len)
}

fn canonical(entity: &str, name: &str) -> Result<&'static str, String> {
    fields(entity)
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| format!("Unable to find {name} in the {} entity.", singular(entity)))
}

fn compile(entity: &str, condition: &Value) -> Result<Condition, String> {
    let object = condition.as_object().ok_or("Each filter condition must be an object.")?;
    let op = key(object, "op").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    if op == "and" || op == "or" {
        let items = match key(object, "items") {
            Some(Value::Array(items)) => {
                items.iter().map(|c| compile(entity, c)).collect::<Result<Vec<_>, _>>()?
            }
            _ => return Err(format!("The {op} condition has no items.")),
        };
        return Ok(if op == "and" { Condition::All(items) } else { Condition::Any(items) });
    }
    let op = match op.as_str() {
        "eq" => Op::Eq,
        "noteq" => Op::NotEq,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "beginswith" => Op::BeginsWith,
        "endswith" => Op::EndsWith,
        "contains" => Op::Contains,
        "exist" => Op::Exist,
        "notexist" => Op::NotExist,
        "in" => Op::In,
        "notin" => Op::NotIn,
        other => return Err(format!("Invalid filter operator '{other}'.")),
    };
    let field = canonical(entity, key(object, "field").and_then(Value::as_str).unwrap_or_default())?;
    let value = key(object, "value").cloned().unwrap_or(Value::Null);
    let mut set = ValueSet::default();
    if matches!(op, Op::In | Op::NotIn) {
        let list =
            value.as_array().ok_or_else(|| format!("The {field} '{op:?}' condition needs a list value."))?;
        if list.len() > 500 {
            return Err(format!(
                "The {field} in condition has {} values; at most 500 are allowed.",
                list.len()
            ));
        }
        set = ValueSet::new(list);
    } else if value.is_null() && !matches!(op, Op::Exist | Op::NotExist) {
        return Err(format!("The {field} condition needs a value."));
    }
    let at = value.as_str().and_then(instant);
    Ok(Condition::Leaf { field, op, value, set, at })
}

/// A value as a comparable key: numbers without trailing zeros, strings folded as the PSA
/// folds names ([`NameKey`]), dates as the UTC instant they name.
fn normal(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Some(f) => format!("{f}"),
            None => n.to_string(),
        },
        Value::String(s) => match instant(s) {
            Some(t) => t.to_rfc3339(),
            None => NameKey::new(s).to_string(),
        },
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A date or date-time as an instant, as Autotask compares stored dates: `…Z`, `….000Z` or an
/// offset as given; a date-time without a zone, or a plain day, as UTC.
fn instant(s: &str) -> Option<DateTime<Utc>> {
    let head = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .ok()
        .filter(|_| rest.is_empty())
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

fn compare(actual: &Value, wanted: &Value) -> Option<Ordering> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (actual, wanted) {
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::String(b)) => Some(a.to_string().cmp(&b.to_lowercase())),
        (Value::String(a), Value::String(b)) => match (instant(a), instant(b)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => Some(NameKey::new(a).cmp(&NameKey::new(b))),
        },
        _ => number(actual)?.partial_cmp(&number(wanted)?),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_lowercase(),
        other => normal(other),
    }
}

impl Condition {
    /// Positions that can satisfy this condition (unsorted, maybe repeated), if an index knows.
    fn narrowed(&self, index: &impl Lookup) -> Option<Vec<u32>> {
        match self {
            Condition::Leaf { field, op: Op::In, set, .. } if index.keys(field) => {
                let mut out = Vec::new();
                for key in &set.0 {
                    index.find(field, key, &mut out);
                }
                Some(out)
            }
            Condition::Leaf { .. } => None,
            Condition::All(items) => narrowest(items, index),
            Condition::Any(items) => {
                let mut out = Vec::new();
                for c in items {
                    out.extend(c.narrowed(index)?);
                }
                Some(out)
            }
        }
    }

    fn holds(&self, record: &Record<'_>) -> bool {
        match self {
            Condition::All(items) => items.iter().all(|c| c.holds(record)),
            Condition::Any(items) => items.iter().any(|c| c.holds(record)),
            Condition::Leaf { field, op, at: Some(wanted), .. }
                if matches!(op, Op::Eq | Op::NotEq | Op::Gt | Op::Gte | Op::Lt | Op::Lte)
                    && let Some(actual) = record.instant(field) =>
            {
                let order = actual.map(|t| t.cmp(wanted));
                match op {
                    Op::Eq => order == Some(Ordering::Equal),
                    Op::NotEq => order != Some(Ordering::Equal),
                    Op::Gt => order == Some(Ordering::Greater),
                    Op::Gte => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
                    Op::Lt => order == Some(Ordering::Less),
                    _ => matches!(order, Some(Ordering::Less | Ordering::Equal)),
                }
            }
            Condition::Leaf { .. } => self.holds_generically(record),
        }
    }

    /// [`Condition::holds`] without the fast path for dates: each value compared as the wire
    /// shows it.
    pub fn holds_generically(&self, record: &Record<'_>) -> bool {
        match self {
            Condition::All(_) | Condition::Any(_) => self.holds(record),
            Condition::Leaf { field, op, value, set, .. } => {
                let actual = record.field(field);
                match (op, actual) {
                    (Op::Exist, a) => a.is_some(),
                    (Op::NotExist, a) => a.is_none(),
                    (Op::NotEq, None) => true,
                    (Op::NotIn, None) => true,
                    (_, None) => false,
                    (Op::In, Some(a)) => set.contains(&a),
                    (Op::NotIn, Some(a)) => !set.contains(&a),
                    (Op::Eq, Some(a)) => compare(&a, value) == Some(Ordering::Equal),
                    (Op::NotEq, Some(a)) => compare(&a, value) != Some(Ordering::Equal),
                    (Op::Gt, Some(a)) => compare(&a, value) == Some(Ordering::Greater),
                    (Op::Gte, Some(a)) => {
                        matches!(compare(&a, value), Some(Ordering::Greater | Ordering::Equal))
                    }
                    (Op::Lt, Some(a)) => compare(&a, value) == Some(Ordering::Less),
                    (Op::Lte, Some(a)) => {
                        matches!(compare(&a, value), Some(Ordering::Less | Ordering::Equal))
                    }
                    (Op::BeginsWith, Some(a)) => text(&a).starts_with(&text(value)),
                    (Op::EndsWith, Some(a)) => text(&a).ends_with(&text(value)),
                    (Op::Contains, Some(a)) => text(&a).contains(&text(value)),
                }
            }
        }
    }
}
