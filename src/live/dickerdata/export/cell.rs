//! One cell as either reader hands it over, and the typed readings of it.

use chrono::NaiveDate;

use crate::live::dickerdata::values;

/// A cell's content: workbook cells can be typed, CSV fields are always text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Date(NaiveDate),
    /// Something no column accepts (an Excel error such as `#N/A`, a duration), described.
    Unreadable(String),
}

impl Value<'_> {
    pub(super) fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    fn shown(&self) -> String {
        match self {
            Value::Empty => "(empty)".into(),
            Value::Text(t) => format!("`{}`", t.trim()),
            Value::Number(n) => format!("`{n}`"),
            Value::Date(d) => format!("the date {d}"),
            Value::Unreadable(what) => what.clone(),
        }
    }

    /// Text of a cell; numbers that are whole print without decimals (an all-digit id).
    pub(super) fn text(&self) -> Result<Option<String>, String> {
        match self {
            Value::Empty => Ok(None),
            Value::Text(t) => Ok(Some(t.trim()).filter(|t| !t.is_empty()).map(str::to_string)),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Some(format!("{}", *n as i64))),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Date(d) => Ok(Some(d.format("%d-%b-%Y").to_string().to_ascii_uppercase())),
            Value::Unreadable(what) => Err(format!("{what} is not text")),
        }
    }

    /// A required text cell.
    pub(super) fn required_text(&self) -> Result<String, String> {
        self.text()?.ok_or_else(|| "is empty; every line needs it".to_string())
    }

    /// A seat count.
    pub(super) fn quantity(&self) -> Result<u32, String> {
        match self {
            Value::Number(n) => values::quantity_from_number(*n).map_err(|e| format!("{} {e}", self.shown())),
            Value::Text(t) if !t.trim().is_empty() => values::quantity(t),
            Value::Empty | Value::Text(_) => Err("is empty; every line needs a seat count".into()),
            _ => Err(format!("{} is not a seat count", self.shown())),
        }
    }

    /// An optional amount.
    pub(super) fn money(&self) -> Result<Option<f64>, String> {
        match self {
            Value::Number(n) if n.is_finite() => Ok(Some(*n)),
            Value::Text(t) if !t.trim().is_empty() => values::money(t).map(Some),
            Value::Empty | Value::Text(_) => Ok(None),
            _ => Err(format!("{} is not an amount (expected e.g. $338.31)", self.shown())),
        }
    }

    /// An optional date.
    pub(super) fn date(&self) -> Result<Option<NaiveDate>, String> {
        match self {
            Value::Date(d) => Ok(Some(*d)),
            Value::Text(t) if !t.trim().is_empty() => values::date(t).map(Some),
            Value::Empty | Value::Text(_) => Ok(None),
            _ => Err(format!("{} is not a date (expected e.g. 30-AUG-2025)", self.shown())),
        }
    }
}
