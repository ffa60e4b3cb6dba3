//! `cspctl plan` with Dicker Data as the source: the export example, the same workspace
//! reading the API (served by the simulator), and the settings checks.

use std::path::{Path, PathBuf};
use std::process::Command;

use cspctl::live::dickerdata::read_export;
use cspctl::live::sandbox::SandboxState;
use cspctl::model::{Licence, LicenceStatus};
use cspctl::sim::{self, Faults, SimCredentials, SimShared};

const ACCOUNT: &str = "CANARY-ACCT-0c1e";
const TOKEN: &str = "CANARY-TOKEN-77ab";
const DATE: &str = "2026-11-28";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/export")
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cspctl(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cspctl"));
    command
        .args(["plan", ".", "--date", DATE])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CSPCTL_DICKERDATA_ACCOUNT_CODE")
        .env_remove("CSPCTL_DICKERDATA_ACCESS_TOKEN");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run cspctl");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of the export example whose `cspctl.yaml` says `distributor` as given.
fn workspace_with(distributor: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["products.yaml", "clients.yaml", "state.yaml", "annuity-information.xlsx"] {
        std::fs::copy(example().join(file), dir.path().join(file)).unwrap();
    }
    let settings = std::fs::read_to_string(example().join("cspctl.yaml")).unwrap();
    let start = settings.find("distributor:").unwrap();
    let end = settings.find("psa:").unwrap();
    let settings = format!("{}{distributor}\n{}", &settings[..start], &settings[end..]);
    std::fs::write(dir.path().join("cspctl.yaml"), settings).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_the_export_give_the_same_plan() {
    let from_export = tokio::task::spawn_blocking(|| cspctl(&example(), &[])).await.unwrap();
    assert_eq!(from_export.code, 0, "{}", from_export.stderr);
    assert!(
        from_export.stdout.contains("Plan: 2 to create, 2 to update, 1 to cancel"),
        "{}",
        from_export.stdout
    );

    // The simulator holds what the export holds (plus the Azure line the export skips).
    let mut dicker_data = read_export(&example().join("annuity-information.xlsx")).unwrap().snapshot;
    dicker_data.licences.push(Licence {
        customer: "8B22E47D".into(),
        subscription: "2C4D6E03".into(),
        stock_code: "DZH318Z0BPS6:0001".parse().unwrap(),
        description: "MS AZURE PLAN".into(),
        quantity: 1,
        status: LicenceStatus::Active,
        unit_price: None,
        unit_rrp: None,
        term_end: None,
        next_billing: None,
    });
    let state = SandboxState { dicker_data, psa: Default::default() };
    let credentials = SimCredentials { dicker_data: [ACCOUNT.into(), TOKEN.into()], ..Default::default() };
    let faults =
        Faults { rate_429: 0.1, rate_5xx: 0.1, retry_after_secs: 0.01, seed: 5, ..Default::default() };
    let sim =
        sim::start("127.0.0.1:0".parse().unwrap(), SimShared::new(state, faults, credentials)).await.unwrap();

    let dir =
        workspace_with(&format!("distributor:\n  dicker_data:\n    api:\n      base_url: {}", sim.url()));
    let path = dir.path().to_path_buf();
    let env = [("CSPCTL_DICKERDATA_ACCOUNT_CODE", ACCOUNT), ("CSPCTL_DICKERDATA_ACCESS_TOKEN", TOKEN)];
    let from_api = tokio::task::spawn_blocking(move || cspctl(&path, &env)).await.unwrap();
    assert_eq!(from_api.code, 0, "{}", from_api.stderr);
    // The same changes; only the money differs: the cloud-subscriptions surface carries no
    // price, so the API plan counts its seats as of unknown cost where the export has them.
    let actions = |out: &str| out.split("Billing per month").next().unwrap_or_default().to_string();
    let summary = |out: &str| out.lines().last().unwrap_or_default().to_string();
    assert_eq!(actions(&from_api.stdout), actions(&from_export.stdout));
    assert_eq!(summary(&from_api.stdout), summary(&from_export.stdout));
    assert!(from_api.stdout.contains("92 seat(s) of unknown cost"), "{}", from_api.stdout);
    assert!(from_export.stdout.contains("cost $3,191.43, margin $525.17"), "{}", from_export.stdout);
    assert!(sim.shared.stats().contains_key("POST /Subscriptions/GetSubscriptionDetails"));
    for text in [&from_api.stdout, &from_api.stderr] {
        assert!(!text.contains(ACCOUNT) && !text.contains(TOKEN), "{text}");
    }
}

#[test]
fn dicker_data_needs_exactly_one_source() {
    let both = workspace_with(
        "distributor:\n  dicker_data:\n    export: annuity-information.xlsx\n    api: { base_url: \"http://127.0.0.1:9\" }",
    );
    let out = cspctl(both.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("exactly one of `export: FILE` or `api:"), "{}", out.stderr);

    let neither = workspace_with("distributor:\n  dicker_data: {}");
    let out = cspctl(neither.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("exactly one of"), "{}", out.stderr);
}

#[test]
fn the_api_without_credentials_names_the_variables() {
    let dir = workspace_with("distributor:\n  dicker_data:\n    api: {}");
    let out = cspctl(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("CSPCTL_DICKERDATA_ACCESS_TOKEN"), "{}", out.stderr);
}

#[test]
fn the_retired_listing_settings_say_what_replaced_them() {
    let dir = workspace_with(
        "distributor:\n  dicker_data:\n    api:\n      base_url: \"http://127.0.0.1:9\"\n      page_size: 1000",
    );
    let out = cspctl(dir.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("unknown field `page_size`"), "{}", out.stderr);
    assert!(out.stderr.contains("Subscriptions/GetSubscriptionDetails"), "{}", out.stderr);
    let line = std::fs::read_to_string(dir.path().join("cspctl.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("page_size"))
        .unwrap()
        + 1;
    assert!(out.stderr.contains(&format!("cspctl.yaml:{line}:")), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_or_broken_export_is_reported_with_its_path() {
    let dir = workspace_with("distributor:\n  dicker_data:\n    export: missing.xlsx");
    let out = cspctl(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("missing.xlsx") && out.stderr.contains("does not exist"), "{}", out.stderr);

    let dir = workspace_with("distributor:\n  dicker_data:\n    export: annuity-information.csv");
    std::fs::write(
        dir.path().join("annuity-information.csv"),
        "TENANT ID,TENANT NAME,SUBSCRIPTION ID,STOCK CODE,QTY,STATUS\n3F9A1C02,KOOKABURRA,1A7E30C1,P1Y:CFQ7TTC0LCHC:0002:1:,18.5,Active\n",
    )
    .unwrap();
    let out = cspctl(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("row 2, column QTY (field 5)"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "nothing is planned from a half-read file: {}", out.stdout);
}
