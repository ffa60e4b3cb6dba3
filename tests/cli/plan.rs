//! `cspctl plan` on the quickstart workspace: the plan people read, the JSON scripts read, the
//! Markdown a pull request shows, and the exit codes CI relies on.

use insta::assert_snapshot;

use crate::support::{TestWorkspace, cspctl, run};

const DATE: &str = "--date=2026-11-28";

#[test]
fn quickstart_plan_text() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["plan", ".", DATE], ws.path()));
}

#[test]
fn quickstart_plan_verbose_lists_unmanaged_additions() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let out = cspctl(&["plan", ".", DATE, "--verbose"], ws.path());
    assert!(out.contains("Not managed by cspctl"), "{out}");
    assert!(out.contains("LABOUR-MSP"), "{out}");
}

#[test]
fn quickstart_plan_json() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["plan", ".", DATE, "--format", "json"], ws.path()));
}

#[test]
fn quickstart_plan_markdown() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(cspctl(&["plan", ".", DATE, "--format", "markdown"], ws.path()));
}

#[test]
fn detailed_exitcode_is_2_with_changes_and_strict_fails_on_warnings() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_eq!(run(&["plan", ".", DATE, "--detailed-exitcode"], ws.path(), &[], None).code, 2);
    assert_eq!(run(&["plan", ".", DATE, "--strict"], ws.path(), &[], None).code, 1);
    assert_eq!(run(&["plan", ".", DATE], ws.path(), &[], None).code, 0);
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let plain = run(&["plan", ".", DATE, "--color=always"], ws.path(), &[], None);
    assert!(!plain.stdout.contains('\u{1b}'), "NO_COLOR=1 is set by the harness");
    let coloured = run(&["plan", ".", DATE, "--color=always"], ws.path(), &[("NO_COLOR", "")], None);
    assert!(coloured.stdout.contains("\u{1b}["), "{}", coloured.stdout);
    let piped = run(&["plan", ".", DATE], ws.path(), &[("NO_COLOR", "")], None);
    assert!(!piped.stdout.contains('\u{1b}'), "no colour when stdout is not a terminal");
}

#[test]
fn plan_errors_exit_1_and_name_the_problem() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let clients = ws.read("clients/contoso.yaml").replace("company: Contoso", "company: Contoso-Typo");
    let ws = ws.file("clients/contoso.yaml", &clients);
    assert_snapshot!(cspctl(&["plan", ".", DATE], ws.path()));
}

/// Every licence inactive: apply would refuse the plan as destructive, so the plan says so
/// itself, fails under `--strict`, and the Markdown puts the refusal at the top.
#[test]
fn destructive_plan_is_a_finding_at_the_top_and_fails_strict() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let state = ws.read("state.yaml").replace("status: active,", "status: inactive,");
    let ws = ws.file("state.yaml", &state);
    let strict = run(&["plan", ".", DATE, "--strict", "--detailed-exitcode"], ws.path(), &[], None);
    assert_eq!(strict.code, 1, "{strict}");
    assert!(
        strict.stdout.contains("blocks apply: apply refuses this plan without --allow-destructive"),
        "{strict}"
    );
    let md = run(&["plan", ".", DATE, "--format", "markdown"], ws.path(), &[], None);
    assert_eq!(md.code, 0, "not strict: the check shows the finding, apply refuses later");
    let caution = md.stdout.find("[!CAUTION]").expect("a refusal block");
    let first_client = md.stdout.find("<details>").expect("client sections");
    assert!(caution < first_client, "{}", md.stdout);
    let json = run(&["plan", ".", DATE, "--format", "json"], ws.path(), &[], None);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let destructive = doc["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "destructive");
    assert_eq!(destructive.map(|w| &w["apply_refuses"]), Some(&serde_json::json!(true)), "{doc}");
    assert_cli_snapshot_markdown(&md.stdout);
}

fn assert_cli_snapshot_markdown(markdown: &str) {
    let top: Vec<&str> = markdown.lines().take(12).collect();
    assert_snapshot!("destructive_markdown_top", top.join("\n"));
}
