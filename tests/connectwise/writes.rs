//! Writes: create, update, cancel, stale refusal, CW error bodies, auth failures.

use cspctl::live::{LiveError, Psa};
use cspctl::model::{Fingerprint, Write};

use crate::support::*;

fn create(agreement: i64, product: i64, quantity: u32) -> Write {
    Write::Create {
        agreement,
        product,
        quantity,
        description: Some("Microsoft 365 Business Premium".into()),
        unit_price: Some(32.9),
        unit_cost: Some(26.4),
        effective_date: day("2026-05-01"),
    }
}

fn update(addition: i64, agreement: i64, expected: &str, quantity: u32) -> Write {
    Write::Update {
        addition,
        agreement,
        product: 1,
        expected: Fingerprint(expected.into()),
        from_quantity: 1.0,
        quantity: Some(quantity),
        description: Some("Renamed".into()),
        unit_price: Some(19.5),
        effective_date: day("2026-05-01"),
    }
}

#[tokio::test]
async fn creates_an_addition_with_computed_fields() {
    let sim = start(seed(3, 2)).await;
    let cw = client(&sim);
    let applied = cw.apply(&create(2, 7, 24)).await.expect("create");
    let state = sim.shared.lock_state().psa.clone();
    let row = state.additions.iter().find(|a| a.id == applied.addition).expect("created row");
    assert_eq!((row.agreement, row.product, row.quantity), (2, 7, 24.0));
    assert_eq!(row.unit_price, Some(32.9));
    assert_eq!(row.effective_date, Some(day("2026-05-01")));
    assert_eq!(row.description.as_deref(), Some("Microsoft 365 Business Premium"));
    assert_eq!(row.fingerprint, applied.fingerprint);
    assert!(!applied.fingerprint.is_empty());
    // The wire record carries ConnectWise's computed fields.
    let [company, public, private, client_id] = cspctl::sim::SimCredentials::default().connectwise;
    let url =
        format!("{}/v4_6_release/apis/3.0/finance/agreements/2/additions/{}", sim.url(), applied.addition);
    let body: serde_json::Value = reqwest::Client::new()
        .get(url)
        .basic_auth(format!("{company}+{public}"), Some(private))
        .header("clientId", client_id)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["extPrice"], 24.0 * 32.9);
    assert_eq!(body["extCost"], 24.0 * 26.4);
    assert!((body["margin"].as_f64().expect("margin") - 24.0 * (32.9 - 26.4)).abs() < 1e-9);
    assert_eq!(body["billCustomer"], "Billable");
    assert_eq!(body["product"]["identifier"], "P07");
}

#[tokio::test]
async fn updates_with_a_json_patch_and_bumps_the_version() {
    let sim = start(seed(2, 3)).await;
    let cw = client(&sim);
    let applied = cw.apply(&update(2, 1, SEEDED, 40)).await.expect("update");
    let state = sim.shared.lock_state().psa.clone();
    let row = state.additions.iter().find(|a| a.id == 2).expect("row");
    assert_eq!(row.quantity, 40.0);
    assert_eq!(row.description.as_deref(), Some("Renamed"));
    assert_eq!(row.unit_price, Some(19.5));
    assert_ne!(row.fingerprint, Fingerprint(SEEDED.into()));
    assert_eq!(applied.fingerprint, row.fingerprint);
    assert_eq!(requests(&sim, "PATCH"), 1);
    // The stale check reads the agreement's additions (apply reads them in bulk), never one.
    assert_eq!(requests(&sim, "GET /v2026_4/apis/3.0/finance/agreements/{id}/additions/{additionId}"), 0);
    assert_eq!(requests(&sim, "GET /v2026_4/apis/3.0/finance/agreements/{id}/additions"), 1);

    // A second update with the new version goes through; with the old one it is stale.
    cw.apply(&update(2, 1, &applied.fingerprint.0, 41)).await.expect("second update");
    let stale = cw.apply(&update(2, 1, &applied.fingerprint.0, 42)).await.expect_err("stale");
    assert!(stale.is_stale(), "{stale}");
}

#[tokio::test]
async fn cancels_with_a_cancelled_date_and_never_deletes() {
    let sim = start(seed(2, 3)).await;
    let cw = client(&sim);
    let write = Write::Cancel {
        addition: 3,
        agreement: 1,
        product: 3,
        expected: Fingerprint(SEEDED.into()),
        from_quantity: 3.0,
        cancelled_date: day("2026-05-31"),
    };
    cw.apply(&write).await.expect("cancel");
    let state = sim.shared.lock_state().psa.clone();
    let row = state.additions.iter().find(|a| a.id == 3).expect("row still there");
    assert_eq!(row.cancelled_date, Some(day("2026-05-31")));
    assert_eq!(row.quantity, 3.0);
    assert_eq!(requests(&sim, "DELETE"), 0);
}

