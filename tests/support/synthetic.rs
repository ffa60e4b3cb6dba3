//! Large, deterministic workspaces and live states for benchmarks and scale tests.

use std::path::PathBuf;

use chrono::NaiveDate;
use cspctl::config::{
    Client, ClientDefaults, DickerDataItem, DistributorSource, ProductMapping, PsaConnection, PsaProductRef,
    Settings, Workspace,
};
use cspctl::model::{
    Addition, Agreement, AgreementStatus, Company, Customer, DistributorSnapshot, Fingerprint, Licence,
    LicenceStatus, Product, PsaSnapshot,
};

/// Product ids of synthetic mappings (12 characters, like Microsoft's).
fn product_id(i: usize) -> String {
    format!("CFQ7TTC{i:05}")
}

/// A workspace of `clients` clients, each holding one licence line of each of `products`
/// products, and a PSA where every client's agreement already bills each product, with
/// quantities off by one for every third line (so the plan has real work to do).
pub fn synthetic(clients: usize, products: usize) -> (Workspace, DistributorSnapshot, PsaSnapshot) {
    let mappings: Vec<ProductMapping> = (0..products)
        .map(|p| ProductMapping {
            key: format!("product-{p}"),
            description: None,
            dicker_data: DickerDataItem {
                stock_code: format!("P1Y:{}:0001:1:", product_id(p)).parse().unwrap(),
            },
            microsoft: None,
            psa: PsaProductRef { product: format!("SKU-{p}") },
            price: None,
        })
        .collect();
    let mut ws_clients = Vec::with_capacity(clients);
    let mut dd = DistributorSnapshot::default();
    let mut psa = PsaSnapshot { products: Vec::new(), ..PsaSnapshot::default() };
    psa.products = (0..products)
        .map(|p| Product {
            id: 10_000 + p as i64,
            identifier: format!("SKU-{p}"),
            description: format!("Synthetic product {p}"),
            active: true,
            unit_price: Some(20.0),
            unit_cost: Some(15.0),
        })
        .collect();
    for c in 0..clients {
        let id = format!("{:06}", 100_000 + c);
        ws_clients.push(Client {
            dicker_data: id.clone(),
            name: Some(format!("Client {c}")),
            ignore: false,
            company: Some(format!("COMPANY-{c}")),
            agreement: Some(format!("Agreement {c}")),
            products: Default::default(),
            sync_description: None,
            on_licence_removed: None,
        });
        dd.customers.push(Customer { id: id.clone(), name: format!("Client {c}") });
        psa.companies.push(Company {
            id: c as i64 + 1,
            identifier: format!("COMPANY-{c}"),
            name: format!("Client {c}"),
        });
        psa.agreements.push(Agreement {
            id: 100_000 + c as i64,
            name: format!("Agreement {c}"),
            company: c as i64 + 1,
            status: AgreementStatus::Active,
            start_date: NaiveDate::from_ymd_opt(2025, 1, 1),
            end_date: None,
        });
        for (p, mapping) in mappings.iter().enumerate() {
            let quantity = ((c * 7 + p * 3) % 40 + 1) as u32;
            dd.licences.push(Licence {
                customer: id.clone(),
                subscription: format!("{c:04X}{p:04X}"),
                stock_code: mapping.dicker_data.stock_code.clone(),
                description: format!("SYNTHETIC PRODUCT {p}"),
                quantity,
                status: LicenceStatus::Active,
                unit_price: None,
                unit_rrp: None,
                term_end: None,
                next_billing: None,
            });
            let drift = if (c + p) % 3 == 0 { 1.0 } else { 0.0 };
            psa.additions.push(Addition {
                id: (c * products + p) as i64 + 1,
                agreement: 100_000 + c as i64,
                product: 10_000 + p as i64,
                quantity: f64::from(quantity) + drift,
                description: None,
                unit_price: Some(20.0),
                unit_cost: Some(15.0),
                effective_date: NaiveDate::from_ymd_opt(2025, 1, 1),
                cancelled_date: None,
                adjusted_on: None,
                fingerprint: Fingerprint("2026-01-01T00:00:00Z".into()),
            });
        }
    }
    (sandbox_workspace(mappings, ws_clients, ClientDefaults::default()), dd, psa)
}

/// A workspace with both sides on the sandbox, as tests and benchmarks build it in memory.
pub fn sandbox_workspace(
    products: Vec<ProductMapping>,
    clients: Vec<Client>,
    defaults: ClientDefaults,
) -> Workspace {
    Workspace {
        root: PathBuf::from("."),
        settings: Settings {
            distributor: DistributorSource::Sandbox,
            psa: PsaConnection::Sandbox,
            sandbox: None,
            defaults,
            calendar: Default::default(),
            currency: Default::default(),
            renewal_window_days: cspctl::config::DEFAULT_RENEWAL_WINDOW_DAYS,
        },
        products,
        clients,
        exceptions: Vec::new(),
        warnings: Vec::new(),
    }
}
