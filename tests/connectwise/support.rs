//! Seeds, a simulator on an ephemeral loopback port, and a client pointed at it.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveDate;
use cspctl::config::ConnectWiseSettings;
use cspctl::live::connectwise::{ConnectWise, ConnectWiseCredentials};
use cspctl::live::http::RetryPolicy;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::{
    Addition, Agreement, AgreementStatus, Company, Fingerprint, Product, PsaScope, PsaSnapshot,
};
use cspctl::sim::{Faults, RunningSim, SimCredentials, SimShared};

/// The stamp seeded additions carry.
pub const SEEDED: &str = "2026-02-01T10:00:00Z";

/// A date, for readable tests.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// Company `i` is `C00001`..; each company has one agreement ("Microsoft 365", id = i);
/// ten catalog items `P01`..`P10` (id 1..10, `P10` inactive); each agreement has
/// `per_agreement` additions cycling through the products (every fifth one cancelled).
pub fn seed(companies: usize, per_agreement: usize) -> SandboxState {
    let mut psa = PsaSnapshot::default();
    for i in 1..=companies as i64 {
        psa.companies.push(Company { id: i, identifier: format!("C{i:05}"), name: format!("Company {i}") });
        psa.agreements.push(Agreement {
            id: i,
            name: "Microsoft 365".into(),
            company: i,
            status: if i % 7 == 0 { AgreementStatus::Cancelled } else { AgreementStatus::Active },
            start_date: Some(day("2025-07-01")),
            end_date: None,
        });
    }
    for j in 1..=10 {
        psa.products.push(Product {
            id: j,
            identifier: format!("P{j:02}"),
            description: format!("Product {j}"),
            active: j != 10,
            unit_price: Some(10.0 + j as f64),
            unit_cost: Some(5.0 + j as f64),
        });
    }
    let mut id = 0;
    for a in 1..=companies as i64 {
        for k in 0..per_agreement as i64 {
            id += 1;
            psa.additions.push(Addition {
                id,
                agreement: a,
                product: k % 10 + 1,
                quantity: (k + 1) as f64,
                description: (k % 2 == 0).then(|| format!("Licence {k}")),
                unit_price: Some(12.5),
                unit_cost: Some(7.25),
                effective_date: Some(day("2026-01-01")),
                cancelled_date: (k % 5 == 4).then(|| day("2026-03-31")),
                adjusted_on: None,
                fingerprint: Fingerprint(SEEDED.into()),
            });
        }
    }
    SandboxState { psa, ..SandboxState::default() }
}

/// A scope naming companies `1..=companies`, their agreements for `1..=agreements`, and
/// products `P01`..`P10`.
pub fn scope(companies: usize, agreements: usize) -> PsaScope {
    PsaScope {
        companies: (1..=companies).map(|i| format!("C{i:05}")).collect(),
        agreements: (1..=agreements).map(|i| (format!("C{i:05}"), "Microsoft 365".to_string())).collect(),
        products: (1..=10).map(|j| format!("P{j:02}")).collect::<BTreeSet<_>>(),
        ..PsaScope::default()
    }
}

/// Starts the simulator on 127.0.0.1 with an ephemeral port.
pub async fn start(state: SandboxState) -> RunningSim {
    start_with(state, Faults::default()).await
}

/// Starts the simulator with faults.
pub async fn start_with(state: SandboxState, faults: Faults) -> RunningSim {
    let shared = SimShared::new(state, faults, SimCredentials::default());
    cspctl::sim::start("127.0.0.1:0".parse().expect("addr"), shared).await.expect("simulator starts")
}

/// Settings pointing at the simulator (codebase discovered).
pub fn settings(sim: &RunningSim) -> ConnectWiseSettings {
    ConnectWiseSettings {
        site: sim.url(),
        company: "sandbox".into(),
        codebase: None,
        api_version: None,
        concurrency: None,
    }
}

/// The simulator's accepted credentials.
pub fn credentials() -> ConnectWiseCredentials {
    let [_, public, private, client] = SimCredentials::default().connectwise;
    ConnectWiseCredentials::new(&public, &private, &client)
}

/// Retries fast enough for tests.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
    }
}

/// A client for the simulator with the given settings.
pub fn client_with(settings: &ConnectWiseSettings, credentials: ConnectWiseCredentials) -> ConnectWise {
    ConnectWise::new(settings, credentials)
        .expect("client")
        .with_timeout(Duration::from_secs(5))
        .expect("timeout")
        .with_retry(quick_retry())
}

/// A client for the simulator.
pub fn client(sim: &RunningSim) -> ConnectWise {
    client_with(&settings(sim), credentials())
}

/// The simulator's additions of (agreement, product) that are not cancelled.
pub fn live_additions(sim: &RunningSim, agreement: i64, product: i64) -> Vec<Addition> {
    sim.shared
        .lock_state()
        .psa
        .additions
        .iter()
        .filter(|a| a.agreement == agreement && a.product == product && a.cancelled_date.is_none())
        .cloned()
        .collect()
}

/// Requests served by route, summed over routes containing `needle`.
pub fn requests(sim: &RunningSim, needle: &str) -> u64 {
    sim.shared.stats().iter().filter(|(k, _)| k.contains(needle)).map(|(_, v)| v).sum()
}
