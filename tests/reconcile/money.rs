//! Money in the plan, on small worlds whose figures are worked out by hand in each test:
//! billed before -> after per month (and per year for annual products), Dicker Data's cost per
//! term normalised to a month, margin, unbilled licences, renewals, commitments, and accepted
//! exceptions.

use std::str::FromStr;

use cspctl::model::Write;
use cspctl::reconcile::money::{BillingLine, Cycle};
use cspctl::reconcile::{ActionKind, Plan};
use rust_decimal::Decimal;

use super::{BP_5, PSA, codes, kinds, run};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

const PRODUCTS: &str = r#"
products:
  - key: bp
    dicker_data: { stock_code: "P1Y:CFQ7TTC0LCHC:0002:1:" }
    psa: { product: BP }
  - key: bp-annual
    dicker_data: { stock_code: "P1Y:CFQ7TTC0LCHC:0002:Y:" }
    psa: { product: BP-A }
  - key: bp-month
    dicker_data: { stock_code: "P1M:CFQ7TTC0LCHC:0002:1:" }
    psa: { product: BP-M }
"#;

/// The shared PSA plus a month-to-month product at $40.00.
fn psa() -> String {
    PSA.replace(
        "    - { id: 900, identifier: LABOUR, active: true }",
        "    - { id: 102, identifier: BP-M, active: true, unit_price: 40.0 }\n    - { id: 900, identifier: LABOUR, active: true }",
    )
}

fn desired(client_extra: &str, top: &str) -> String {
    format!(
        "{top}\n{PRODUCTS}\nclients:\n  - {{ dicker_data: \"C1\", name: Acme, company: ACME, agreement: Acme M365{client_extra} }}\n"
    )
}

fn world(licences: &str, additions: &str) -> String {
    format!(
        "dicker_data:\n  customers: [{{ id: C1, name: Acme }}, {{ id: C2, name: Beta }}]\n  licences: [{licences}]\n{}  additions: [{additions}]\n",
        psa()
    )
}

fn licence(sub: &str, code: &str, quantity: u32, price: &str, end: &str) -> String {
    format!(
        r#"{{ customer: C1, subscription: {sub}, stock_code: "{code}", description: Licence {sub}, quantity: {quantity}, status: active, unit_price: {price}, term_end: {end} }}"#
    )
}

fn line<'a>(plan: &'a Plan, product: &str) -> &'a BillingLine {
    plan.money
        .lines
        .iter()
        .find(|l| &*l.product == product)
        .unwrap_or_else(|| panic!("no line for {product}"))
}

fn message<'a>(plan: &'a Plan, code: &str) -> &'a str {
    let found = plan.warnings.iter().find(|f| f.code == code);
    found.map(|f| f.message.as_str()).unwrap_or_else(|| panic!("no {code} in {:?}", codes(&plan.warnings)))
}

#[test]
fn annual_product_is_billed_per_year_and_shown_per_month() {
    // 4 × BP annual upfront at the catalog's $300.00 a year = $1,200.00/year = $100.00/month.
    // Dicker Data: $240.00 per unit per 1-year term → 4 × 240 / 12 = $80.00/month. Margin $20.00.
    let plan = run(
        &desired("", ""),
        &world(&licence("S1", "P1Y:CFQ7TTC0LCHC:0002:Y:", 4, "240.00", "2027-06-30"), ""),
    );
    assert_eq!(kinds(&plan), [ActionKind::Create]);
    let r = &plan.actions[0].revenue;
    assert_eq!((r.cycle, r.monthly_before, r.monthly_after), (Cycle::Annual, d("0"), d("100.00")));
    assert_eq!((r.yearly_before, r.yearly_after), (Some(d("0")), Some(d("1200.00"))));
    let l = line(&plan, "BP-A");
    assert_eq!((l.cost, l.margin, l.seats), (d("80.00"), d("20.00"), 4));
    let shown = cspctl::render::text(&plan, Default::default());
    assert!(shown.contains("billed: $0.00/year -> $1,200.00/year, billed annually ($0.00/month -> $100.00/month, +$100.00/month)"), "{shown}");
}

