//! Apply at MSP scale through the simulator, 50 ms added to every response: 2,000 clients (one
//! agreement each, five additions on it) and a plan of 1,000 quantity updates and 500 creates,
//! for ConnectWise and for Autotask. Prints the requests sent per change against the vendor
//! minimum (ConnectWise: one request a change; Autotask: one unit adjustment per update, a
//! service and its adjustment per create) and the wall time against the round-trip floor
//! (ConnectWise: the writes at the apply concurrency; Autotask: 1,500 adjustments through its
//! three-per-endpoint limit).
//!
//! Run: `cargo bench --bench apply` (`APPLY_CONCURRENCY=N` for other than each PSA's default).

mod support;

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use cspctl::live::Psa;
use cspctl::live::autotask::{Autotask, AutotaskCredentials, AutotaskOptions};
use cspctl::live::connectwise::ConnectWise;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::{Addition, Agreement, AgreementStatus, Company, PsaScope, PsaSnapshot};
use cspctl::reconcile::Plan;
use cspctl::sim::{Faults, SimCredentials, SimShared};
use serde_json::json;

const LATENCY_MS: u64 = 50;
const CLIENTS: i64 = 2_000;
const UPDATES: i64 = 1_000;
const CREATES: i64 = 500;

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn seed(fingerprint: &str) -> SandboxState {
    let start = today().checked_sub_days(Days::new(400));
    let end = today().checked_add_days(Days::new(400));
    let mut psa = PsaSnapshot::default();
    for i in 1..=CLIENTS {
        psa.companies.push(Company { id: i, identifier: format!("C{i:05}"), name: format!("Company {i}") });
        psa.agreements.push(Agreement {
            id: i,
            name: "Microsoft 365".into(),
            company: i,
            status: AgreementStatus::Active,
            start_date: start,
            end_date: end,
        });
    }
    psa.products = support::catalog(10);
    for n in 0..CLIENTS * 5 {
        let addition = json!({
            "id": n + 1, "agreement": n / 5 + 1, "product": n % 5 + 1, "quantity": 5.0,
            "unit_price": 20.0, "unit_cost": 15.0, "effective_date": start, "fingerprint": fingerprint,
        });
        psa.additions.push(serde_json::from_value::<Addition>(addition).expect("addition"));
    }
    SandboxState { psa, ..SandboxState::default() }
}

fn scope() -> PsaScope {
    PsaScope {
        companies: (1..=CLIENTS).map(|i| format!("C{i:05}")).collect(),
        agreements: (1..=CLIENTS).map(|i| (format!("C{i:05}"), "Microsoft 365".to_string())).collect(),
        products: (1..=10).map(|j| format!("P{j:02}")).collect(),
        ..PsaScope::default()
    }
}

/// 1,000 updates (product 1 on agreements 1..=1000, 5 -> 6 seats) and 500 creates (product 6
/// on agreements 1001..=1500), checked against the versions `live` read.
fn plan(live: &PsaSnapshot) -> Plan {
    let revenue = serde_json::to_value(cspctl::reconcile::money::Revenue::default()).expect("revenue");
    let mut actions = Vec::new();
    for a in 1..=UPDATES {
        let addition = live.additions.iter().find(|x| x.agreement == a && x.product == 1).expect("addition");
        actions.push(json!({
            "kind": "update", "client": format!("D{a}"), "client_name": format!("Client {a}"),
            "company": format!("C{a:05}"), "agreement": "Microsoft 365", "product": "P01", "mappings": ["m"],
            "addition": addition.id, "fingerprint": addition.fingerprint, "changes": [], "revenue": revenue,
            "write": { "op": "update", "addition": addition.id, "agreement": a, "product": 1,
                       "expected": addition.fingerprint, "from_quantity": 5.0, "quantity": 6,
                       "effective_date": today() },
        }));
    }
    for a in UPDATES + 1..=UPDATES + CREATES {
        actions.push(json!({
            "kind": "create", "client": format!("D{a}"), "client_name": format!("Client {a}"),
            "company": format!("C{a:05}"), "agreement": "Microsoft 365", "product": "P06", "mappings": ["m"],
            "changes": [], "revenue": revenue,
            "write": { "op": "create", "agreement": a, "product": 6, "quantity": 3, "unit_price": 20.0,
                       "effective_date": today() },
        }));
    }
    let actions = actions.into_iter().map(|a| serde_json::from_value(a).expect("action")).collect();
    Plan { actions, ..Plan::default() }
}

