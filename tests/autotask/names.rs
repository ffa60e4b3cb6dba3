//! Names as Autotask matches them, over loopback: a workspace that spells the company,
//! contract and service in another case plans against the records Autotask returns for those
//! names (and converges after apply); two services Autotask cannot tell apart are an error
//! naming both.

use cspctl::config::Workspace;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::Product;
use cspctl::reconcile::{ActionKind, Plan};

use super::support::{client, seeded, start, today};
use super::*;

const BP: &str = "P1Y:CFQ7TTC0LCHC:0002:1:";

/// A workspace naming company `c00001`, contract `MICROSOFT 365 1` and service `svc-002`
/// (the seed spells them `C00001`, `Microsoft 365 1`, `SVC-002`), with 5 seats held.
pub fn workspace(dir: &std::path::Path) -> (Workspace, SandboxState) {
    let files = [
        (
            "cspctl.yaml",
            "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: state.yaml }\n".to_string(),
        ),
        (
            "workspace.yaml",
            format!(
                "products:\n  - key: bp\n    dicker_data: {{ stock_code: \"{BP}\" }}\n    psa: {{ product: svc-002 }}\nclients:\n  - {{ dicker_data: D1, company: c00001, agreement: \"MICROSOFT 365 1\" }}\n"
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

async fn plan_over_http(ws: &Workspace, dd: &SandboxState, at: &Autotask) -> Plan {
    let live = snap(at, &cspctl::reconcile::scope(ws)).await;
    cspctl::reconcile::plan(ws, &dd.dicker_data, &live, today())
}

#[tokio::test]
async fn names_in_another_case_plan_and_converge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let sim = start(seeded(3, 3, 2)).await;
    let at = client(&sim);
    let first = plan_over_http(&ws, &dd, &at).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.actions.len(), 1, "{:#?}", first.actions);
    let action = &first.actions[0];
    assert_eq!(
        (action.kind, action.addition),
        (ActionKind::Update, Some(100_001)),
        "the seeded SVC-002 service"
    );
    assert_eq!((action.company.as_str(), action.product.as_str()), ("C00001", "SVC-002"));
    let outcomes = cspctl::apply::execute(&first, &at, 2, |_, _| {}).await;
    for o in outcomes {
        assert!(o.result.is_ok(), "{:?}", o.result);
    }
    assert_eq!(units_on(&sim.shared, 100_001, today()), Some(5));
    let second = plan_over_http(&ws, &dd, &at).await;
    assert!(!second.has_changes() && second.errors.is_empty(), "{second:#?}");
}

#[tokio::test]
async fn two_services_differing_only_by_case_are_an_error_naming_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ws, dd) = workspace(dir.path());
    let mut state = seeded(3, 3, 2);
    state.psa.products.push(Product {
        id: 777,
        identifier: "svc-002".into(),
        description: "a second spelling".into(),
        active: true,
        unit_price: None,
        unit_cost: None,
    });
    let sim = start(state).await;
    let planned = plan_over_http(&ws, &dd, &client(&sim)).await;
    assert!(planned.actions.is_empty(), "{:#?}", planned.actions);
    let codes: Vec<&str> = planned.errors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["ambiguous_product"]);
    let message = &planned.errors[0].message;
    assert!(message.contains("`SVC-002` (id 502) and `svc-002` (id 777)"), "{message}");
}
