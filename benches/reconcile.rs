//! The reconcile core at MSP scale: 2,000 clients / 20,000 licences / 20,000 additions, and
//! 10x that, to show the plan stays well under 100 ms and grows linearly.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

fn reconcile(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let mut group = c.benchmark_group("reconcile");
    group.sample_size(10);
    for clients in [2_000usize, 20_000] {
        let (ws, dd, psa) = synthetic::synthetic(clients, 10);
        group.throughput(Throughput::Elements(dd.licences.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("plan", format!("{}-licences", dd.licences.len())),
            &clients,
            |b, _| b.iter(|| black_box(cspctl::reconcile::plan(&ws, &dd, &psa, today))),
        );
    }
    group.finish();
}

criterion_group!(benches, reconcile);
criterion_main!(benches);
