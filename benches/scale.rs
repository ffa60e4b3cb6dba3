//! A plan's reads at MSP scale: 20,000 clients with 10 licence lines each (200,000 additions /
//! contract services) through the simulator's ConnectWise or Autotask dialect with 50 ms added
//! to every response, plus the Dicker Data API read of the same 200,000 lines. Prints wall
//! time, requests and the round-trip floor (the round trips that must follow one another at
//! the client's concurrency), and ConnectWise's adaptive read concurrency.
//!
//! Each read also prints the process's resident memory before it and its peak during it
//! (Linux: the peak is reset through `/proc/self/clear_refs` before each read), so the figure
//! of one read is not hidden under another's; the simulator's own state is in both.
//!
//! Run: `cargo bench --bench scale` (both PSAs); `SCALE_PSA=connectwise|autotask` for one,
//! `SCALE_CLIENTS=N` for another size.

mod support;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cspctl::live::autotask::{Autotask, AutotaskCredentials, AutotaskOptions, MAX_PER_ENDPOINT};
use cspctl::live::connectwise::{ConnectWise, DEFAULT_MAX_CONCURRENCY};
use cspctl::live::dickerdata::{DickerDataApi, DickerDataCredentials};
use cspctl::live::sandbox::SandboxState;
use cspctl::live::{Distributor, Psa};
use cspctl::model::{
    Addition, Agreement, AgreementStatus, Company, Customer, DistributorSnapshot, Fingerprint, Licence,
    LicenceStatus, PsaScope, PsaSnapshot,
};
use cspctl::sim::{Faults, SimCredentials, SimShared};

const LATENCY_MS: u64 = 50;
const LINES_PER_CLIENT: usize = 10;

fn seed(clients: usize) -> SandboxState {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1);
    let end = NaiveDate::from_ymd_opt(2027, 12, 31);
    let mut psa = PsaSnapshot::default();
    let mut dd = DistributorSnapshot::default();
    for i in 1..=clients as i64 {
        psa.companies.push(Company { id: i, identifier: format!("C{i:05}"), name: format!("Company {i}") });
        psa.agreements.push(Agreement {
            id: 100_000 + i,
            name: "Microsoft 365".into(),
            company: i,
            status: AgreementStatus::Active,
            start_date: start,
            end_date: end,
        });
        dd.customers.push(Customer { id: format!("{i:08X}"), name: format!("COMPANY {i} PTY LTD") });
    }
    psa.products = support::catalog(LINES_PER_CLIENT as i64);
    for n in 0..(clients * LINES_PER_CLIENT) as i64 {
        let client = n / LINES_PER_CLIENT as i64 + 1;
        psa.additions.push(Addition {
            id: 1_000_000 + n,
            agreement: 100_000 + client,
            product: n % LINES_PER_CLIENT as i64 + 1,
            quantity: 5.0,
            description: None,
            unit_price: Some(20.0),
            unit_cost: Some(15.0),
            effective_date: start,
            cancelled_date: None,
            adjusted_on: None,
            fingerprint: Fingerprint("2026-02-01T00:00:00Z".into()),
        });
        dd.licences.push(Licence {
            customer: format!("{client:08X}"),
            subscription: format!("{n:08X}"),
            stock_code: format!("P1Y:CFQ7TTC0L{:03}:0001:1:", n % LINES_PER_CLIENT as i64)
                .parse()
                .expect("code"),
            description: "MS NCE PRODUCT".into(),
            quantity: 5,
            status: LicenceStatus::Active,
            unit_price: None,
            unit_rrp: None,
            next_billing: None,
            term_end: None,
        });
    }
    SandboxState { psa, dicker_data: dd }
}

fn scope(clients: usize) -> PsaScope {
    PsaScope {
        companies: (1..=clients).map(|i| format!("C{i:05}")).collect(),
        agreements: (1..=clients).map(|i| (format!("C{i:05}"), "Microsoft 365".to_string())).collect(),
        products: (1..=LINES_PER_CLIENT).map(|j| format!("P{j:02}")).collect(),
        whole: false,
    }
}

