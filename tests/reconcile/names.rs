//! Names match as the PSA matches them: YAML and live records that differ only by case are one
//! name; live records the PSA cannot tell apart are an error naming each of them.

use super::*;

#[test]
fn yaml_names_in_another_case_find_the_company_agreement_and_product() {
    let desired = client("")
        .replace("company: ACME", "company: acme")
        .replace("agreement: Acme M365", "agreement: \"ACME m365 \"")
        .replace("psa: { product: BP }", "psa: { product: bp }");
    let existing = "{ id: 1, agreement: 10, product: 100, quantity: 4, fingerprint: f1 }";
    let plan = run(&desired, &live(BP_5, existing));
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(kinds(&plan), [ActionKind::Update]);
    let action = &plan.actions[0];
    // The plan speaks of the records as the PSA spells them.
    assert_eq!(
        (action.company.as_str(), action.agreement.as_str(), action.product.as_str()),
        ("ACME", "Acme M365", "BP")
    );
    assert_eq!(action.addition, Some(1));
}

#[test]
fn two_companies_differing_only_by_case_are_ambiguous_and_named() {
    let state = live(BP_5, "").replace(
        "{ id: 2, identifier: OTHER, name: Other }",
        "{ id: 2, identifier: OTHER, name: Other }, { id: 3, identifier: acme, name: Acme again }",
    );
    let plan = run(&client(""), &state);
    assert!(plan.actions.is_empty());
    assert_eq!(codes(&plan.errors), ["ambiguous_company"]);
    let message = &plan.errors[0].message;
    assert!(message.contains("`ACME` (id 1) and `acme` (id 3)"), "{message}");
}

#[test]
fn two_agreements_differing_only_by_case_are_ambiguous_and_named() {
    let state = live(BP_5, "").replace(
        "{ id: 20, name: Other M365, company: 2, status: Active }",
        "{ id: 20, name: Other M365, company: 2, status: Active }\n    - { id: 30, name: ACME M365, company: 1, status: Active }",
    );
    let plan = run(&client(""), &state);
    assert!(plan.actions.is_empty());
    assert_eq!(codes(&plan.errors), ["ambiguous_agreement"]);
    let message = &plan.errors[0].message;
    assert!(message.contains("`Acme M365` (id 10) and `ACME M365` (id 30)"), "{message}");
    // The same name on another company is not ambiguous.
    let elsewhere = live(BP_5, "").replace(
        "{ id: 20, name: Other M365, company: 2, status: Active }",
        "{ id: 20, name: acme m365, company: 2, status: Active }",
    );
    let plan = run(&client(""), &elsewhere);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(kinds(&plan), [ActionKind::Create]);
}

#[test]
fn two_products_differing_only_by_case_are_ambiguous_and_named() {
    let state = live(BP_5, "").replace(
        "{ id: 900, identifier: LABOUR, active: true }",
        "{ id: 900, identifier: LABOUR, active: true }\n    - { id: 901, identifier: bp, active: true }",
    );
    let plan = run(&client(""), &state);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    assert_eq!(codes(&plan.errors), ["ambiguous_product"]);
    let message = &plan.errors[0].message;
    assert!(
        message.contains("`BP` (id 100) and `bp` (id 901)") && message.contains("mapping bp"),
        "{message}"
    );
}
