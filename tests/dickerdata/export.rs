use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cspctl::live::dickerdata::{DickerDataExport, ExportError, read_export};
use cspctl::live::{Distributor, LiveError};
use cspctl::model::{LicenceStatus, StockCode};

use super::export_file::{ExportFile, HEADER, azure_line, line, many_lines};

fn small_lines() -> Vec<Vec<String>> {
    vec![
        line("211C4C89", "ATLAS OUTSOURCING PTY LTD", "2F295B21", 0, "275.00", "NCE", "Active"),
        line("211C4C89", "ATLAS OUTSOURCING PTY LTD", "2F295B22", 0, "5.00", "NCE", "Active"),
        line("211C4C89", "ATLAS OUTSOURCING PTY LTD", "2F295B23", 3, "12.00", "NCE", "Suspended"),
        azure_line("211C4C89", "ATLAS OUTSOURCING PTY LTD", "2F295B24"),
        line("7D0E11A2", "BLUEGUM DENTAL GROUP", "3A10C0DE", 1, "1,200.00", "NCE", "active"),
        line("0C5E2B77", "CORELLA FREIGHT PTY LTD", "44E0AA01", 5, "3.00", "Azure", "Active"),
    ]
}

fn write(dir: &Path, name: &str, file: &ExportFile) -> PathBuf {
    let path = dir.join(name);
    if name.ends_with(".csv") {
        file.write_csv(&path)
    } else {
        file.write_xlsx(&path)
    }
    path
}

fn cell_error(e: ExportError) -> (u32, String, String, String) {
    match e {
        ExportError::Cell { row, column, position, problem, .. } => (row, column, position, problem),
        other => panic!("expected a cell error, got {other}"),
    }
}

#[test]
fn reads_the_portal_layout_by_the_documented_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "annuity.xlsx", &ExportFile::portal(small_lines()));
    let export = read_export(&path).unwrap();
    let snap = &export.snapshot;

    let customers: Vec<(&str, &str)> =
        snap.customers.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    assert_eq!(
        customers,
        [
            ("211C4C89", "ATLAS OUTSOURCING PTY LTD"),
            ("7D0E11A2", "BLUEGUM DENTAL GROUP"),
            ("0C5E2B77", "CORELLA FREIGHT PTY LTD"),
        ],
        "every tenant is a customer, even one with only usage-based lines"
    );
    assert_eq!(export.lines, 6);
    assert_eq!(export.skipped_usage, 2, "the Azure stock code and the AZURE charge type");
    assert_eq!(snap.licences.len(), 4);

    let first = &snap.licences[0];
    assert_eq!(first.customer, "211C4C89");
    assert_eq!(first.subscription, "2F295B21");
    assert_eq!(first.stock_code, "P1Y:CFQ7TTC0LCHC:0002:1:".parse::<StockCode>().unwrap());
    assert_eq!(first.description, "MS NCE M365 BUSINESS PREMIUM 1 YR COMMIT");
    assert_eq!(first.quantity, 275);
    assert_eq!(first.status, LicenceStatus::Active);
    assert_eq!(first.unit_price, Some(338.31));
    assert_eq!(first.unit_rrp, Some(414.60));
    assert_eq!(first.term_end, NaiveDate::from_ymd_opt(2025, 8, 30), "REVALUATION PERIOD ends the term");
    assert_eq!(first.next_billing, None, "the export has no billing date");

    assert_eq!(snap.licences[1].stock_code, first.stock_code, "two subscriptions of one code stay two rows");
    assert_eq!(snap.licences[1].quantity, 5);
    assert_eq!(snap.licences[2].status, LicenceStatus::Inactive, "Suspended is inactive");
    assert_eq!(snap.licences[3].quantity, 1200);
    assert_eq!(snap.licences[3].status, LicenceStatus::Active, "status is compared in any case");
}

#[test]
fn csv_and_xlsx_give_the_same_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let file = ExportFile::portal(small_lines());
    let xlsx = read_export(&write(dir.path(), "a.xlsx", &file)).unwrap();
    let csv = read_export(&write(dir.path(), "a.csv", &file)).unwrap();
    assert_eq!(xlsx, csv);
}

