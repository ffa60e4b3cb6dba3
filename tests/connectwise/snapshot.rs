//! Reads: bulk lists with conditions, paging across pages (numbered and forward-only), codebase
//! discovery, and the simulator's conditions and Link headers seen from a plain HTTP client.

use cspctl::live::Psa;
use cspctl::model::{AgreementStatus, Fingerprint};

use crate::support::*;

#[tokio::test]
async fn reads_what_the_scope_names_and_maps_it_to_the_model() {
    let sim = start(seed(20, 12)).await;
    let cw = client(&sim);
    let scope = scope(5, 3);
    let snap = cw.snapshot(&scope).await.expect("snapshot");

    let ids: Vec<i64> = snap.companies.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(snap.companies[0].identifier, "C00001");
    assert_eq!(snap.agreements.len(), 5, "agreements of the companies in scope");
    assert_eq!(snap.products.len(), 10);
    assert!(!snap.products.iter().find(|p| p.identifier == "P10").expect("P10").active);
    assert_eq!(snap.products[0].unit_price, Some(11.0));
    // Only the three named agreements' additions, all of them (cancelled history included).
    let state = sim.shared.lock_state().psa.clone();
    let expected: Vec<_> = state.additions.iter().filter(|a| a.agreement <= 3).cloned().collect();
    assert_eq!(snap.additions, expected);
    assert!(snap.additions.iter().any(|a| a.cancelled_date.is_some()));
    assert_eq!(snap.additions[0].fingerprint, Fingerprint(SEEDED.into()));
    assert_eq!(requests(&sim, "/additions"), 3);
    assert_eq!(requests(&sim, "companyinfo"), 1, "codebase discovered once");
}

#[tokio::test]
async fn agreement_status_comes_from_the_wire() {
    let sim = start(seed(8, 1)).await;
    let snap = client(&sim).snapshot(&scope(8, 0)).await.expect("snapshot");
    let seven = snap.agreements.iter().find(|a| a.id == 7).expect("agreement 7");
    assert_eq!(seven.status, AgreementStatus::Cancelled);
    assert_eq!(seven.start_date, Some(day("2025-07-01")));
    assert!(snap.agreements.iter().filter(|a| a.id != 7).all(|a| a.status == AgreementStatus::Active));
}

#[tokio::test]
async fn pages_through_lists_larger_than_a_page_both_ways() {
    let sim = start(seed(2_500, 0)).await;
    // One agreement with 2,300 additions: three pages.
    {
        let mut state = sim.shared.lock_state();
        let template = seed(1, 2_300).psa.additions;
        state.psa.additions = template;
    }
    let scope = scope(2_500, 1);
    let numbered = client(&sim).snapshot(&scope).await.expect("numbered paging");
    assert_eq!(numbered.companies.len(), 2_500);
    assert_eq!(numbered.agreements.len(), 2_500);
    assert_eq!(numbered.additions.len(), 2_300);
    assert_eq!(requests(&sim, "GET /v2026_4/apis/3.0/finance/agreements/{id}/additions"), 3);

    let forward = client(&sim).with_forward_only(true).snapshot(&scope).await.expect("forward-only paging");
    assert_eq!(forward, numbered);
}

#[tokio::test]
async fn a_configured_codebase_skips_discovery() {
    let sim = start(seed(2, 1)).await;
    let mut settings = settings(&sim);
    settings.codebase = Some("v4_6_release".into());
    let snap = client_with(&settings, credentials()).snapshot(&scope(2, 2)).await.expect("snapshot");
    assert_eq!(snap.additions.len(), 2);
    assert_eq!(requests(&sim, "companyinfo"), 0);
    assert!(requests(&sim, "/v4_6_release/") > 0);
}

/// A plain HTTP client with the simulator's credentials, for wire-level checks.
fn raw(sim: &cspctl::sim::RunningSim, path_and_query: &str) -> reqwest::RequestBuilder {
    let [company, public, private, client_id] = cspctl::sim::SimCredentials::default().connectwise;
    reqwest::Client::new()
        .get(format!("{}/v4_6_release/apis/3.0{path_and_query}", sim.url()))
        .basic_auth(format!("{company}+{public}"), Some(private))
        .header("clientId", client_id)
}

