use std::sync::{Arc, Mutex};
use std::time::Duration;

use cspctl::live::dickerdata::api::listing::MAX_PAGE_SIZE;
use cspctl::live::dickerdata::{DickerDataApi, DickerDataCredentials, ListingSettings};
use cspctl::live::http::RetryPolicy;
use cspctl::live::sandbox::SandboxState;
use cspctl::live::{Distributor, LiveError};
use cspctl::model::{Customer, DistributorSnapshot, Licence, LicenceStatus, StockCode};
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

/// `customers` tenants with four licences each: every 10th suspended, the 4th an Azure plan.
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
    SandboxState { dicker_data: snapshot, psa: Default::default() }
}

/// What the API should report: the state without usage-based lines.
fn expected(state: &SandboxState) -> DistributorSnapshot {
    let mut snapshot = state.dicker_data.clone();
    snapshot.licences.retain(|l| l.stock_code.term.is_some());
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

fn client(sim: &RunningSim, account: &str, token: &str) -> DickerDataApi {
    DickerDataApi::new(
        Some(&sim.url()),
        DickerDataCredentials::new(account, token),
        ListingSettings::default(),
    )
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

const KEY: &str = "POST /api/AccessKeyRequest";
const CUSTOMERS: &str = "POST /api/Cloud/Customers";
const SUBSCRIPTIONS: &str = "POST /api/Cloud/Subscriptions";

#[tokio::test]
async fn reads_the_modelled_listing_in_bulk() {
    let state = state(600); // 600 customers, 2400 lines: 1 + 3 pages of 1000
    let sim = start(state.clone()).await;
    let api = client(&sim, ACCOUNT, TOKEN);
    let snapshot = api.snapshot().await.unwrap();
    assert_eq!(snapshot, expected(&state));
    assert_eq!(api.name(), "dicker_data api");
    assert_eq!(count(&sim, KEY), 1);
    assert_eq!(count(&sim, CUSTOMERS), 1);
    assert_eq!(count(&sim, SUBSCRIPTIONS), 3, "pages of {MAX_PAGE_SIZE}, the largest allowed");
    assert_eq!(sim.shared.total_requests(), 5);
}

#[tokio::test]
async fn requests_carry_the_documented_header() {
    let sim = start(state(3)).await;
    sim.shared.record();
    let api = client(&sim, ACCOUNT, TOKEN);
    api.snapshot().await.unwrap();
    let codes: Vec<StockCode> = vec![CODES[0].0.parse().unwrap()];
    api.unit_prices(&codes).await.unwrap();
    let journal = sim.shared.recorded();
    let key: serde_json::Value = serde_json::from_str(&journal[0].request_body).unwrap();
    assert_eq!(journal[0].path, "/api/AccessKeyRequest");
    assert_eq!(key["AccountCode"], ACCOUNT);
    assert_eq!(key["AccessToken"], TOKEN);
    let transaction = uuid::Uuid::parse_str(key["TransactionID"].as_str().unwrap()).unwrap();
    assert_eq!(transaction.get_version_num(), 4);
    let page: serde_json::Value = serde_json::from_str(&journal[1].request_body).unwrap();
    assert_eq!(page["RequestHeader"]["Token"], TOKEN);
    assert!(page["RequestHeader"]["AccessKey"].as_str().unwrap().starts_with("SIM-"));
    assert!(uuid::Uuid::parse_str(page["RequestHeader"]["TransactionID"].as_str().unwrap()).is_ok());
    assert_eq!(
        (page["PageNumber"].as_u64(), page["PageSize"].as_u64()),
        (Some(1), Some(u64::from(MAX_PAGE_SIZE)))
    );
    let pricing = journal.last().unwrap();
    assert_eq!((pricing.method.as_str(), pricing.path.as_str()), ("GET", "/api/PricingRequest"));
    let query = pricing.query.clone().unwrap();
    for name in [
        "pricingRequest.messageID=",
        "pricingRequest.token=",
        "pricingRequest.accessKey=",
        "pricingRequest.products=",
    ] {
        assert!(query.contains(name), "{query}");
    }
}

#[tokio::test]
async fn a_key_that_expires_mid_run_is_renewed_exactly_once() {
    let state = state(600);
    let sim = start(state.clone()).await;
    // Each key is refused after 3 calls; the run needs 4 (1 customer page + 3 subscription
    // pages), so the 4th call is refused and one new key finishes the run.
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 3 })).await;
    sim.shared.reset_stats();
    let api = client(&sim, ACCOUNT, TOKEN);
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    assert_eq!(count(&sim, KEY), 2, "one key, then exactly one renewal");
    assert_eq!(count(&sim, SUBSCRIPTIONS), 4, "3 pages + the one refused call sent again");

    // A key that goes stale between two runs: the client still believes in it, is refused once
    // and renews once.
    set_keys(&sim, serde_json::json!({ "lifetime_secs": 1200, "expire_issued": true })).await;
    sim.shared.reset_stats();
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    assert_eq!(count(&sim, KEY), 1);
    assert_eq!(count(&sim, CUSTOMERS), 2);
}

