//! Requests checked against the Autotask swagger (see `spec.rs` for how names are reconciled).

use super::*;

#[tokio::test]
async fn requests_follow_the_swagger() {
    let Some(swagger) = spec::Swagger::load() else { return };
    let state = seeded(3, 6, 2);
    let sim = start(state.clone()).await;
    sim.shared.record();
    let client = zone_client(&sim);
    let scope = scope_of(&state);
    let s = snap(&client, &scope).await;
    let a = addition(&s, 100_001);
    write(
        &client,
        &Write::Update {
            addition: a.id,
            agreement: a.agreement,
            product: a.product,
            expected: a.fingerprint.clone(),
            from_quantity: a.quantity,
            quantity: Some(11),
            description: Some("text".into()),
            unit_price: Some(9.5),
            effective_date: today(),
        },
    )
    .await;
    let b = addition(&s, 100_002);
    write(
        &client,
        &Write::Cancel {
            addition: b.id,
            agreement: b.agreement,
            product: b.product,
            expected: b.fingerprint.clone(),
            from_quantity: b.quantity,
            cancelled_date: today(),
        },
    )
    .await;
    let product =
        s.products.iter().find(|p| !s.additions.iter().any(|x| x.agreement == 10_001 && x.product == p.id));
    write(
        &client,
        &Write::Create {
            agreement: 10_001,
            product: product.map(|p| p.id).unwrap_or_default(),
            quantity: 2,
            description: Some("new".into()),
            unit_price: Some(3.0),
            unit_cost: Some(1.0),
            effective_date: today(),
        },
    )
    .await;

    let mut problems = Vec::new();
    let mut checked = BTreeSet::new();
    for e in sim.shared.recorded() {
        if e.path.to_ascii_lowercase().ends_with("/query/next") {
            continue; // server-provided nextPageUrl, not in the swagger
        }
        let Some(template) = swagger.template(&e.path) else {
            problems.push(format!("{} {}: no such path in the swagger", e.method, e.path));
            continue;
        };
        let Some(op) = swagger
            .body_model(&template, &e.method)
            .or_else(|| swagger.answer_model(&template, &e.method).map(|_| String::new()))
        else {
            problems.push(format!("{} {template}: no such method in the swagger", e.method));
            continue;
        };
        checked.insert(format!("{} {template}", e.method));
        let body: Value = serde_json::from_str(&e.request_body).unwrap_or(Value::Null);
        let answer: Value = serde_json::from_str(&e.response_body).unwrap_or(Value::Null);
        let answer_model = swagger.answer_model(&template, &e.method).unwrap_or_default();
        if op == "QueryModel" {
            spec::check_query(&swagger, &answer_model, &body, &mut problems);
            for item in answer["items"].as_array().into_iter().flatten() {
                spec::check_object(&swagger, &answer_model, item, "simulator answer", &mut problems);
            }
        } else if !op.is_empty() {
            spec::check_object(&swagger, &op, &body, &format!("{} {template}", e.method), &mut problems);
        } else if e.status == 200 && !answer_model.is_empty() {
            spec::check_object(&swagger, &answer_model, &answer, "simulator answer", &mut problems);
        }
    }
    eprintln!("checked against the swagger: {checked:#?}");
    // The checker itself notices a wrong name.
    let mut caught = Vec::new();
    spec::check_object(
        &swagger,
        "ContractServiceAdjustmentModel",
        &json!({"unitsChange": 1}),
        "self-test",
        &mut caught,
    );
    spec::check_query(
        &swagger,
        "CompanyModel",
        &json!({"Filter": [{"op": "eq", "field": "name", "value": 1}]}),
        &mut caught,
    );
    assert_eq!(caught.len(), 2, "{caught:?}");
    assert!(problems.is_empty(), "{problems:#?}");
    for needed in [
        "GET /V1.0/ZoneInformation",
        "GET /V1.0/ThresholdInformation",
        "POST /V1.0/Companies/query",
        "POST /V1.0/Contracts/query",
        "POST /V1.0/Services/query",
        "POST /V1.0/ContractServices/query",
        "POST /V1.0/ContractServiceUnits/query",
        "POST /V1.0/ContractServiceAdjustments",
        "POST /V1.0/Contracts/{parentId}/Services",
        "PATCH /V1.0/Contracts/{parentId}/Services",
    ] {
        assert!(checked.contains(needed), "{needed} was not exercised: {checked:?}");
    }
}
