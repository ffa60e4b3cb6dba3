//! The Autotask client against the simulator's Autotask dialect over loopback: snapshots,
//! writes and their units, stale refusal, request counts, faults, the swagger, credentials.

#[path = "autotask/e2e.rs"]
mod e2e;
#[path = "autotask/spec.rs"]
mod spec;
#[path = "autotask/support.rs"]
mod support;

use chrono::Days;
use cspctl::live::autotask::Autotask;
use cspctl::live::{LiveError, Psa};
use cspctl::model::{Addition, Fingerprint, PsaScope, Write};
use cspctl::sim::autotask::{dialect_stats, units_on};
use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::*;

fn addition(snapshot: &cspctl::model::PsaSnapshot, id: i64) -> Addition {
    match snapshot.additions.iter().find(|a| a.id == id) {
        Some(a) => a.clone(),
        None => panic!("addition {id} missing from the snapshot"),
    }
}

async fn snap(client: &Autotask, scope: &PsaScope) -> cspctl::model::PsaSnapshot {
    match client.snapshot(scope).await {
        Ok(s) => s,
        Err(e) => panic!("snapshot: {e}"),
    }
}

async fn write(client: &Autotask, w: &Write) -> cspctl::model::Applied {
    match client.apply(w).await {
        Ok(a) => a,
        Err(e) => panic!("{w:?}: {e}"),
    }
}

