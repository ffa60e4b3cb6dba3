//! The committed JSON Schema is the contract editors and CI check YAML against: it must be
//! exactly what the Rust types generate, and every example workspace must satisfy it.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_matches_the_types() {
    let path = root().join("schema/cspctl.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = format!("{}\n", serde_json::to_string_pretty(&cspctl::config::json_schema()).unwrap());
    assert!(
        committed == generated,
        "{} is out of date with the Rust types in src/config/document.rs.\n\
         Regenerate it with:\n\n    cargo run -- schema > schema/cspctl.schema.json\n\n\
         and commit the result.",
        path.display()
    );
}

#[test]
fn the_schema_compiles_and_is_offline() {
    let schema = cspctl::config::json_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::validator_for(&schema).expect("the schema compiles");
    let text = schema.to_string();
    assert!(!text.contains("\"$ref\":\"http"), "remote $ref would need the network");
}

#[test]
fn every_example_file_satisfies_the_schema() {
    let examples = root().join("examples");
    if !examples.is_dir() {
        eprintln!("SKIPPED: no examples/ directory");
        return;
    }
    let validator = jsonschema::validator_for(&cspctl::config::json_schema()).expect("schema compiles");
    let mut files = Vec::new();
    yaml_files(&examples, &mut files);
    files.sort();
    let live_state = live_state_files(&files);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files.iter().filter(|f| !live_state.contains(f)) {
        let text = std::fs::read_to_string(file).unwrap();
        let value: serde_json::Value = match serde_saphyr::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        for error in validator.iter_errors(&value) {
            problems.push(format!("{}: {}: {error}", file.display(), error.instance_path()));
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "example files do not satisfy the schema:\n{}", problems.join("\n"));
    assert!(checked > 0, "no example workspace files found under {}", examples.display());
}

#[test]
fn every_example_workspace_loads() {
    let examples = root().join("examples");
    let Ok(entries) = std::fs::read_dir(&examples) else {
        eprintln!("SKIPPED: no examples/ directory");
        return;
    };
    for dir in entries.flatten().map(|e| e.path()).filter(|p| p.join("cspctl.yaml").is_file()) {
        if let Err(e) = cspctl::config::load(&dir) {
            panic!("{} does not validate:\n{e}", dir.display());
        }
    }
}

#[test]
fn example_files_point_editors_at_the_schema() {
    let mut files = Vec::new();
    yaml_files(&root().join("examples"), &mut files);
    let live_state = live_state_files(&files);
    for file in files.iter().filter(|f| !live_state.contains(f)) {
        let text = std::fs::read_to_string(file).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let target = first.strip_prefix("# yaml-language-server: $schema=").unwrap_or_else(|| {
            panic!("{} should start with `# yaml-language-server: $schema=...`", file.display())
        });
        let schema = file.parent().unwrap().join(target);
        assert!(
            schema.canonicalize().ok() == root().join("schema/cspctl.schema.json").canonicalize().ok(),
            "{}: $schema={target} does not point at schema/cspctl.schema.json",
            file.display()
        );
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        // examples/ci holds CI recipes, not workspaces (tests/cli/recipes.rs runs them).
        if path.is_dir() && path.ends_with("examples/ci") {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Sandbox state files named by a workspace's `cspctl.yaml`: live state, not workspace files.
fn live_state_files(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "cspctl.yaml"))
        .filter_map(|settings| {
            let value: serde_json::Value =
                serde_saphyr::from_str(&std::fs::read_to_string(settings).ok()?).ok()?;
            let state = value.pointer("/sandbox/state")?.as_str()?;
            Some(settings.parent()?.join(state))
        })
        .collect()
}
