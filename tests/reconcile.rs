//! The reconcile core: plan semantics on small worlds written as YAML, and properties over
//! random worlds (apply then plan is empty; input order never changes the plan).

use chrono::{NaiveDate, TimeZone, Utc};
use cspctl::config::{Document, Workspace};
use cspctl::live::sandbox::SandboxState;
use cspctl::reconcile::{ActionKind, Plan, plan};
use cspctl::render::{RenderOptions, json, text};

#[path = "reconcile/markdown.rs"]
mod markdown;
#[path = "reconcile/money.rs"]
mod money;
#[path = "reconcile/names.rs"]
mod names;
#[path = "reconcile/props.rs"]
mod props;
#[path = "reconcile/same_day.rs"]
mod same_day;
#[path = "support/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

const TODAY: (i32, u32, u32) = (2026, 11, 28);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

fn workspace(desired: &str) -> Workspace {
    let doc: Document = serde_saphyr::from_str(desired).expect("desired YAML");
    let mut ws = synthetic::sandbox_workspace(doc.products, doc.clients, doc.defaults.unwrap_or_default());
    ws.exceptions = doc.exceptions;
    ws.settings.currency = doc.currency.unwrap_or_default();
    ws.settings.renewal_window_days =
        doc.renewal_window_days.unwrap_or(cspctl::config::DEFAULT_RENEWAL_WINDOW_DAYS);
    ws
}

fn run(desired: &str, live: &str) -> Plan {
    let state: SandboxState = serde_saphyr::from_str(live).expect("live YAML");
    plan(&workspace(desired), &state.dicker_data, &state.psa, today())
}

const PRODUCTS: &str = r#"
products:
  - key: bp
    dicker_data: { stock_code: "P1Y:CFQ7TTC0LCHC:0002:1:" }
    psa: { product: BP }
  - key: bp-annual
    dicker_data: { stock_code: "P1Y:CFQ7TTC0LCHC:0002:Y:" }
    psa: { product: BP-A }
"#;

const PSA: &str = r#"
psa:
  companies: [{ id: 1, identifier: ACME, name: Acme }, { id: 2, identifier: OTHER, name: Other }]
  agreements:
    - { id: 10, name: Acme M365, company: 1, status: Active }
    - { id: 20, name: Other M365, company: 2, status: Active }
  products:
    - { id: 100, identifier: BP, active: true, unit_price: 30.0 }
    - { id: 101, identifier: BP-A, active: true, unit_price: 300.0 }
    - { id: 900, identifier: LABOUR, active: true }
"#;

fn client(extra: &str) -> String {
    format!(
        "{PRODUCTS}\nclients:\n  - {{ dicker_data: \"C1\", company: ACME, agreement: Acme M365{extra} }}\n"
    )
}

fn live(licences: &str, additions: &str) -> String {
    format!(
        "dicker_data:\n  customers: [{{ id: C1, name: Acme }}]\n  licences: [{licences}]\n{PSA}  additions: [{additions}]\n"
    )
}

const BP_5: &str = r#"{ customer: C1, subscription: S1, stock_code: "P1Y:CFQ7TTC0LCHC:0002:1:", description: BP, quantity: 5, status: active }"#;
const BP_3: &str = r#"{ customer: C1, subscription: S2, stock_code: "p1y:cfq7ttc0lchc:0002:1", description: BP, quantity: 3, status: active }"#;

fn kinds(plan: &Plan) -> Vec<ActionKind> {
    plan.actions.iter().map(|a| a.kind).collect()
}