/// Raw call to the simulator, as Autotask would be called by hand.
async fn raw(
    sim: &cspctl::sim::RunningSim,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/ATServicesRest/V1.0/{path}", sim.url()))
        .header("ApiIntegrationCode", code)
        .header("UserName", user)
        .header("Secret", secret);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

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

#[tokio::test]
async fn simulator_speaks_the_query_language() {
    let sim = start(seeded(4, 3, 2)).await;
    let q = |filter: Value| json!({ "MaxRecords": 500, "Filter": filter });
    let ids = |v: &Value| -> Vec<i64> {
        v["items"].as_array().map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect()).unwrap_or_default()
    };
    let post = reqwest::Method::POST;
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!([{ "op": "eq", "field": "companyname", "value": "COMPANY 2" }]), vec![2]),
        (json!([{ "op": "noteq", "field": "id", "value": 2 }]), vec![1, 3, 4]),
        (json!([{ "op": "gt", "field": "id", "value": 2 }]), vec![3, 4]),
        (json!([{ "op": "gte", "field": "id", "value": 2 }]), vec![2, 3, 4]),
        (json!([{ "op": "lt", "field": "id", "value": 2 }]), vec![1]),
        (json!([{ "op": "lte", "field": "id", "value": 2 }]), vec![1, 2]),
        (json!([{ "op": "in", "field": "companyNumber", "value": ["c00001", "C00003"] }]), vec![1, 3]),
        (json!([{ "op": "notIn", "field": "id", "value": [1, 3] }]), vec![2, 4]),
        (json!([{ "op": "beginsWith", "field": "companyName", "value": "comp" }]), vec![1, 2, 3, 4]),
        (json!([{ "op": "endsWith", "field": "companyName", "value": "y 4" }]), vec![4]),
        (json!([{ "op": "contains", "field": "companyNumber", "value": "0003" }]), vec![3]),
        (json!([{ "op": "exist", "field": "companyNumber" }]), vec![1, 2, 3, 4]),
        (json!([{ "op": "notExist", "field": "companyNumber" }]), vec![]),
        (
            json!([{ "op": "or", "items": [
                { "op": "eq", "field": "id", "value": 1 },
                { "op": "and", "items": [
                    { "op": "gte", "field": "id", "value": 3 },
                    { "op": "noteq", "field": "companyNumber", "value": "C00004" }
                ]}
            ]}]),
            vec![1, 3],
        ),
    ];
    for (filter, want) in cases {
        let (status, body) = raw(&sim, post.clone(), "Companies/query", Some(q(filter.clone()))).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(ids(&body), want, "{filter}");
    }
    // Dates compare as days.
    let (_, body) = raw(
        &sim,
        post.clone(),
        "Contracts/query",
        Some(q(json!([{ "op": "lte", "field": "startDate", "value": today().to_string() }]))),
    )
    .await;
    assert_eq!(ids(&body).len(), 4);

    // MaxRecords outside 1..=500 and unknown fields fail as Autotask fails: HTTP 500 + errors.
    for bad in [0, 501] {
        let (status, body) = raw(
            &sim,
            post.clone(),
            "Companies/query",
            Some(json!({ "MaxRecords": bad, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] })),
        )
        .await;
        assert_eq!(status, 500);
        assert_eq!(body["errors"][0], "maxCountOfRecordsToReturn must be between 1 and 500");
    }
    let (status, body) = raw(
        &sim,
        post.clone(),
        "Companies/query",
        Some(q(json!([{ "op": "eq", "field": "nope", "value": 1 }]))),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0].as_str()),
        (500, Some("Unable to find nope in the Company entity."))
    );

    // Paging: an absolute nextPageUrl, accepted by GET, by POST with the body, and by POST without one.
    let (_, first) = raw(
        &sim,
        post.clone(),
        "Companies/query",
        Some(json!({ "MaxRecords": 3, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] })),
    )
    .await;
    assert_eq!(ids(&first), vec![1, 2, 3]);
    let next = first["pageDetails"]["nextPageUrl"].as_str().unwrap_or_default().to_string();
    assert!(next.starts_with(&sim.url()), "{next}");
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let r = reqwest::Client::new()
            .request(method, &next)
            .header("ApiIntegrationCode", &code)
            .header("UserName", &user)
            .header("Secret", &secret)
            .send()
            .await
            .expect("next page");
        let page: Value = r.json().await.unwrap_or_default();
        assert_eq!(ids(&page), vec![4]);
        assert!(page["pageDetails"]["nextPageUrl"].is_null());
    }

    // Bad credentials: 401.
    let r = reqwest::Client::new()
        .post(format!("{}/ATServicesRest/V1.0/Companies/query", sim.url()))
        .header("ApiIntegrationCode", "x")
        .header("UserName", "y")
        .header("Secret", "z")
        .json(&q(json!([{ "op": "gte", "field": "id", "value": 0 }])))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn each_write_changes_units_as_read_back() {
    let state = seeded(2, 4, 2);
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let scope = scope_of(&state);
    let s = snap(&client, &scope).await;
    let existing = addition(&s, 100_001);
    assert_eq!(existing.quantity, 2.0);

    // Update quantity: one adjustment.
    sim.shared.reset_stats();
    let applied = write(
        &client,
        &Write::Update {
            addition: existing.id,
            agreement: existing.agreement,
            product: existing.product,
            expected: existing.fingerprint.clone(),
            from_quantity: existing.quantity,
            quantity: Some(9),
            description: None,
            unit_price: None,
            effective_date: today(),
        },
    )
    .await;
    assert_eq!(sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), Some(&1));
    assert_eq!(units_on(&sim.shared, existing.id, today()), Some(9));
    assert_eq!(units_on(&sim.shared, existing.id, today() - Days::new(1)), Some(2));
    let s = snap(&client, &scope).await;
    let after = addition(&s, existing.id);
    assert_eq!(after.quantity, 9.0);
    assert_eq!(after.fingerprint, applied.fingerprint);
    assert_eq!(sim.shared.lock_state().psa.additions[0].quantity, 9.0, "/_sandbox/state stays true");

    // Description and price: one PATCH, no adjustment.
    sim.shared.reset_stats();
    let applied = write(
        &client,
        &Write::Update {
            addition: after.id,
            agreement: after.agreement,
            product: after.product,
            expected: after.fingerprint.clone(),
            from_quantity: 9.0,
            quantity: None,
            description: Some("Microsoft 365 Business Premium".into()),
            unit_price: Some(33.5),
            effective_date: today(),
        },
    )
    .await;
    let stats = sim.shared.stats();
    assert_eq!(stats.get("PATCH /ATServicesRest/V1.0/Contracts/{id}/Services"), Some(&1), "{stats:?}");
    assert_eq!(stats.get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), None);
    let s = snap(&client, &scope).await;
    let after = addition(&s, existing.id);
    assert_eq!(after.description.as_deref(), Some("Microsoft 365 Business Premium"));
    assert_eq!((after.unit_price, after.quantity), (Some(33.5), 9.0));
    assert_eq!(after.fingerprint, applied.fingerprint);

    // Create: the service is added to the contract with its units.
    let product = state
        .psa
        .products
        .iter()
        .find(|p| !state.psa.additions.iter().any(|a| a.agreement == 10_001 && a.product == p.id));
    let product = product.map(|p| p.id).unwrap_or_default();
    let created = write(
        &client,
        &Write::Create {
            agreement: 10_001,
            product,
            quantity: 5,
            description: Some("new line".into()),
            unit_price: Some(20.0),
            unit_cost: Some(15.0),
            effective_date: today() - Days::new(1),
        },
    )
    .await;
    assert_eq!(units_on(&sim.shared, created.addition, today()), Some(5));
    let s = snap(&client, &scope).await;
    let new = addition(&s, created.addition);
    assert_eq!((new.agreement, new.product, new.quantity), (10_001, product, 5.0));
    assert_eq!(
        (new.description.as_deref(), new.unit_price, new.unit_cost),
        (Some("new line"), Some(20.0), Some(15.0))
    );
    assert_eq!(new.cancelled_date, None);

    // Cancel: an adjustment to zero; the service is history from that day. (Autotask takes one
    // adjustment per service per day, hence the create above dated yesterday.)
    write(
        &client,
        &Write::Cancel {
            addition: new.id,
            agreement: new.agreement,
            product: new.product,
            expected: new.fingerprint.clone(),
            from_quantity: 5.0,
            cancelled_date: today(),
        },
    )
    .await;
    let s = snap(&client, &scope).await;
    let gone = addition(&s, new.id);
    assert_eq!((gone.quantity, gone.cancelled_date), (0.0, Some(today())));
    assert!(!gone.is_active_on(today()));

    // Creating it again adjusts the existing service (Autotask keeps one per contract) ...
    let again = Write::Create {
        agreement: 10_001,
        product,
        quantity: 3,
        description: None,
        unit_price: None,
        unit_cost: None,
        effective_date: today() + Days::new(1),
    };
    let back = write(&client, &again).await;
    assert_eq!(back.addition, new.id);
    assert_eq!(units_on(&sim.shared, new.id, today() + Days::new(1)), Some(3));
    // ... and a repeat of the same create is a no-op, not a second adjustment.
    sim.shared.reset_stats();
    write(&client, &again).await;
    assert_eq!(sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), None);
}

