use std::time::Duration;

use cspctl::live::dickerdata::{DickerDataApi, DickerDataCredentials};
use cspctl::live::http::RetryPolicy;
use cspctl::live::sandbox::SandboxState;
use cspctl::live::{Distributor, LiveError};
use cspctl::model::{Customer, DistributorSnapshot, Licence, LicenceStatus};
use cspctl::sim::dickerdata::KEYS_CONTROL_PATH;
use cspctl::sim::{self, Faults, RunningSim, SimCredentials, SimShared};

const ACCOUNT: &str = "CANARY-ACCT-51d3";
const TOKEN: &str = "CANARY-TOKEN-e8f0";

const CODES: [(&str, f64, f64); 4] = [
    ("P1Y:CFQ7TTC0LCHC:0002:1:", 338.31, 414.60),
    ("P1Y:CFQ7TTC0LH18:0001:1:", 85.54, 104.76),
    ("P1M:CFQ7TTC0LDPB:0001:1:", 24.93, 30.53),
    ("DZH318Z0BPS6:0001", 0.0, 0.0),
];

/// `customers` tenants with four licences each (every 10th suspended, the 4th an Azure plan),
/// and one more tenant that holds nothing.
fn state(customers: usize) -> SandboxState {
    let mut snapshot = DistributorSnapshot::default();
    for c in 0..customers {
        let id = format!("{:08X}", 0x1100_0000 + c * 31);
        snapshot.customers.push(Customer { id: id.clone(), name: format!("INVENTED TENANT {c:04} PTY LTD") });
        for (i, (code, price, rrp)) in CODES.iter().enumerate() {
            snapshot.licences.push(Licence {
                customer: id.clone(),
                subscription: format!("{:08X}", 0x7700_0000 + c * 4 + i),
                stock_code: code.parse().unwrap(),
                description: format!("PRODUCT {i}"),
                quantity: (1 + (c * 7 + i * 3) % 250) as u32,
                status: if (c + i) % 10 == 9 { LicenceStatus::Inactive } else { LicenceStatus::Active },
                unit_price: Some(*price),
                unit_rrp: Some(*rrp),
                term_end: None,
                next_billing: None,
            });
        }
    }
    snapshot.customers.push(Customer { id: "0FFFFFFF".into(), name: "TENANT WITHOUT LICENCES".into() });
    SandboxState { dicker_data: snapshot, psa: Default::default() }
}

/// What the API should report: the state without usage-based lines, and without prices
/// (the subscriptions API does not carry them).
fn expected(state: &SandboxState) -> DistributorSnapshot {
    let mut snapshot = state.dicker_data.clone();
    snapshot.licences.retain(|l| l.stock_code.term.is_some());
    for l in &mut snapshot.licences {
        (l.unit_price, l.unit_rrp) = (None, None);
    }
    snapshot
}

