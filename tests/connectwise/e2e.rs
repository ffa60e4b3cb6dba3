//! Whole flows over loopback HTTP: the example workspace planned through the ConnectWise client
//! against the simulator, applied, and planned again; a change made by hand between plan and
//! apply refused as stale while the rest applies; and the `cspctl` binary doing the same
//! without leaking credentials.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cspctl::apply::{ActionError, execute};
use cspctl::config::Workspace;
use cspctl::live::sandbox::SandboxState;
use cspctl::live::{LiveError, Psa};
use cspctl::model::Fingerprint;
use cspctl::reconcile::{ActionKind, plan, scope};
use cspctl::render::{RenderOptions, json, text};
use cspctl::sim::{Faults, SimCredentials, SimShared};

use crate::support::*;

fn today() -> NaiveDate {
    day("2026-11-28")
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connectwise")
}

fn example() -> (Workspace, SandboxState) {
    let ws = cspctl::config::load(&example_dir()).expect("the example loads");
    let state = SandboxState::load(&example_dir().join("state.yaml")).expect("state");
    (ws, state)
}

/// A temporary copy of the example workspace that points at the simulator at `url`.
fn example_copy(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in ["cspctl.yaml", "products.yaml", "state.yaml", "clients/contoso.yaml", "clients/others.yaml"]
    {
        let target = dir.path().join(entry);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let text = std::fs::read_to_string(example_dir().join(entry)).expect("read example");
        std::fs::write(&target, text.replace("http://127.0.0.1:8080", url)).expect("write");
    }
    dir
}

#[tokio::test]
async fn plan_apply_plan_converges_through_the_connectwise_client() {
    let (ws, state) = example();
    let sim = start(state.clone()).await;
    let cw = client(&sim);
    let scope = scope(&ws);

    let first = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    assert!(first.has_changes());
    assert!(first.count(ActionKind::Create) > 0 && first.count(ActionKind::Update) > 0, "{}", json(&first));
    // Over HTTP the plan is the one the sandbox file gives directly.
    assert_eq!(json(&first), json(&plan(&ws, &state.dicker_data, &state.psa, today())));

    let outcomes = execute(&first, &cw, 4, |_, _| {}).await;
    for o in &outcomes {
        assert!(o.result.is_ok(), "{} {}: {:?}", o.action.client, o.action.product, o.result);
    }
    let second = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    assert!(!second.has_changes(), "{}", text(&second, RenderOptions::default()));
    assert_eq!(requests(&sim, "DELETE"), 0);
}

#[tokio::test]
async fn a_change_by_hand_between_plan_and_apply_is_refused_as_stale_and_the_rest_applies() {
    let (ws, state) = example();
    let sim = start(state.clone()).await;
    let cw = client(&sim);
    let scope = scope(&ws);
    let first = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    let touched = first
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Update)
        .and_then(|a| a.addition)
        .expect("the example plans an update");
    {
        let mut live = sim.shared.lock_state();
        let row = live.psa.additions.iter_mut().find(|a| a.id == touched).expect("addition");
        row.quantity += 7.0;
        row.fingerprint = Fingerprint("2026-11-28T08:15:00Z".into());
    }
    let outcomes = execute(&first, &cw, 4, |_, _| {}).await;
    for o in &outcomes {
        if o.action.addition == Some(touched) {
            assert!(
                matches!(&o.result, Err(ActionError::Failed(LiveError::Stale { addition, .. })) if *addition == touched),
                "{:?}",
                o.result
            );
        } else {
            assert!(o.result.is_ok(), "{} {}: {:?}", o.action.client, o.action.product, o.result);
        }
    }
    // A new plan sees the hand-made change and plans only that addition again.
    let second = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    assert_eq!(second.actions.len(), 1, "{}", text(&second, RenderOptions::default()));
    assert_eq!(second.actions[0].addition, Some(touched));
    let outcomes = execute(&second, &cw, 4, |_, _| {}).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let third = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    assert!(!third.has_changes(), "{}", text(&third, RenderOptions::default()));
}

#[tokio::test]
async fn apply_under_faults_converges_with_one_addition_per_agreement_and_product() {
    let (ws, state) = example();
    let faults = Faults {
        rate_429: 0.1,
        rate_5xx: 0.1,
        rate_malformed: 0.1,
        retry_after_secs: 0.01,
        seed: 17,
        ..Faults::default()
    };
    let sim = start_with(state.clone(), faults).await;
    let cw = client(&sim);
    let scope = scope(&ws);
    let first = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    let outcomes = execute(&first, &cw, 4, |_, _| {}).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    sim.shared.set_faults(Faults::default());
    let second = plan(&ws, &state.dicker_data, &cw.snapshot(&scope).await.expect("snapshot"), today());
    assert!(!second.has_changes(), "{}", text(&second, RenderOptions::default()));
    let live = sim.shared.lock_state().psa.clone();
    let mut pairs = std::collections::BTreeMap::new();
    for a in live.additions.iter().filter(|a| a.is_active_on(today())) {
        *pairs.entry((a.agreement, a.product)).or_insert(0) += 1;
    }
    assert!(pairs.values().all(|&n| n == 1), "{pairs:?}");
}

const PUBLIC: &str = "CANARY-CLI-PUBLIC-71aa";
const PRIVATE: &str = "CANARY-CLI-PRIVATE-62bb";
const CLIENT: &str = "CANARY-CLI-CLIENT-53cc";