#[tokio::test]
async fn stale_plans_and_same_day_repeats_are_refused() {
    let state = seeded(1, 3, 2);
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let scope = scope_of(&state);
    let before = addition(&snap(&client, &scope).await, 100_001);

    // Someone changes units in between: the plan's fingerprint no longer matches.
    let (status, _) = raw(
        &sim,
        reqwest::Method::POST,
        "ContractServiceAdjustments",
        Some(json!({ "contractID": before.agreement, "serviceID": before.product, "contractServiceID": before.id,
                     "unitChange": 1, "effectiveDate": today().to_string() })),
    )
    .await;
    assert_eq!(status, 200);
    sim.shared.reset_stats();
    let update_on = |expected: Fingerprint, q: u32, effective_date| Write::Update {
        addition: before.id,
        agreement: before.agreement,
        product: before.product,
        expected,
        from_quantity: before.quantity,
        quantity: Some(q),
        description: None,
        unit_price: None,
        effective_date,
    };
    let update = |expected: Fingerprint, q: u32| update_on(expected, q, today());
    let err = client.apply(&update(before.fingerprint.clone(), 7)).await.expect_err("stale");
    assert!(err.is_stale(), "{err}");
    assert!(err.to_string().contains("run plan again"), "{err}");
    assert_eq!(sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), None);
    assert_eq!(units_on(&sim.shared, before.id, today()), Some(before.quantity as i64 + 1));

    // A fresh plan's write goes through... but today already has an adjustment (the one
    // above), so Autotask refuses a second one for the same date: cspctl says so plainly.
    let fresh = addition(&snap(&client, &scope).await, before.id);
    let err = client.apply(&update(fresh.fingerprint.clone(), 7)).await.expect_err("duplicate date");
    let text = err.to_string();
    assert!(
        text.contains("POST /ATServicesRest/V1.0/ContractServiceAdjustments failed with HTTP 500"),
        "{text}"
    );
    assert!(text.contains("Attempt to insert duplicate data into contract_service_period"), "{text}");
    assert!(text.contains("one per service per day") && text.contains("does not move the date"), "{text}");
    assert_eq!(units_on(&sim.shared, before.id, today()), Some(before.quantity as i64 + 1));

    // Tomorrow is allowed; outside the contract window is not.
    let tomorrow = update_on(fresh.fingerprint.clone(), 7, today() + Days::new(1));
    write(&client, &tomorrow).await;
    assert_eq!(units_on(&sim.shared, before.id, today() + Days::new(1)), Some(7));
    let fresh = addition(&snap(&client, &scope).await, before.id);
    let late = update_on(fresh.fingerprint, 8, contract_end() + Days::new(1));
    let err = client.apply(&late).await.expect_err("outside window");
    assert!(
        err.to_string().contains("effectiveDate must be between the start date and end date of the Contract"),
        "{err}"
    );
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
async fn snapshots_are_identical_under_faults() {
    let state = seeded(30, 8, 40); // 1,200 contract services: paging under faults too
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let scope = scope_of(&state);
    let clean = snap(&client, &scope).await;
    for seed in 1..=3 {
        sim.shared.set_faults(faults(0.1, 0.1, 0.05, seed));
        let faulty = support::client(&sim);
        let s = snap(&faulty, &scope).await;
        assert_eq!(s, clean, "seed {seed}");
    }
}

