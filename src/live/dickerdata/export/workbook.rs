//! Reads the `DETAILS` sheet of an `.xlsx` (or `.xls`, `.xlsb`, `.ods`) export with calamine.
//!
//! Bounded, because a workbook is a zip and a few kilobytes can inflate to gigabytes: before
//! calamine opens a zip-based workbook, every entry is inflated once into nothing and the whole
//! is refused past [`INFLATED_LIMIT`]. An `.xlsx` sheet is then streamed cell by cell rather
//! than through calamine's dense range, which allocates rows x columns of the used area (two
//! cells at A1 and XFD1048576 would ask for 17 billion cells).

use std::io::{Cursor, Read as _};

use calamine::{Data, Reader, Sheets, Xlsx};
use chrono::NaiveDate;

use super::ExportError;
use super::cell::Value;
use super::lines::{Export, Lines, Origin};

/// The sheet the Annuity Information export keeps its lines on.
const SHEET: &str = "DETAILS";

/// Most bytes a zip-based workbook may inflate to, all entries together (README, "File
/// limits"): a 20,000-line export inflates to about 10 MB (some 500 bytes of XML a line).
pub const INFLATED_LIMIT: u64 = 256 * 1024 * 1024;

/// Excel's last column is XFD, the 16,384th.
const MAX_COLUMNS: u32 = 16_384;

pub(super) fn read(bytes: &[u8], extension: &str, file: &str) -> Result<Export, ExportError> {
    let open = |message: String| ExportError::Open { file: file.to_string(), message };
    check_inflated(bytes, INFLATED_LIMIT).map_err(open)?;
    // calamine panics on some malformed workbooks (found by fuzzing: a cell reference such as
    // `AAAAAAAAA1` overflows its column arithmetic where overflow checks are on): that is the
    // file's fault, reported as an error naming it.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_workbook(bytes, extension, file)))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(open(format!("the workbook is malformed; reading it failed ({why})")))
        })
}

fn read_workbook(bytes: &[u8], extension: &str, file: &str) -> Result<Export, ExportError> {
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
    let mut lines = Lines::new(Origin { file: file.to_string(), sheet: Some(sheet.clone()) });
    let in_sheet = |e: String| open(format!("sheet {sheet}: {e}"));
    if let Sheets::Xlsx(xlsx) = &mut workbook {
        stream_xlsx(xlsx, &sheet, &mut lines, in_sheet)?;
        return lines.finish();
    }
    let range = workbook.worksheet_range(&sheet).map_err(|e| in_sheet(e.to_string()))?;
    drop(workbook);
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

/// Refuses a zip whose entries inflate past `limit` bytes in all, by their declared sizes
/// first (a bomb that tells the truth costs nothing) and then by inflating each into nothing
/// (a bomb that lies stops at the limit). Memory stays at the inflater's window. Anything
/// that is not a readable zip is left for calamine to report.
fn check_inflated(bytes: &[u8], limit: u64) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    let too_large = |what: &str| {
        format!(
            "the workbook inflates to more than {limit} bytes ({what}); \
             an Annuity Information export is far smaller (see README, \"File limits\")"
        )
    };
    let declared = (0..zip.len()).filter_map(|i| zip.by_index_raw(i).ok().map(|e| e.size())).sum::<u64>();
    if declared > limit {
        return Err(too_large(&format!("{declared} bytes declared")));
    }
    let mut left = limit;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        // A damaged entry is calamine's to report, when it reads that entry.
        let Ok(read) = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()) else { continue };
        if read > left {
            return Err(too_large(&format!("{name} inflates past the limit")));
        }
        left -= read;
    }
    Ok(())
}

/// Feeds an `.xlsx` sheet to `lines` one row at a time, in the order the file holds them
/// (rows out of order are refused; Excel and the portal write them in order). Memory is one
/// row; each row is padded only up to the last column the header names, so cells far to
/// the right cost nothing.
fn stream_xlsx(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    lines: &mut Lines,
    fail: impl Fn(String) -> ExportError,
) -> Result<(), ExportError> {
    let mut reader = xlsx.worksheet_cells_reader(sheet).map_err(|e| fail(e.to_string()))?;
    let mut row: Vec<(u32, Data)> = Vec::new();
    let mut current = None;
    while let Some(cell) = reader.next_cell().map_err(|e| fail(e.to_string()))? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            return Err(fail(format!("a cell in row {} is past column XFD, the last Excel has", r + 1)));
        }
        match current {
            Some(at) if r < at => {
                return Err(fail(format!("row {} comes after row {}; rows must be in order", r + 1, at + 1)));
            }
            Some(at) if r > at => flush(lines, at, &mut row)?,
            _ => {}
        }
        current = Some(r);
        row.push((c, Data::from(cell.get_value().clone())));
        // A column written many times over keeps its last value: at most one per column.
        if row.len() >= 2 * MAX_COLUMNS as usize {
            compact(&mut row);
        }
    }
    if let Some(at) = current {
        flush(lines, at, &mut row)?;
    }
    Ok(())
}

/// Sorts a row's cells by column; a column given twice keeps its last value, as calamine's
/// range does.
fn compact(row: &mut Vec<(u32, Data)>) {
    row.reverse();
    row.sort_by_key(|(c, _)| *c);
    row.dedup_by_key(|(c, _)| *c);
}

/// Hands one row (0-based `at`) to `lines`. Past the header's last column only the first
/// non-blank cell is kept, so a row with text there still counts as not blank.
fn flush(lines: &mut Lines, at: u32, row: &mut Vec<(u32, Data)>) -> Result<(), ExportError> {
    compact(row);
    let width = lines.width();
    let mut cells: Vec<Value<'_>> = Vec::new();
    for (c, data) in row.iter() {
        let c = *c as usize;
        let cell = value(data);
        match width {
            Some(width) if c >= width => {
                if !cell.is_blank() {
                    cells.resize(width.max(cells.len()), Value::Empty);
                    cells.push(cell);
                    break;
                }
            }
            _ => {
                cells.resize(c, Value::Empty);
                cells.push(cell);
            }
        }
    }
    let read = lines.row(at + 1, &cells);
    row.clear();
    read
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
