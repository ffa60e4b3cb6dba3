//! A plan's reads at MSP scale: 20,000 clients with 10 licence lines each (200,000 additions /
//! contract services) through the simulator's ConnectWise or Autotask dialect with 50 ms added
//! to every response, plus the Dicker Data API read of the same 200,000 lines. Prints wall
//! time, requests and the round-trip floor (the round trips that must follow one another at
//! the client's concurrency), and ConnectWise's adaptive read concurrency.
//!
//! Each read also prints the CPU time spent during it (client and simulator together) and the
//! process's resident memory before it and at its peak (Linux: freed heap is handed back and
//! the peak reset through `/proc/self/clear_refs` before each read), so one read's figure is
//! not hidden under another's; the simulator's own state is in every figure.
//!
//! Run: `cargo bench --bench scale` (both PSAs); `SCALE_PSA=connectwise|autotask` for one,
//! `SCALE_CLIENTS=N` for another size, `SCALE_FIXED=N` to hold ConnectWise's reads at N in flight.

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

fn report(name: &str, read: Read, requests: u64, round_trips: u64) {
    let floor = Duration::from_millis(round_trips * LATENCY_MS);
    println!(
        "{name:<16} wall {:>7.2} s  cpu {:>6.2} s  requests {requests:>6}  floor {:>6.2} s ({round_trips} round trips)  \
         ratio {:.2}  resident {} MiB before, peak {} MiB",
        read.wall.as_secs_f64(),
        read.cpu.as_secs_f64(),
        floor.as_secs_f64(),
        read.wall.as_secs_f64() / floor.as_secs_f64(),
        read.before_kib / 1024,
        read.peak_kib / 1024,
    );
}

/// One read's wall time, the process's CPU time during it (client and simulator together),
/// and its resident memory before the read and at its peak, in KiB (0 where `/proc` does not say).
#[derive(Clone, Copy)]
struct Read {
    wall: Duration,
    cpu: Duration,
    before_kib: u64,
    peak_kib: u64,
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; zeroed is a valid rusage.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// A read being measured.
struct Measure {
    started: Instant,
    cpu: Duration,
    before_kib: u64,
}

impl Measure {
    /// Hands freed memory back to the system and resets the peak to what is resident now, so
    /// the peak seen at [`Measure::end`] is this read's and not an earlier one's.
    fn start() -> Measure {
        // SAFETY: malloc_trim only returns free heap pages to the kernel (glibc alone has it).
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        unsafe {
            libc::malloc_trim(0)
        };
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        Measure { started: Instant::now(), cpu: cpu_time(), before_kib: status_kib("VmRSS:") }
    }

    fn end(self) -> Read {
        Read {
            wall: self.started.elapsed(),
            cpu: cpu_time().saturating_sub(self.cpu),
            before_kib: self.before_kib,
            peak_kib: status_kib("VmHWM:"),
        }
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
    let measure = Measure::start();
    let licences = dd.snapshot().await?.licences.len();
    let read = measure.end();
    assert_eq!(licences, lines);
    report("dicker_data api", read, sim.shared.total_requests(), 2);

    let scope = scope(clients);
    if which.is_empty() || which == "connectwise" {
        let mut cw =
            ConnectWise::new(&support::connectwise_settings(sim.url()), support::connectwise_credentials())?;
        if let Some(limit) = std::env::var("SCALE_FIXED").ok().and_then(|v| v.parse().ok()) {
            cw = cw.with_fixed_concurrency(limit);
        }
        sim.shared.reset_stats();
        let measure = Measure::start();
        let snapshot = cw.snapshot(&scope).await?;
        let read = measure.end();
        assert_eq!(snapshot.additions.len(), lines);
        // Whole-list pages of companies, then of agreements, then the additions reads at the bound.
        let pages = clients.div_ceil(1000) as u64;
        let round_trips = 2 * pages + clients.div_ceil(DEFAULT_MAX_CONCURRENCY) as u64;
        report("connectwise", read, sim.shared.total_requests(), round_trips);
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
        // A live tenant has its data indexed before anyone asks: so has the simulator.
        assert!(cspctl::sim::autotask::warm(&sim.shared));
        sim.shared.reset_stats();
        let measure = Measure::start();
        let snapshot = at.snapshot(&scope).await?;
        let read = measure.end();
        assert_eq!(snapshot.additions.len(), lines);
        // Threshold, then `in` batches of 500 at 3 per endpoint: companies, then contracts, then
        // contract services (10 pages a batch) beside their unit rows.
        let waves = clients.div_ceil(500).div_ceil(MAX_PER_ENDPOINT) as u64;
        let pages_per_batch = (500 * LINES_PER_CLIENT).div_ceil(500) as u64;
        let round_trips = 1 + waves + waves + waves * pages_per_batch;
        report("autotask", read, sim.shared.total_requests(), round_trips);
    }
    Ok(())
}
