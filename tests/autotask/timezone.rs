//! Dates in the tenant's time zone, over loopback: the simulator serves a contract that ends
//! on the plan date (the tenant's today) as that day's local midnight in UTC, for an AEST and
//! an NZDT tenant. The plan reads the window as the tenant does, the adjustment is dated the
//! tenant's day, and a second plan shows nothing to do.

use cspctl::live::autotask::AutotaskOptions;
use cspctl::model::Calendar;
use cspctl::reconcile::ActionKind;

use super::names::workspace;
use super::support::{credentials, options, seeded, start};
use super::*;

async fn window_edge_on_the_plan_date(zone: &str) {
    let calendar = Calendar::named(zone).expect("zone");
    let today = calendar.today();
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let mut state = seeded(3, 3, 2);
    let contract = state.psa.agreements.iter_mut().find(|a| a.id == 10_001).expect("contract");
    contract.end_date = Some(today);
    let sim = start(state).await;
    sim.shared.set_calendar(calendar);
    let at = Autotask::new(AutotaskOptions { calendar, ..options(&sim) }, credentials()).expect("client");

    let (_, served) = raw(
        &sim,
        reqwest::Method::POST,
        "Contracts/query",
        Some(json!({ "filter": [{ "op": "eq", "field": "id", "value": 10_001 }] })),
    )
    .await;
    assert_eq!(served["items"][0]["endDate"], calendar.wire(today), "served as the tenant's midnight in UTC");
    assert_ne!(
        calendar.wire(today).get(..10),
        Some(today.to_string().as_str()),
        "its UTC date is a day early"
    );

    let plan_now = || async {
        let live = snap(&at, &cspctl::reconcile::scope(&ws)).await;
        cspctl::reconcile::plan(&ws, &dd.dicker_data, &live, today)
    };
    let first = plan_now().await;
    assert!(first.errors.is_empty(), "{zone}: {:?}", first.errors);
    assert_eq!(first.actions.iter().map(|a| a.kind).collect::<Vec<_>>(), [ActionKind::Update]);
    sim.shared.record();
    for o in cspctl::apply::execute(&first, &at, 1, |_, _| {}).await {
        assert!(o.result.is_ok(), "{zone}: {:?}", o.result);
    }
    let adjustment = sim
        .shared
        .recorded()
        .into_iter()
        .find(|e| e.method == "POST" && e.path.contains("ServiceAdjustments"))
        .expect("an adjustment");
    let body: Value = serde_json::from_str(&adjustment.request_body).expect("JSON body");
    assert_eq!(body["effectiveDate"], today.to_string(), "{zone}: dated the tenant's day");
    assert_eq!(units_on(&sim.shared, 100_001, today), Some(5));
    let second = plan_now().await;
    assert!(!second.has_changes() && second.errors.is_empty(), "{zone}: {second:#?}");
}

#[tokio::test]
async fn an_aest_contract_ending_on_the_plan_date_is_in_its_window() {
    window_edge_on_the_plan_date("Australia/Brisbane").await;
}

#[tokio::test]
async fn an_nzdt_contract_ending_on_the_plan_date_is_in_its_window() {
    window_edge_on_the_plan_date("Pacific/Auckland").await;
}
