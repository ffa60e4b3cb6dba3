//! What live ConnectWise tenants do beyond the reference, held by the simulator: `200 null`
//! for an unknown company id, Cloudflare's HTML 429/503 with `Retry-After`, records without
//! their null fields, a codebase that moves mid-run, `x-cw-request-id` in errors, and
//! unreadable discovery answers read again.

use std::time::{Duration, Instant};

use cspctl::live::connectwise::ConnectWise;
use cspctl::live::{LiveError, Psa};
use cspctl::sim::Faults;
use cspctl::sim::connectwise::{CODEBASE_CONTROL_PATH, NEXT_CODEBASE};

use super::support::*;

#[tokio::test]
async fn an_unknown_company_id_is_named_not_a_parse_error() {
    let sim = start(seed(2, 1)).await;
    let mut settings = settings(&sim);
    settings.company = "nosuchmsp".into();
    let e = client_with(&settings, credentials()).snapshot(&scope(2, 2)).await.unwrap_err();
    assert!(matches!(e, LiveError::Config(_)), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("does not know the company id `nosuchmsp`") && text.contains("null"), "{text}");
    assert_eq!(requests(&sim, "companyinfo"), 1, "a `null` answer is an answer, not retried");
}

#[tokio::test]
async fn an_unreadable_discovery_answer_is_read_again() {
    // Every other answer is cut in half, companyinfo's included (issue: it used to be fatal).
    let sim = start_with(seed(3, 2), Faults { rate_malformed: 0.5, seed: 4, ..Faults::default() }).await;
    for _ in 0..6 {
        let client = client(&sim);
        let snapshot = client.snapshot(&scope(3, 3)).await.unwrap();
        assert_eq!(snapshot.additions.len(), 6);
    }
    assert!(requests(&sim, "companyinfo") > 6, "some discovery answers were cut and asked for again");
}

#[tokio::test]
async fn cloudflare_html_throttling_still_honours_retry_after() {
    let sim = start(seed(4, 2)).await;
    let client = client(&sim);
    client.snapshot(&scope(4, 4)).await.unwrap(); // discovery done
    sim.shared.record();
    sim.shared.set_faults(Faults {
        rate_429: 0.25,
        rate_5xx: 0.25,
        retry_after_secs: 0.15,
        seed: 7,
        ..Faults::default()
    });
    let started = Instant::now();
    let snapshot = client.snapshot(&scope(4, 4)).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(snapshot.additions.len(), 8);
    let journal = sim.shared.recorded();
    let throttled: Vec<_> =
        journal.iter().filter(|e| e.response_headers.iter().any(|(k, _)| k == "retry-after")).collect();
    assert!(!throttled.is_empty(), "faults were injected");
    for e in &throttled {
        assert!(e.response_body.starts_with("<html>"), "not JSON: {}", e.response_body);
        assert!(matches!(e.status, 429 | 503), "{}", e.status);
    }
    // Each throttled answer made the client wait its Retry-After (requests run one at a time
    // here except the additions reads, at most 8 at once).
    let waited = Duration::from_secs_f64(0.15 * throttled.len() as f64 / 8.0);
    assert!(elapsed >= waited, "{elapsed:?} < {waited:?} for {} throttled answers", throttled.len());
}

#[tokio::test]
async fn a_moved_codebase_is_discovered_again_once() {
    let sim = start(seed(5, 3)).await;
    let client = client(&sim);
    let before = client.snapshot(&scope(5, 5)).await.unwrap();
    assert_eq!(requests(&sim, "companyinfo"), 1);
    let status = reqwest::Client::new()
        .put(format!("{}{CODEBASE_CONTROL_PATH}", sim.url()))
        .json(&serde_json::json!({ "codebase": NEXT_CODEBASE }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
    sim.shared.reset_stats();
    let after = client.snapshot(&scope(5, 5)).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(requests(&sim, "companyinfo"), 1, "looked up again once, not per request");
    assert!(requests(&sim, &format!("/{NEXT_CODEBASE}/")) > 0, "{:?}", sim.shared.stats());

    // A configured codebase is not second-guessed: its 404 stands.
    let mut pinned = settings(&sim);
    pinned.codebase = Some("v2026_4".into());
    let e = client_with(&pinned, credentials()).snapshot(&scope(5, 5)).await.unwrap_err();
    assert!(matches!(e, LiveError::Vendor { status: 404, .. }), "{e}");
}

#[tokio::test]
async fn errors_quote_the_request_id() {
    let sim = start(seed(2, 1)).await;
    let mut settings = settings(&sim);
    settings.codebase = Some("v2026_4".into());
    let bad =
        ConnectWise::new(&settings, cspctl::live::connectwise::ConnectWiseCredentials::new("x", "y", "z"))
            .unwrap()
            .with_retry(quick_retry());
    let e = bad.snapshot(&scope(2, 2)).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, LiveError::Auth { status: 401, .. }), "{text}");
    let id = text.split("x-cw-request-id ").nth(1).unwrap_or_default().trim_end_matches([')', '.']);
    let id = id.split(')').next().unwrap_or_default();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{text}");
}
