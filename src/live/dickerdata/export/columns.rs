//! The columns of the Annuity Information export and how the header row is found.

use std::collections::HashMap;

use super::cell::Value;

/// A column cspctl reads. Others in the file are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Column {
    TenantId,
    TenantName,
    SubscriptionId,
    StockCode,
    StockDescription,
    Reference,
    Qty,
    ChargeType,
    Status,
    StartUsage,
    EndUsage,
    RevaluationPeriod,
    UnitPrice,
    UnitRrp,
}

impl Column {
    pub(super) const ALL: [Column; 14] = [
        Column::TenantId,
        Column::TenantName,
        Column::SubscriptionId,
        Column::StockCode,
        Column::StockDescription,
        Column::Reference,
        Column::Qty,
        Column::ChargeType,
        Column::Status,
        Column::StartUsage,
        Column::EndUsage,
        Column::RevaluationPeriod,
        Column::UnitPrice,
        Column::UnitRrp,
    ];

    /// Columns a licence cannot be built without; they also identify the header row.
    pub(super) const REQUIRED: [Column; 6] = [
        Column::TenantId,
        Column::TenantName,
        Column::SubscriptionId,
        Column::StockCode,
        Column::Qty,
        Column::Status,
    ];

    /// The header text in the export.
    pub(super) fn name(self) -> &'static str {
        match self {
            Column::TenantId => "TENANT ID",
            Column::TenantName => "TENANT NAME",
            Column::SubscriptionId => "SUBSCRIPTION ID",
            Column::StockCode => "STOCK CODE",
            Column::StockDescription => "STOCK DESCRIPTION",
            Column::Reference => "REFERENCE",
            Column::Qty => "QTY",
            Column::ChargeType => "CHARGE TYPE",
            Column::Status => "STATUS",
            Column::StartUsage => "START USAGE",
            Column::EndUsage => "END USAGE",
            Column::RevaluationPeriod => "REVALUATION PERIOD",
            Column::UnitPrice => "UNIT PRICE",
            Column::UnitRrp => "UNIT RRP",
        }
    }
}

/// Where each known column sits in the header row.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    at: HashMap<Column, usize>,
}

/// Header text compared case-insensitively with runs of spaces, `_` and `-` as one space.
fn normalise(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

impl Columns {
    /// Reads a candidate header row; `Err` lists the required columns it lacks.
    pub(super) fn find(cells: &[Value<'_>]) -> Result<Columns, Vec<&'static str>> {
        let names: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Value::Text(t) => normalise(t),
                _ => String::new(),
            })
            .collect();
        let mut at = HashMap::new();
        for column in Column::ALL {
            if let Some(i) = names.iter().position(|n| n == column.name()) {
                at.insert(column, i);
            }
        }
        let missing: Vec<&'static str> =
            Column::REQUIRED.iter().filter(|c| !at.contains_key(c)).map(|c| c.name()).collect();
        if missing.is_empty() { Ok(Columns { at }) } else { Err(missing) }
    }

    /// How many leading cells of a row hold every column read: cells past it are ignored.
    pub(super) fn width(&self) -> usize {
        self.at.values().max().map_or(0, |i| i + 1)
    }

    /// The index of a column in each row, when the file has it.
    pub(super) fn index(&self, column: Column) -> Option<usize> {
        self.at.get(&column).copied()
    }
}