#[test]
fn monthly_product_costs_its_term_price_each_month() {
    // BP-M at $40.00: 2 billed → 3 held. $80.00 → $120.00 (+$40.00). Cost 3 × $33.83 = $101.49.
    let plan = run(
        &desired("", ""),
        &world(
            &licence("S1", "P1M:CFQ7TTC0LCHC:0002:1:", 3, "33.83", "2026-12-15"),
            "{ id: 1, agreement: 10, product: 102, quantity: 2, unit_price: 40.0 }",
        ),
    );
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    let r = &plan.actions[0].revenue;
    assert_eq!((r.cycle, r.monthly_before, r.monthly_after), (Cycle::Monthly, d("80.00"), d("120.00")));
    assert_eq!(r.yearly_after, None, "monthly products are shown per month only");
    let l = line(&plan, "BP-M");
    assert_eq!((l.cost, l.margin), (d("101.49"), d("18.51")));
    assert_eq!(plan.money.totals.monthly_delta(), d("40.00"));
    assert!(cspctl::render::summary(&plan).contains("1 to update, 0 to cancel (+$40.00/month)"));
    assert!(!codes(&plan.warnings).contains(&"renewal_due"), "month-to-month renewals are not news");
}

#[test]
fn co_termed_line_costs_the_full_term_price_spread_over_twelve_months() {
    // S2 was added mid-term and co-termed to S1's end; the export still shows the 12-month price,
    // so each seat costs $338.31 / 12 a month whatever is left of the term:
    // (5 + 3) × 338.31 / 12 = 2,706.48 / 12 = $225.54. PSA: 8 × $30.00 = $240.00; margin $14.46.
    let licences = [
        licence("S1", "P1Y:CFQ7TTC0LCHC:0002:1:", 5, "338.31", "2027-06-30"),
        licence("S2", "P1Y:CFQ7TTC0LCHC:0002:1:", 3, "338.31", "2027-06-30"),
    ]
    .join(", ");
    let plan = run(
        &desired("", ""),
        &world(&licences, "{ id: 1, agreement: 10, product: 100, quantity: 8, unit_price: 30.0 }"),
    );
    assert!(plan.actions.is_empty());
    let l = line(&plan, "BP");
    assert_eq!((l.seats, l.monthly_before, l.monthly_after), (8, d("240.00"), d("240.00")));
    assert_eq!((l.cost, l.margin), (d("225.54"), d("14.46")));
}

#[test]
fn included_seats_cost_money_and_are_a_commitment_finding() {
    // 5 held, `included: 2` → the PSA bills 3 × $30.00 = $90.00. Cost 5 × 338.31 / 12 = $140.96;
    // margin -$50.96. The 2 included seats cost 2 × 28.1925 = $56.39/month until 2027-06-30.
    let plan = run(
        &desired(", products: { bp: { included: 2 } }", ""),
        &world(&licence("S1", "P1Y:CFQ7TTC0LCHC:0002:1:", 5, "338.31", "2027-06-30"), ""),
    );
    assert!(matches!(plan.actions[0].write, Write::Create { quantity: 3, .. }));
    let l = line(&plan, "BP");
    assert_eq!((l.monthly_after, l.cost, l.margin), (d("90.00"), d("140.96"), d("-50.96")));
    let m = message(&plan, "below_commitment");
    assert!(m.contains("Dicker Data bills 5 seat(s)") && m.contains("the PSA will bill 3"), "{m}");
    assert!(
        m.contains("(included: 2 on `bp`)") && m.contains("2 unbilled seat(s), $56.39/month at cost"),
        "{m}"
    );
    assert!(m.contains("until 2027-06-30"), "{m}");
}

