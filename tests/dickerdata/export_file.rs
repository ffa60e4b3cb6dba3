//! Writes Annuity Information exports (`.xlsx` and `.csv`) shaped like Dicker Data's, with
//! invented tenants, for tests, the benchmark and the shipped example.

#![allow(dead_code)]

use std::path::Path;

/// The columns of the export, in the portal's order.
pub const HEADER: [&str; 14] = [
    "TENANT ID",
    "TENANT NAME",
    "SUBSCRIPTION ID",
    "STOCK CODE",
    "STOCK DESCRIPTION",
    "REFERENCE",
    "QTY",
    "CHARGE TYPE",
    "STATUS",
    "START USAGE",
    "END USAGE",
    "REVALUATION PERIOD",
    "UNIT PRICE",
    "UNIT RRP",
];

/// One product line of the catalogue used to make files: code, description, reference, price, rrp.
pub const CATALOGUE: [(&str, &str, &str, &str, &str); 6] = [
    (
        "P1Y:CFQ7TTC0LCHC:0002:1:",
        "MS NCE M365 BUSINESS PREMIUM 1 YR COMMIT",
        "Microsoft 365 Business Premium",
        "$338.31",
        "$414.60",
    ),
    (
        "P1Y:CFQ7TTC0LH18:0001:1:",
        "MS NCE M365 BUSINESS BASIC 1 YR COMMIT",
        "Microsoft 365 Business Basic",
        "$85.54",
        "$104.76",
    ),
    (
        "P1M:CFQ7TTC0LDPB:0001:1:",
        "MS NCE M365 BUSINESS STANDARD MONTHLY",
        "Microsoft 365 Business Standar",
        "$24.93",
        "$30.53",
    ),
    (
        "P1Y:CFQ7TTC0LFLZ:0002:Y:",
        "MS NCE M365 E3 1 YR COMMIT ANNUAL",
        "Microsoft 365 E3",
        "$695.62",
        "$851.76",
    ),
    (
        "P1Y:CFQ7TTC0LCHC:001J:1:",
        "MS NCE DEFENDER SUITE FOR BUSINESS 1 YR",
        "Microsoft Defender Suite for B",
        "$124.20",
        "$152.16",
    ),
    (
        "P1M:CFQ7TTC0LHSF:0001:1:",
        "MS NCE EXCHANGE ONLINE PLAN 1 MONTHLY",
        "Exchange Online (Plan 1)",
        "$7.12",
        "$8.72",
    ),
];

/// A sheet to write: rows above the header, the header, the lines. Every cell is text, as the
/// portal writes it.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Rows before the header (titles, run date, blank lines).
    pub preamble: Vec<Vec<String>>,
    /// Header cells.
    pub header: Vec<String>,
    /// Lines.
    pub rows: Vec<Vec<String>>,
    /// Blank columns left of the table.
    pub left_margin: u16,
    /// Sheet name (`DETAILS` in the real export).
    pub sheet: String,
}

fn s(v: &str) -> String {
    v.to_string()
}

/// A line with every column, in [`HEADER`] order.
#[allow(clippy::too_many_arguments)]
pub fn line(
    tenant: &str,
    name: &str,
    subscription: &str,
    catalogue: usize,
    qty: &str,
    charge: &str,
    status: &str,
) -> Vec<String> {
    let (code, description, reference, price, rrp) = CATALOGUE[catalogue];
    vec![
        s(tenant),
        s(name),
        s(subscription),
        s(code),
        s(description),
        s(reference),
        s(qty),
        s(charge),
        s(status),
        s("30-AUG-2024"),
        s("29-AUG-2025"),
        s("30-AUG-2025"),
        s(price),
        s(rrp),
    ]
}

/// An Azure plan line (usage-based; not a licence).
pub fn azure_line(tenant: &str, name: &str, subscription: &str) -> Vec<String> {
    vec![
        s(tenant),
        s(name),
        s(subscription),
        s("DZH318Z0BPS6:0001"),
        s("MS AZURE PLAN"),
        s("Azure plan"),
        s("1.00"),
        s("AZURE"),
        s("Active"),
        s("01-JUL-2023"),
        s(""),
        s(""),
        s("$0.00"),
        s("$0.00"),
    ]
}

