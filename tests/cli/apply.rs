//! `cspctl apply`: applies on a copy of the quickstart, converges, and writes nothing when
//! it must not (invalid YAML, plan errors, no confirmation, a declined prompt).

use insta::assert_snapshot;

use crate::support::{TestWorkspace, cspctl, run};

const DATE: &str = "--date=2026-11-28";

#[test]
fn apply_then_plan_shows_no_changes() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let apply = run(&["apply", ".", DATE, "--auto-approve", "--concurrency=1"], ws.path(), &[], None);
    assert_eq!(apply.code, 0, "{apply}");
    assert_snapshot!("apply_outcomes", apply.stderr);
    assert_snapshot!(cspctl(&["plan", ".", DATE, "--detailed-exitcode"], ws.path()));
}

#[test]
fn apply_with_state_out_leaves_the_state_file_alone() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let out = ws.join("applied.yaml");
    let out = out.to_str().unwrap();
    let apply = run(&["apply", ".", DATE, "--auto-approve", "--state-out", out], ws.path(), &[], None);
    assert_eq!(apply.code, 0, "{apply}");
    assert_eq!(ws.read("state.yaml"), before);
    assert!(
        ws.read("applied.yaml").contains("cancelled_date: \"2026-11-28\""),
        "{}",
        ws.read("applied.yaml")
    );
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let apply = run(&["apply", ".", DATE], ws.path(), &[], None);
    assert_eq!(apply.code, 1);
    assert!(apply.stderr.contains("refusing to apply without confirmation"), "{apply}");
    assert_eq!(ws.read("state.yaml"), before);
}

#[test]
fn nothing_is_written_when_validation_fails() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let ws = ws.file("clients/broken.yaml", "clients:\n  - dicker_data: \"100231\"\n    compnay: Contoso\n");
    let apply = run(&["apply", ".", DATE, "--auto-approve"], ws.path(), &[], None);
    assert_eq!(apply.code, 1, "{apply}");
    assert!(apply.stderr.contains("broken.yaml:3"), "{apply}");
    assert_eq!(ws.read("state.yaml"), before);
}

#[test]
fn nothing_is_written_when_the_plan_has_errors() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let clients =
        ws.read("clients/contoso.yaml").replace("agreement: Contoso - Microsoft 365", "agreement: Nope");
    let ws = ws.file("clients/contoso.yaml", &clients);
    let apply = run(&["apply", ".", DATE, "--auto-approve"], ws.path(), &[], None);
    assert_eq!(apply.code, 1, "{apply}");
    assert!(apply.stderr.contains("the plan has errors; nothing was applied"), "{apply}");
    assert_eq!(ws.read("state.yaml"), before);
}

#[test]
fn nothing_is_written_when_the_user_declines() {
    // A real prompt needs a terminal: `script` runs cspctl on a pseudo-terminal.
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: `script` (util-linux) is not installed; cannot give cspctl a terminal");
        return;
    }
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = ws.read("state.yaml");
    let command = format!("{} apply . {DATE}", env!("CARGO_BIN_EXE_cspctl"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(ws.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run script");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        let _ = stdin.write_all(b"no\n");
    }
    let output = child.wait_with_output().expect("wait for script");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("Only 'yes' is accepted"), "{screen}");
    assert!(screen.contains("Apply cancelled; nothing was changed."), "{screen}");
    assert_eq!(ws.read("state.yaml"), before);
}

#[test]
fn apply_outcomes_as_json() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let apply = run(&["apply", ".", DATE, "--auto-approve", "--format=json"], ws.path(), &[], None);
    assert_eq!(apply.code, 0, "{apply}");
    let report: serde_json::Value = serde_json::from_str(&apply.stdout).expect("stdout is one JSON document");
    assert_eq!(report["plan"]["format_version"], 2);
    let outcomes = report["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 7, "Northwind's accepted exception holds its change back");
    assert!(outcomes.iter().all(|o| o["status"] == "applied"), "{outcomes:?}");
}

#[test]
fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let saved = run(&["plan", ".", DATE, "--out", "plan.json"], ws.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");
    assert!(!ws.read("plan.json").contains("private"), "a saved plan holds no credentials");

    // Dicker Data moves on after the review: the saved plan no longer says what apply would do.
    let state = ws.read("state.yaml");
    let ws = ws.file(
        "state.yaml",
        &state.replacen("quantity: 20, status: active", "quantity: 21, status: active", 1),
    );
    let stale = run(&["apply", "plan.json"], ws.path(), &[], None);
    assert_eq!(stale.code, 7, "a stale saved plan has its own exit code\n{stale}");
    assert!(stale.stderr.contains("plan.json is stale: 2 action(s) differ"), "{stale}");
    assert!(ws.read("state.yaml").contains("quantity: 21, status: active"), "nothing written");

    let ws = ws.file("state.yaml", &state);
    let applied = run(&["apply", "plan.json"], ws.path(), &[], None);
    assert_eq!(applied.code, 0, "a saved plan needs no prompt: it was reviewed\n{applied}");
    assert_eq!(run(&["plan", ".", DATE, "--detailed-exitcode"], ws.path(), &[], None).code, 0);
}

#[test]
fn a_plan_that_cancels_most_billing_needs_allow_destructive() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let state = ws.read("state.yaml");
    // An export that lost most of its rows: every Business Premium line reads as inactive.
    let ws = ws.file(
        "state.yaml",
        &state
            .replace("COMMIT, quantity: 20, status: active", "COMMIT, quantity: 20, status: inactive")
            .replace("COMMIT, quantity: 12, status: active", "COMMIT, quantity: 12, status: inactive")
            .replace("quantity: 15, status: active", "quantity: 15, status: inactive"),
    );
    let refused = run(&["apply", ".", DATE, "--auto-approve"], ws.path(), &[], None);
    assert_eq!(refused.code, 1, "{refused}");
    assert_snapshot!("destructive_refusal", refused.stderr);
    let allowed = run(&["apply", ".", DATE, "--auto-approve", "--allow-destructive"], ws.path(), &[], None);
    assert_eq!(allowed.code, 0, "{allowed}");
}

#[test]
fn target_limits_the_plan_to_named_clients() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["plan", ".", DATE, "--target", "100262"], ws.path()));
    let unknown = run(&["plan", ".", DATE, "--target", "999999"], ws.path(), &[], None);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("--target 999999: no client"), "{unknown}");
}

#[test]
fn apply_markdown_is_one_comment_with_each_outcome() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let apply = run(&["apply", ".", DATE, "--auto-approve", "--format", "markdown"], ws.path(), &[], None);
    assert_eq!(apply.code, 0, "{apply}");
    assert!(apply.stdout.starts_with("### cspctl apply"), "{}", apply.stdout);
    assert!(apply.stdout.contains("**Apply: 7 applied, 0 failed, 0 not attempted.**"), "{}", apply.stdout);
    assert_eq!(apply.stdout.matches("| applied (addition ").count(), 7, "{}", apply.stdout);
    assert!(
        !apply.stderr.contains("  ok "),
        "outcomes are in the document, not also on stderr: {}",
        apply.stderr
    );
}