#[tokio::test]
async fn a_key_refused_twice_is_an_auth_error() {
    let sim = start(state(3)).await;
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 0 })).await;
    sim.shared.reset_stats();
    let e = client(&sim, ACCOUNT, TOKEN).snapshot().await.unwrap_err();
    assert!(
        matches!(&e, LiveError::Auth { status: 401, request, .. } if request.path == "/api/Cloud/Customers"),
        "{e}"
    );
    assert!(e.to_string().contains("AccessKey is invalid or expired"), "{e}");
    assert_eq!(count(&sim, KEY), 2, "one renewal, not a loop");
    assert_eq!(count(&sim, CUSTOMERS), 2);
}

#[tokio::test]
async fn a_short_lived_key_is_renewed_before_it_expires() {
    let state = state(30);
    let sim = start(state.clone()).await;
    set_keys(&sim, serde_json::json!({ "lifetime_secs": 0.6 })).await;
    sim.shared.set_faults(Faults { latency_ms: 100, ..Default::default() });
    sim.shared.reset_stats();
    let api = DickerDataApi::new(
        Some(&sim.url()),
        DickerDataCredentials::new(ACCOUNT, TOKEN),
        ListingSettings { page_size: 40, ..Default::default() },
    )
    .unwrap();
    assert_eq!(api.snapshot().await.unwrap(), expected(&state));
    // 1 customer page + 3 subscription pages, each over 100 ms; a 0.6 s key is renewed 0.3 s
    // after it was issued (half of a short lifetime), never by a refusal: no call is sent twice.
    assert!(count(&sim, KEY) >= 2, "{:?}", sim.shared.stats());
    assert_eq!(count(&sim, CUSTOMERS) + count(&sim, SUBSCRIPTIONS), 4, "{:?}", sim.shared.stats());
}

#[tokio::test]
async fn twenty_percent_faults_give_the_same_licences() {
    let state = state(250);
    let sim = start(state.clone()).await;
    let listing = ListingSettings { page_size: 100, ..Default::default() };
    let api = DickerDataApi::new(Some(&sim.url()), DickerDataCredentials::new(ACCOUNT, TOKEN), listing)
        .unwrap()
        .with_retry(fast_retries());
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
        let faulty = api.snapshot().await.unwrap();
        assert_eq!(faulty, clean, "seed {seed}");
        // 3 customer pages + 10 subscription pages; faults add retries, not pages.
        assert!(sim.shared.total_requests() > 13, "seed {seed}: faults were injected");
    }
    // Bodies cut short in transit are read again, the AccessKey answer included.
    for seed in [9, 10] {
        sim.shared.set_faults(Faults { rate_malformed: 0.2, seed, ..Default::default() });
        let fresh = DickerDataApi::new(
            Some(&sim.url()),
            DickerDataCredentials::new(ACCOUNT, TOKEN),
            ListingSettings { page_size: 100, ..Default::default() },
        )
        .unwrap();
        assert_eq!(fresh.snapshot().await.unwrap(), clean, "seed {seed}");
    }
}