#[test]
fn a_seat_sold_below_cost_is_a_finding() {
    // $25.00 a seat against Dicker Data's 338.31 / 12 = $28.19: -$3.19 a seat, -$15.95 over 5.
    let plan = run(
        &desired("", ""),
        &world(
            &licence("S1", "P1Y:CFQ7TTC0LCHC:0002:1:", 5, "338.31", "2027-06-30"),
            "{ id: 1, agreement: 10, product: 100, quantity: 5, unit_price: 25.0 }",
        ),
    );
    let m = message(&plan, "below_cost");
    assert!(m.contains("sells a seat at $25.00/month, below Dicker Data's $28.19 (-$3.19 a seat, -$15.95/month over 5 seat(s))"), "{m}");
}

#[test]
fn a_psa_price_other_than_the_mappings_is_a_finding_unless_synced() {
    let existing = "{ id: 1, agreement: 10, product: 100, quantity: 5, unit_price: 30.0 }";
    let priced = |update: &str| {
        desired("", "").replace(
            "psa: { product: BP }",
            &format!("psa: {{ product: BP }}\n    price: {{ unit_price: 32.0, update: {update} }}"),
        )
    };
    let leave = run(&priced("leave"), &world(BP_5, existing));
    assert!(leave.actions.is_empty());
    assert!(
        message(&leave, "price_differs")
            .contains("bills $30.00 a unit but its mapping's `price.unit_price` is $32.00")
    );
    let sync = run(&priced("sync"), &world(BP_5, existing));
    assert_eq!(kinds(&sync), [ActionKind::Update]);
    assert!(!codes(&sync.warnings).contains(&"price_differs"), "sync corrects it: {:?}", sync.warnings);
    assert_eq!(sync.actions[0].revenue.monthly_delta(), d("10.00"), "5 × ($32.00 - $30.00)");
}

#[test]
fn not_setup_and_not_mapped_licences_are_valued_at_cost() {
    // C2 is Not Setup: 1 × 338.31 / 12 = $28.19. C1's Visio is Not Mapped: 2 × $22.40 = $44.80.
    let visio = r#"{ customer: C1, subscription: V1, stock_code: "P1M:CFQ7TTC0HD33:0001:1:", description: VISIO, quantity: 2, status: active, unit_price: 22.40 }"#;
    let beta = r#"{ customer: C2, subscription: B1, stock_code: "P1Y:CFQ7TTC0LCHC:0002:1:", description: BP, quantity: 1, status: active, unit_price: 338.31 }"#;
    let plan = run(&desired("", ""), &world(&format!("{visio}, {beta}"), ""));
    let u = &plan.money.totals.unbilled;
    assert_eq!((u.licences, u.lines, u.cost), (3, 2, d("72.99")));
    let by_client: Vec<(&str, bool, Decimal)> =
        plan.money.clients.iter().map(|c| (c.client.as_str(), c.not_setup, c.totals.unbilled.cost)).collect();
    assert_eq!(by_client, [("C1", false, d("44.80")), ("C2", true, d("28.19"))]);
    assert!(message(&plan, "not_mapped").contains("(2 licences, $44.80/month at cost, billed to no one)"));
    assert!(message(&plan, "not_setup").contains("(1 licences, $28.19/month at cost, billed to no one)"));
}

#[test]
fn renewals_within_the_window_are_findings_naming_the_reduction_deadline() {
    // Today is 2026-11-28. A term ending 2026-12-08 renews 2026-12-09; NCE allows cuts for 7 days.
    let soon = licence("S1", "P1Y:CFQ7TTC0LCHC:0002:Y:", 4, "240.00", "2026-12-08");
    let later = licence("S2", "P1Y:CFQ7TTC0LCHC:0002:1:", 5, "338.31", "2026-12-29");
    let plan = run(&desired("", ""), &world(&format!("{soon}, {later}"), ""));
    let renewals: Vec<&str> =
        plan.warnings.iter().filter(|f| f.code == "renewal_due").map(|f| f.message.as_str()).collect();
    assert_eq!(renewals.len(), 1, "the default window is 30 days: {renewals:?}");
    assert!(
        renewals[0].contains("4 × Licence S1 (P1Y, subscription S1) renews on 2026-12-09 (in 11 day(s))"),
        "{}",
        renewals[0]
    );
    assert!(renewals[0].contains("can be reduced only until 2026-12-15"), "{}", renewals[0]);
    let wider = run(&desired("", "renewal_window_days: 40"), &world(&format!("{soon}, {later}"), ""));
    assert_eq!(wider.warnings.iter().filter(|f| f.code == "renewal_due").count(), 2);
}

