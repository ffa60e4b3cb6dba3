//! `cspctl report` on the quickstart workspace: the monthly billing reconciliation as Markdown,
//! CSV (checked by reading it back as a spreadsheet would) and JSON, and that it writes nothing.

use insta::assert_snapshot;

use crate::support::{TestWorkspace, cspctl, run};

const DATE: &str = "--date=2026-11-28";

#[test]
fn quickstart_report_markdown() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["report", ".", DATE], ws.path()));
}

#[test]
fn quickstart_report_json() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["report", ".", DATE, "--format", "json"], ws.path()));
}

#[test]
fn quickstart_report_csv_reads_back_as_a_table_that_adds_up() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let out = run(&["report", ".", DATE, "--format", "csv"], ws.path(), &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_snapshot!(out.stdout);
    assert_eq!(ws.read("state.yaml"), before, "a report writes nothing");

    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()), "every row has every column");
    let (total, clients) = rows.split_last().unwrap();
    assert_eq!(&total[0], "TOTAL");
    for name in ["billed_monthly", "cost_monthly", "margin_monthly", "unbilled_cost_monthly"] {
        let amount = |r: &csv::StringRecord| r[column(name)].parse::<rust_decimal::Decimal>().unwrap();
        let sum: rust_decimal::Decimal = clients.iter().map(amount).sum();
        assert_eq!(sum, amount(total), "{name}: the total row is the sum of the client rows");
    }
}

#[test]
fn report_cells_a_spreadsheet_would_run_are_quoted_as_text() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let state = ws.read("state.yaml").replace("name: LITWARE ENGINEERING", "name: \"=HYPERLINK(1)\"");
    let ws = ws.file("state.yaml", &state);
    let out = run(&["report", ".", DATE, "--format", "csv"], ws.path(), &[], None);
    assert!(out.stdout.contains(",'=HYPERLINK(1),"), "{}", out.stdout);
}