#[tokio::test]
async fn unit_prices_through_the_pricing_call() {
    let sim = start(state(2)).await;
    let api = client(&sim, ACCOUNT, TOKEN);
    let mut codes: Vec<StockCode> = CODES[..3].iter().map(|c| c.0.parse().unwrap()).collect();
    codes.push("P1Y:CFQ7TTC0LCHC:0002:1:".parse().unwrap()); // asked twice, priced once
    codes.push("P3Y:ZZZZZZZZZZZZ:0001:Y:".parse().unwrap()); // unknown to Dicker Data
    for i in 0..60 {
        codes.push(format!("P1M:AAAAAAAA{i:04}:0001:1:").parse().unwrap());
    }
    let prices = api.unit_prices(&codes).await.unwrap();
    assert_eq!(prices.len(), 3);
    let premium = &prices[&CODES[0].0.parse::<StockCode>().unwrap()];
    assert_eq!((premium.unit_cost, premium.unit_rrp), (Some(338.31), Some(414.60)));
    assert_eq!(count(&sim, "GET /api/PricingRequest"), 2, "64 distinct codes in batches of 50");
}

#[tokio::test]
async fn refused_credentials_fail_with_an_auth_error() {
    let sim = start(state(2)).await;
    let api = client(&sim, ACCOUNT, "wrong-token");
    let e = api.snapshot().await.unwrap_err();
    assert!(matches!(&e, LiveError::Auth { status: 401, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "POST /api/AccessKeyRequest was refused (HTTP 401): Invalid AccountCode or AccessToken. Check the credential environment variables"
    );
}

#[tokio::test]
async fn listing_paths_are_configurable() {
    let sim = start(state(2)).await;
    let listing = ListingSettings { customers_path: "/api/Partner/Tenants".into(), ..Default::default() };
    let api =
        DickerDataApi::new(Some(&sim.url()), DickerDataCredentials::new(ACCOUNT, TOKEN), listing).unwrap();
    let e = api.snapshot().await.unwrap_err();
    assert!(
        matches!(&e, LiveError::Vendor { status: 404, request, .. } if request.path == "/api/Partner/Tenants"),
        "{e}"
    );

    let bad = ListingSettings { subscriptions_path: "api/no-slash".into(), ..Default::default() };
    let e = DickerDataApi::new(None, DickerDataCredentials::new(ACCOUNT, TOKEN), bad).unwrap_err();
    assert!(e.to_string().contains("subscriptions_path"), "{e}");
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn credentials_never_reach_errors_debug_output_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites first hit by other tests (with no subscriber) cached `never`: look again.
    tracing::callsite::rebuild_interest_cache();

    let sim = start(state(20)).await;
    let mut texts = Vec::new();
    let api = client(&sim, ACCOUNT, TOKEN);
    texts.push(format!("{api:?}"));
    texts.push(format!("{:?}", DickerDataCredentials::new(ACCOUNT, TOKEN)));
    set_keys(&sim, serde_json::json!({ "lifetime_uses": 1 })).await;
    api.snapshot().await.unwrap();
    sim.shared.set_faults(Faults { rate_5xx: 1.0, ..Default::default() });
    let e = api.snapshot().await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    sim.shared.set_faults(Faults::default());
    let refused = client(&sim, ACCOUNT, &format!("{TOKEN}-old"));
    let e = refused.snapshot().await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    let codes: Vec<StockCode> = vec![CODES[0].0.parse().unwrap()];
    let url = sim.url();
    drop(sim); // the token travels in the pricing query string: a transport error must not show it
    let unreachable =
        DickerDataApi::new(Some(&url), DickerDataCredentials::new(ACCOUNT, TOKEN), Default::default())
            .unwrap()
            .with_retry(RetryPolicy { max_attempts: 1, ..fast_retries() });
    let e = unreachable.unit_prices(&codes).await.unwrap_err();
    texts.push(format!("{e} {e:?}"));

    texts.push(String::from_utf8(logs.0.lock().unwrap().clone()).unwrap());
    assert!(texts.last().unwrap().contains("AccessKey refused"), "logs were captured");
    assert!(texts.last().unwrap().contains("skipped=20"), "usage-based lines are counted in the log");
    for text in &texts {
        for canary in [ACCOUNT, TOKEN, "CANARY"] {
            assert!(!text.contains(canary), "`{canary}` leaked into: {text}");
        }
    }
}