#[test]
fn currency_labels_the_money() {
    let plan = run(&desired("", "currency: NZD"), &world(BP_5, ""));
    assert_eq!(plan.money.currency.to_string(), "NZD");
    assert!(cspctl::render::text(&plan, Default::default()).contains("Billing per month (NZD):"));
}

const HELD_5_BILLED_4: &str = "{ id: 1, agreement: 10, product: 100, quantity: 4, unit_price: 30.0 }";

fn exception(dicker_data: u32, psa: u32, expires: &str) -> String {
    format!(
        "exceptions:\n  - {{ client: C1, product: bp, dicker_data: {dicker_data}, psa: {psa}, reason: the owner's seat is not billed{expires} }}\n"
    )
}

#[test]
fn an_exception_that_holds_leaves_the_pair_alone_and_is_listed() {
    let plan = run(&desired("", &exception(5, 4, ", expires: 2026-11-28")), &world(BP_5, HELD_5_BILLED_4));
    assert!(plan.actions.is_empty(), "held back: {:?}", plan.actions);
    assert_eq!(plan.accepted.len(), 1);
    let a = &plan.accepted[0];
    assert_eq!((a.client.as_str(), a.mapping.as_str(), a.product.as_str()), ("C1", "bp", "BP"));
    assert_eq!((a.dicker_data, a.psa, a.reason.as_str()), (5, 4, "the owner's seat is not billed"));
    assert_eq!(a.withheld.len(), 1, "the quantity change it holds back is shown");
    assert_eq!(a.withheld[0].field, "quantity");
    let m = message(&plan, "below_commitment");
    assert!(m.contains("(an accepted exception)"), "the commitment it costs is still said: {m}");
    let l = line(&plan, "BP");
    assert_eq!((l.monthly_before, l.monthly_after), (d("120.00"), d("120.00")));
    assert!(!codes(&plan.warnings).iter().any(|c| c.starts_with("exception_")));
}

#[test]
fn an_exception_is_invalidated_when_either_quantity_moves() {
    let six = BP_5.replace("quantity: 5", "quantity: 6");
    let plan = run(&desired("", &exception(5, 4, "")), &world(&six, HELD_5_BILLED_4));
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    assert!(plan.accepted.is_empty());
    let m = message(&plan, "exception_invalidated");
    assert!(m.contains("Dicker Data has 6 seat(s) (accepted 5), the PSA bills 4 (accepted 4)"), "{m}");

    let psa_moved = HELD_5_BILLED_4.replace("quantity: 4", "quantity: 3");
    let plan = run(&desired("", &exception(5, 4, "")), &world(BP_5, &psa_moved));
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    assert!(message(&plan, "exception_invalidated").contains("the PSA bills 3 (accepted 4)"));
}

#[test]
fn an_expired_exception_lets_the_plan_act_and_says_so() {
    let plan = run(&desired("", &exception(5, 4, ", expires: 2026-11-27")), &world(BP_5, HELD_5_BILLED_4));
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    assert!(plan.accepted.is_empty());
    assert!(message(&plan, "exception_expired").contains("expired on 2026-11-27"));
}

#[test]
fn an_exception_that_matches_nothing_is_reported() {
    let stale = exception(5, 4, "").replace("product: bp,", "product: bp-annual,");
    let plan = run(&desired("", &stale), &world(BP_5, ""));
    assert_eq!(kinds(&plan), [ActionKind::Create]);
    assert!(message(&plan, "exception_unmatched").contains("C1 / `bp-annual`"));
}
