//! Shared pieces of the Autotask tests: seeded sandbox states, a simulator on loopback and a
//! client pointed at it.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use cspctl::live::autotask::{Autotask, AutotaskCredentials, AutotaskOptions};
use cspctl::live::http::RetryPolicy;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::{
    Addition, Agreement, AgreementStatus, Company, Fingerprint, Product, PsaScope, PsaSnapshot,
};
use cspctl::sim::{self, Faults, RunningSim, SimCredentials, SimShared};

/// Today for the default tenant calendar, as the client and the simulator both count it.
pub fn today() -> NaiveDate {
    cspctl::model::Calendar::default().today()
}

pub fn contract_start() -> NaiveDate {
    today().checked_sub_days(Days::new(400)).unwrap_or(today())
}

pub fn contract_end() -> NaiveDate {
    today().checked_add_days(Days::new(400)).unwrap_or(today())
}

/// `companies` companies with one recurring contract each, `catalog` services, and
/// `per_contract` contract services on each contract (services taken round-robin).
pub fn seeded(companies: i64, catalog: i64, per_contract: i64) -> SandboxState {
    let mut psa = PsaSnapshot::default();
    for c in 1..=companies {
        psa.companies.push(Company { id: c, identifier: format!("C{c:05}"), name: format!("Company {c}") });
        psa.agreements.push(Agreement {
            id: 10_000 + c,
            name: format!("Microsoft 365 {c}"),
            company: c,
            status: AgreementStatus::Active,
            start_date: Some(contract_start()),
            end_date: Some(contract_end()),
        });
    }
    for p in 1..=catalog {
        psa.products.push(Product {
            id: 500 + p,
            identifier: format!("SVC-{p:03}"),
            description: format!("Service {p}"),
            active: true,
            unit_price: Some(10.0 + p as f64),
            unit_cost: Some(5.0 + p as f64),
        });
    }
    let mut id = 100_000;
    for c in 1..=companies {
        for k in 0..per_contract {
            id += 1;
            psa.additions.push(Addition {
                id,
                agreement: 10_000 + c,
                product: 501 + (c + k) % catalog,
                quantity: ((c + k) % 17 + 1) as f64,
                description: Some(format!("line {id}")),
                unit_price: Some(12.5),
                unit_cost: Some(7.25),
                effective_date: Some(contract_start()),
                cancelled_date: None,
                adjusted_on: None,
                fingerprint: Fingerprint::default(),
            });
        }
    }
    SandboxState { psa, ..SandboxState::default() }
}

/// The scope naming every company, contract and service of a state.
pub fn scope_of(state: &SandboxState) -> PsaScope {
    let psa = &state.psa;
    let mut scope = PsaScope::default();
    for c in &psa.companies {
        scope.companies.insert(c.identifier.clone());
    }
    for a in &psa.agreements {
        if let Some(c) = psa.companies.iter().find(|c| c.id == a.company) {
            scope.agreements.insert((c.identifier.clone(), a.name.clone()));
        }
    }
    for p in &psa.products {
        scope.products.insert(p.identifier.clone());
    }
    scope
}

pub async fn start(state: SandboxState) -> RunningSim {
    start_with(state, SimCredentials::default()).await
}

pub async fn start_with(state: SandboxState, credentials: SimCredentials) -> RunningSim {
    let shared = SimShared::new(state, Faults::default(), credentials);
    match sim::start("127.0.0.1:0".parse().expect("address"), shared).await {
        Ok(s) => s,
        Err(e) => panic!("simulator did not start: {e}"),
    }
}

pub fn credentials() -> AutotaskCredentials {
    let [code, user, secret] = SimCredentials::default().autotask;
    AutotaskCredentials::new(&code, &user, &secret)
}

/// Options for a simulator: short timeouts and backoff so fault tests stay fast.
pub fn options(sim: &RunningSim) -> AutotaskOptions {
    AutotaskOptions {
        base_url: Some(format!("{}/ATServicesRest/", sim.url())),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
        },
        ..AutotaskOptions::default()
    }
}

/// A client that finds its zone through the simulator's zone lookup instead of a base URL.
pub fn zone_client(sim: &RunningSim) -> Autotask {
    let options = AutotaskOptions {
        base_url: None,
        zone_url: Some(format!("{}/atservicesrest/", sim.url())),
        ..options(sim)
    };
    match Autotask::new(options, credentials()) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

pub fn client(sim: &RunningSim) -> Autotask {
    match Autotask::new(options(sim), credentials()) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

/// Faults at the given shares of 429 and 5xx, replayable by seed.
pub fn faults(rate_429: f64, rate_5xx: f64, rate_malformed: f64, seed: u64) -> Faults {
    Faults { rate_429, rate_5xx, rate_malformed, retry_after_secs: 0.01, seed, ..Faults::default() }
}