#[tokio::test]
async fn refuses_a_write_when_the_addition_moved_since_the_plan() {
    let sim = start(seed(2, 3)).await;
    {
        let mut state = sim.shared.lock_state();
        let row = state.psa.additions.iter_mut().find(|a| a.id == 1).expect("row");
        row.quantity = 99.0;
        row.fingerprint = Fingerprint("2026-04-01T09:30:00Z".into());
    }
    let err = client(&sim).apply(&update(1, 1, SEEDED, 5)).await.expect_err("stale");
    match &err {
        LiveError::Stale { addition, expected, found } => {
            assert_eq!(*addition, 1);
            assert_eq!(expected.0, SEEDED);
            assert_eq!(found.0, "2026-04-01T09:30:00Z");
        }
        other => panic!("expected Stale, got {other:?}"),
    }
    assert!(err.to_string().contains("run plan again"));
    assert_eq!(sim.shared.lock_state().psa.additions[0].quantity, 99.0, "nothing written");
    assert_eq!(requests(&sim, "PATCH"), 0);
}

#[tokio::test]
async fn vendor_errors_name_the_request_and_the_field() {
    let sim = start(seed(2, 1)).await;
    let cw = client(&sim);
    let missing = cw.apply(&create(999, 1, 1)).await.expect_err("unknown agreement");
    let text = missing.to_string();
    assert!(matches!(missing, LiveError::Vendor { status: 404, .. }), "{missing:?}");
    assert!(text.contains("POST /finance/agreements/999/additions"), "{text}");
    assert!(text.contains("not found"), "{text}");

    let bad_product = cw.apply(&create(1, 4242, 1)).await.expect_err("unknown product");
    let text = bad_product.to_string();
    assert!(
        text.contains("HTTP 400") && text.contains("InvalidObject") && text.contains("product:"),
        "{text}"
    );

    // An addition the read before writing does not find is refused as stale, unsent.
    let gone = cw.apply(&update(777, 1, SEEDED, 1)).await.expect_err("unknown addition");
    assert!(gone.is_stale() && gone.to_string().contains("no longer on the agreement"), "{gone}");
    assert_eq!(requests(&sim, "PATCH"), 0);
}

#[tokio::test]
async fn the_simulator_validates_create_bodies() {
    let sim = start(seed(1, 0)).await;
    let [company, public, private, client_id] = cspctl::sim::SimCredentials::default().connectwise;
    let post = |body: serde_json::Value| {
        reqwest::Client::new()
            .post(format!("{}/v4_6_release/apis/3.0/finance/agreements/1/additions", sim.url()))
            .basic_auth(format!("{company}+{public}"), Some(private.clone()))
            .header("clientId", client_id.clone())
            .json(&body)
            .send()
    };
    let reply = post(serde_json::json!({"quantity": 1})).await.expect("post");
    assert_eq!(reply.status(), 400);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["code"], "InvalidObject");
    let fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["product", "billCustomer"]);
    let ok = post(serde_json::json!({"product": {"id": 1}, "billCustomer": "Billable"})).await.expect("post");
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn bad_keys_are_401_and_a_missing_client_id_is_403() {
    let sim = start(seed(1, 1)).await;
    let wrong = with_private("not-the-key");
    let err = client_with(&settings(&sim), wrong).snapshot(&scope(1, 1)).await.expect_err("401");
    assert!(matches!(err, LiveError::Auth { status: 401, .. }), "{err:?}");
    assert!(err.to_string().contains("GET /company/companies"), "{err}");

    let [_, public, private, _] = cspctl::sim::SimCredentials::default().connectwise;
    let no_client = cspctl::live::connectwise::ConnectWiseCredentials::new(&public, &private, "unregistered");
    let err = client_with(&settings(&sim), no_client).snapshot(&scope(1, 1)).await.expect_err("403");
    assert!(matches!(err, LiveError::Auth { status: 403, .. }), "{err:?}");
    assert!(err.to_string().contains("CSPCTL_CW_CLIENT_ID"), "{err}");

    let raw = reqwest::Client::new()
        .get(format!("{}/v4_6_release/apis/3.0/company/companies", sim.url()))
        .basic_auth("sandbox+sandbox-public", Some("sandbox-private"))
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status(), 403, "no clientId header at all");
}

/// The simulator's credentials with another private key.
fn with_private(private: &str) -> cspctl::live::connectwise::ConnectWiseCredentials {
    let [_, public, _, client] = cspctl::sim::SimCredentials::default().connectwise;
    cspctl::live::connectwise::ConnectWiseCredentials::new(&public, private, &client)
}

#[tokio::test]
async fn a_create_whose_outcome_cannot_be_checked_says_so() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let settings = cspctl::config::ConnectWiseSettings {
        site: format!("http://{closed}"),
        company: "sandbox".into(),
        codebase: Some("v4_6_release".into()),
        api_version: None,
        concurrency: None,
    };
    let cw = client_with(&settings, credentials())
        .with_retry(cspctl::live::http::RetryPolicy { max_attempts: 2, ..quick_retry() });
    let err = cw.apply(&create(1, 1, 1)).await.expect_err("nothing listens");
    let text = err.to_string();
    assert!(text.starts_with("POST /finance/agreements/1/additions: the outcome is unknown"), "{text}");
    assert!(text.contains("run plan again"), "{text}");
}