#[tokio::test]
async fn writes_under_faults_leave_units_exactly_right() {
    let state = seeded(6, 6, 3);
    let sim = start(state.clone()).await;
    let scope = scope_of(&state);
    let client = client(&sim);
    let s = snap(&client, &scope).await;
    sim.shared.set_faults(faults(0.1, 0.1, 0.1, 42));
    sim.shared.record();
    let mut expected = Vec::new();
    for (i, a) in s.additions.iter().enumerate() {
        let w = match i % 3 {
            0 => Write::Update {
                addition: a.id,
                agreement: a.agreement,
                product: a.product,
                expected: a.fingerprint.clone(),
                from_quantity: a.quantity,
                quantity: Some(a.quantity as u32 + 3),
                description: None,
                unit_price: None,
                effective_date: today(),
            },
            1 => Write::Cancel {
                addition: a.id,
                agreement: a.agreement,
                product: a.product,
                expected: a.fingerprint.clone(),
                from_quantity: a.quantity,
                cancelled_date: today(),
            },
            _ => Write::Update {
                addition: a.id,
                agreement: a.agreement,
                product: a.product,
                expected: a.fingerprint.clone(),
                from_quantity: a.quantity,
                quantity: Some((a.quantity as u32).saturating_sub(1)),
                description: None,
                unit_price: None,
                effective_date: today(),
            },
        };
        let target = match &w {
            Write::Update { quantity, .. } => quantity.map(i64::from).unwrap_or(0),
            _ => 0,
        };
        write(&client, &w).await;
        expected.push((a.id, target, a.quantity as i64));
    }
    // Creates too: a service not yet on each contract.
    let mut created = Vec::new();
    for agreement in s.agreements.iter().map(|a| a.id) {
        let product = s
            .products
            .iter()
            .find(|p| !s.additions.iter().any(|a| a.agreement == agreement && a.product == p.id));
        let Some(product) = product else { continue };
        let applied = write(
            &client,
            &Write::Create {
                agreement,
                product: product.id,
                quantity: 4,
                description: None,
                unit_price: None,
                unit_cost: None,
                effective_date: today(),
            },
        )
        .await;
        created.push(applied.addition);
    }
    sim.shared.set_faults(cspctl::sim::Faults::default());
    // The unclear outcomes really happened: adjustments answered 5xx/429, or done but answered
    // with a cut body.
    let adjustments: Vec<_> = sim
        .shared
        .recorded()
        .into_iter()
        .filter(|e| e.path.ends_with("/ContractServiceAdjustments"))
        .collect();
    let unclear = adjustments
        .iter()
        .filter(|e| e.status != 200 || serde_json::from_str::<Value>(&e.response_body).is_err())
        .count();
    let done_but_unreadable = adjustments
        .iter()
        .filter(|e| e.status == 200 && serde_json::from_str::<Value>(&e.response_body).is_err())
        .count();
    eprintln!(
        "adjustments sent: {}, unclear: {unclear}, done but unreadable: {done_but_unreadable}",
        adjustments.len()
    );
    assert!(done_but_unreadable > 0 && unclear > done_but_unreadable, "faults did not reach the adjustments");
    for (id, target, before) in expected {
        assert_eq!(units_on(&sim.shared, id, today()), Some(target), "contract service {id}");
        assert_eq!(units_on(&sim.shared, id, today() - Days::new(1)), Some(before), "contract service {id}");
    }
    for id in &created {
        assert_eq!(units_on(&sim.shared, *id, today()), Some(4), "created {id}");
    }
    let state_now = sim.shared.lock_state().clone();
    for id in created {
        assert_eq!(state_now.psa.additions.iter().filter(|a| a.id == id).count(), 1);
    }
    let contracts_with_dupes = state_now
        .psa
        .additions
        .iter()
        .filter(|a| {
            state_now
                .psa
                .additions
                .iter()
                .filter(|b| b.agreement == a.agreement && b.product == a.product)
                .count()
                > 1
        })
        .count();
    assert_eq!(contracts_with_dupes, 0, "a create was repeated");
}

