//! Snapshots: bulk reads across pages, scope filters, request counts, the per-endpoint limit.

use super::*;

#[tokio::test]
async fn snapshot_reads_the_scope_across_pages() {
    // 3 companies x 450 services on one contract each: 1,350 contract services, three pages.
    let mut state = seeded(3, 40, 450);
    state.psa.additions[0].cancelled_date = Some(today());
    state.psa.additions[1].quantity = 0.0;
    state.psa.additions[1].cancelled_date = Some(contract_start());
    state.psa.companies[2].identifier = String::new(); // falls back to the name
    let mut scope = scope_of(&state);
    scope.companies.insert("Company 3".into());
    scope.companies.remove("C00003");
    scope.agreements.insert(("Company 3".into(), "Microsoft 365 3".into()));
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let s = snap(&client, &scope).await;

    assert_eq!(s.companies.len(), 3);
    assert!(s.companies.iter().any(|c| c.identifier == "Company 3" && c.id == 3), "{:?}", s.companies);
    assert_eq!(s.agreements.len(), 3);
    assert_eq!(s.agreements[0].start_date, Some(contract_start()));
    assert_eq!(s.agreements[0].end_date, Some(contract_end()));
    assert_eq!(s.products.len(), 40);
    assert_eq!(s.additions.len(), 1_350);
    for want in &state.psa.additions[2..] {
        let got = addition(&s, want.id);
        assert_eq!((got.agreement, got.product, got.quantity), (want.agreement, want.product, want.quantity));
        assert_eq!(got.description, want.description);
        assert_eq!(got.unit_price, want.unit_price);
        assert_eq!(got.cancelled_date, None);
        assert!(!got.fingerprint.is_empty());
    }
    let cancelled_today = addition(&s, state.psa.additions[0].id);
    assert_eq!((cancelled_today.quantity, cancelled_today.cancelled_date), (0.0, Some(today())));
    let cancelled_long_ago = addition(&s, state.psa.additions[1].id);
    assert_eq!(
        (cancelled_long_ago.quantity, cancelled_long_ago.cancelled_date),
        (0.0, Some(contract_start()))
    );

    let stats = sim.shared.stats();
    let count = |k: &str| stats.get(k).copied().unwrap_or(0);
    assert_eq!(count("POST /ATServicesRest/V1.0/ContractServices/query"), 1);
    assert_eq!(count("POST /ATServicesRest/V1.0/ContractServices/query/next"), 2, "{stats:?}");

    // A second snapshot of the same state reads the same thing.
    assert_eq!(snap(&client, &scope).await, s);
}

#[tokio::test]
async fn snapshot_reads_only_what_the_scope_names() {
    let state = seeded(6, 5, 3);
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let mut scope = PsaScope::default();
    scope.companies.insert("C00002".into());
    scope.companies.insert("c00004".into()); // Autotask compares strings without case
    scope.agreements.insert(("C00002".into(), "Microsoft 365 2".into()));
    scope.products.insert("SVC-001".into());
    let s = snap(&client, &scope).await;
    let ids: Vec<i64> = s.companies.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![2, 4]);
    assert_eq!(s.agreements.iter().map(|a| a.id).collect::<Vec<_>>(), vec![10_002, 10_004]);
    assert_eq!(s.products.iter().map(|p| p.identifier.as_str()).collect::<Vec<_>>(), vec!["SVC-001"]);
    assert_eq!(s.additions.len(), 3);
    assert!(s.additions.iter().all(|a| a.agreement == 10_002));

    // An empty scope reads nothing but the budget.
    sim.shared.reset_stats();
    let empty = snap(&client, &PsaScope::default()).await;
    assert!(empty.companies.is_empty() && empty.additions.is_empty());
    assert_eq!(sim.shared.total_requests(), 0, "{:?}", sim.shared.stats());
}

/// Requests a bulk snapshot may take: ⌈n/500⌉ per list plus a small constant.
#[tokio::test]
async fn large_snapshot_request_count_is_bounded() {
    let state = seeded(2_000, 50, 10);
    assert_eq!((state.psa.agreements.len(), state.psa.additions.len()), (2_000, 20_000));
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let scope = scope_of(&state);
    let started = std::time::Instant::now();
    let s = snap(&client, &scope).await;
    let elapsed = started.elapsed();
    assert_eq!((s.companies.len(), s.agreements.len(), s.products.len()), (2_000, 2_000, 50));
    assert_eq!(s.additions.len(), 20_000);
    let pages = |n: usize| n.div_ceil(500) as u64;
    // companies, contracts, services, contract services, current unit rows
    let minimum = pages(2_000) + pages(2_000) + pages(50) + pages(20_000) + pages(20_000);
    let used = sim.shared.total_requests();
    eprintln!(
        "autotask bulk snapshot: {used} requests (minimum {minimum}) for 2,000 companies, 2,000 contracts, \
         20,000 contract services in {elapsed:?}; a per-line integration at ~4 calls per line would make ~80,000. \
         by route: {:?}",
        sim.shared.stats()
    );
    assert!(used <= minimum + 5, "{used} requests > {minimum} + 5: {:?}", sim.shared.stats());
    let d = dialect_stats(&sim.shared).expect("dialect");
    assert!(d.max_in_flight <= 3, "{d:?}");
    assert_eq!(d.thread_refusals, 0);
}

#[tokio::test]
async fn at_most_three_requests_per_endpoint() {
    let state = seeded(1_200, 20, 1); // three `in` batches per list
    let sim = start(state.clone()).await;
    assert!(cspctl::sim::autotask::set_work_latency(&sim.shared, 30));
    let mut options = options(&sim);
    options.concurrency = 10; // asks for more than Autotask allows: clamped to 3
    let client = Autotask::new(options, credentials()).expect("client");
    let s = snap(&client, &scope_of(&state)).await;
    assert_eq!(s.additions.len(), 1_200);
    let d = dialect_stats(&sim.shared).expect("dialect");
    assert_eq!(d.max_in_flight, 3, "{d:?}");
    assert_eq!(d.thread_refusals, 0, "{d:?}");

    // A client that sends more at once is refused with 429, as Autotask's thread limit does.
    let body = json!({ "MaxRecords": 1, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] });
    let calls = (0..6).map(|_| raw(&sim, reqwest::Method::POST, "Companies/query", Some(body.clone())));
    let statuses: Vec<u16> = futures::future::join_all(calls).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
}
