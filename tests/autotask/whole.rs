//! The onboarding read (`PsaScope::whole`): every company (the MSP's own, id 0, included),
//! recurring-service contract and service, in pages of 500; `isActive: false` is reported.

use cspctl::model::{Company, PsaScope};

use crate::snap;
use crate::support::*;

#[tokio::test]
async fn a_whole_read_of_1200_companies_is_one_paged_query_per_entity() {
    let mut state = seeded(1_200, 30, 1);
    state.psa.companies.push(Company { id: 0, identifier: "0".into(), name: "Sandbox MSP".into() });
    state.psa.inactive_companies = [7].into();
    let sim = start(state).await;
    let client = client(&sim);
    let whole = PsaScope { whole: true, ..PsaScope::default() };
    let s = snap(&client, &whole).await;
    assert_eq!((s.companies.len(), s.agreements.len(), s.products.len()), (1_201, 1_200, 30));
    assert!(s.companies.iter().any(|c| c.id == 0), "the MSP's own company is read (automap skips it)");
    assert!(s.additions.is_empty(), "no contract named: no contract services read");
    assert_eq!(s.inactive_companies, [7].into());
    // Companies 3 pages, contracts 3 pages, services 1 page, plus the threshold read.
    let used = sim.shared.total_requests();
    eprintln!(
        "autotask whole read, 1,201 companies: {used} requests (7 pages + threshold): {:?}",
        sim.shared.stats()
    );
    assert!(used <= 7 + 1, "{used} requests: {:?}", sim.shared.stats());
}
