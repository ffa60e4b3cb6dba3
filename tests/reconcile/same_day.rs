//! A quantity change on a service whose units already changed on the plan date is planned with
//! a `same_day_adjustment` finding; other changes and other dates are not.

use super::*;

#[test]
fn a_units_change_already_dated_the_plan_date_is_a_finding_for_that_action() {
    let adjusted =
        |on: &str| format!("{{ id: 1, agreement: 10, product: 100, quantity: 4, adjusted_on: {on} }}");
    let today = today().to_string();
    let plan = run(&client(""), &live(BP_5, &adjusted(&today)));
    assert_eq!(kinds(&plan), [ActionKind::Update], "the action stays planned");
    assert_eq!(codes(&plan.warnings), ["same_day_adjustment"]);
    let message = &plan.warnings[0].message;
    assert!(
        message.contains("contract service 1") && message.contains(&today) && message.contains("of 4 to 5"),
        "{message}"
    );

    // A cancel is a units change too.
    assert_eq!(codes(&run(&client(""), &live("", &adjusted(&today))).warnings), ["same_day_adjustment"]);
    // Yesterday's change does not block today's, and a change that leaves units alone is fine.
    assert!(run(&client(""), &live(BP_5, &adjusted("2026-11-27"))).warnings.is_empty());
    let described = adjusted(&today).replace("quantity: 4", "quantity: 5, description: old");
    let plan = run(&client(", sync_description: always_on"), &live(BP_5, &described));
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}