fn codes(list: &[cspctl::reconcile::Finding]) -> Vec<&str> {
    list.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn creates_the_sum_of_active_licences_across_subscriptions_and_spellings() {
    let plan = run(&client(""), &live(&format!("{BP_5}, {BP_3}"), ""));
    assert_eq!(kinds(&plan), [ActionKind::Create]);
    assert!(matches!(
        plan.actions[0].write,
        cspctl::model::Write::Create { quantity: 8, unit_price: Some(30.0), .. }
    ));
}

#[test]
fn updates_only_the_fields_that_differ() {
    let plan =
        run(&client(""), &live(BP_5, "{ id: 1, agreement: 10, product: 100, quantity: 4, fingerprint: f1 }"));
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    let changed: Vec<&str> = plan.actions[0].changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(changed, ["quantity"]);
    assert_eq!(plan.actions[0].fingerprint.as_ref().map(|f| f.0.as_str()), Some("f1"));
}

#[test]
fn removed_licences_follow_on_licence_removed() {
    let existing = "{ id: 1, agreement: 10, product: 100, quantity: 4 }";
    assert_eq!(kinds(&run(&client(""), &live("", existing))), [ActionKind::Cancel]);
    let zero = run(&client(", on_licence_removed: set_zero"), &live("", existing));
    assert_eq!(kinds(&zero), [ActionKind::Update]);
    assert!(run(&client(", on_licence_removed: keep"), &live("", existing)).actions.is_empty());
}

#[test]
fn cancelled_additions_are_history_and_never_touched() {
    let old = "{ id: 1, agreement: 10, product: 100, quantity: 4, cancelled_date: 2026-01-31 }";
    let plan = run(&client(""), &live(BP_5, old));
    assert_eq!(kinds(&plan), [ActionKind::Create], "a new addition, the cancelled one left alone");
}

#[test]
fn two_active_additions_for_one_pair_are_an_error_and_neither_is_touched() {
    let two = "{ id: 1, agreement: 10, product: 100, quantity: 4 }, { id: 2, agreement: 10, product: 100, quantity: 1 }";
    let plan = run(&client(""), &live(BP_5, two));
    assert!(plan.actions.is_empty());
    assert_eq!(codes(&plan.errors), ["ambiguous_additions"]);
}

#[test]
fn unmanaged_additions_are_listed_not_touched() {
    let labour = "{ id: 7, agreement: 10, product: 900, quantity: 1 }";
    let plan = run(&client(""), &live("", labour));
    assert!(plan.actions.is_empty());
    assert_eq!(plan.unmanaged.len(), 1);
    assert_eq!(plan.unmanaged[0].product, "LABOUR");
}

#[test]
fn additions_on_agreements_the_workspace_does_not_name_are_not_owned() {
    let elsewhere = "{ id: 8, agreement: 20, product: 100, quantity: 9 }";
    let plan = run(&client(""), &live(BP_5, elsewhere));
    assert_eq!(kinds(&plan), [ActionKind::Create]);
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn quantity_rules_apply_included_then_minimum() {
    let included = run(&client(", products: { bp: { included: 2 } }"), &live(BP_5, ""));
    assert!(matches!(included.actions[0].write, cspctl::model::Write::Create { quantity: 3, .. }));
    let minimum = run(&client(", products: { bp: { minimum: 10 } }"), &live(BP_5, ""));
    assert!(matches!(minimum.actions[0].write, cspctl::model::Write::Create { quantity: 10, .. }));
}

#[test]
fn a_three_part_code_matching_two_billing_variants_is_not_mapped() {
    let three = r#"{ customer: C1, subscription: S9, stock_code: "P1Y:CFQ7TTC0LCHC:0002", description: BP, quantity: 1, status: active }"#;
    let plan = run(&client(""), &live(three, ""));
    assert!(plan.actions.is_empty());
    assert_eq!(codes(&plan.warnings), ["not_mapped"]);
    assert!(plan.warnings[0].message.contains("bp, bp-annual"), "{}", plan.warnings[0].message);
}

#[test]
fn not_setup_clients_and_ignored_clients() {
    let state = live(BP_5, "").replace("[{ id: C1, name: Acme }]", "[{ id: C1, name: Acme }, { id: C2, name: Beta }, { id: C3, name: Gamma }]").replace(
        "licences: [",
        "licences: [{ customer: C2, subscription: B1, stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\", description: BP, quantity: 1, status: active }, ",
    );
    let desired = format!("{}\n  - {{ dicker_data: C3, ignore: true }}\n", client(""));
    let plan = run(&desired, &state);
    assert_eq!(codes(&plan.warnings), ["not_setup"]);
    assert_eq!(plan.warnings[0].client.as_deref(), Some("C2"));
}

#[test]
fn errors_name_what_is_missing_and_block_that_client() {
    let unknown_company = run(&client("").replace("company: ACME", "company: NOPE"), &live(BP_5, ""));
    assert_eq!(codes(&unknown_company.errors), ["unknown_company"]);
    assert!(unknown_company.actions.is_empty());
    let wrong_company =
        run(&client("").replace("agreement: Acme M365", "agreement: Other M365"), &live(BP_5, ""));
    assert_eq!(codes(&wrong_company.errors), ["agreement_wrong_company"]);
    let missing = run(&client("").replace("\"C1\"", "\"C9\""), &live(BP_5, ""));
    assert!(codes(&missing.errors).contains(&"client_missing"));
    let product = run(&client("").replace("product: BP-A", "product: GONE"), &live(BP_5, ""));
    assert_eq!(codes(&product.errors), ["unknown_product"]);
}

#[test]
fn name_mismatch_ignores_case_and_spacing_only() {
    let same = run(&client(", name: \"ACME \""), &live(BP_5, ""));
    assert!(same.warnings.is_empty());
    let different = run(&client(", name: Acme Holdings"), &live(BP_5, ""));
    assert_eq!(codes(&different.warnings), ["name_mismatch"]);
}

#[test]
fn changes_outside_the_agreement_window_are_errors_not_moved_dates() {
    let state = live(BP_5, "").replace(
        "{ id: 10, name: Acme M365, company: 1, status: Active }",
        "{ id: 10, name: Acme M365, company: 1, status: Active, start_date: 2027-01-01 }",
    );
    let plan = run(&client(""), &state);
    assert!(plan.actions.is_empty());
    assert_eq!(codes(&plan.errors), ["outside_agreement_window"]);
}

#[test]
fn description_policy_decides_what_is_written() {
    let existing = "{ id: 1, agreement: 10, product: 100, quantity: 5, description: old text }";
    let on = run(&client(", sync_description: always_on"), &live(BP_5, existing));
    assert_eq!(on.actions[0].changes[0].field, "description");
    assert!(run(&client(", sync_description: on_create"), &live(BP_5, existing)).actions.is_empty());
    let created = run(&client(", sync_description: on_create"), &live(BP_5, ""));
    assert!(
        matches!(&created.actions[0].write, cspctl::model::Write::Create { description: Some(d), .. } if d == "BP")
    );
}

#[test]
fn cancels_come_first_then_client_agreement_product() {
    let existing = "{ id: 1, agreement: 10, product: 101, quantity: 2 }";
    let plan = run(&client(""), &live(BP_5, existing));
    assert_eq!(kinds(&plan), [ActionKind::Cancel, ActionKind::Create]);
}

#[test]
fn apply_then_plan_is_empty_on_the_quickstart() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart");
    let ws = cspctl::config::load(std::path::Path::new(dir)).expect("quickstart loads");
    let mut state = SandboxState::load(&ws.root.join("state.yaml")).expect("state");
    let first = plan(&ws, &state.dicker_data, &state.psa, today());
    assert!(first.has_changes());
    for action in &first.actions {
        state
            .psa
            .apply(&action.write, Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap())
            .expect("applies");
    }
    let second = plan(&ws, &state.dicker_data, &state.psa, today());
    assert!(!second.has_changes(), "{}", text(&second, RenderOptions::default()));
    let fresh = SandboxState::load(&ws.root.join("state.yaml")).unwrap();
    assert_eq!(json(&first), json(&plan(&ws, &fresh.dicker_data, &fresh.psa, today())));
}