struct Figures {
    requests: u64,
    minimum: u64,
    wall: Duration,
    floor: Duration,
}

impl Figures {
    fn print(&self, name: &str) {
        let changes = (UPDATES + CREATES) as f64;
        println!(
            "{name:<11} {} changes: {} requests ({:.2} per change; vendor minimum {}, ratio {:.2}), wall {:.1} s, \
             floor {:.1} s, ratio {:.2}",
            UPDATES + CREATES,
            self.requests,
            self.requests as f64 / changes,
            self.minimum,
            self.requests as f64 / self.minimum as f64,
            self.wall.as_secs_f64(),
            self.floor.as_secs_f64(),
            self.wall.as_secs_f64() / self.floor.as_secs_f64(),
        );
    }
}

async fn measure(shared: &SimShared, psa: &dyn Psa, plan: &Plan, concurrency: usize) -> (u64, Duration) {
    shared.reset_stats();
    let started = Instant::now();
    let outcomes = cspctl::apply::execute(plan, psa, concurrency, |_, _| {}).await;
    let wall = started.elapsed();
    let failed: Vec<String> =
        outcomes.iter().filter_map(|o| o.result.as_ref().err()).map(|e| e.to_string()).take(3).collect();
    assert!(failed.is_empty(), "{failed:?}");
    (shared.total_requests(), wall)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let asked: Option<usize> = std::env::var("APPLY_CONCURRENCY").ok().and_then(|v| v.parse().ok());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        println!("apply through the simulator, {LATENCY_MS} ms per response");
        let faults = Faults { latency_ms: LATENCY_MS, ..Faults::default() };

        let shared = SimShared::new(seed("2026-02-01T10:00:00Z"), faults.clone(), SimCredentials::default());
        let sim = cspctl::sim::start("127.0.0.1:0".parse()?, shared).await?;
        let cw =
            ConnectWise::new(&support::connectwise_settings(sim.url()), support::connectwise_credentials())?;
        let plan_cw = plan(&cw.snapshot(&scope()).await?);
        let concurrency = asked.unwrap_or_else(|| cw.writes_in_flight());
        println!("connectwise: {concurrency} writes in flight");
        let (requests, wall) = measure(&sim.shared, &cw, &plan_cw, concurrency).await;
        let writes = (UPDATES + CREATES) as u64;
        let floor = Duration::from_millis(writes.div_ceil(concurrency as u64) * LATENCY_MS);
        Figures { requests, minimum: writes, wall, floor }.print("connectwise");
        drop(sim);

        let shared = SimShared::new(seed(""), faults, SimCredentials::default());
        let sim = cspctl::sim::start("127.0.0.1:0".parse()?, shared).await?;
        let [code, user, secret] = SimCredentials::default().autotask;
        let options = AutotaskOptions {
            base_url: Some(format!("{}/ATServicesRest/", sim.url())),
            today: Some(today()),
            ..AutotaskOptions::default()
        };
        let at = Autotask::new(options, AutotaskCredentials::new(&code, &user, &secret))?;
        let plan_at = plan(&at.snapshot(&scope()).await?);
        let concurrency = asked.unwrap_or_else(|| at.writes_in_flight());
        println!("autotask: {concurrency} writes in flight");
        let (requests, wall) = measure(&sim.shared, &at, &plan_at, concurrency).await;
        // Every change needs one adjustment, and Autotask takes three at a time per endpoint.
        let floor = Duration::from_millis(((UPDATES + CREATES) as u64).div_ceil(3) * LATENCY_MS);
        Figures { requests, minimum: (UPDATES + 2 * CREATES) as u64, wall, floor }.print("autotask");
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