#[tokio::test]
async fn zone_lookup_is_anonymous_and_cached() {
    let state = seeded(2, 2, 1);
    let sim = start(state.clone()).await;
    sim.shared.record();
    let options = cspctl::live::autotask::AutotaskOptions {
        base_url: None,
        zone_url: Some(format!("{}/atservicesrest/", sim.url())),
        ..options(&sim)
    };
    let client = Autotask::new(options, credentials()).expect("client");
    let scope = scope_of(&state);
    let a = snap(&client, &scope).await;
    let b = snap(&client, &scope).await;
    assert_eq!(a, b);
    let journal = sim.shared.recorded();
    let zone: Vec<_> =
        journal.iter().filter(|e| e.path.to_lowercase().ends_with("/zoneinformation")).collect();
    assert_eq!(zone.len(), 1, "looked up once");
    let user = &cspctl::sim::SimCredentials::default().autotask[1];
    assert!(
        zone[0].query.as_deref().unwrap_or("").contains(&user.replace('@', "%40")),
        "{:?}",
        zone[0].query
    );
    for (name, _) in &zone[0].request_headers {
        assert!(
            !["apiintegrationcode", "username", "secret"].contains(&name.as_str()),
            "zone lookup sent {name}"
        );
    }
}

#[tokio::test]
async fn credentials_go_only_to_the_configured_origin() {
    let state = seeded(1, 3, 700); // two pages of contract services
    let sim = start(state.clone()).await;
    // Configured as `localhost`, while the server's nextPageUrl says 127.0.0.1: another origin.
    let options = cspctl::live::autotask::AutotaskOptions {
        base_url: Some(format!("http://localhost:{}/ATServicesRest", sim.addr.port())),
        ..options(&sim)
    };
    let client = Autotask::new(options, credentials()).expect("client");
    let err = client.snapshot(&scope_of(&state)).await.expect_err("foreign nextPageUrl");
    let text = err.to_string();
    assert!(text.contains("sends credentials only to the configured origin"), "{text}");
    assert!(text.contains("http://127.0.0.1"), "{text}");
}