#[test]
fn reads_twenty_thousand_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = ExportFile::portal(many_lines(20_000));
    for name in ["big.xlsx", "big.csv"] {
        let t = std::time::Instant::now();
        let path = write(dir.path(), name, &file);
        let written = t.elapsed();
        let export = read_export(&path).unwrap();
        eprintln!("{name}: written in {written:?}, read in {:?}", t.elapsed() - written);
        let azure = (0..20_000).filter(|i| i % 97 == 96).count();
        assert_eq!(export.lines, 20_000, "{name}");
        assert_eq!(export.skipped_usage, azure, "{name}");
        assert_eq!(export.snapshot.licences.len(), 20_000 - azure, "{name}");
        assert_eq!(export.snapshot.customers.len(), 5_000, "{name}");
        let seats: u64 = export.snapshot.licences.iter().map(|l| u64::from(l.quantity)).sum();
        let expected: u64 =
            (0..20_000usize).filter(|i| i % 97 != 96).map(|i| 1 + (i as u64 * 37) % 300).sum();
        assert_eq!(seats, expected, "{name}");
    }
}

#[test]
fn finds_a_header_that_is_not_on_row_one_nor_in_column_a_and_ignores_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    // Columns reordered, spelled in mixed case, with unknown columns between and after.
    let order = [13, 0, 3, 6, 8, 1, 2, 4];
    let mut header: Vec<String> = order.iter().map(|&i| HEADER[i].to_lowercase()).collect();
    header.insert(2, "Reseller PO".into());
    header.push("MARKUP %".into());
    header[1] = "Tenant  Id".into();
    let rows: Vec<Vec<String>> = small_lines()
        .into_iter()
        .map(|l| {
            let mut r: Vec<String> = order.iter().map(|&i| l[i].clone()).collect();
            r.insert(2, "PO-1234".into());
            r.push("22.5".into());
            r
        })
        .collect();
    let file = ExportFile {
        preamble: vec![
            vec!["Dicker Data".into()],
            vec![],
            vec!["TENANT ID".into(), "is the short tenant id".into()],
            vec![],
            vec!["generated".into(), "01-SEP-2025".into()],
            vec![],
        ],
        header,
        rows,
        left_margin: 2,
        sheet: "Details".into(),
    };
    for name in ["moved.xlsx", "moved.csv"] {
        let export = read_export(&write(dir.path(), name, &file)).unwrap();
        // No CHARGE TYPE column here: only the Azure stock code marks a usage line.
        assert_eq!(export.snapshot.licences.len(), 5, "{name}");
        assert_eq!(export.snapshot.licences[0].quantity, 275, "{name}");
        assert_eq!(export.snapshot.licences[0].unit_rrp, Some(414.60), "{name}");
        assert_eq!(export.snapshot.licences[0].unit_price, None, "{name}: no UNIT PRICE column");
    }
}

#[test]
fn a_bad_date_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = small_lines();
    rows[1][10] = "31-FEB-2025".into();
    let file = ExportFile::portal(rows);
    let (row, column, position, problem) =
        cell_error(read_export(&write(dir.path(), "d.xlsx", &file)).unwrap_err());
    assert_eq!((row, column.as_str(), position.as_str()), (5, "END USAGE", "K"));
    assert!(problem.contains("31-FEB-2025") && problem.contains("30-AUG-2025"), "{problem}");

    let e = read_export(&write(dir.path(), "d.csv", &file)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}, row 5, column END USAGE (field 11): `31-FEB-2025` is not a date (expected e.g. 30-AUG-2025)",
            dir.path().join("d.csv").display()
        )
    );
}

#[test]
fn a_bad_quantity_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (qty, expect) in
        [("275.50", "whole number"), ("many", "`many`"), ("", "empty"), ("-2.00", "seat count")]
    {
        let mut rows = many_lines(40);
        rows[30][6] = qty.into();
        let path = write(dir.path(), "q.xlsx", &ExportFile::portal(rows));
        let e = read_export(&path).unwrap_err();
        let text = e.to_string();
        assert!(text.contains(", sheet DETAILS, row 34, column QTY (G): "), "{text}");
        assert!(text.contains(expect), "{qty}: {text}");
        assert!(text.starts_with(&path.display().to_string()), "{text}");
    }
}

#[test]
fn other_bad_cells_are_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (3, "P1Y:CFQ7TTC0LCHC:0002:Q:", "STOCK CODE", "billing `Q`"),
        (12, "338,31 EUR", "UNIT PRICE", "not an amount"),
        (0, "", "TENANT ID", "is empty"),
        (8, "", "STATUS", "is empty"),
    ];
    for (col, value, name, expect) in cases {
        let mut rows = small_lines();
        rows[0][col] = value.into();
        let e = read_export(&write(dir.path(), "c.csv", &ExportFile::portal(rows))).unwrap_err();
        let (row, column, _, problem) = cell_error(e);
        assert_eq!((row, column.as_str()), (4, name));
        assert!(problem.contains(expect), "{name}: {problem}");
    }
}

