//! The Autotask client against the simulator over loopback at MSP scale (2,000 companies,
//! 2,000 contracts, 20,000 contract services): requests and wall time of a bulk snapshot, with
//! and without per-request server latency, and requests per write. `cargo bench --bench autotask`.

use std::time::{Duration, Instant};

use cspctl::live::Psa;
use cspctl::model::Write;

#[path = "../tests/autotask/support.rs"]
#[allow(dead_code)]
mod support;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run quickly then.
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let (companies, per_contract) = if full { (2_000, 10) } else { (50, 2) };
        let state = support::seeded(companies, 50, per_contract);
        let scope = support::scope_of(&state);
        let sim = support::start(state.clone()).await;
        for work_ms in [0u64, 50] {
            cspctl::sim::autotask::set_work_latency(&sim.shared, work_ms);
            let mut times = Vec::new();
            let mut requests = 0;
            for _ in 0..if full { 3 } else { 1 } {
                let client = support::client(&sim);
                sim.shared.reset_stats();
                let started = Instant::now();
                let snapshot = client.snapshot(&scope).await.expect("snapshot");
                times.push(started.elapsed());
                requests = sim.shared.total_requests();
                assert_eq!(snapshot.additions.len(), state.psa.additions.len());
            }
            println!(
                "autotask snapshot {} companies / {} contract services, {work_ms} ms server time per request: \
                 {requests} requests, median {:?}",
                companies,
                state.psa.additions.len(),
                median(times)
            );
        }
        cspctl::sim::autotask::set_work_latency(&sim.shared, 0);
        let client = support::client(&sim);
        let snapshot = client.snapshot(&scope).await.expect("snapshot");
        let writes: Vec<Write> = snapshot
            .additions
            .iter()
            .take(100)
            .map(|a| Write::Update {
                addition: a.id,
                agreement: a.agreement,
                product: a.product,
                expected: a.fingerprint.clone(),
                from_quantity: a.quantity,
                quantity: Some(a.quantity as u32 + 1),
                description: None,
                unit_price: None,
                effective_date: support::today(),
            })
            .collect();
        sim.shared.reset_stats();
        let started = Instant::now();
        for w in &writes {
            client.apply(w).await.expect("write");
        }
        println!(
            "autotask {} quantity updates one after another: {} requests ({:.1} per write), {:?}",
            writes.len(),
            sim.shared.total_requests(),
            sim.shared.total_requests() as f64 / writes.len() as f64,
            started.elapsed()
        );
    });
}
