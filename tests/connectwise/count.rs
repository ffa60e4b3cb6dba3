//! Round trips: a plan reads each list in pages of 1,000 and one paged read per named
//! agreement; nothing per client, nothing for agreements the workspace does not name.

use std::collections::BTreeSet;

use cspctl::live::Psa;

use crate::support::*;

/// `⌈rows / 1000⌉` (at least one request per list read).
fn pages(rows: usize) -> u64 {
    rows.div_ceil(1000).max(1) as u64
}

async fn check(sim: &cspctl::sim::RunningSim, companies: usize, agreements: usize) {
    sim.shared.reset_stats();
    sim.shared.record();
    let snap = client(sim).snapshot(&scope(companies, agreements)).await.expect("snapshot");
    assert_eq!(snap.companies.len(), companies);
    assert_eq!(snap.additions.len(), agreements * 10);
    // Minimum: pages of each bulk list (rows in scope) + one read per named agreement.
    let minimum =
        pages(companies) + pages(snap.agreements.len()) + pages(snap.products.len()) + agreements as u64;
    let made = sim.shared.total_requests();
    eprintln!("{companies} companies / {agreements} agreements in scope: {made} requests, minimum {minimum}");
    eprintln!("{:#?}", sim.shared.stats());
    assert!(made <= minimum + 5, "{made} requests > minimum {minimum} + 5");
    // Additions are read only for the agreements the workspace names.
    let read: BTreeSet<i64> = sim
        .shared
        .recorded()
        .iter()
        .filter_map(|e| e.path.strip_prefix("/v2026_4/apis/3.0/finance/agreements/"))
        .filter_map(|rest| rest.strip_suffix("/additions"))
        .map(|id| id.parse().expect("agreement id"))
        .collect();
    assert_eq!(read, (1..=agreements as i64).collect());
}

#[tokio::test]
async fn a_plan_over_2000_companies_and_20000_additions_stays_near_the_minimum() {
    let sim = start(seed(2_000, 10)).await;
    check(&sim, 2_000, 500).await;
    check(&sim, 100, 100).await;
}
