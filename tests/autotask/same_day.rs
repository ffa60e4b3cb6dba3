//! A second units change on the day of the first is planned, not failed: the snapshot reads
//! the unit rows in force today and the day before, so the plan sees an adjustment already
//! dated today and says so for the action that would change that service again.

use chrono::{Days, NaiveDate};
use cspctl::config::Workspace;
use cspctl::live::autotask::AutotaskOptions;
use cspctl::live::sandbox::SandboxState;
use cspctl::reconcile::{ActionKind, Plan};

use super::names::workspace;
use super::support::{credentials, options, seeded, start, today};
use super::*;

fn on(sim: &cspctl::sim::RunningSim, date: NaiveDate) -> Autotask {
    Autotask::new(AutotaskOptions { today: Some(date), ..options(sim) }, credentials()).expect("client")
}

/// Plans with Dicker Data holding `held` seats.
async fn plan_on(ws: &Workspace, dd: &SandboxState, held: u32, at: &Autotask, date: NaiveDate) -> Plan {
    let mut dd = dd.dicker_data.clone();
    for l in &mut dd.licences {
        l.quantity = held;
    }
    let live = snap(at, &cspctl::reconcile::scope(ws)).await;
    cspctl::reconcile::plan(ws, &dd, &live, date)
}

fn same_day(plan: &Plan) -> Vec<&str> {
    plan.warnings.iter().filter(|f| f.code == "same_day_adjustment").map(|f| f.message.as_str()).collect()
}

#[tokio::test]
async fn a_second_change_on_the_day_of_the_first_is_a_finding_for_that_action() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let sim = start(seeded(3, 3, 2)).await;
    let at = on(&sim, today());

    // The seeded units (2) started long ago: changing them today is a plain update.
    let first = plan_on(&ws, &dd, 5, &at, today()).await;
    assert_eq!(first.actions.len(), 1, "{:#?}", first.actions);
    assert!(same_day(&first).is_empty(), "{:?}", first.warnings);
    for o in cspctl::apply::execute(&first, &at, 2, |_, _| {}).await {
        assert!(o.result.is_ok(), "{:?}", o.result);
    }
    assert_eq!(units_on(&sim.shared, 100_001, today()), Some(5));
    // Nothing more to do today: no action, no finding.
    let settled = plan_on(&ws, &dd, 5, &at, today()).await;
    assert!(!settled.has_changes() && settled.warnings.is_empty(), "{settled:#?}");

    // Dicker Data moves again the same day: the action is planned, with a finding naming the
    // service and the date of the adjustment already made.
    let again = plan_on(&ws, &dd, 7, &at, today()).await;
    assert_eq!(again.actions.iter().map(|a| a.kind).collect::<Vec<_>>(), [ActionKind::Update]);
    assert_eq!(again.actions[0].addition, Some(100_001));
    let found = same_day(&again);
    assert_eq!(found.len(), 1, "{:?}", again.warnings);
    assert!(
        found[0].contains("contract service 100001") && found[0].contains(&today().to_string()),
        "{}",
        found[0]
    );
    assert!(found[0].contains("of 5 to 7"), "{}", found[0]);
    assert_eq!(again.warnings[0].client.as_deref(), Some("D1"));

    // The simulator holds the client to the rule the finding predicts.
    let (status, body) = raw(
        &sim,
        reqwest::Method::POST,
        "ContractServiceAdjustments",
        Some(json!({ "contractID": 10_001, "serviceID": 502, "contractServiceID": 100_001, "unitChange": 2, "effectiveDate": today().to_string() })),
    )
    .await;
    assert_eq!(status, 500, "{body}");

    // Planned for tomorrow, the same change is a plain update again.
    let tomorrow = today().checked_add_days(Days::new(1)).expect("tomorrow");
    let later = plan_on(&ws, &dd, 7, &on(&sim, tomorrow), tomorrow).await;
    assert_eq!(later.actions.len(), 1, "{:#?}", later.actions);
    assert!(same_day(&later).is_empty(), "{:?}", later.warnings);
}
