//! Set-up the simulator benches share: the sandbox's ConnectWise tenant and the catalog they
//! bill from, so each bench states only what it measures.

#![allow(dead_code)] // each bench uses its own part

use cspctl::config::ConnectWiseSettings;
use cspctl::live::connectwise::ConnectWiseCredentials;
use cspctl::model::Product;
use cspctl::sim::SimCredentials;

/// The simulator's ConnectWise tenant at `site`, its codebase given as a workspace would.
pub fn connectwise_settings(site: String) -> ConnectWiseSettings {
    let [company, ..] = SimCredentials::default().connectwise;
    ConnectWiseSettings {
        site,
        company,
        codebase: Some("v4_6_release".into()),
        api_version: None,
        concurrency: None,
    }
}

/// The API member the simulator's ConnectWise tenant accepts.
pub fn connectwise_credentials() -> ConnectWiseCredentials {
    let [_, public, private, client_id] = SimCredentials::default().connectwise;
    ConnectWiseCredentials::new(&public, &private, &client_id)
}

/// Products P01 to P`count`, each billed at 20.00 a seat against a cost of 15.00.
pub fn catalog(count: i64) -> Vec<Product> {
    (1..=count)
        .map(|j| Product {
            id: j,
            identifier: format!("P{j:02}"),
            description: format!("Product {j}"),
            active: true,
            unit_price: Some(20.0),
            unit_cost: Some(15.0),
        })
        .collect()
}
