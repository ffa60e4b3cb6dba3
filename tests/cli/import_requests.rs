//! Round trips of a whole `cspctl import` through the simulator, per PSA: the exact count on
//! `examples/onboarding` (the numbers README.md quotes), and a book of many more clients and
//! companies (the same agreements) that costs pages, never one request per client.

use std::collections::BTreeMap;
use std::path::Path;

use cspctl::live::sandbox::SandboxState;
use cspctl::model::{Company, Customer, Licence, LicenceStatus};
use cspctl::sim::{Faults, SimCredentials, SimShared};

use crate::support::{TestWorkspace, run};

const DATE: &str = "--date=2026-12-01";

#[derive(Clone, Copy, Debug)]
enum Psa {
    ConnectWise,
    Autotask,
}

fn onboarding_state() -> SandboxState {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/onboarding/state.yaml");
    SandboxState::load(&path).expect("onboarding state")
}

/// Runs `cspctl import` on `state` against a simulator (the Dicker Data side read from the
/// state file, the PSA side over HTTP) and returns the requests the simulator served, by route,
/// and the `clients.yaml` the import wrote.
fn import_requests(state: SandboxState, psa: Psa) -> (BTreeMap<String, u64>, String) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let shared = SimShared::new(state.clone(), Faults::default(), SimCredentials::default());
    let sim = runtime
        .block_on(cspctl::sim::start("127.0.0.1:0".parse().expect("addr"), shared))
        .expect("simulator starts");
    let ws = TestWorkspace::new().file("new/state.json", &serde_json::to_string(&state).expect("state json"));
    let url = sim.url();
    let [_, cw_public, cw_private, cw_client] = SimCredentials::default().connectwise;
    let [at_code, at_user, at_secret] = SimCredentials::default().autotask;
    let mut args = vec!["import", "new", "--distributor", "sandbox", "--state", "state.json", DATE];
    let env: Vec<(&str, &str)> = match psa {
        Psa::ConnectWise => {
            args.extend(["--psa", "connectwise", "--site", &url, "--company", "sandbox"]);
            vec![
                ("CSPCTL_CW_PUBLIC_KEY", &cw_public),
                ("CSPCTL_CW_PRIVATE_KEY", &cw_private),
                ("CSPCTL_CW_CLIENT_ID", &cw_client),
            ]
        }
        Psa::Autotask => {
            args.extend(["--psa", "autotask", "--base-url", &url]);
            vec![
                ("CSPCTL_AT_INTEGRATION_CODE", &at_code),
                ("CSPCTL_AT_USERNAME", &at_user),
                ("CSPCTL_AT_SECRET", &at_secret),
            ]
        }
    };
    let out = run(&args, ws.path(), &env, None);
    assert_eq!(out.code, 0, "{psa:?} import: {out}");
    let stats = sim.shared.stats();
    eprintln!("{psa:?} import: {} requests: {stats:#?}", sim.shared.total_requests());
    drop(sim);
    (stats, ws.read("new/clients.yaml"))
}

fn total(stats: &BTreeMap<String, u64>) -> u64 {
    stats.values().sum()
}

/// Requests whose route contains `needle`.
fn on(stats: &BTreeMap<String, u64>, needle: &str) -> u64 {
    stats.iter().filter(|(route, _)| route.contains(needle)).map(|(_, n)| n).sum()
}

/// The onboarding state plus `clients` Dicker Data clients, each with one active licence, and
/// `companies` PSA companies, none with an agreement; the first `clients` of them carry the
/// clients' names (so automap links each client to its company, with no agreement to pick).
/// The agreements, and so the additions read per agreement, stay those of the example.
fn with_extra(clients: usize, companies: usize) -> SandboxState {
    let mut state = onboarding_state();
    let licence = state.dicker_data.licences[0].clone();
    for i in 0..clients {
        let id = format!("{}", 500_000 + i);
        state.dicker_data.customers.push(Customer { id: id.clone(), name: bulk_name(i) });
        state.dicker_data.licences.push(Licence {
            customer: id,
            subscription: format!("Z{i:07}"),
            status: LicenceStatus::Active,
            ..licence.clone()
        });
    }
    for i in 0..companies {
        state.psa.companies.push(Company {
            id: 10_000 + i as i64,
            identifier: format!("Bulk{i:05}"),
            name: bulk_name(i),
        });
    }
    state
}

