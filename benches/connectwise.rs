//! Plan-read benchmark for ConnectWise: a snapshot against the simulator seeded with 2,000
//! companies, 2,000 agreements and 20,000 additions, with 50 ms added to every response.
//! Prints wall time, requests, and the round-trip floor: (bulk pages read in sequence +
//! ⌈agreements / concurrency⌉) × 50 ms. Target: within 1.3× of the floor.
//!
//! Then adaptive read concurrency against a tenant that serves 32 reads at once (32 more wait,
//! any beyond are refused 429 with `Retry-After: 1`): 2,000 agreements read with fixed and
//! adaptive limits, each with its wall time, floor and 429s. Target: adaptive ≤ 5 s and no more
//! 429s than a fixed setting at the limit.
//!
//! Run: `cargo bench --bench connectwise`

mod support;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cspctl::config::ConnectWiseSettings;
use cspctl::live::Psa;
use cspctl::live::connectwise::{ConnectWise, DEFAULT_MAX_CONCURRENCY};
use cspctl::live::sandbox::SandboxState;
use cspctl::model::{Addition, Agreement, AgreementStatus, Company, Fingerprint, PsaScope, PsaSnapshot};
use cspctl::sim::{Faults, SimCredentials, SimShared};

const LATENCY_MS: u64 = 50;
const RUNS: usize = 3;

fn seed() -> SandboxState {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1);
    let mut psa = PsaSnapshot::default();
    for i in 1..=2_000 {
        psa.companies.push(Company { id: i, identifier: format!("C{i:05}"), name: format!("Company {i}") });
        psa.agreements.push(Agreement {
            id: i,
            name: "Microsoft 365".into(),
            company: i,
            status: AgreementStatus::Active,
            start_date: start,
            end_date: None,
        });
    }
    psa.products = support::catalog(10);
    for n in 0..20_000_i64 {
        psa.additions.push(Addition {
            id: n + 1,
            agreement: n / 10 + 1,
            product: n % 10 + 1,
            quantity: 5.0,
            description: None,
            unit_price: Some(20.0),
            unit_cost: Some(15.0),
            effective_date: start,
            cancelled_date: None,
            adjusted_on: None,
            fingerprint: Fingerprint("2026-02-01T00:00:00Z".into()),
        });
    }
    SandboxState { psa, ..SandboxState::default() }
}

fn scope(companies: usize, agreements: usize) -> PsaScope {
    PsaScope {
        companies: (1..=companies).map(|i| format!("C{i:05}")).collect(),
        agreements: (1..=agreements).map(|i| (format!("C{i:05}"), "Microsoft 365".to_string())).collect(),
        products: (1..=10).map(|j| format!("P{j:02}")).collect(),
        ..PsaScope::default()
    }
}

struct Scenario {
    name: &'static str,
    companies: usize,
    agreements: usize,
    /// Bulk pages that must follow one another: companies then agreements (the catalog is
    /// read beside the companies).
    bulk_pages_in_sequence: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let faults = Faults { latency_ms: LATENCY_MS, ..Faults::default() };
    let shared = SimShared::new(seed(), faults, SimCredentials::default());
    let sim = cspctl::sim::start("127.0.0.1:0".parse()?, shared).await?;
    let settings = support::connectwise_settings(sim.url());
    let scenarios = [
        Scenario {
            name: "all 2000 companies, 200 agreements",
            companies: 2_000,
            agreements: 200,
            bulk_pages_in_sequence: 4,
        },
        Scenario {
            name: "100 companies, 100 agreements",
            companies: 100,
            agreements: 100,
            bulk_pages_in_sequence: 2,
        },
    ];
    println!(
        "ConnectWise plan read, {LATENCY_MS} ms per response, concurrency {DEFAULT_MAX_CONCURRENCY}, best of {RUNS}"
    );
    for s in &scenarios {
        let scope = scope(s.companies, s.agreements);
        let mut best = Duration::MAX;
        let mut requests = 0;
        for _ in 0..RUNS {
            let client = ConnectWise::new(&settings, support::connectwise_credentials())?;
            sim.shared.reset_stats();
            let started = Instant::now();
            let snapshot = client.snapshot(&scope).await?;
            let elapsed = started.elapsed();
            assert_eq!(snapshot.additions.len(), s.agreements * 10);
            requests = sim.shared.total_requests();
            best = best.min(elapsed);
        }
        let round_trips =
            s.bulk_pages_in_sequence + (s.agreements as u64).div_ceil(DEFAULT_MAX_CONCURRENCY as u64);
        let floor = Duration::from_millis(round_trips * LATENCY_MS);
        println!(
            "{:<38} wall {:>7.1} ms  requests {:>4}  floor {:>5} ms ({} round trips)  ratio {:.2}",
            s.name,
            best.as_secs_f64() * 1000.0,
            requests,
            floor.as_millis(),
            round_trips,
            best.as_secs_f64() / floor.as_secs_f64(),
        );
    }
    limited(&sim, &settings).await
}