impl ExportFile {
    /// The portal's layout: two title rows and a blank row, header on row 3... as Dicker Data's
    /// file has it (title, run date, then the header).
    pub fn portal(rows: Vec<Vec<String>>) -> Self {
        ExportFile {
            preamble: vec![vec![s("ANNUITY INFORMATION")], vec![s("RUN DATE: 01-SEP-2025")]],
            header: HEADER.iter().map(|h| s(h)).collect(),
            rows,
            left_margin: 0,
            sheet: s("DETAILS"),
        }
    }

    /// Writes an `.xlsx` with rust_xlsxwriter (fixed document dates, so the bytes are stable).
    pub fn write_xlsx(&self, path: &Path) {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 9, 1).unwrap();
        workbook.set_properties(
            &rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created).set_author("cspctl tests"),
        );
        let sheet = workbook.add_worksheet();
        sheet.set_name(&self.sheet).unwrap();
        let all = self.preamble.iter().chain(std::iter::once(&self.header)).chain(self.rows.iter());
        for (r, row) in all.enumerate() {
            for (c, value) in row.iter().enumerate() {
                if !value.is_empty() {
                    sheet.write_string(r as u32, c as u16 + self.left_margin, value).unwrap();
                }
            }
        }
        workbook.save(path).unwrap();
    }

    /// Writes a `.csv` with the same cells.
    pub fn write_csv(&self, path: &Path) {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_path(path).unwrap();
        let margin = vec![String::new(); self.left_margin as usize];
        let all = self.preamble.iter().chain(std::iter::once(&self.header)).chain(self.rows.iter());
        for row in all {
            let cells: Vec<&String> = margin.iter().chain(row.iter()).collect();
            writer.write_record(cells).unwrap();
        }
        writer.flush().unwrap();
    }
}

/// `n` lines over `n / 4` invented tenants, deterministic: mostly active NCE lines, every 50th
/// suspended, every 97th an Azure plan line.
pub fn many_lines(n: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let tenant_no = i / 4;
            let tenant = format!("{:08X}", 0x2A00_0000u32 + tenant_no as u32 * 7919);
            let name = format!("INVENTED CUSTOMER {tenant_no:05} PTY LTD");
            let subscription = format!("{:08X}", 0x5B00_0000u32 + i as u32 * 104_729);
            if i % 97 == 96 {
                return azure_line(&tenant, &name, &subscription);
            }
            let status = if i % 50 == 49 { "Suspended" } else { "Active" };
            let qty = format!("{}.00", 1 + (i * 37) % 300);
            line(&tenant, &name, &subscription, i % CATALOGUE.len(), &qty, "NCE", status)
        })
        .collect()
}

/// The shipped example's export (`examples/export/annuity-information.xlsx`): five invented
/// tenants, two subscriptions of one code, a suspended line and an Azure plan line.
pub fn example_lines() -> Vec<Vec<String>> {
    const KOOKABURRA: (&str, &str) = ("3F9A1C02", "KOOKABURRA ARCHITECTS PTY LTD");
    const WATTLE: (&str, &str) = ("8B22E47D", "WATTLE CREEK VETERINARY CLINIC");
    const SALTBUSH: (&str, &str) = ("C41D0E9B", "SALTBUSH LOGISTICS PTY LTD");
    const IRONBARK: (&str, &str) = ("5E07A3F1", "IRONBARK LEGAL");
    const MULGA: (&str, &str) = ("91AC6B30", "MULGA STREET BAKERY");
    vec![
        line(KOOKABURRA.0, KOOKABURRA.1, "1A7E30C1", 0, "18.00", "NCE", "Active"),
        line(KOOKABURRA.0, KOOKABURRA.1, "1A7E30C2", 0, "4.00", "NCE", "Active"),
        line(KOOKABURRA.0, KOOKABURRA.1, "1A7E30C3", 5, "6.00", "NCE", "Active"),
        line(WATTLE.0, WATTLE.1, "2C4D6E01", 1, "12.00", "NCE", "Active"),
        line(WATTLE.0, WATTLE.1, "2C4D6E02", 4, "12.00", "NCE", "Active"),
        azure_line(WATTLE.0, WATTLE.1, "2C4D6E03"),
        line(SALTBUSH.0, SALTBUSH.1, "3D5F7A01", 3, "40.00", "NCE", "Active"),
        line(SALTBUSH.0, SALTBUSH.1, "3D5F7A02", 2, "3.00", "NCE", "Suspended"),
        line(IRONBARK.0, IRONBARK.1, "4E6A8B01", 0, "9.00", "NCE", "Active"),
        line(MULGA.0, MULGA.1, "5F7B9C01", 1, "5.00", "NCE", "Active"),
    ]
}
