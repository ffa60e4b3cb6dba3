//! The Annuity Information export reader on any bytes as an `.xlsx` workbook: an export or
//! an error naming the file, never a panic, a hang or a memory blow-up.
//!
//! Mutated zip bytes rarely get past the zip layer (deflate and CRC checks), so half the
//! inputs are put inside a valid workbook instead: the seed workbook with its sheet (first
//! byte odd) or its shared strings (first byte even) replaced by the input, stored
//! uncompressed. That reaches calamine's XML readers and cspctl's row walk directly.
#![no_main]

use std::io::{Cursor, Read as _, Write as _};

use libfuzzer_sys::fuzz_target;

const TEMPLATE: &[u8] = include_bytes!("../seeds/export_xlsx/small.xlsx");

fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((mode, part)) if mode & 2 == 2 => {
            let name = if mode & 1 == 1 { "xl/worksheets/sheet1.xml" } else { "xl/sharedStrings.xml" };
            workbook_with(name, part)
        }
        _ => data.to_vec(),
    };
    if let Err(e) = cspctl::live::dickerdata::read_export_bytes(&bytes, "xlsx", "fuzz.xlsx") {
        assert!(e.to_string().contains("fuzz.xlsx"), "{e}");
    }
});

/// The seed workbook with one entry's content replaced, every entry stored.
fn workbook_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut template = zip::ZipArchive::new(Cursor::new(TEMPLATE)).expect("seed workbook");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..template.len() {
        let mut entry = template.by_index(i).expect("seed entry");
        let entry_name = entry.name().expect("seed entry name").into_owned();
        let mut text = Vec::new();
        entry.read_to_end(&mut text).expect("seed entry reads");
        out.start_file(entry_name.as_str(), stored).expect("start entry");
        out.write_all(if entry_name == name { content } else { &text }).expect("write entry");
    }
    out.finish().expect("finish workbook").into_inner()
}