/// Reads in flight the simulator serves at once in the adaptive comparison.
const SERVER_LIMIT: usize = 32;

/// 2,000 agreements against a tenant that takes [`SERVER_LIMIT`] reads at once.
async fn limited(
    sim: &cspctl::sim::RunningSim,
    settings: &ConnectWiseSettings,
) -> Result<(), Box<dyn std::error::Error>> {
    {
        let mut faults = sim.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.max_in_flight = SERVER_LIMIT;
        faults.retry_after_secs = 1.0;
    }
    let agreements = 2_000;
    let scope = scope(agreements, agreements);
    // Companies and agreements (two pages each, in sequence), then the additions reads.
    let round_trips = 4 + (agreements as u64).div_ceil(SERVER_LIMIT as u64);
    let floor = Duration::from_millis(round_trips * LATENCY_MS);
    println!(
        "\n{agreements} agreements, the tenant serves {SERVER_LIMIT} at once ({SERVER_LIMIT} more wait, beyond that 429), floor {} ms ({round_trips} round trips)",
        floor.as_millis()
    );
    let cases: [(&str, Option<usize>, Option<usize>); 5] = [
        ("fixed 8 (before)", Some(8), None),
        ("fixed 32 (at the limit)", Some(32), None),
        ("fixed 64 (above it)", Some(64), None),
        ("adaptive, bound 32 (default)", None, None),
        ("adaptive, bound 64", None, Some(64)),
    ];
    for (name, fixed, bound) in cases {
        let mut best: Option<(Duration, u64, u64, String)> = None;
        for _ in 0..RUNS {
            let settings = ConnectWiseSettings { concurrency: bound, ..settings.clone() };
            let mut client = ConnectWise::new(&settings, support::connectwise_credentials())?;
            if let Some(limit) = fixed {
                client = client.with_fixed_concurrency(limit);
            }
            sim.shared.reset_stats();
            let refused_before = sim.shared.in_flight.refused();
            let started = Instant::now();
            let snapshot = client.snapshot(&scope).await?;
            let elapsed = started.elapsed();
            assert_eq!(snapshot.additions.len(), agreements * 10);
            let refused = sim.shared.in_flight.refused() - refused_before;
            let run =
                (elapsed, sim.shared.total_requests(), refused, format!("{:?}", client.read_concurrency()));
            if best.as_ref().is_none_or(|b| run.0 < b.0) {
                best = Some(run);
            }
        }
        if let Some((wall, requests, refused, used)) = best {
            println!(
                "{name:<30} wall {:>7.1} ms  ratio {:.2}  requests {requests:>5}  429s {refused:>4}  {used}",
                wall.as_secs_f64() * 1000.0,
                wall.as_secs_f64() / floor.as_secs_f64(),
            );
        }
    }
    Ok(())
}
