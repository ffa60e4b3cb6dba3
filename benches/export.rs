//! Reading Dicker Data's Annuity Information export at the size of a large MSP: 20,000 lines
//! (5,000 tenants) in an `.xlsx`, and the same as `.csv`.
//!
//! `cargo bench --bench export` writes both files to a temp dir, reads each 10 times and
//! prints min / median / max. For peak memory, measure one read in a process of its own:
//!
//! ```text
//! cargo bench --bench export -- --write /tmp/annuity-20k.xlsx
//! /usr/bin/time -v target/release/deps/export-* --read /tmp/annuity-20k.xlsx
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use cspctl::live::dickerdata::read_export;

#[path = "../tests/dickerdata/export_file.rs"]
mod export_file;

const LINES: usize = 20_000;
const RUNS: usize = 10;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.as_slice() {
        [flag, path] if flag == "--write" => {
            write(Path::new(path));
            println!("wrote {LINES} lines to {path}");
        }
        [flag, path] if flag == "--read" => {
            let started = Instant::now();
            let export = read_export(Path::new(path)).expect("the export reads");
            println!(
                "read {} lines ({} licences, {} customers) in {:?}",
                export.lines,
                export.snapshot.licences.len(),
                export.snapshot.customers.len(),
                started.elapsed()
            );
        }
        _ => {
            let dir = tempfile::tempdir().expect("a temp dir");
            for name in ["annuity-20k.xlsx", "annuity-20k.csv"] {
                let path = dir.path().join(name);
                write(&path);
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let mut times: Vec<Duration> = (0..RUNS)
                    .map(|_| {
                        let started = Instant::now();
                        black_box(read_export(&path).expect("the export reads"));
                        started.elapsed()
                    })
                    .collect();
                times.sort();
                println!(
                    "export/read {name} ({LINES} lines, {} KiB): min {:?}  median {:?}  max {:?}  ({RUNS} runs)",
                    size / 1024,
                    times[0],
                    times[RUNS / 2],
                    times[RUNS - 1]
                );
            }
        }
    }
}

fn write(path: &Path) {
    let file = export_file::ExportFile::portal(export_file::many_lines(LINES));
    if path.extension().is_some_and(|e| e == "csv") { file.write_csv(path) } else { file.write_xlsx(path) }
}