async fn start(state: SandboxState) -> RunningSim {
    let credentials = SimCredentials { dicker_data: [ACCOUNT.into(), TOKEN.into()], ..Default::default() };
    let shared = SimShared::new(state, Faults::default(), credentials);
    sim::start("127.0.0.1:0".parse().unwrap(), shared).await.unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

fn client(sim: &RunningSim, token: &str) -> DickerDataApi {
    DickerDataApi::new(Some(&sim.url()), DickerDataCredentials::new(token, Some(ACCOUNT)))
        .unwrap()
        .with_retry(fast_retries())
}

fn count(sim: &RunningSim, route: &str) -> u64 {
    sim.shared.stats().get(route).copied().unwrap_or(0)
}

async fn set_keys(sim: &RunningSim, policy: serde_json::Value) {
    let url = format!("{}{KEYS_CONTROL_PATH}", sim.url());
    let status = reqwest::Client::new().put(url).json(&policy).send().await.unwrap().status();
    assert!(status.is_success(), "{status}");
}

const KEY: &str = "POST /AccessKeyRequest";
const TENANTS: &str = "POST /Subscriptions/GetTenant";
const SUBSCRIPTIONS: &str = "POST /Subscriptions/GetSubscriptionDetails";

#[tokio::test]
async fn reads_every_tenant_and_subscription_in_three_requests() {
    let state = state(600); // 601 tenants, 2400 lines
    let sim = start(state.clone()).await;
    let api = client(&sim, TOKEN);
    let snapshot = api.snapshot().await.unwrap();
    assert_eq!(snapshot, expected(&state));
    assert_eq!(api.name(), "dicker_data api");
    assert_eq!(count(&sim, KEY), 1);
    assert_eq!(count(&sim, TENANTS), 1);
    assert_eq!(count(&sim, SUBSCRIPTIONS), 1, "one call for every tenant's subscriptions");
    assert_eq!(sim.shared.total_requests(), 3);
}

#[tokio::test]
async fn requests_carry_the_bearer_key_fresh_transaction_ids_and_the_envelope() {
    let sim = start(state(3)).await;
    sim.shared.record();
    client(&sim, TOKEN).snapshot().await.unwrap();
    let journal = sim.shared.recorded();
    assert_eq!(journal.len(), 3);
    let key: serde_json::Value = serde_json::from_str(&journal[0].request_body).unwrap();
    assert_eq!((journal[0].method.as_str(), journal[0].path.as_str()), ("POST", "/AccessKeyRequest"));
    assert_eq!(key["AccessToken"], TOKEN);
    assert_eq!(key["AccountCode"], ACCOUNT);
    let transaction = uuid::Uuid::parse_str(key["TransactionID"].as_str().unwrap()).unwrap();
    assert_eq!(transaction.get_version_num(), 4);
    let header = |e: &cspctl::sim::Exchange, name: &str| {
        e.request_headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let mut ids = std::collections::BTreeSet::new();
    for call in &journal[1..] {
        assert_eq!(call.method, "POST");
        assert!(header(call, "authorization").starts_with("Bearer SIM-"), "{call:?}");
        assert_eq!(header(call, "dd-apiversion"), "1.0");
        assert!(header(call, "content-type").starts_with("application/json"));
        assert!(ids.insert(uuid::Uuid::parse_str(&header(call, "dd-transactionid")).unwrap()));
        let body: serde_json::Value = serde_json::from_str(&call.request_body).unwrap();
        assert_eq!(body, serde_json::json!({ "In": { "SubscriptionType": "CSP" } }));
    }

    // Without an account code, the key exchange sends the access token alone, as the public
    // client does.
    sim.shared.record();
    let api = DickerDataApi::new(Some(&sim.url()), DickerDataCredentials::new(TOKEN, None)).unwrap();
    api.snapshot().await.unwrap();
    let key: serde_json::Value = serde_json::from_str(&sim.shared.recorded()[0].request_body).unwrap();
    let mut fields: Vec<&String> = key.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["AccessToken", "TransactionID"]);
}

#[tokio::test]
async fn the_simulator_refuses_what_the_client_must_not_send() {
    let sim = start(state(2)).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/{path}", sim.url());
    let answer: serde_json::Value = http
        .post(url("AccessKeyRequest"))
        .json(&serde_json::json!({ "AccessToken": TOKEN, "TransactionID": uuid::Uuid::new_v4().to_string() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["Status"], "GRANTED");
    let key = answer["AccessKey"].as_str().unwrap().to_string();
    let reused = uuid::Uuid::new_v4().to_string();
    let send = |path: &'static str, transaction: String, version: &'static str, body: serde_json::Value| {
        let request = http
            .post(url(path))
            .bearer_auth(&key)
            .header("DD-TransactionID", transaction)
            .header("DD-ApiVersion", version)
            .json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let csp = serde_json::json!({ "In": { "SubscriptionType": "CSP" } });
    let fresh = || uuid::Uuid::new_v4().to_string();
    assert_eq!(send("Subscriptions/GetTenant", reused.clone(), "1.0", csp.clone()).await, 200);
    assert_eq!(
        send("Subscriptions/GetTenant", reused, "1.0", csp.clone()).await,
        400,
        "a reused transaction id"
    );
    assert_eq!(send("Subscriptions/GetTenant", fresh(), "2.0", csp.clone()).await, 400, "another version");
    assert_eq!(send("Subscriptions/GetTenant", "42".into(), "1.0", csp.clone()).await, 400, "not a GUID");
    assert_eq!(
        send("Subscriptions/GetTenant", fresh(), "1.0", serde_json::json!({})).await,
        400,
        "no envelope"
    );
    assert_eq!(
        send("Subscriptions/GetSubscriptionDetails", fresh(), "1.0", serde_json::json!({ "In": {} })).await,
        400,
        "no SubscriptionType"
    );
    assert_eq!(send("Subscriptions/GetSubscriptionDetails", fresh(), "1.0", csp).await, 200);
    let get = http.get(url("Subscriptions/GetTenant")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405, "every call is a POST");
    let no_key =
        http.post(url("Subscriptions/GetTenant")).header("DD-ApiVersion", "1.0").send().await.unwrap();
    assert_eq!(no_key.status().as_u16(), 401);
}

#[tokio::test]
async fn a_key_that_expires_mid_run_is_renewed_exactly_once() {
    let state = state(60);
    let sim = start(state.clone()).await;
    // Each key is refused after 1 call; the run needs 2, so one of them is refused and one
    // new key finishes the run.
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 1 })).await;
    sim.shared.reset_stats();
    let api = client(&sim, TOKEN);
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    assert_eq!(count(&sim, KEY), 2, "one key, then exactly one renewal");
    assert_eq!(count(&sim, TENANTS) + count(&sim, SUBSCRIPTIONS), 3, "the refused call sent again");

    // A key that goes stale between two runs: the client still believes in it, both calls are
    // refused at once, and one renewal serves both.
    set_keys(&sim, serde_json::json!({ "lifetime_secs": 1200, "expire_issued": true })).await;
    sim.shared.reset_stats();
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    assert_eq!(count(&sim, KEY), 1);
    assert_eq!(count(&sim, TENANTS) + count(&sim, SUBSCRIPTIONS), 4);
}

#[tokio::test]
async fn a_key_refused_twice_is_an_auth_error() {
    let sim = start(state(3)).await;
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 0 })).await;
    sim.shared.reset_stats();
    let e = client(&sim, TOKEN).snapshot().await.unwrap_err();
    assert!(
        matches!(&e, LiveError::Auth { status: 401, request, .. } if request.path.starts_with("/Subscriptions/")),
        "{e}"
    );
    assert!(e.to_string().contains("refused again right after it was renewed"), "{e}");
    assert!(count(&sim, KEY) <= 3, "at most one renewal per call, not a loop: {:?}", sim.shared.stats());
}