fn run_cli(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cspctl"))
        .args(args)
        .arg(dir)
        .env("CSPCTL_CW_PUBLIC_KEY", PUBLIC)
        .env("CSPCTL_CW_PRIVATE_KEY", PRIVATE)
        .env("CSPCTL_CW_CLIENT_ID", CLIENT)
        .env("CSPCTL_LOG", "trace")
        .env("NO_COLOR", "1")
        .output()
        .expect("cspctl runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_plans_and_applies_over_http_without_printing_keys() {
    let credentials = SimCredentials {
        connectwise: ["sandbox".into(), PUBLIC.into(), PRIVATE.into(), CLIENT.into()],
        ..SimCredentials::default()
    };
    let (_, state) = example();
    let shared = SimShared::new(state, Faults::default(), credentials);
    let sim = cspctl::sim::start("127.0.0.1:0".parse().expect("addr"), shared).await.expect("sim");
    let dir = example_copy(&sim.url());
    let path = dir.path().to_path_buf();
    let outputs = tokio::task::spawn_blocking(move || {
        let date = ["--date", "2026-11-28"];
        let plan = run_cli(&path, &["plan", "--format", "json", date[0], date[1]]);
        let apply = run_cli(&path, &["apply", "--auto-approve", date[0], date[1]]);
        let again = run_cli(&path, &["plan", "--detailed-exitcode", date[0], date[1]]);
        let bad = std::process::Command::new(env!("CARGO_BIN_EXE_cspctl"))
            .args(["plan"])
            .arg(&path)
            .env("CSPCTL_CW_PUBLIC_KEY", PUBLIC)
            .env("CSPCTL_CW_PRIVATE_KEY", "CANARY-CLI-WRONG-44dd")
            .env("CSPCTL_CW_CLIENT_ID", CLIENT)
            .env("CSPCTL_LOG", "trace")
            .output()
            .expect("cspctl runs");
        [plan, apply, again, bad]
    })
    .await
    .expect("runs");
    let [plan, apply, again, bad] = &outputs;
    let show = |o: &std::process::Output| {
        format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    assert!(plan.status.success(), "{}", show(plan));
    let plan_json: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    assert!(plan_json.is_object());
    assert!(apply.status.success(), "{}", show(apply));
    assert_eq!(again.status.code(), Some(0), "no changes after apply: {}", show(again));
    assert_eq!(bad.status.code(), Some(1));
    assert!(show(bad).contains("HTTP 401"), "{}", show(bad));
    for output in &outputs {
        let text = show(output);
        for canary in [PUBLIC, PRIVATE, CLIENT, "CANARY-CLI-WRONG-44dd"] {
            assert!(!text.contains(canary), "{canary} leaked:\n{text}");
        }
    }
    assert!(sim.shared.total_requests() > 0);
}

/// `-v` shows one line per request (method, path, status, time, retries); with stderr piped
/// there is no ANSI even with `CLICOLOR_FORCE` unset, `--color never` wins over
/// `CLICOLOR_FORCE`, and no credential appears; `-q` prints only the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_plan_logs_each_request_without_colour_or_secrets() {
    let credentials = SimCredentials {
        connectwise: ["sandbox".into(), PUBLIC.into(), PRIVATE.into(), CLIENT.into()],
        ..SimCredentials::default()
    };
    let (_, state) = example();
    let sim = cspctl::sim::start(
        "127.0.0.1:0".parse().expect("addr"),
        SimShared::new(state, Faults::default(), credentials),
    )
    .await
    .expect("sim");
    let dir = example_copy(&sim.url());
    let path = dir.path().to_path_buf();
    let run = move |args: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cspctl"));
        command
            .args(args)
            .arg(&path)
            .args(["--date", "2026-11-28"])
            .env("CSPCTL_CW_PUBLIC_KEY", PUBLIC)
            .env("CSPCTL_CW_PRIVATE_KEY", PRIVATE)
            .env("CSPCTL_CW_CLIENT_ID", CLIENT)
            .env_remove("CSPCTL_LOG")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("cspctl runs")
    };
    let (verbose, forced, quiet, coloured) = tokio::task::spawn_blocking(move || {
        (
            run(&["-v", "plan"], &[]),
            run(&["-v", "--color", "never", "plan"], &[("CLICOLOR_FORCE", "1")]),
            run(&["-q", "plan"], &[]),
            run(&["-v", "plan"], &[("CLICOLOR_FORCE", "1")]),
        )
    })
    .await
    .expect("runs");
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(verbose.status.success(), "{stderr}");
    let requests: Vec<&str> = stderr.lines().filter(|l| l.contains("cspctl::request")).collect();
    assert!(requests.len() >= 3, "{stderr}");
    for line in &requests {
        for field in ["method=GET", "path=/", "status=200", "ms=", "retries=0"] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
    }
    assert!(requests.iter().any(|l| l.contains("path=/finance/agreements")), "{stderr}");
    for output in [&verbose, &forced, &quiet] {
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!text.contains('\u{1b}'), "ANSI on a pipe: {text}");
        for canary in [PUBLIC, PRIVATE, CLIENT] {
            assert!(!text.contains(canary), "{canary} leaked:\n{text}");
        }
    }
    assert!(String::from_utf8_lossy(&forced.stderr).contains("cspctl::request"));
    assert!(String::from_utf8_lossy(&coloured.stderr).contains("\u{1b}["), "CLICOLOR_FORCE colours logs");
    assert!(quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("Plan: "));
}
