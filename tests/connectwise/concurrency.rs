//! Adaptive read concurrency against a simulator that serves a fixed number of requests at
//! once (more wait, and beyond a full queue they are refused 429): the client grows from a
//! modest start, settles near the server's limit, and meets no 429 storm.

use cspctl::live::Psa;
use cspctl::sim::Faults;

use super::support::*;

#[tokio::test]
async fn reads_converge_near_the_servers_limit_without_throttling() {
    let faults = Faults { latency_ms: 40, max_in_flight: 8, retry_after_secs: 0.2, ..Faults::default() };
    let sim = start_with(seed(300, 1), faults).await;
    let client = client(&sim); // bound 32, start 4
    let snapshot = client.snapshot(&scope(300, 300)).await.unwrap();
    assert_eq!(snapshot.additions.len(), 300);
    let used = client.read_concurrency();
    assert_eq!(sim.shared.in_flight.refused(), 0, "no 429 from the server's limit: {used:?}");
    // How far it grows depends on how steady answers are on a busy machine (the bench shows
    // the convergence on a quiet one); it must grow, and stay near the server's limit.
    assert!(used.peak_in_flight > 4, "grew past its start of 4: {used:?}");
    assert!(used.limit < 24, "settled near the server's 8, not at its own bound of 32: {used:?}");
    assert!(sim.shared.in_flight.peak() <= 8);

    // A fixed setting far above the limit floods the queue and is refused.
    let greedy = client_with(&settings(&sim), credentials()).with_fixed_concurrency(32);
    // (so often that some reads may run out of retries: the read then fails with the 429)
    let greedy_read = greedy.snapshot(&scope(300, 300)).await;
    assert!(
        sim.shared.in_flight.refused() > 0,
        "a fixed 32 meets the full queue: {:?}",
        greedy_read.map(|s| s.additions.len())
    );
}