async fn ids(sim: &cspctl::sim::RunningSim, path: &str, conditions: &str) -> Vec<i64> {
    let url = format!("{path}?pageSize=1000&conditions={}", urlencode(conditions));
    let reply = raw(sim, &url).send().await.expect("send");
    assert_eq!(reply.status(), 200, "{conditions}");
    let rows: Vec<serde_json::Value> = reply.json().await.expect("json");
    rows.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_simulator_filters_with_conditions() {
    let sim = start(seed(10, 10)).await;
    assert_eq!(ids(&sim, "/company/companies", r#"identifier in ("C00002", 'c00004')"#).await, vec![2, 4]);
    assert_eq!(
        ids(&sim, "/finance/agreements", r#"company/id in (6,7,8) AND agreementStatus="Active""#).await,
        vec![6, 8]
    );
    assert_eq!(
        ids(&sim, "/procurement/catalog", "inactiveFlag=true or (id<=2 and id != 1)").await,
        vec![2, 10]
    );
    let live = ids(
        &sim,
        "/finance/agreements/3/additions",
        r#"product/identifier in ("P01","P05") and (cancelledDate=null or cancelledDate>[2026-05-01T00:00:00Z])"#,
    )
    .await;
    assert_eq!(live, vec![21], "P05 (k=4) is cancelled; P01 is k=0 of agreement 3");
    assert_eq!(ids(&sim, "/company/companies", r#"name like "Company 1*""#).await, vec![1, 10]);
    assert_eq!(
        ids(&sim, "/procurement/catalog", "description contains 'uct 1' and not id=10").await,
        vec![1]
    );
    assert_eq!(ids(&sim, "/finance/agreements/1/additions", "effectiveDate < [2026-01-02]").await.len(), 10);

    let bad = raw(&sim, &format!("/company/companies?conditions={}", urlencode("id in (1,")))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.expect("json");
    assert!(body["message"].as_str().expect("message").contains("position"), "{body}");
}

#[tokio::test]
async fn the_simulator_sends_link_headers_and_counts() {
    let sim = start(seed(60, 0)).await;
    let reply = raw(&sim, "/company/companies?pageSize=25&page=2").send().await.expect("send");
    let link = reply.headers()["link"].to_str().expect("link").to_string();
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    let rows: Vec<serde_json::Value> = reply.json().await.expect("json");
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0]["id"], 26);

    let capped = raw(&sim, "/company/companies?pageSize=5000").send().await.expect("send");
    assert!(capped.headers().get("link").expect("link").to_str().expect("text").contains("rel=\"first\""));

    let forward = raw(&sim, "/company/companies?pageSize=50")
        .header("pagination-type", "forward-only")
        .send()
        .await
        .expect("send");
    let link = forward.headers()["link"].to_str().expect("link").to_string();
    assert!(link.ends_with("pageId=50>; rel=\"next\""), "{link}");
    assert!(!link.contains("last"));

    let count: serde_json::Value =
        raw(&sim, &format!("/finance/agreements/count?conditions={}", urlencode("id>50")))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
    assert_eq!(count, serde_json::json!({"count": 10}));
}

#[tokio::test]
async fn the_simulator_orders_and_projects_fields() {
    let sim = start(seed(12, 0)).await;
    let rows: Vec<serde_json::Value> =
        raw(&sim, "/company/companies?orderBy=name%20desc&fields=id,name&pageSize=3")
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
    assert_eq!(
        rows,
        vec![
            serde_json::json!({"id": 9, "name": "Company 9"}),
            serde_json::json!({"id": 8, "name": "Company 8"}),
            serde_json::json!({"id": 7, "name": "Company 7"}),
        ]
    );
    let rows: Vec<serde_json::Value> =
        raw(&sim, "/finance/agreements?fields=id,company/id,_info/lastUpdated&conditions=id%3D3")
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
    assert_eq!(
        rows,
        vec![
            serde_json::json!({"id": 3, "company": {"id": 3}, "_info": {"lastUpdated": cspctl::sim::connectwise::INITIAL_STAMP}})
        ]
    );
}