#[test]
fn usage_lines_are_skipped_before_their_cells_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = small_lines();
    rows[3][3] = "MS-AZR-0145P".into(); // not a stock code cspctl parses
    rows[3][6] = "0.37".into(); // usage, not seats
    let export = read_export(&write(dir.path(), "u.xlsx", &ExportFile::portal(rows))).unwrap();
    assert_eq!(export.skipped_usage, 2);
}

#[test]
fn an_error_on_the_last_line_returns_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = many_lines(2_000);
    rows[1_999][6] = "1.5".into();
    let e = read_export(&write(dir.path(), "late.xlsx", &ExportFile::portal(rows))).unwrap_err();
    assert_eq!(cell_error(e).0, 2_003);
}

#[test]
fn a_file_without_the_columns_or_the_sheet_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = ExportFile::portal(small_lines());
    file.header[6] = "QUANTITY".into();
    let e = read_export(&write(dir.path(), "h.xlsx", &file)).unwrap_err();
    assert!(matches!(&e, ExportError::NoHeader { missing, .. } if missing == "QTY"), "{e}");
    assert!(e.to_string().contains("sheet DETAILS"), "{e}");

    let mut file = ExportFile::portal(small_lines());
    file.sheet = "Invoice Details".into();
    let e = read_export(&write(dir.path(), "s.xlsx", &file)).unwrap_err();
    assert!(matches!(&e, ExportError::NoSheet { found, .. } if found == "Invoice Details"), "{e}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let e = read_export(&empty).unwrap_err();
    assert!(e.to_string().ends_with("empty.csv: is empty; is this the Annuity Information export?"), "{e}");
    let e = read_export(&write(
        dir.path(),
        "empty.xlsx",
        &ExportFile { preamble: vec![], header: vec![], ..ExportFile::portal(vec![]) },
    ))
    .unwrap_err();
    assert!(e.to_string().contains("sheet DETAILS is empty"), "{e}");

    let e = read_export(&dir.path().join("absent.csv")).unwrap_err();
    assert!(matches!(e, ExportError::Open { .. }), "{e}");
    let garbage = dir.path().join("garbage.xlsx");
    std::fs::write(&garbage, "not a zip").unwrap();
    assert!(matches!(read_export(&garbage).unwrap_err(), ExportError::Open { .. }));
}

#[test]
fn typed_workbook_cells_are_read() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("DETAILS").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd-mmm-yyyy");
    sheet.write_number(1, 0, 12345678.0).unwrap(); // an all-digit tenant id typed as a number
    sheet.write_string(1, 1, "DIGITS PTY LTD").unwrap();
    sheet.write_string(1, 2, "0000AB12").unwrap();
    sheet.write_string(1, 3, "P1Y:CFQ7TTC0LCHC:0002:1:").unwrap();
    sheet.write_number(1, 6, 275.0).unwrap();
    sheet.write_string(1, 8, "Active").unwrap();
    sheet.write_datetime_with_format(1, 9, ExcelDateTime::from_ymd(2025, 8, 30).unwrap(), &date).unwrap();
    sheet.write_number(1, 12, 338.31).unwrap();
    sheet.write_number(1, 13, 414.6).unwrap();
    sheet.write_number(2, 6, 2.5).unwrap(); // a second line with a fractional typed quantity
    for (c, v) in [(0, "1"), (1, "X"), (2, "Y"), (3, "P1M:CFQ7TTC0LHSF:0001:1:"), (8, "Active")] {
        sheet.write_string(2, c, v).unwrap();
    }
    workbook.save(&path).unwrap();
    let e = read_export(&path).unwrap_err();
    let (row, column, position, problem) = cell_error(e);
    assert_eq!((row, column.as_str(), position.as_str()), (3, "QTY", "G"));
    assert!(problem.contains("`2.5`") && problem.contains("whole"), "{problem}");

    // Without the bad line the typed cells read as their text equivalents would.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("DETAILS").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 12345678.0).unwrap();
    sheet.write_string(1, 1, "DIGITS PTY LTD").unwrap();
    sheet.write_string(1, 2, "0000AB12").unwrap();
    sheet.write_string(1, 3, "P1Y:CFQ7TTC0LCHC:0002:1:").unwrap();
    sheet.write_number(1, 6, 275.0).unwrap();
    sheet.write_string(1, 8, "Active").unwrap();
    sheet.write_datetime_with_format(1, 9, ExcelDateTime::from_ymd(2025, 8, 30).unwrap(), &date).unwrap();
    sheet.write_number(1, 12, 338.31).unwrap();
    workbook.save(&path).unwrap();
    let licence = read_export(&path).unwrap().snapshot.licences.remove(0);
    assert_eq!(
        (licence.customer.as_str(), licence.quantity, licence.unit_price),
        ("12345678", 275, Some(338.31))
    );
}

