//! Reads the `DETAILS` sheet of an `.xlsx` (or `.xls`, `.xlsb`, `.ods`) export with calamine.

use std::io::Cursor;

use calamine::{Data, Reader, Sheets};
use chrono::NaiveDate;

use super::ExportError;
use super::cell::Value;
use super::lines::{Export, Lines, Origin};

/// The sheet the Annuity Information export keeps its lines on.
const SHEET: &str = "DETAILS";

pub(super) fn read(bytes: &[u8], extension: &str, file: &str) -> Result<Export, ExportError> {
    let open = |message: String| ExportError::Open { file: file.to_string(), message };
    let data = Cursor::new(bytes);
    // The format by extension, as calamine does for a path; anything else by content.
    let opened: Result<Sheets<Cursor<&[u8]>>, String> = match extension {
        "xls" | "xla" => calamine::open_workbook_from_rs(data).map(Sheets::Xls).map_err(|e| e.to_string()),
        "xlsx" | "xlsm" | "xlam" => {
            calamine::open_workbook_from_rs(data).map(Sheets::Xlsx).map_err(|e| e.to_string())
        }
        "xlsb" => calamine::open_workbook_from_rs(data).map(Sheets::Xlsb).map_err(|e| e.to_string()),
        "ods" => calamine::open_workbook_from_rs(data).map(Sheets::Ods).map_err(|e| e.to_string()),
        _ => calamine::open_workbook_auto_from_rs(data).map_err(|e| e.to_string()),
    };
    let mut workbook = opened.map_err(open)?;
    let names = workbook.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.trim().eq_ignore_ascii_case(SHEET))
        .cloned()
        .ok_or_else(|| ExportError::NoSheet { file: file.to_string(), found: names.join(", ") })?;
    let range = workbook.worksheet_range(&sheet).map_err(|e| open(format!("sheet {sheet}: {e}")))?;
    drop(workbook);
    let mut lines = Lines::new(Origin { file: file.to_string(), sheet: Some(sheet) });
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    // Cells keep their column letters: pad the left with blanks when the used range starts
    // after column A.
    let mut cells: Vec<Value<'_>> = Vec::with_capacity(range.width() + first_col as usize);
    for (i, row) in range.rows().enumerate() {
        cells.clear();
        cells.extend(std::iter::repeat_n(Value::Empty, first_col as usize));
        cells.extend(row.iter().map(value));
        lines.row(first_row + i as u32 + 1, &cells)?;
    }
    lines.finish()
}

fn value(data: &Data) -> Value<'_> {
    match data {
        Data::Empty => Value::Empty,
        Data::String(s) | Data::DateTimeIso(s) => Value::Text(s),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Unreadable(format!("the boolean {}", if *b { "TRUE" } else { "FALSE" })),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .map(Value::Date)
                .unwrap_or_else(|| Value::Unreadable(format!("the date serial {}", dt.as_f64())))
        }
        Data::DateTime(dt) => Value::Unreadable(format!("the duration {}", dt.as_f64())),
        Data::DurationIso(s) => Value::Unreadable(format!("the duration {s}")),
        Data::Error(e) => Value::Unreadable(format!("the Excel error {e}")),
    }
}
