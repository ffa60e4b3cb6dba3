//! Credentials: anonymous zone lookup, one origin, canaries never printed or logged.

use super::*;

#[tokio::test]
async fn zone_lookup_is_anonymous_and_cached() {
    let state = seeded(2, 2, 1);
    let sim = start(state.clone()).await;
    sim.shared.record();
    let client = zone_client(&sim);
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
    let logs = crate::logs::capture();

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
    seen.push(cspctl::render::markdown(&plan, render, &cspctl::render::Origin::default()));
    ex_sim.shared.set_faults(faults(0.2, 0.2, 0.2, 5));
    for o in cspctl::apply::execute(&plan, &ex_client, 4, |_, _| {}).await {
        seen.push(format!("{:?}", o.result));
    }
    let logged = logs.text();
    seen.push(logged.clone());
    assert!(logged.contains("retrying"), "the debug log was captured");
    for text in &seen {
        for canary in [CODE, USER, SECRET, "CANARY-WRONG-SECRET-99", "canary-user-5d2e%40example.invalid"] {
            assert!(!text.contains(canary), "`{canary}` leaked into: {text}");
        }
    }
}
