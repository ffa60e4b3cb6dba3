//! The onboarding read (`PsaScope::whole`): every company, agreement and catalog item in
//! pages of 1,000, whatever the workspace names; inactive companies are reported as such.

use cspctl::live::Psa;
use cspctl::model::PsaScope;

use crate::support::*;

#[tokio::test]
async fn a_whole_read_of_2500_companies_is_one_paged_read_per_list() {
    let mut state = seed(2_500, 1);
    state.psa.inactive_companies = [3, 2_400].into();
    let sim = start(state).await;
    sim.shared.reset_stats();
    let whole = PsaScope { whole: true, ..PsaScope::default() };
    let snap = client(&sim).snapshot(&whole).await.expect("whole read");
    assert_eq!((snap.companies.len(), snap.agreements.len(), snap.products.len()), (2_500, 2_500, 10));
    assert!(snap.additions.is_empty(), "no agreement named: no additions read");
    assert_eq!(snap.inactive_companies, [3, 2_400].into());
    // companies 3 pages, agreements 3 pages, catalog 1 page, plus codebase discovery.
    let made = sim.shared.total_requests();
    eprintln!("connectwise whole read, 2,500 companies: {made} requests (7 pages + discovery)");
    assert!(made <= 7 + 1, "{made} requests: {:?}", sim.shared.stats());
}
