//! Writes: each kind with units read back, stale refusal, the one-adjustment-per-day rule.

use super::*;

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
    assert!(err.is_same_day(), "{err:?}");
    assert!(text.contains("one per service per day") && text.contains("does not move the date"), "{text}");
    assert!(text.contains("from the next day") && !text.contains("apply again"), "{text}");
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

#[tokio::test]
async fn a_create_meeting_a_live_service_is_refused_as_stale() {
    // The plan saw no service 502 on contract 10001, but by apply time someone added it by hand
    // with other units: cspctl refuses instead of silently taking it over.
    let state = seeded(1, 4, 1);
    let sim = start(state.clone()).await;
    let client = client(&sim);
    let product = 503;
    assert!(!state.psa.additions.iter().any(|a| a.product == product));
    let (status, _) = raw(
        &sim,
        reqwest::Method::POST,
        "ContractServiceAdjustments",
        Some(json!({ "contractID": 10_001, "serviceID": product, "unitChange": 2,
                     "effectiveDate": (today() - Days::new(3)).to_string() })),
    )
    .await;
    assert_eq!(status, 200, "an adjustment adds a missing service");
    sim.shared.reset_stats();
    let create = |quantity| Write::Create {
        agreement: 10_001,
        product,
        quantity,
        description: None,
        unit_price: None,
        unit_cost: None,
        effective_date: today(),
    };
    let err = client.apply(&create(5)).await.expect_err("stale");
    assert!(err.is_stale(), "{err}");
    assert_eq!(sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), None);
    // The same create asking for the units already there is simply done.
    let done = write(&client, &create(2)).await;
    assert_eq!(units_on(&sim.shared, done.addition, today()), Some(2));
    assert_eq!(sim.shared.stats().get("POST /ATServicesRest/V1.0/ContractServiceAdjustments"), None);
}

/// Apply at the client's default writes in flight keeps both endpoints a create uses (the
/// service, then its adjustment) busy at once, and never sends one more than Autotask's three.
#[tokio::test]
async fn default_writes_in_flight_fill_both_endpoints_within_the_thread_limit() {
    let state = seeded(18, 4, 1);
    let sim = start(state.clone()).await;
    let at = client(&sim);
    assert_eq!(at.writes_in_flight(), 6);
    assert!(cspctl::sim::autotask::set_work_latency(&sim.shared, 40));
    let revenue = serde_json::to_value(cspctl::reconcile::money::Revenue::default()).expect("revenue");
    // Each contract holds service 501 + c % 4; a create adds the next one.
    let actions = (1..=18i64)
        .map(|c| {
            let action = json!({
                "kind": "create", "client": format!("D{c}"), "client_name": format!("Client {c}"),
                "company": format!("C{c:05}"), "agreement": format!("Microsoft 365 {c}"),
                "product": "SVC", "mappings": ["m"], "changes": [], "revenue": revenue,
                "write": { "op": "create", "agreement": 10_000 + c, "product": 501 + (c + 1) % 4,
                           "quantity": 3, "unit_price": 20.0, "effective_date": today() },
            });
            serde_json::from_value(action).expect("action")
        })
        .collect();
    let plan = cspctl::reconcile::Plan { actions, ..Default::default() };
    let outcomes = cspctl::apply::execute(&plan, &at, at.writes_in_flight(), |_, _| {}).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let d = dialect_stats(&sim.shared).expect("dialect");
    assert_eq!((d.max_in_flight, d.thread_refusals), (3, 0), "{d:?}");
    assert!(d.max_in_flight_total > 4, "more than four writes in flight at once, on both endpoints: {d:?}");
    let after = snap(&at, &scope_of(&state)).await;
    assert_eq!(after.additions.len(), 36);
}
