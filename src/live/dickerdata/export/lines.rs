//! Walks the rows of an export: finds the header, then turns each line into a licence by the
//! shared [`rules`](crate::live::dickerdata::rules).

use super::ExportError;
use super::cell::Value;
use super::columns::{Column, Columns};
use crate::live::dickerdata::rules::{self, SnapshotBuilder};
use crate::model::{Licence, StockCode};

/// How many rows from the top may precede the header row.
pub(super) const HEADER_SEARCH_ROWS: u32 = 50;

/// Where the rows come from, for error messages.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    /// The export's path as given.
    pub file: String,
    /// The sheet read; `None` for CSV.
    pub sheet: Option<String>,
}

impl Origin {
    /// `G` for a workbook column, `field 7` for a CSV field.
    fn position(&self, index: usize) -> String {
        if self.sheet.is_some() { column_letter(index) } else { format!("field {}", index + 1) }
    }
}

/// Spreadsheet column letters: 0 -> A, 25 -> Z, 26 -> AA.
pub(super) fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().map(|&b| b as char).collect()
}

/// Row-by-row reader state.
pub(super) struct Lines {
    origin: Origin,
    columns: Option<Columns>,
    /// Closest header candidate so far: (required columns missing).
    best_missing: Option<Vec<&'static str>>,
    last_row: u32,
    builder: SnapshotBuilder,
    rows_read: usize,
}

/// What a whole export held.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// Customers and licences, by the shared rules.
    pub snapshot: crate::model::DistributorSnapshot,
    /// Lines below the header that were read (blank rows not counted).
    pub lines: usize,
    /// Usage-based lines left out by rule.
    pub skipped_usage: usize,
}

impl Lines {
    pub(super) fn new(origin: Origin) -> Self {
        Lines {
            origin,
            columns: None,
            best_missing: None,
            last_row: 0,
            builder: SnapshotBuilder::default(),
            rows_read: 0,
        }
    }

    /// Takes one row (1-based number as a spreadsheet shows it).
    pub(super) fn row(&mut self, number: u32, cells: &[Value<'_>]) -> Result<(), ExportError> {
        self.last_row = number;
        if let Some(columns) = self.columns.take() {
            let read = if cells.iter().all(Value::is_blank) {
                Ok(())
            } else {
                self.rows_read += 1;
                self.line(&columns, number, cells)
            };
            self.columns = Some(columns);
            return read;
        }
        if number > HEADER_SEARCH_ROWS {
            return Err(self.no_header());
        }
        match Columns::find(cells) {
            Ok(columns) => self.columns = Some(columns),
            Err(missing) => {
                if self.best_missing.as_ref().is_none_or(|best| missing.len() < best.len()) {
                    self.best_missing = Some(missing);
                }
            }
        }
        Ok(())
    }

    /// Once the header is found: how many leading cells of a row are read (the rest only
    /// count for whether the row is blank).
    pub(super) fn width(&self) -> Option<usize> {
        self.columns.as_ref().map(Columns::width)
    }

    /// Ends the file; fails when no header was found.
    pub(super) fn finish(self) -> Result<Export, ExportError> {
        if self.columns.is_none() {
            return Err(self.no_header());
        }
        let skipped_usage = self.builder.skipped_usage();
        let lines = self.rows_read;
        let snapshot = self.builder.finish(&self.origin.file);
        Ok(Export { snapshot, lines, skipped_usage })
    }

    fn no_header(&self) -> ExportError {
        if self.last_row == 0 {
            let sheet = self.origin.sheet.as_ref().map(|s| format!("sheet {s} ")).unwrap_or_default();
            return ExportError::Open {
                file: self.origin.file.clone(),
                message: format!("{sheet}is empty; is this the Annuity Information export?"),
            };
        }
        let missing = self
            .best_missing
            .clone()
            .unwrap_or_else(|| Column::REQUIRED.iter().map(|c| c.name()).collect())
            .join(", ");
        ExportError::NoHeader {
            file: self.origin.file.clone(),
            sheet: self.origin.sheet.clone(),
            searched: self.last_row.min(HEADER_SEARCH_ROWS),
            missing,
        }
    }

    fn line(&mut self, columns: &Columns, row: u32, cells: &[Value<'_>]) -> Result<(), ExportError> {
        let fail = |column: Column, problem: String| {
            let index = columns.index(column).unwrap_or_default();
            ExportError::Cell {
                file: self.origin.file.clone(),
                sheet: self.origin.sheet.clone(),
                row,
                column: column.name().to_string(),
                position: self.origin.position(index),
                problem,
            }
        };
        let read = |column: Column| columns.index(column).and_then(|i| cells.get(i)).unwrap_or(&Value::Empty);

        let tenant_id = read(Column::TenantId).required_text().map_err(|e| fail(Column::TenantId, e))?;
        let tenant_name =
            read(Column::TenantName).required_text().map_err(|e| fail(Column::TenantName, e))?;
        self.builder.customer(&tenant_id, &tenant_name);

        let charge_type = read(Column::ChargeType).text().map_err(|e| fail(Column::ChargeType, e))?;
        if charge_type.as_deref().is_some_and(rules::is_usage_charge_type) {
            self.builder.skip_usage();
            return Ok(());
        }
        let raw_code = read(Column::StockCode).required_text().map_err(|e| fail(Column::StockCode, e))?;
        let stock_code: StockCode = raw_code.parse().map_err(|e| fail(Column::StockCode, format!("{e}")))?;
        if rules::is_usage_stock_code(&stock_code) {
            self.builder.skip_usage();
            return Ok(());
        }
        let subscription =
            read(Column::SubscriptionId).required_text().map_err(|e| fail(Column::SubscriptionId, e))?;
        let quantity = read(Column::Qty).quantity().map_err(|e| fail(Column::Qty, e))?;
        let status = read(Column::Status).required_text().map_err(|e| fail(Column::Status, e))?;
        // Usage dates are checked so a damaged file is refused, though a licence does not carry
        // them; REVALUATION PERIOD is the current term's last day.
        for column in [Column::StartUsage, Column::EndUsage] {
            read(column).date().map_err(|e| fail(column, e))?;
        }
        let term_end =
            read(Column::RevaluationPeriod).date().map_err(|e| fail(Column::RevaluationPeriod, e))?;
        let unit_price = read(Column::UnitPrice).money().map_err(|e| fail(Column::UnitPrice, e))?;
        let unit_rrp = read(Column::UnitRrp).money().map_err(|e| fail(Column::UnitRrp, e))?;
        let description = read(Column::StockDescription)
            .text()
            .ok()
            .flatten()
            .or_else(|| read(Column::Reference).text().ok().flatten())
            .unwrap_or_else(|| stock_code.to_string());
        self.builder.licence(Licence {
            customer: tenant_id,
            subscription,
            stock_code,
            description,
            quantity,
            status: rules::status(&status),
            unit_price,
            unit_rrp,
            term_end,
            next_billing: None,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(6), "G");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
