//! Names as ConnectWise matches them, over loopback: a workspace that spells the company,
//! agreement and catalog item in another case plans against the records ConnectWise returns
//! for those names (and converges after apply); two companies ConnectWise cannot tell apart
//! are an error naming both.

use cspctl::apply::execute;
use cspctl::config::Workspace;
use cspctl::live::Psa;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::Company;
use cspctl::reconcile::{ActionKind, Plan, plan, scope};

use crate::support::*;

const BP: &str = "P1Y:CFQ7TTC0LCHC:0002:1:";

/// A workspace naming company `c00001`, agreement `MICROSOFT 365` and catalog item `p01` (the
/// seed spells them `C00001`, `Microsoft 365`, `P01`), and a Dicker Data side holding 5 seats.
pub fn workspace(dir: &std::path::Path) -> (Workspace, SandboxState) {
    let files = [
        (
            "cspctl.yaml",
            "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: state.yaml }\n".to_string(),
        ),
        (
            "workspace.yaml",
            format!(
                "products:\n  - key: bp\n    dicker_data: {{ stock_code: \"{BP}\" }}\n    psa: {{ product: p01 }}\nclients:\n  - {{ dicker_data: D1, company: c00001, agreement: \"MICROSOFT 365\" }}\n"
            ),
        ),
        ("state.yaml", "{}\n".to_string()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write workspace");
    }
    let ws = cspctl::config::load(dir).expect("workspace loads");
    let dd: SandboxState = serde_saphyr::from_str(&format!(
        "dicker_data:\n  customers: [{{ id: D1, name: Company 1 }}]\n  licences: [{{ customer: D1, subscription: S1, stock_code: \"{BP}\", description: BP, quantity: 5, status: active }}]\n"
    ))
    .expect("dicker data");
    (ws, dd)
}

async fn plan_over_http(
    ws: &Workspace,
    dd: &SandboxState,
    cw: &cspctl::live::connectwise::ConnectWise,
) -> Plan {
    let live = cw.snapshot(&scope(ws)).await.expect("snapshot");
    plan(ws, &dd.dicker_data, &live, day("2026-11-28"))
}

#[tokio::test]
async fn names_in_another_case_plan_and_converge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let sim = start(seed(3, 2)).await;
    let cw = client(&sim);
    let first = plan_over_http(&ws, &dd, &cw).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.actions.len(), 1, "{:#?}", first.actions);
    let action = &first.actions[0];
    assert_eq!(
        (action.kind, action.addition),
        (ActionKind::Update, Some(1)),
        "the seeded P01 addition, 1 -> 5"
    );
    assert_eq!((action.company.as_str(), action.product.as_str()), ("C00001", "P01"));
    for o in execute(&first, &cw, 2, |_, _| {}).await {
        assert!(o.result.is_ok(), "{:?}", o.result);
    }
    assert_eq!(live_additions(&sim, 1, 1).iter().map(|a| a.quantity).collect::<Vec<_>>(), [5.0]);
    let second = plan_over_http(&ws, &dd, &cw).await;
    assert!(!second.has_changes() && second.errors.is_empty(), "{:#?}", second);
}

#[tokio::test]
async fn two_companies_differing_only_by_case_are_an_error_naming_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let mut state = seed(3, 2);
    state.psa.companies.push(Company { id: 99, identifier: "c00001".into(), name: "Company 1 again".into() });
    let sim = start(state).await;
    let planned = plan_over_http(&ws, &dd, &client(&sim)).await;
    assert!(planned.actions.is_empty());
    let codes: Vec<&str> = planned.errors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["ambiguous_company"]);
    let message = &planned.errors[0].message;
    assert!(message.contains("`C00001` (id 1) and `c00001` (id 99)"), "{message}");
}
