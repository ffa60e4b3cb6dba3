//! Reads a `.csv` export: the same columns as the workbook's `DETAILS` sheet.

use super::ExportError;
use super::cell::Value;
use super::lines::{Export, Lines, Origin};

pub(super) fn read(bytes: &[u8], file: &str) -> Result<Export, ExportError> {
    let open = |message: String| ExportError::Open { file: file.to_string(), message };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut lines = Lines::new(Origin { file: file.to_string(), sheet: None });
    let mut record = csv::StringRecord::new();
    let mut number: u32 = 0;
    loop {
        number += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let problem = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "is not UTF-8 text; save the export as \"CSV UTF-8\" and try again".to_string()
                    }
                    _ => e.to_string(),
                };
                return Err(open(format!("row {number} {problem}")));
            }
        }
        let cells: Vec<Value<'_>> = record
            .iter()
            .enumerate()
            .map(|(i, f)| if i == 0 { f.trim_start_matches('\u{feff}') } else { f })
            .map(|f| if f.trim().is_empty() { Value::Empty } else { Value::Text(f) })
            .collect();
        lines.row(number, &cells)?;
    }
    lines.finish()
}
