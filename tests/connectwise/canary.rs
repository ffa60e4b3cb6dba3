//! Distinctive credentials never show up in Debug output, errors, logs or snapshots.

use std::io::Write as _;
use std::time::Duration;

use cspctl::live::Psa;
use cspctl::live::connectwise::{ConnectWise, ConnectWiseCredentials};
use cspctl::live::http::RetryPolicy;
use cspctl::model::{Fingerprint, Write};
use cspctl::sim::{Faults, SimCredentials, SimShared};

use crate::support::*;

const PUBLIC: &str = "CANARY-PUBLIC-5c1d77";
const PRIVATE: &str = "CANARY-PRIVATE-8e2f31";
const CLIENT: &str = "CANARY-CLIENT-3a9b04";

fn assert_clean(what: &str, text: &str) {
    for canary in [PUBLIC, PRIVATE, CLIENT] {
        assert!(!text.contains(canary), "{what} leaks {canary}: {text}");
    }
}

#[tokio::test]
async fn canary_credentials_never_appear_in_output() {
    let logs = crate::logs::capture();

    let accepted = SimCredentials {
        connectwise: ["sandbox".into(), PUBLIC.into(), PRIVATE.into(), CLIENT.into()],
        ..SimCredentials::default()
    };
    let faults = Faults {
        rate_429: 0.2,
        rate_5xx: 0.2,
        rate_malformed: 0.1,
        retry_after_secs: 0.01,
        seed: 3,
        ..Faults::default()
    };
    let shared = SimShared::new(seed(5, 3), faults, accepted);
    let sim = cspctl::sim::start("127.0.0.1:0".parse().expect("addr"), shared).await.expect("sim");
    let credentials = ConnectWiseCredentials::new(PUBLIC, PRIVATE, CLIENT);
    let cw = client_with(&settings(&sim), credentials.clone());
    let mut texts = vec![format!("{credentials:?}"), format!("{cw:?}")];

    let snap = cw.snapshot(&scope(5, 5)).await.expect("snapshot");
    texts.push(serde_json::to_string(&snap).expect("json"));
    let applied = cw
        .apply(&Write::Create {
            agreement: 1,
            product: 9,
            quantity: 3,
            description: None,
            unit_price: None,
            unit_cost: None,
            effective_date: day("2026-05-01"),
        })
        .await
        .expect("create");
    texts.push(format!("{applied:?}"));
    let stale = Write::Update {
        addition: 1,
        agreement: 1,
        product: 1,
        expected: Fingerprint("2000-01-01T00:00:00Z".into()),
        from_quantity: 1.0,
        quantity: Some(2),
        description: None,
        unit_price: None,
        effective_date: day("2026-05-01"),
    };
    let err = cw.apply(&stale).await.expect_err("stale");
    texts.push(format!("{err} {err:?}"));

    sim.shared.set_faults(Faults::default());
    let errors = [
        client_with(&settings(&sim), ConnectWiseCredentials::new(PUBLIC, "wrong", CLIENT))
            .snapshot(&scope(1, 1))
            .await
            .expect_err("401"),
        client_with(&settings(&sim), ConnectWiseCredentials::new(PUBLIC, PRIVATE, "wrong"))
            .snapshot(&scope(1, 1))
            .await
            .expect_err("403"),
        cw.apply(&Write::Create {
            agreement: 404,
            product: 1,
            quantity: 1,
            description: None,
            unit_price: None,
            unit_cost: None,
            effective_date: day("2026-05-01"),
        })
        .await
        .expect_err("404"),
    ];
    for e in &errors {
        texts.push(format!("{e} {e:?}"));
    }
    sim.shared.set_faults(Faults { rate_slow: 1.0, slow_ms: 300, ..Faults::default() });
    let slow = ConnectWise::new(&settings(&sim), credentials)
        .expect("client")
        .with_timeout(Duration::from_millis(50))
        .expect("timeout")
        .with_retry(RetryPolicy { max_attempts: 2, ..quick_retry() });
    let timeout = slow.snapshot(&scope(1, 1)).await.expect_err("timeout");
    texts.push(format!("{timeout} {timeout:?}"));

    let _ = std::io::stderr().flush();
    let logged = logs.text();
    assert!(logged.contains("retrying") || logged.contains("re-reading"), "logs were captured");
    texts.push(logged);
    for (i, text) in texts.iter().enumerate() {
        assert_clean(&format!("output #{i}"), text);
    }
}
