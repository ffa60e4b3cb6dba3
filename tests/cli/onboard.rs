//! Onboarding: `cspctl import` on the onboarding example (the files it writes, byte-identical
//! reruns, refusal to overwrite, validate and plan on the result) and `cspctl suggest` on the
//! quickstart (its diff, its JSON, and `--write` keeping every existing line).

use insta::assert_snapshot;

use crate::support::{TestWorkspace, cspctl, run};

const DATE: &str = "--date=2026-12-01";

fn imported() -> TestWorkspace {
    let ws = TestWorkspace::copy_of("examples/onboarding");
    let out = run(&["import", ".", DATE], ws.path(), &[], None);
    assert_eq!(out.code, 0, "{out}");
    ws
}

#[test]
fn import_writes_the_onboarding_workspace() {
    let ws = TestWorkspace::copy_of("examples/onboarding");
    let out = cspctl(&["import", ".", DATE], ws.path());
    assert_snapshot!("import_run", out);
    assert_snapshot!("import_products_yaml", ws.read("products.yaml"));
    assert_snapshot!("import_clients_yaml", ws.read("clients.yaml"));
}

#[test]
fn a_second_import_writes_the_same_bytes_and_needs_force() {
    let ws = imported();
    let (products, clients) = (ws.read("products.yaml"), ws.read("clients.yaml"));
    let refused = run(&["import", ".", DATE], ws.path(), &[], None);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("already exist; nothing was written"), "{refused}");
    assert!(refused.stderr.contains("--force"), "{refused}");
    let again = run(&["import", ".", DATE, "--force"], ws.path(), &[], None);
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(ws.read("products.yaml"), products);
    assert_eq!(ws.read("clients.yaml"), clients);
}

#[test]
fn what_import_writes_validates_and_plans_with_no_errors() {
    let ws = imported();
    let valid = run(&["validate", "."], ws.path(), &[], None);
    assert_eq!(valid.code, 0, "{valid}");
    let plan = cspctl(&["plan", ".", DATE], ws.path());
    assert_snapshot!("plan_after_import", plan);
    let json = run(&["plan", ".", DATE, "--format", "json"], ws.path(), &[], None);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan json");
    assert_eq!(doc["errors"], serde_json::json!([]), "{}", json.stdout);
    assert_eq!(doc["summary"]["create"], 2, "{}", json.stdout);
}

#[test]
fn import_from_flags_writes_settings_without_secrets() {
    let ws = TestWorkspace::new();
    let state = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/onboarding/state.yaml");
    std::fs::copy(&state, ws.join("state.yaml")).expect("copy state");
    let secret =
        [("CSPCTL_CW_PRIVATE_KEY", "s3cr3t-private-key-value"), ("CSPCTL_AT_SECRET", "s3cr3t-at-value")];
    let out = run(
        &["import", "new", "--psa", "sandbox", "--distributor", "sandbox", "--state", "../state.yaml", DATE],
        ws.path(),
        &secret,
        None,
    );
    assert_eq!(out.code, 0, "{out}");
    assert_snapshot!("import_settings_from_flags", ws.read("new/cspctl.yaml"));
    for file in ["new/cspctl.yaml", "new/products.yaml", "new/clients.yaml"] {
        let text = ws.read(file);
        assert!(!text.contains("s3cr3t"), "{file} holds a secret:\n{text}");
    }
    let valid = run(&["validate", "new"], ws.path(), &[], None);
    assert_eq!(valid.code, 0, "{valid}");
}

#[test]
fn suggest_prints_the_yaml_to_add_as_a_diff() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!("suggest_quickstart_diff", cspctl(&["suggest", ".", DATE], ws.path()));
}

#[test]
fn suggest_json_is_one_document() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    assert_snapshot!(
        "suggest_quickstart_json",
        cspctl(&["suggest", ".", DATE, "--format", "json"], ws.path())
    );
}

#[test]
fn suggest_write_appends_and_keeps_every_line() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let before = [
        ("products.yaml", ws.read("products.yaml")),
        ("clients/others.yaml", ws.read("clients/others.yaml")),
    ];
    let out = run(&["suggest", ".", DATE, "--write"], ws.path(), &[], None);
    assert_eq!(out.code, 0, "{out}");
    for (file, old) in &before {
        let new = ws.read(file);
        assert!(new.starts_with(old.as_str()), "{file}: existing lines changed:\n{new}");
        assert!(new.len() > old.len(), "{file}: nothing appended");
    }
    // The Visio licence has no PSA product: validate warns that the mapping is incomplete.
    assert_snapshot!("validate_after_suggest_write", cspctl(&["validate", "."], ws.path()));
    let again = run(&["suggest", ".", DATE], ws.path(), &[], None);
    assert_eq!(again.code, 0, "an incomplete mapping does not stop suggest: {again}");
}

#[test]
fn an_incomplete_mapping_leaves_its_licences_not_mapped_and_the_plan_runs() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let out = run(&["suggest", ".", DATE, "--write"], ws.path(), &[], None);
    assert_eq!(out.code, 0, "{out}");
    assert!(ws.read("products.yaml").contains("product: \"\""), "no incomplete mapping written");
    let plan = run(&["plan", ".", DATE, "--format", "json"], ws.path(), &[], None);
    assert_eq!(plan.code, 0, "{plan}");
    assert!(plan.stderr.contains("warning: product mapping `visio-plan-2-monthly`"), "{plan}");
    assert!(plan.stderr.contains("products.yaml:"), "{plan}");
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan json");
    assert_eq!(doc["errors"], serde_json::json!([]), "{}", plan.stdout);
    let not_mapped: Vec<&str> = doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "not_mapped")
        .filter_map(|w| w["message"].as_str())
        .collect();
    assert!(
        not_mapped.iter().any(|m| m.contains("P1M:CFQ7TTC0HD33:0001:1:")
            && m.contains("mapping `visio-plan-2-monthly` is incomplete")),
        "{not_mapped:?}"
    );
    let strict = run(&["plan", ".", DATE, "--strict"], ws.path(), &[], None);
    assert_eq!(strict.code, 1, "--strict still fails on warnings: {strict}");
}
