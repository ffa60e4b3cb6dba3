use crate::live::LiveError;

/// Why an Annuity Information export could not be read. Every variant names the file; a bad
/// cell also names the sheet, row and column, as a spreadsheet shows them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// The file could not be opened or is not a spreadsheet / CSV.
    #[error("{file}: {message}")]
    Open {
        /// The export's path.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The workbook has no `DETAILS` sheet.
    #[error(
        "{file}: no sheet named DETAILS (the workbook has: {found}); is this the Annuity Information export?"
    )]
    NoSheet {
        /// The export's path.
        file: String,
        /// The sheets it has, comma separated.
        found: String,
    },
    /// No row near the top holds the expected column names.
    #[error(
        "{file}{}: no header row in the first {searched} rows has the columns {missing}; is this the Annuity Information export?",
        sheet_part(.sheet)
    )]
    NoHeader {
        /// The export's path.
        file: String,
        /// The sheet searched (`None` for CSV).
        sheet: Option<String>,
        /// Rows searched.
        searched: u32,
        /// Required columns missing from the closest candidate row.
        missing: String,
    },
    /// One cell holds something cspctl cannot read; nothing from the file is used.
    #[error("{file}{}, row {row}, column {column} ({position}): {problem}", sheet_part(.sheet))]
    Cell {
        /// The export's path.
        file: String,
        /// The sheet (`None` for CSV).
        sheet: Option<String>,
        /// Row number as a spreadsheet shows it (1-based).
        row: u32,
        /// Column name from the header row, e.g. `QTY`.
        column: String,
        /// Column letter (`G`) for a workbook, field number (`field 7`) for CSV.
        position: String,
        /// What is wrong with the value.
        problem: String,
    },
}

fn sheet_part(sheet: &Option<String>) -> String {
    sheet.as_ref().map(|s| format!(", sheet {s}")).unwrap_or_default()
}

impl ExportError {
    /// The export's path.
    pub fn file(&self) -> &str {
        match self {
            ExportError::Open { file, .. }
            | ExportError::NoSheet { file, .. }
            | ExportError::NoHeader { file, .. }
            | ExportError::Cell { file, .. } => file,
        }
    }
}

impl From<ExportError> for LiveError {
    fn from(e: ExportError) -> Self {
        let path = e.file().to_string();
        let full = e.to_string();
        let message =
            full.strip_prefix(&path).map(|m| m.trim_start_matches([',', ':', ' '])).unwrap_or(&full);
        LiveError::Source { path, message: message.to_string() }
    }
}
