//! End to end: the example workspace through reconcile, apply and the cspctl binary.

use super::*;

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
    assert_eq!(code, Some(7), "a stale saved plan exits 7: {text}");
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
