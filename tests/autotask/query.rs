//! The simulator's Autotask query language, paging, errors and auth, called by hand.

use super::*;

#[tokio::test]
async fn simulator_speaks_the_query_language() {
    let sim = start(seeded(4, 3, 2)).await;
    let q = |filter: Value| json!({ "MaxRecords": 500, "Filter": filter });
    let ids = |v: &Value| -> Vec<i64> {
        v["items"].as_array().map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect()).unwrap_or_default()
    };
    let post = reqwest::Method::POST;
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!([{ "op": "eq", "field": "companyname", "value": "COMPANY 2" }]), vec![2]),
        (json!([{ "op": "noteq", "field": "id", "value": 2 }]), vec![1, 3, 4]),
        (json!([{ "op": "gt", "field": "id", "value": 2 }]), vec![3, 4]),
        (json!([{ "op": "gte", "field": "id", "value": 2 }]), vec![2, 3, 4]),
        (json!([{ "op": "lt", "field": "id", "value": 2 }]), vec![1]),
        (json!([{ "op": "lte", "field": "id", "value": 2 }]), vec![1, 2]),
        (json!([{ "op": "in", "field": "companyNumber", "value": ["c00001", "C00003"] }]), vec![1, 3]),
        (json!([{ "op": "notIn", "field": "id", "value": [1, 3] }]), vec![2, 4]),
        (json!([{ "op": "beginsWith", "field": "companyName", "value": "comp" }]), vec![1, 2, 3, 4]),
        (json!([{ "op": "endsWith", "field": "companyName", "value": "y 4" }]), vec![4]),
        (json!([{ "op": "contains", "field": "companyNumber", "value": "0003" }]), vec![3]),
        (json!([{ "op": "exist", "field": "companyNumber" }]), vec![1, 2, 3, 4]),
        (json!([{ "op": "notExist", "field": "companyNumber" }]), vec![]),
        (
            json!([{ "op": "or", "items": [
                { "op": "eq", "field": "id", "value": 1 },
                { "op": "and", "items": [
                    { "op": "gte", "field": "id", "value": 3 },
                    { "op": "noteq", "field": "companyNumber", "value": "C00004" }
                ]}
            ]}]),
            vec![1, 3],
        ),
    ];
    for (filter, want) in cases {
        let (status, body) = raw(&sim, post.clone(), "Companies/query", Some(q(filter.clone()))).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(ids(&body), want, "{filter}");
    }
    // Dates compare as days.
    let (_, body) = raw(
        &sim,
        post.clone(),
        "Contracts/query",
        Some(q(json!([{ "op": "lte", "field": "startDate", "value": today().to_string() }]))),
    )
    .await;
    assert_eq!(ids(&body).len(), 4);

    // MaxRecords outside 1..=500 and unknown fields fail as Autotask fails: HTTP 500 + errors.
    for bad in [0, 501] {
        let (status, body) = raw(
            &sim,
            post.clone(),
            "Companies/query",
            Some(json!({ "MaxRecords": bad, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] })),
        )
        .await;
        assert_eq!(status, 500);
        assert_eq!(body["errors"][0], "maxCountOfRecordsToReturn must be between 1 and 500");
    }
    let (status, body) = raw(
        &sim,
        post.clone(),
        "Companies/query",
        Some(q(json!([{ "op": "eq", "field": "nope", "value": 1 }]))),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0].as_str()),
        (500, Some("Unable to find nope in the Company entity."))
    );

    // Paging: an absolute nextPageUrl.
    let (_, first) = raw(
        &sim,
        post.clone(),
        "Companies/query",
        Some(json!({ "MaxRecords": 3, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] })),
    )
    .await;
    assert_eq!(ids(&first), vec![1, 2, 3]);
    let next = first["pageDetails"]["nextPageUrl"].as_str().unwrap_or_default().to_string();
    assert!(next.starts_with(&sim.url()), "{next}");
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    // A POST-started cursor: GET and a bodyless POST are refused as live Autotask refuses
    // them; only a POST of the unchanged query reads on.
    for (method, body, status) in [
        (reqwest::Method::GET, None, 405),
        (reqwest::Method::POST, None, 500),
        (
            reqwest::Method::POST,
            Some(json!({ "MaxRecords": 3, "Filter": [{ "op": "gte", "field": "id", "value": 0 }] })),
            200,
        ),
    ] {
        let mut r = reqwest::Client::new()
            .request(method, &next)
            .header("ApiIntegrationCode", &code)
            .header("UserName", &user)
            .header("Secret", &secret);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("next page");
        assert_eq!(r.status().as_u16(), status);
        if status == 200 {
            let page: Value = r.json().await.unwrap_or_default();
            assert_eq!(ids(&page), vec![4]);
            assert!(page["pageDetails"]["nextPageUrl"].is_null());
        }
    }

    // Bad credentials: 401.
    let r = reqwest::Client::new()
        .post(format!("{}/ATServicesRest/V1.0/Companies/query", sim.url()))
        .header("ApiIntegrationCode", "x")
        .header("UserName", "y")
        .header("Secret", "z")
        .json(&q(json!([{ "op": "gte", "field": "id", "value": 0 }])))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
}