#[tokio::test]
async fn a_short_lived_key_is_renewed_before_it_expires() {
    let state = state(30);
    let sim = start(state.clone()).await;
    set_keys(&sim, serde_json::json!({ "lifetime_secs": 0.6 })).await;
    sim.shared.set_faults(Faults { latency_ms: 50, ..Default::default() });
    sim.shared.reset_stats();
    let api = client(&sim, TOKEN);
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    // A 0.6 s key is renewed 0.3 s after it was issued (half of a short lifetime), never by a
    // refusal: no call is sent twice.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    assert_eq!(count(&sim, KEY), 2, "{:?}", sim.shared.stats());
    assert_eq!(count(&sim, TENANTS) + count(&sim, SUBSCRIPTIONS), 4, "{:?}", sim.shared.stats());
}

#[tokio::test]
async fn twenty_percent_faults_give_the_same_licences() {
    let state = state(250);
    let sim = start(state.clone()).await;
    let api = client(&sim, TOKEN);
    let clean = api.snapshot().await.unwrap();
    assert_eq!(clean, expected(&state));
    for seed in [1, 2, 3] {
        sim.shared.set_faults(Faults {
            rate_429: 0.1,
            retry_after_secs: 0.01,
            rate_5xx: 0.1,
            seed,
            ..Default::default()
        });
        sim.shared.reset_stats();
        assert_eq!(api.snapshot().await.unwrap(), clean, "seed {seed}");
    }
    // Bodies cut short in transit are read again, the AccessKey answer included.
    for seed in [9, 10, 11, 12] {
        sim.shared.set_faults(Faults { rate_malformed: 0.3, seed, ..Default::default() });
        sim.shared.reset_stats();
        assert_eq!(client(&sim, TOKEN).snapshot().await.unwrap(), clean, "seed {seed}");
    }
}

#[tokio::test]
async fn refused_credentials_fail_with_an_auth_error() {
    let sim = start(state(2)).await;
    let e = client(&sim, "wrong-token").snapshot().await.unwrap_err();
    assert!(matches!(&e, LiveError::Auth { status: 401, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "POST /AccessKeyRequest was refused (HTTP 401): Invalid AccessToken. Check the credential environment variables"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn credentials_never_reach_errors_debug_output_or_logs() {
    let logs = crate::logs::capture();

    let sim = start(state(20)).await;
    let mut texts = Vec::new();
    let api = client(&sim, TOKEN);
    texts.push(format!("{api:?}"));
    texts.push(format!("{:?}", DickerDataCredentials::new(TOKEN, Some(ACCOUNT))));
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 1 })).await;
    api.snapshot().await.unwrap();
    sim.shared.set_faults(Faults { rate_5xx: 1.0, ..Default::default() });
    let e = api.snapshot().await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    sim.shared.set_faults(Faults::default());
    let refused = client(&sim, &format!("{TOKEN}-old"));
    let e = refused.snapshot().await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    let url = sim.url();
    drop(sim);
    let unreachable = DickerDataApi::new(Some(&url), DickerDataCredentials::new(TOKEN, Some(ACCOUNT)))
        .unwrap()
        .with_retry(RetryPolicy { max_attempts: 1, ..fast_retries() });
    let e = unreachable.snapshot().await.unwrap_err();
    texts.push(format!("{e} {e:?}"));

    texts.push(logs.text());
    assert!(texts.last().unwrap().contains("AccessKey refused"), "logs were captured");
    assert!(texts.last().unwrap().contains("skipped=20"), "usage-based lines are counted in the log");
    for text in &texts {
        for canary in [ACCOUNT, TOKEN, "CANARY"] {
            assert!(!text.contains(canary), "`{canary}` leaked into: {text}");
        }
    }
}