#[tokio::test]
async fn the_export_is_a_distributor_and_its_errors_name_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "annuity.xlsx", &ExportFile::portal(small_lines()));
    let source = DickerDataExport::open(&path).unwrap();
    assert_eq!(source.name(), "dicker_data export");
    assert_eq!(source.snapshot().await.unwrap(), read_export(&path).unwrap().snapshot);

    let mut rows = small_lines();
    rows[2][6] = "12.25".into();
    ExportFile::portal(rows).write_xlsx(&path);
    let e = source.snapshot().await.unwrap_err();
    assert!(matches!(&e, LiveError::Source { path: p, .. } if p == &path.display().to_string()), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: sheet DETAILS, row 6, column QTY (G): `12.25` is not a whole number of seats",
            path.display()
        )
    );

    let missing = DickerDataExport::open(&dir.path().join("nope.xlsx")).err().unwrap();
    assert!(missing.to_string().contains("does not exist"), "{missing}");
}

/// Cells at A1 and XFD1048576 span 17 billion cells: calamine's dense range would ask for
/// all of them (an allocation failure, the process aborted). The reader streams rows instead
/// and reads the lines in a 10 kB file at once.
#[test]
fn cells_at_the_far_corners_of_the_sheet_are_read_without_a_dense_range() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corners.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("DETAILS").unwrap();
    let file = ExportFile::portal(small_lines());
    for (r, row) in std::iter::once(HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .chain(file.rows.iter().cloned())
        .enumerate()
    {
        for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            sheet.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    sheet.write_number(0, 16_383, 1.0).unwrap(); // XFD1: a note beside the header
    sheet.write_blank(1_048_575, 16_383, &Format::new().set_bold()).unwrap(); // XFD1048576: formatted, empty
    workbook.save(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 20_000);
    let started = std::time::Instant::now();
    let export = read_export(&path).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(export.snapshot, read_export(&write(dir.path(), "same.xlsx", &file)).unwrap().snapshot);

    // Text far to the right of a line still makes the row a line (its cells are then checked).
    sheet_with_text_past_the_header(&path);
    let e = read_export(&path).unwrap_err();
    assert_eq!(cell_error(e).0, 1_048_576);
}

fn sheet_with_text_past_the_header(path: &Path) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("DETAILS").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "stray").unwrap();
    workbook.save(path).unwrap();
}

/// A zip bomb: a valid export plus one entry of 300 MB of zeros, 300 kB on disk. It is
/// refused by its inflated size (README "File limits") fast, before calamine inflates it.
#[test]
fn a_workbook_that_inflates_past_the_limit_is_refused_fast() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let export = write(dir.path(), "export.xlsx", &ExportFile::portal(small_lines()));
    let mut original = zip::ZipArchive::new(std::fs::File::open(&export).unwrap()).unwrap();
    let path = dir.path().join("bomb.xlsx");
    let mut bomb = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..original.len() {
        bomb.raw_copy_file(original.by_index(i).unwrap()).unwrap();
    }
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    bomb.start_file("xl/media/image1.bin", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        bomb.write_all(&zeros).unwrap();
    }
    bomb.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 1_000_000);
    let started = std::time::Instant::now();
    let e = read_export(&path).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(matches!(e, ExportError::Open { .. }) && e.to_string().contains("inflates to more than"), "{e}");
}

/// Found by fuzzing (`export_xlsx`): a cell reference with more letters than a column can have
/// overflows calamine's column arithmetic, a panic where overflow checks are on (debug builds,
/// as here). The reader reports it as a malformed workbook naming the file.
#[test]
fn an_overflowing_cell_reference_is_a_malformed_workbook_not_a_panic() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let export = write(dir.path(), "export.xlsx", &ExportFile::portal(small_lines()));
    let mut original = zip::ZipArchive::new(std::fs::File::open(&export).unwrap()).unwrap();
    let path = dir.path().join("overflow.xlsx");
    let mut out = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..original.len() {
        let mut entry = original.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            assert!(text.contains(r#"<c r="A1""#), "{text}");
            text = text.replacen(r#"<c r="A1""#, r#"<c r="AAAAAAAAAAAAAAAA1""#, 1);
        }
        out.start_file(name.as_str(), stored).unwrap();
        out.write_all(text.as_bytes()).unwrap();
    }
    out.finish().unwrap();
    let e = read_export(&path).unwrap_err();
    assert!(matches!(e, ExportError::Open { .. }), "{e}");
    assert!(
        e.to_string().starts_with(&path.display().to_string()) && e.to_string().contains("malformed"),
        "{e}"
    );
}
