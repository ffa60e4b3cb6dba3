//! What live Autotask tenants do beyond the reference, held by the simulator: POST-started
//! cursors that refuse GET and bodyless POSTs, `pageDetails.count` per page, permission
//! refusals as HTTP 500, `Itgenatr005` without a 429, a zone that moves (401), IIS's HTML 404,
//! and unreadable zone answers read again.

use cspctl::live::{LiveError, Psa};
use cspctl::sim::autotask::QUIRKS_CONTROL_PATH;
use serde_json::{Value, json};

use super::*;

async fn quirks(sim: &cspctl::sim::RunningSim, quirks: Value) {
    let status = reqwest::Client::new()
        .put(format!("{}{QUIRKS_CONTROL_PATH}", sim.url()))
        .json(&quirks)
        .send()
        .await
        .unwrap();
    assert!(status.status().is_success(), "{}", status.status());
}

#[tokio::test]
async fn a_post_started_cursor_only_follows_a_post_of_the_same_query() {
    let mut state = seeded(1, 3, 0);
    state.psa.companies.extend((2..=1_200).map(|c| cspctl::model::Company {
        id: c,
        identifier: format!("C{c:05}"),
        name: format!("Company {c}"),
    }));
    let sim = start(state).await;
    let query = json!({ "filter": [{ "op": "gte", "field": "id", "value": 0 }], "MaxRecords": 500 });
    let (status, first) = raw(&sim, reqwest::Method::POST, "Companies/query", Some(query.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(first["pageDetails"]["count"], 500, "the page's count, not a total of 1,200");
    let next = first["pageDetails"]["nextPageUrl"].as_str().unwrap().to_string();
    assert!(!next.contains("search="), "a POST-started cursor carries no search: {next}");
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    let call = |method: reqwest::Method, body: Option<Value>| {
        let mut r = reqwest::Client::new()
            .request(method, &next)
            .header("ApiIntegrationCode", &code)
            .header("UserName", &user)
            .header("Secret", &secret);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = call(reqwest::Method::GET, None).await;
    assert_eq!(status, 405, "{body}");
    let (status, body) = call(reqwest::Method::POST, None).await;
    assert_eq!(status, 500);
    assert!(body.contains("queryModel"), "{body}");
    let other = json!({ "filter": [{ "op": "gte", "field": "id", "value": 5 }], "MaxRecords": 500 });
    assert_eq!(call(reqwest::Method::POST, Some(other)).await.0, 500, "another query");
    let (status, body) = call(reqwest::Method::POST, Some(query)).await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["pageDetails"]["count"], 500);

    // The client walks all pages the way the API allows.
    let mut scope = PsaScope::default();
    scope.companies.extend((1..=1_200).map(|c| format!("C{c:05}")));
    sim.shared.reset_stats();
    let s = snap(&client(&sim), &scope).await;
    assert_eq!(s.companies.len(), 1_200);
}

#[tokio::test]
async fn a_permission_refusal_is_named_and_never_retried() {
    let state = seeded(3, 2, 2);
    let sim = start(state.clone()).await;
    quirks(&sim, json!({ "deny": ["ContractServices"] })).await;
    let e = client(&sim).snapshot(&scope_of(&state)).await.unwrap_err();
    assert!(matches!(e, LiveError::Permission { status: 500, .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("adequate permissions") && text.contains("security level"), "{text}");
    let stats = sim.shared.stats();
    assert_eq!(stats.get("POST /ATServicesRest/V1.0/ContractServices/query"), Some(&1), "{stats:?}");
}

#[tokio::test]
async fn a_thread_limit_breach_without_a_429_is_backed_off_and_retried() {
    let state = seeded(1_600, 5, 1); // four `in` batches per entity: three in flight per client
    let sim = start(state.clone()).await;
    quirks(&sim, json!({ "thread_limit_status": 500 })).await;
    cspctl::sim::autotask::set_work_latency(&sim.shared, 20);
    // Two clients at the endpoint's limit each: the extra requests meet `Itgenatr005`, with a 500.
    let scope = scope_of(&state);
    let (one, two) = (client(&sim), client(&sim));
    let (a, b) = tokio::join!(one.snapshot(&scope), two.snapshot(&scope));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(a.additions.len(), 1_600);
    let refused = cspctl::sim::autotask::dialect_stats(&sim.shared).unwrap().thread_refusals;
    assert!(refused > 0, "two clients over one endpoint's limit were refused");
}

#[tokio::test]
async fn a_401_after_the_zone_moved_looks_the_zone_up_again_once() {
    let state = seeded(4, 3, 2);
    let sim = start(state.clone()).await;
    let client = zone_client(&sim);
    let scope = scope_of(&state);
    let before = snap(&client, &scope).await;
    quirks(&sim, json!({ "zone": 2 })).await;
    sim.shared.reset_stats();
    let after = snap(&client, &scope).await;
    assert_eq!(after, before);
    let stats = sim.shared.stats();
    let lookups: u64 = stats.iter().filter(|(k, _)| k.contains("zoneInformation")).map(|(_, v)| v).sum();
    assert_eq!(lookups, 1, "{stats:?}");
    assert!(stats.keys().any(|k| k.contains("/zone2/")), "{stats:?}");

    // A configured base URL is not second-guessed: its 401 stands.
    let e = super::support::client(&sim).snapshot(&scope).await.unwrap_err();
    assert!(matches!(e, LiveError::Auth { status: 401, .. }), "{e}");
}

#[tokio::test]
async fn unknown_paths_answer_iis_html_404() {
    // The client's error parser reads such a page by its title (unit-tested in live::autotask).
    let sim = start(seeded(1, 1, 1)).await;
    let url = format!("{}/ATServicesRest/V1.0/Contracts/1/NoSuchChild", sim.url());
    let r = reqwest::Client::new().patch(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("<title>404 - File or directory not found.</title>"), "{body}");
}