#[tokio::test]
async fn canary_credentials_never_reach_output() {
    const CODE: &str = "CANARY-CODE-7f3a91";
    const USER: &str = "canary-user-5d2e@example.invalid";
    const SECRET: &str = "CANARY-SECRET-b81c44";
    let creds = cspctl::sim::SimCredentials {
        autotask: [CODE.into(), USER.into(), SECRET.into()],
        ..cspctl::sim::SimCredentials::default()
    };
    let state = seeded(2, 3, 2);
    let sim = start_with(state.clone(), creds).await;
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Writer(sink.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut seen = Vec::new();
    let good = cspctl::live::autotask::AutotaskCredentials::new(CODE, USER, SECRET);
    seen.push(format!("{good:?}"));
    let client = Autotask::new(options(&sim), good.clone()).expect("client");
    let scope = scope_of(&state);
    let s = snap(&client, &scope).await;
    seen.push(format!("{s:?}"));
    seen.push(serde_json::to_string(&s).unwrap_or_default());
    let a = addition(&s, 100_001);
    let stale = Write::Update {
        addition: a.id,
        agreement: a.agreement,
        product: a.product,
        expected: Fingerprint("old".into()),
        from_quantity: a.quantity,
        quantity: Some(1),
        description: None,
        unit_price: None,
        effective_date: today(),
    };
    seen.push(format!("{}", client.apply(&stale).await.expect_err("stale")));
    sim.shared.set_faults(faults(0.3, 0.3, 0.2, 9));
    let _ = client
        .snapshot(&scope)
        .await
        .map(|s| seen.push(format!("{s:?}")))
        .map_err(|e| seen.push(format!("{e} {e:?}")));
    sim.shared.set_faults(cspctl::sim::Faults::default());
    // Wrong secret: a 401 whose message must not echo what was sent.
    let wrong = cspctl::live::autotask::AutotaskCredentials::new(CODE, USER, "CANARY-WRONG-SECRET-99");
    let refused = Autotask::new(options(&sim), wrong).expect("client");
    let err = refused.snapshot(&scope).await.expect_err("401");
    assert!(matches!(err, LiveError::Auth { status: 401, .. }), "{err:?}");
    seen.push(format!("{err} {err:?}"));
    let missing =
        cspctl::live::autotask::AutotaskCredentials::from_env(Some("CSPCTL_AT_TEST_UNSET_USERNAME_VAR"));
    if let Err(e) = missing {
        seen.push(e.to_string());
    }
    // Plans (all formats) and apply outcomes over the example workspace.
    let example = e2e::Example::new();
    let ex_sim = start_with(
        example.state.clone(),
        cspctl::sim::SimCredentials {
            autotask: [CODE.into(), USER.into(), SECRET.into()],
            ..cspctl::sim::SimCredentials::default()
        },
    )
    .await;
    let ex_client = Autotask::new(options(&ex_sim), good.clone()).expect("client");
    let ws = example.workspace(&ex_sim);
    let plan = e2e::plan(&ws, &example.state, &ex_client).await;
    let render = cspctl::render::RenderOptions::default();
    seen.push(cspctl::render::json(&plan));
    seen.push(cspctl::render::text(&plan, render));
    seen.push(cspctl::render::markdown(&plan, render));
    ex_sim.shared.set_faults(faults(0.2, 0.2, 0.2, 5));
    for o in cspctl::apply::execute(&plan, &ex_client, 4, |_, _| {}).await {
        seen.push(format!("{:?}", o.result));
    }
    let logged = String::from_utf8_lossy(&logs.lock().unwrap_or_else(|p| p.into_inner())).to_string();
    seen.push(logged.clone());
    assert!(logged.contains("retrying"), "the debug log was captured");
    for text in &seen {
        for canary in [CODE, USER, SECRET, "CANARY-WRONG-SECRET-99", "canary-user-5d2e%40example.invalid"] {
            assert!(!text.contains(canary), "`{canary}` leaked into: {text}");
        }
    }
}

#[derive(Clone)]
struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_follow_the_swagger() {
    let Some(swagger) = spec::Swagger::load() else { return };
    let state = seeded(3, 6, 2);
    let sim = start(state.clone()).await;
    sim.shared.record();
    let options = cspctl::live::autotask::AutotaskOptions {
        base_url: None,
        zone_url: Some(format!("{}/atservicesrest/", sim.url())),
        ..options(&sim)
    };
    let client = Autotask::new(options, credentials()).expect("client");
    let scope = scope_of(&state);
    let s = snap(&client, &scope).await;
    let a = addition(&s, 100_001);
    write(
        &client,
        &Write::Update {
            addition: a.id,
            agreement: a.agreement,
            product: a.product,
            expected: a.fingerprint.clone(),
            from_quantity: a.quantity,
            quantity: Some(11),
            description: Some("text".into()),
            unit_price: Some(9.5),
            effective_date: today(),
        },
    )
    .await;
    let b = addition(&s, 100_002);
    write(
        &client,
        &Write::Cancel {
            addition: b.id,
            agreement: b.agreement,
            product: b.product,
            expected: b.fingerprint.clone(),
            from_quantity: b.quantity,
            cancelled_date: today(),
        },
    )
    .await;
    let product =
        s.products.iter().find(|p| !s.additions.iter().any(|x| x.agreement == 10_001 && x.product == p.id));
    write(
        &client,
        &Write::Create {
            agreement: 10_001,
            product: product.map(|p| p.id).unwrap_or_default(),
            quantity: 2,
            description: Some("new".into()),
            unit_price: Some(3.0),
            unit_cost: Some(1.0),
            effective_date: today(),
        },
    )
    .await;

    let mut problems = Vec::new();
    let mut checked = BTreeSet::new();
    for e in sim.shared.recorded() {
        if e.path.to_ascii_lowercase().ends_with("/query/next") {
            continue; // server-provided nextPageUrl, not in the swagger
        }
        let Some(template) = swagger.template(&e.path) else {
            problems.push(format!("{} {}: no such path in the swagger", e.method, e.path));
            continue;
        };
        let Some(op) = swagger
            .body_model(&template, &e.method)
            .or_else(|| swagger.answer_model(&template, &e.method).map(|_| String::new()))
        else {
            problems.push(format!("{} {template}: no such method in the swagger", e.method));
            continue;
        };
        checked.insert(format!("{} {template}", e.method));
        let body: Value = serde_json::from_str(&e.request_body).unwrap_or(Value::Null);
        let answer: Value = serde_json::from_str(&e.response_body).unwrap_or(Value::Null);
        let answer_model = swagger.answer_model(&template, &e.method).unwrap_or_default();
        if op == "QueryModel" {
            spec::check_query(&swagger, &answer_model, &body, &mut problems);
            for item in answer["items"].as_array().into_iter().flatten() {
                spec::check_object(&swagger, &answer_model, item, "simulator answer", &mut problems);
            }
        } else if !op.is_empty() {
            spec::check_object(&swagger, &op, &body, &format!("{} {template}", e.method), &mut problems);
        } else if e.status == 200 && !answer_model.is_empty() {
            spec::check_object(&swagger, &answer_model, &answer, "simulator answer", &mut problems);
        }
    }
    eprintln!("checked against the swagger: {checked:#?}");
    // The checker itself notices a wrong name.
    let mut caught = Vec::new();
    spec::check_object(
        &swagger,
        "ContractServiceAdjustmentModel",
        &json!({"unitsChange": 1}),
        "self-test",
        &mut caught,
    );
    spec::check_query(
        &swagger,
        "CompanyModel",
        &json!({"Filter": [{"op": "eq", "field": "name", "value": 1}]}),
        &mut caught,
    );
    assert_eq!(caught.len(), 2, "{caught:?}");
    assert!(problems.is_empty(), "{problems:#?}");
    for needed in [
        "GET /V1.0/ZoneInformation",
        "GET /V1.0/ThresholdInformation",
        "POST /V1.0/Companies/query",
        "POST /V1.0/Contracts/query",
        "POST /V1.0/Services/query",
        "POST /V1.0/ContractServices/query",
        "POST /V1.0/ContractServiceUnits/query",
        "POST /V1.0/ContractServiceAdjustments",
        "POST /V1.0/Contracts/{parentId}/Services",
        "PATCH /V1.0/Contracts/{parentId}/Services",
    ] {
        assert!(checked.contains(needed), "{needed} was not exercised: {checked:?}");
    }
}

#[tokio::test]
async fn plan_apply_plan_converges_on_the_example() {
    let (example, sim, psa, ws) = e2e::example_sim().await;
    let state = example.state.clone();
    let first = e2e::plan(&ws, &state, &psa).await;
    assert!(first.has_changes(), "the example has work to do");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    e2e::apply(&first, &psa).await;
    let second = e2e::plan(&ws, &state, &psa).await;
    assert!(!second.has_changes(), "{:#?}", second.actions);

    // Units read back equal what Dicker Data holds.
    let live = psa.snapshot(&cspctl::reconcile::scope(&ws)).await.expect("snapshot");
    let units = |agreement: i64, product: i64| {
        let a = live
            .additions
            .iter()
            .find(|a| a.agreement == agreement && a.product == product && a.is_active_on(today()));
        let id = a.map(|a| a.id).unwrap_or_default();
        units_on(&sim.shared, id, today()).unwrap_or(-1)
    };
    let bp = "P1Y:CFQ7TTC0LCHC:0002:1:";
    let e3 = "P1Y:CFQ7TTC0LFLZ:0002:Y:";
    let bs = "P1Y:CFQ7TTC0LDPB:0001:1:";
    assert_eq!(units(812, 1350), i64::from(e2e::held(&state, "100231", bp)));
    assert_eq!(units(812, 1353), i64::from(e2e::held(&state, "100231", e3)));
    assert_eq!(units(813, 1350), i64::from(e2e::held(&state, "100245", bp)));
    assert_eq!(units(814, 1352), i64::from(e2e::held(&state, "100262", bs)));
    assert_eq!(units(815, 1353), i64::from(e2e::held(&state, "100262", e3)));
    assert_eq!(units(817, 1352), i64::from(e2e::held(&state, "100293", bs)));
    // Fabrikam's Exchange licence is inactive: its service is cancelled to zero units.
    let exo = live.additions.iter().find(|a| a.agreement == 813 && a.product == 1354).expect("exo");
    assert_eq!((exo.quantity, exo.cancelled_date), (0.0, Some(today())));
}

#[tokio::test]
async fn same_day_increase_and_decrease_make_one_adjustment() {
    let (example, sim, psa, ws) = e2e::example_sim().await;
    let mut state = example.state.clone();
    let bp = "P1Y:CFQ7TTC0LCHC:0002:1:";
    // Contoso holds Business Premium on two subscriptions (20 + 5, billed as one service at 20).
    // Today one goes up by 3 and the other down by 2.
    for l in state.dicker_data.licences.iter_mut().filter(|l| l.customer == "100231") {
        match l.subscription.as_str() {
            "2F295B21" => l.quantity = 23,
            "7A1C03D9" => l.quantity = 3,
            _ => {}
        }
    }
    let plan = e2e::plan(&ws, &state, &psa).await;
    let contoso: Vec<_> =
        plan.actions.iter().filter(|a| a.client == "100231" && a.product == "M365-BP-ANN-M").collect();
    assert_eq!(contoso.len(), 1, "{contoso:#?}");
    sim.shared.reset_stats();
    e2e::apply(&plan, &psa).await;
    let adjustments =
        sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments").copied().unwrap_or(0);
    let expected_adjustments = plan
        .actions
        .iter()
        .filter(|a| match &a.write {
            Write::Update { quantity, .. } => quantity.is_some(),
            _ => true,
        })
        .count() as u64;
    assert_eq!(adjustments, expected_adjustments, "one adjustment per changed service");
    assert_eq!(units_on(&sim.shared, 5001, today()), Some(i64::from(e2e::held(&state, "100231", bp))));
    assert_eq!(units_on(&sim.shared, 5001, today()), Some(26));
    assert!(!e2e::plan(&ws, &state, &psa).await.has_changes());

    // A second change the same day cannot become a second adjustment: refused, clearly.
    for l in state.dicker_data.licences.iter_mut().filter(|l| l.subscription == "2F295B21") {
        l.quantity = 30;
    }
    let again = e2e::plan(&ws, &state, &psa).await;
    let outcomes = cspctl::apply::execute(&again, &psa, 4, |_, _| {}).await;
    let failed: Vec<String> =
        outcomes.iter().filter_map(|o| o.result.as_ref().err()).map(|e| e.to_string()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("one per service per day"), "{failed:?}");
    assert_eq!(units_on(&sim.shared, 5001, today()), Some(26), "nothing half-done");
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

/// The shipped example through the `cspctl` binary, with credentials in the child's
/// environment only: plan, a saved plan refused once Autotask changed, apply, plan again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_runs_the_example_against_the_simulator() {
    let example = e2e::Example::new();
    let sim = start(example.state.clone()).await;
    let _ = example.workspace(&sim);
    let dir = example.dir.path().to_path_buf();
    let run = move |args: Vec<&'static str>, secret: &'static str| {
        let dir = dir.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let [code, user, _] = cspctl::sim::SimCredentials::default().autotask;
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_cspctl"))
                    .args(&args)
                    .current_dir(&dir)
                    .env("CSPCTL_AT_INTEGRATION_CODE", code)
                    .env("CSPCTL_AT_USERNAME", user)
                    .env("CSPCTL_AT_SECRET", secret)
                    .env("NO_COLOR", "1")
                    .output()
                    .expect("cspctl runs");
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                (out.status.code(), text)
            })
            .await
            .expect("join")
        }
    };
    let secret = "sandbox-secret";
    let (code, text) = run(vec!["plan", ".", "--out", "plan.json"], secret).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Plan: 1 to create, 3 to update, 1 to cancel"), "{text}");

    // Someone edits a planned contract service in Autotask: the saved plan is refused.
    let (status, _) = raw(
        &sim,
        reqwest::Method::PATCH,
        "Contracts/814/Services",
        Some(json!({ "id": 5005, "invoiceDescription": "edited by hand" })),
    )
    .await;
    assert_eq!(status, 200);
    sim.shared.reset_stats();
    let (code, text) = run(vec!["apply", "plan.json"], secret).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("stale"), "{text}");
    let writes: u64 = sim
        .shared
        .stats()
        .iter()
        .filter(|(k, _)| !k.contains("/query") && !k.contains("Threshold"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(writes, 0, "nothing applied: {:?}", sim.shared.stats());

    let (code, text) = run(vec!["apply", ".", "--auto-approve"], secret).await;
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(vec!["plan", ".", "--detailed-exitcode"], secret).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("No changes"), "{text}");

    // Wrong secret: a clear refusal naming the request, and the secret is not echoed.
    let (code, text) = run(vec!["plan", "."], "CANARY-CLI-SECRET-4411").await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("ThresholdInformation was refused (HTTP 401)"), "{text}");
    assert!(!text.contains("CANARY-CLI-SECRET-4411"), "{text}");
}