/// A distinct name of letters only (`Bulk Baab Client`), one per `i`.
fn bulk_name(i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + (n % 26) as u8);
    format!("Bulk B{}{}{} Client", letter(i / 676), letter(i / 26), letter(i))
}

/// Pages of `page` rows that a list of `rows` takes (at least one).
fn pages(rows: usize, page: usize) -> u64 {
    rows.div_ceil(page).max(1) as u64
}

#[test]
fn an_onboarding_import_makes_17_connectwise_requests() {
    let (stats, _) = import_requests(onboarding_state(), Psa::ConnectWise);
    // Minimum 14: codebase discovery, one page each of companies, agreements and catalog, and
    // the additions of each of the 10 active agreements (ConnectWise lists additions only per
    // agreement). The 3 extra are the second, plan-shaped read of companies, agreements and
    // catalog for the linked and candidate companies.
    assert_eq!(on(&stats, "/login/companyinfo/"), 1, "{stats:?}");
    assert_eq!(on(&stats, "/company/companies"), 2, "{stats:?}");
    assert_eq!(on(&stats, "/finance/agreements/{id}/additions"), 10, "{stats:?}");
    assert_eq!(total(&stats), 17, "{stats:?}");
}

#[test]
fn an_onboarding_import_makes_8_autotask_requests() {
    let (stats, _) = import_requests(onboarding_state(), Psa::Autotask);
    // Minimum 6: the threshold read, and one page each of Companies, Contracts, Services,
    // ContractServices and ContractServiceUnits. The 2 extra are the second, plan-shaped read of
    // Companies and Contracts for the linked and candidate companies.
    assert_eq!(on(&stats, "/ThresholdInformation"), 1, "{stats:?}");
    assert_eq!(on(&stats, "/Companies/query"), 2, "{stats:?}");
    assert_eq!(on(&stats, "/Contracts/query"), 2, "{stats:?}");
    assert_eq!(total(&stats), 8, "{stats:?}");
}

/// 10× the example's clients (99 more, each linked to a new namesake company), first with those
/// 99 companies only, then with 1,100 new companies (past a page boundary of either PSA): the
/// count stays the example's plus the extra pages of the whole companies read, never per client.
fn check_scale(psa: Psa, base: u64, page: usize) {
    let example = onboarding_state();
    let (clients, companies) = (example.dicker_data.customers.len(), example.psa.companies.len());
    let agreements = example.psa.agreements.len();
    let extra_clients = 9 * clients;
    for extra_companies in [extra_clients, 1_100] {
        let state = with_extra(extra_clients, extra_companies);
        assert_eq!(state.dicker_data.customers.len(), 10 * clients);
        assert_eq!(state.psa.agreements.len(), agreements);
        let rows = companies + extra_companies;
        let (stats, clients_yaml) = import_requests(state, psa);
        // Every bulk client is linked to its namesake company (and told it has no agreement).
        let linked = clients_yaml
            .lines()
            .filter(|l| l.contains("company: Bulk") && l.ends_with("# same name"))
            .count();
        assert_eq!(linked, extra_clients, "{psa:?}:\n{clients_yaml}");
        // Only the whole read of companies grows, by its pages; the plan-shaped second read
        // and the per-agreement reads do not, since the agreements are the example's.
        let expected = base + pages(rows, page) - 1;
        assert_eq!(total(&stats), expected, "{psa:?}: {} clients, {rows} companies: {stats:?}", 10 * clients);
    }
}

#[test]
fn a_connectwise_import_grows_by_company_pages_never_per_client() {
    // Pages of 1,000: 1,114 companies are 2 pages, so 18 requests.
    check_scale(Psa::ConnectWise, 17, 1_000);
}

#[test]
fn an_autotask_import_grows_by_company_pages_never_per_client() {
    // Pages of 500: 1,114 companies are 3 pages (a query and two `next`), so 10 requests.
    check_scale(Psa::Autotask, 8, 500);
}
