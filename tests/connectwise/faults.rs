//! Faults: throttling and 5xx are retried to the same snapshot; malformed JSON and timeouts end
//! with an error naming the endpoint; creates under faults never bill a product twice.

use std::time::Duration;

use cspctl::live::http::RetryPolicy;
use cspctl::live::{LiveError, Psa};
use cspctl::model::Write;
use cspctl::sim::Faults;
use futures::{StreamExt, stream};

use crate::support::*;

fn flaky(seed: u64) -> Faults {
    Faults { rate_429: 0.1, rate_5xx: 0.1, retry_after_secs: 0.01, seed, ..Faults::default() }
}

#[tokio::test]
async fn throttling_and_5xx_give_the_same_snapshot_as_a_clean_run() {
    let state = seed(1_500, 10);
    let scope = scope(1_500, 40);
    let clean_sim = start(state.clone()).await;
    let clean = client(&clean_sim).snapshot(&scope).await.expect("clean snapshot");

    let sim = start_with(state, flaky(7)).await;
    let faulty = client(&sim).snapshot(&scope).await.expect("snapshot under faults");
    assert_eq!(faulty, clean);
    assert!(
        sim.shared.total_requests() > clean_sim.shared.total_requests(),
        "faults were injected and retried"
    );
}

#[tokio::test]
async fn malformed_json_ends_with_an_error_naming_the_endpoint() {
    let sim = start_with(seed(3, 1), Faults { rate_malformed: 1.0, ..Faults::default() }).await;
    let mut settings = settings(&sim);
    settings.codebase = Some("v4_6_release".into());
    let err = client_with(&settings, credentials()).snapshot(&scope(3, 3)).await.expect_err("malformed");
    let text = err.to_string();
    assert!(matches!(err, LiveError::Malformed { .. }), "{err:?}");
    assert!(
        text.starts_with("GET /company/companies") || text.starts_with("GET /procurement/catalog"),
        "{text}"
    );
    assert!(text.contains("not the JSON expected"), "{text}");
}

#[tokio::test]
async fn timeouts_end_with_an_error_naming_the_endpoint() {
    let faults = Faults { rate_slow: 1.0, slow_ms: 400, ..Faults::default() };
    let sim = start_with(seed(2, 1), faults).await;
    let cw = cspctl::live::connectwise::ConnectWise::new(&settings(&sim), credentials())
        .expect("client")
        .with_timeout(Duration::from_millis(100))
        .expect("timeout")
        .with_retry(RetryPolicy { max_attempts: 2, ..quick_retry() });
    let err = cw.snapshot(&scope(2, 2)).await.expect_err("timeout");
    let text = err.to_string();
    assert!(matches!(err, LiveError::Transport { .. }), "{err:?}");
    assert_eq!(text, "GET /login/companyinfo/sandbox: timed out waiting for the server");
}

fn create(agreement: i64, product: i64) -> Write {
    Write::Create {
        agreement,
        product,
        quantity: 5,
        description: None,
        unit_price: Some(10.0),
        unit_cost: None,
        effective_date: day("2026-05-01"),
    }
}

async fn create_all(
    cw: &cspctl::live::connectwise::ConnectWise,
    agreements: i64,
) -> Vec<Result<(), LiveError>> {
    stream::iter(1..=agreements)
        .map(|a| async move { cw.apply(&create(a, 3)).await.map(|_| ()) })
        .buffer_unordered(8)
        .collect()
        .await
}

#[tokio::test]
async fn creates_under_faults_leave_exactly_one_addition_per_agreement_and_product() {
    let faults = Faults {
        rate_429: 0.1,
        rate_5xx: 0.15,
        rate_malformed: 0.15,
        retry_after_secs: 0.01,
        seed: 11,
        ..Faults::default()
    };
    let sim = start_with(seed(40, 0), faults).await;
    let outcomes = create_all(&client(&sim), 40).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    for agreement in 1..=40 {
        assert_eq!(live_additions(&sim, agreement, 3).len(), 1, "agreement {agreement}");
    }
    assert!(requests(&sim, "POST") > 40, "some creates had to be re-checked and re-sent");
    assert!(
        requests(&sim, "GET /v2026_4/apis/3.0/finance/agreements/{id}/additions") > 0,
        "re-reads happened"
    );
}

#[tokio::test]
async fn creates_that_time_out_are_not_sent_twice() {
    let faults = Faults { rate_slow: 0.3, slow_ms: 250, seed: 5, ..Faults::default() };
    let sim = start_with(seed(20, 0), faults).await;
    let cw = cspctl::live::connectwise::ConnectWise::new(&settings(&sim), credentials())
        .expect("client")
        .with_timeout(Duration::from_millis(120))
        .expect("timeout")
        .with_retry(quick_retry());
    let outcomes = create_all(&cw, 20).await;
    // Let any request the server was still holding finish before counting.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    for agreement in 1..=20 {
        assert_eq!(live_additions(&sim, agreement, 3).len(), 1, "agreement {agreement}");
    }
}

#[tokio::test]
async fn updates_and_cancels_under_faults_land_once_each() {
    let faults = Faults { rate_malformed: 0.15, ..flaky(23) };
    let sim = start_with(seed(20, 2), faults).await;
    let cw = client(&sim);
    let writes: Vec<Write> = (1..=20)
        .map(|agreement| {
            let addition = agreement * 2 - 1;
            let expected = cspctl::model::Fingerprint(SEEDED.into());
            if agreement % 2 == 0 {
                Write::Cancel {
                    addition,
                    agreement,
                    product: 1,
                    expected,
                    from_quantity: 1.0,
                    cancelled_date: day("2026-05-31"),
                }
            } else {
                Write::Update {
                    addition,
                    agreement,
                    product: 1,
                    expected,
                    from_quantity: 1.0,
                    quantity: Some(30),
                    description: None,
                    unit_price: None,
                    effective_date: day("2026-05-01"),
                }
            }
        })
        .collect();
    let outcomes: Vec<_> = stream::iter(&writes).map(|w| cw.apply(w)).buffer_unordered(8).collect().await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let state = sim.shared.lock_state().psa.clone();
    for agreement in 1..=20 {
        let row = state.additions.iter().find(|a| a.id == agreement * 2 - 1).expect("row");
        if agreement % 2 == 0 {
            assert_eq!(row.cancelled_date, Some(day("2026-05-31")));
        } else {
            assert_eq!(row.quantity, 30.0);
        }
    }
    // Each outcome reports the version now stored.
    for applied in outcomes.into_iter().flatten() {
        let row = state.additions.iter().find(|a| a.id == applied.addition).expect("row");
        assert_eq!(row.fingerprint, applied.fingerprint);
    }
}
