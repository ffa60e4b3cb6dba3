//! The shipped export example: its `.xlsx` is made here (never copied from a real customer)
//! and must read back to the licences below.

use std::path::{Path, PathBuf};

use cspctl::live::Distributor;
use cspctl::live::dickerdata::{DickerDataExport, read_export};
use cspctl::model::LicenceStatus;

use super::export_file::{ExportFile, example_lines};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/export")
}

/// Rewrites `examples/export/annuity-information.xlsx`:
/// `cargo test --test dickerdata -- --ignored write_example_export`.
#[test]
#[ignore = "writes the committed example file"]
fn write_example_export() {
    ExportFile::portal(example_lines()).write_xlsx(&example_dir().join("annuity-information.xlsx"));
}

#[test]
fn the_committed_example_export_reads_back() {
    let path = example_dir().join("annuity-information.xlsx");
    let committed = read_export(&path).unwrap();
    // Same content as the generator writes today.
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.xlsx");
    ExportFile::portal(example_lines()).write_xlsx(&fresh);
    assert_eq!(
        committed.snapshot,
        read_export(&fresh).unwrap().snapshot,
        "regenerate with write_example_export"
    );

    let rows: Vec<(&str, &str, String, u32, LicenceStatus)> = committed
        .snapshot
        .licences
        .iter()
        .map(|l| {
            (l.customer.as_str(), l.subscription.as_str(), l.stock_code.to_string(), l.quantity, l.status)
        })
        .collect();
    use LicenceStatus::{Active, Inactive};
    let s = |v: &str| v.to_string();
    assert_eq!(
        rows,
        [
            ("3F9A1C02", "1A7E30C1", s("P1Y:CFQ7TTC0LCHC:0002:1:"), 18, Active),
            ("3F9A1C02", "1A7E30C2", s("P1Y:CFQ7TTC0LCHC:0002:1:"), 4, Active),
            ("3F9A1C02", "1A7E30C3", s("P1M:CFQ7TTC0LHSF:0001:1:"), 6, Active),
            ("8B22E47D", "2C4D6E01", s("P1Y:CFQ7TTC0LH18:0001:1:"), 12, Active),
            ("8B22E47D", "2C4D6E02", s("P1Y:CFQ7TTC0LCHC:001J:1:"), 12, Active),
            ("C41D0E9B", "3D5F7A01", s("P1Y:CFQ7TTC0LFLZ:0002:Y:"), 40, Active),
            ("C41D0E9B", "3D5F7A02", s("P1M:CFQ7TTC0LDPB:0001:1:"), 3, Inactive),
            ("5E07A3F1", "4E6A8B01", s("P1Y:CFQ7TTC0LCHC:0002:1:"), 9, Active),
            ("91AC6B30", "5F7B9C01", s("P1Y:CFQ7TTC0LH18:0001:1:"), 5, Active),
        ]
    );
    assert_eq!(committed.skipped_usage, 1, "the Azure plan line");
    assert_eq!(committed.snapshot.customers.len(), 5);
}

#[tokio::test]
async fn the_example_workspace_opens_its_export() {
    let workspace = cspctl::config::load(&example_dir()).unwrap();
    let cspctl::config::DistributorSource::DickerData(settings) = &workspace.settings.distributor else {
        panic!("the example reads Dicker Data");
    };
    let export = settings.export.as_ref().unwrap();
    let source = DickerDataExport::open(&workspace.root.join(export)).unwrap();
    assert_eq!(source.snapshot().await.unwrap().licences.len(), 9);
}
