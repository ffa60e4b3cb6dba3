//! Dates in the tenant's time zone, over loopback: the simulator serves an agreement that ends
//! on the plan date as that day's local midnight in UTC (a day earlier by its UTC date part),
//! for an AEST and an NZDT tenant. The plan reads the window as the tenant does, creates the
//! addition, writes its date as the tenant's midnight, and converges.

use chrono::NaiveDate;
use cspctl::apply::execute;
use cspctl::live::Psa;
use cspctl::model::Calendar;
use cspctl::reconcile::{ActionKind, plan, scope};

use crate::names::workspace;
use crate::support::*;

async fn window_edge_on_the_plan_date(zone: &str, date: NaiveDate, served_end: &str, written: &str) {
    let calendar = Calendar::named(zone).expect("zone");
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let mut state = seed(1, 0);
    state.psa.agreements[0].start_date = Some(date);
    state.psa.agreements[0].end_date = Some(date);
    let sim = start(state).await;
    sim.shared.set_calendar(calendar);
    let cw = client(&sim).with_calendar(calendar);

    let (_, agreement) = raw_agreement(&sim).await;
    assert_eq!(agreement["endDate"], served_end, "served as the tenant's midnight in UTC");

    let first = plan(&ws, &dd.dicker_data, &cw.snapshot(&scope(&ws)).await.expect("snapshot"), date);
    assert!(first.errors.is_empty(), "{zone}: {:?}", first.errors);
    assert_eq!(first.actions.iter().map(|a| a.kind).collect::<Vec<_>>(), [ActionKind::Create]);
    sim.shared.record();
    for o in execute(&first, &cw, 1, |_, _| {}).await {
        assert!(o.result.is_ok(), "{zone}: {:?}", o.result);
    }
    let post = sim.shared.recorded().into_iter().find(|e| e.method == "POST").expect("a create");
    let body: serde_json::Value = serde_json::from_str(&post.request_body).expect("JSON body");
    assert_eq!(body["effectiveDate"], written, "{zone}: the plan date as the tenant's midnight");
    assert_eq!(live_additions(&sim, 1, 1)[0].effective_date, Some(date), "{zone}: stored as the plan date");
    let second = plan(&ws, &dd.dicker_data, &cw.snapshot(&scope(&ws)).await.expect("snapshot"), date);
    assert!(!second.has_changes() && second.errors.is_empty(), "{zone}: {second:#?}");
}

/// The agreement as the simulator serves it.
async fn raw_agreement(sim: &cspctl::sim::RunningSim) -> (u16, serde_json::Value) {
    let [company, public, private, client_id] = cspctl::sim::SimCredentials::default().connectwise;
    let response = reqwest::Client::new()
        .get(format!("{}/v4_6_release/apis/3.0/finance/agreements/1", sim.url()))
        .basic_auth(format!("{company}+{public}"), Some(private))
        .header("clientId", client_id)
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn an_aest_agreement_ending_on_the_plan_date_is_in_its_window() {
    window_edge_on_the_plan_date(
        "Australia/Sydney",
        day("2026-07-01"),
        "2026-06-30T14:00:00Z",
        "2026-06-30T14:00:00Z",
    )
    .await;
}

#[tokio::test]
async fn an_nzdt_agreement_ending_on_the_plan_date_is_in_its_window() {
    window_edge_on_the_plan_date(
        "Pacific/Auckland",
        day("2026-12-01"),
        "2026-11-30T11:00:00Z",
        "2026-11-30T11:00:00Z",
    )
    .await;
}