fn report(name: &str, wall: Duration, requests: u64, round_trips: u64, memory: Memory) {
    let floor = Duration::from_millis(round_trips * LATENCY_MS);
    println!(
        "{name:<16} wall {:>7.2} s  requests {requests:>6}  floor {:>6.2} s ({round_trips} round trips)  ratio {:.2}  \
         resident {} MiB before, peak {} MiB",
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
        memory.before_kib / 1024,
        memory.peak_kib / 1024,
    );
}

/// Resident memory of this process around one read, in KiB (0 where `/proc` does not say).
#[derive(Clone, Copy)]
struct Memory {
    before_kib: u64,
    peak_kib: u64,
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

impl Memory {
    /// Resets the peak to what is resident now: the next [`Memory::read`] sees one read's peak.
    fn start() -> u64 {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        status_kib("VmRSS:")
    }

    fn read(before_kib: u64) -> Memory {
        Memory { before_kib, peak_kib: status_kib("VmHWM:") }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let clients: usize = std::env::var("SCALE_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let which = std::env::var("SCALE_PSA").unwrap_or_default();
    let faults = Faults { latency_ms: LATENCY_MS, ..Faults::default() };
    let shared = SimShared::new(seed(clients), faults, SimCredentials::default());
    let sim = cspctl::sim::start("127.0.0.1:0".parse()?, shared).await?;
    let lines = clients * LINES_PER_CLIENT;
    println!("plan reads at {clients} clients / {lines} lines, {LATENCY_MS} ms per response");

    let [account, token] = SimCredentials::default().dicker_data;
    let dd = DickerDataApi::new(Some(&sim.url()), DickerDataCredentials::new(&token, Some(&account)))?;
    sim.shared.reset_stats();
    let before = Memory::start();
    let started = Instant::now();
    let licences = dd.snapshot().await?.licences.len();
    assert_eq!(licences, lines);
    report("dicker_data api", started.elapsed(), sim.shared.total_requests(), 2, Memory::read(before));

    let scope = scope(clients);
    if which.is_empty() || which == "connectwise" {
        let cw =
            ConnectWise::new(&support::connectwise_settings(sim.url()), support::connectwise_credentials())?;
        sim.shared.reset_stats();
        let before = Memory::start();
        let started = Instant::now();
        let snapshot = cw.snapshot(&scope).await?;
        let wall = started.elapsed();
        let memory = Memory::read(before);
        assert_eq!(snapshot.additions.len(), lines);
        // Whole-list pages of companies, then of agreements, then the additions reads at the bound.
        let pages = clients.div_ceil(1000) as u64;
        let round_trips = 2 * pages + clients.div_ceil(DEFAULT_MAX_CONCURRENCY) as u64;
        report("connectwise", wall, sim.shared.total_requests(), round_trips, memory);
        println!("  read concurrency: {:?}", cw.read_concurrency());
    }
    if which.is_empty() || which == "autotask" {
        let [code, user, secret] = SimCredentials::default().autotask;
        let options = AutotaskOptions {
            base_url: Some(format!("{}/ATServicesRest/", sim.url())),
            today: NaiveDate::from_ymd_opt(2026, 6, 1),
            ..AutotaskOptions::default()
        };
        let at = Autotask::new(options, AutotaskCredentials::new(&code, &user, &secret))?;
        sim.shared.reset_stats();
        let before = Memory::start();
        let started = Instant::now();
        let snapshot = at.snapshot(&scope).await?;
        let wall = started.elapsed();
        let memory = Memory::read(before);
        assert_eq!(snapshot.additions.len(), lines);
        // Threshold, then `in` batches of 500 at 3 per endpoint: companies, then contracts, then
        // contract services (10 pages a batch) beside their unit rows.
        let waves = clients.div_ceil(500).div_ceil(MAX_PER_ENDPOINT) as u64;
        let pages_per_batch = (500 * LINES_PER_CLIENT).div_ceil(500) as u64;
        let round_trips = 1 + waves + waves + waves * pages_per_batch;
        report("autotask", wall, sim.shared.total_requests(), round_trips, memory);
    }
    Ok(())
}
