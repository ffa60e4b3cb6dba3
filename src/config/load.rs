//! Reading a workspace directory into a checked [`Workspace`].
//!
//! Every file goes through the same steps, and every problem is collected before failing:
//! YAML syntax, budgets and duplicate keys (serde-saphyr), secrets, the JSON Schema, then the
//! typed document; finally the checks that need the whole workspace (duplicates across files,
//! references, settings).

use std::path::{Path, PathBuf};

use super::checks::{self, ParsedFile};
use super::diagnostic::{Diagnostic, Mark, SourceFile};
use super::located::{self, Located, Pos};
use super::schema_check::SchemaCheck;
use super::secrets;
use super::{ConfigErrors, Document, Workspace};

/// The settings file every workspace has at its root.
pub const SETTINGS_FILE: &str = "cspctl.yaml";

/// Loads `dir/cspctl.yaml` and every other `*.yaml`/`*.yml` below `dir` (hidden directories,
/// the sandbox state file and the Dicker Data export excepted). `cspctl.yaml` comes first,
/// then the other files sorted by path, so products and clients have a stable order.
pub fn load(dir: &Path) -> Result<Workspace, ConfigErrors> {
    let settings_path = dir.join(SETTINGS_FILE);
    if !settings_path.is_file() {
        let d = Diagnostic::new(
            Mark::file(&settings_path),
            format!(
                "no {SETTINGS_FILE} in `{}`: a workspace is a directory with a {SETTINGS_FILE}",
                dir.display()
            ),
        )
        .help("run cspctl in the workspace directory or pass it: `cspctl validate path/to/workspace`");
        return Err(ConfigErrors(vec![d]));
    }
    let schema =
        SchemaCheck::new().map_err(|m| ConfigErrors(vec![Diagnostic::new(Mark::file(&settings_path), m)]))?;
    let mut errors = Vec::new();
    let settings = parse_file(dir, Path::new(SETTINGS_FILE), &schema, &mut errors);
    let skipped = settings.as_ref().map(|s| live_state_files(&s.tree)).unwrap_or_default();
    let mut relative = Vec::new();
    collect_yaml(dir, Path::new(""), &mut relative, &mut errors);
    relative.retain(|p| p != Path::new(SETTINGS_FILE) && !skipped.iter().any(|s| same_path(s, p)));
    relative.sort();
    let mut files: Vec<ParsedFile> = settings.into_iter().collect();
    files.extend(relative.iter().filter_map(|rel| parse_file(dir, rel, &schema, &mut errors)));
    let settings = checks::settings(&files, &settings_path, &mut errors);
    checks::workspace(&files, &mut errors);
    // Problems read top to bottom, file by file; cross-file ones sit at their second place.
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    match settings {
        Some(settings) if errors.is_empty() => {
            let documents = files.into_iter().filter_map(|f| f.document);
            let (mut products, mut clients) = (Vec::new(), Vec::new());
            for mut doc in documents {
                products.append(&mut doc.products);
                clients.append(&mut doc.clients);
            }
            Ok(Workspace { root: dir.to_path_buf(), settings, products, clients })
        }
        _ => Err(ConfigErrors(errors)),
    }
}

/// Reads and checks one file on its own; `None` when it cannot be read or is not YAML.
fn parse_file(
    dir: &Path,
    rel: &Path,
    schema: &SchemaCheck,
    errors: &mut Vec<Diagnostic>,
) -> Option<ParsedFile> {
    let path = dir.join(rel);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            errors.push(Diagnostic::new(Mark::file(&path), format!("cannot read: {e}")));
            return None;
        }
    };
    let tree = match located::parse(&text) {
        Ok(tree) => tree,
        Err(e) => {
            let masks = secrets::scan_lines(&text);
            let mut problems = vec![yaml_error(&e, SourceFile::new(path, &text, &masks))];
            scrub_secrets(&mut problems, &text, &masks);
            errors.extend(problems);
            return None;
        }
    };
    let (found, masks) = secrets::scan(&tree, &text);
    let source = SourceFile::new(path, &text, &masks);
    let mut problems: Vec<Diagnostic> = found
        .iter()
        .map(|f| {
            let what = super::schema_check::describe_path(&f.path);
            Diagnostic::new(
                source.mark(if f.by_key { f.key_at } else { f.value_at }, "secret here (value hidden)"),
                format!(
                    "{what} looks like a secret: {}; credentials do not belong in workspace YAML",
                    f.reason
                ),
            )
            .help(secrets::env_hint(&f.path))
        })
        .collect();
    // Keys that name credentials are reported above; the schema need not call them unknown.
    let mut instance = tree.to_json();
    for f in found.iter().filter(|f| f.by_key) {
        remove_pointer(&mut instance, &f.path);
    }
    let schema_problems = schema.check(&instance, &tree, &source);
    let document = if schema_problems.is_empty() {
        match serde_json::from_value::<Document>(instance) {
            Ok(doc) => Some(doc),
            Err(e) => {
                problems.push(Diagnostic::new(source.mark(tree.at, ""), format!("invalid document: {e}")));
                None
            }
        }
    } else {
        None
    };
    problems.extend(schema_problems);
    scrub_secrets(&mut problems, &text, &masks);
    errors.extend(problems);
    Some(ParsedFile { rel: rel.to_path_buf(), source, tree, document })
}

/// A YAML-level error (syntax, duplicate key, budget) from serde-saphyr, as a diagnostic.
fn yaml_error(e: &serde_saphyr::Error, source: SourceFile) -> Diagnostic {
    use serde_saphyr::Error as E;
    let inner = e.without_snippet();
    let message = serde_saphyr::MessageFormatter::format_message(&serde_saphyr::UserMessageFormatter, inner);
    let at = inner.location().map(Pos::from_location).unwrap_or_default();
    match inner {
        E::DuplicateMappingKey { key, .. } => {
            let name = key.clone().unwrap_or_default();
            let mut d = Diagnostic::new(
                source.mark(at, "duplicate key"),
                format!("duplicate key `{name}`: a key may appear only once in a mapping"),
            )
            .help("remove one of them; YAML would otherwise silently keep only one value");
            if let Some(first) = first_occurrence(&source.text, at, &name) {
                d = d.related(source.mark(first, "first used here"));
            }
            d
        }
        _ if matches!(inner, E::Budget { .. }) || message.contains("too large or too complex") => {
            Diagnostic::new(
                source.mark(at, "limit reached here"),
                format!("YAML refused by the size limits (nodes, nesting, alias expansions): {message}"),
            )
            .help("workspace files are plain hand-written YAML; avoid deep nesting and repeated aliases")
        }
        _ => Diagnostic::new(source.mark(at, "here"), format!("YAML syntax error: {message}")),
    }
}

/// The earlier `key:` of the same block mapping as a duplicate at `dup`: the nearest line
/// above with `key:` at the same column, before the mapping's indentation ends.
fn first_occurrence(text: &str, dup: Pos, key: &str) -> Option<Pos> {
    let lines: Vec<&str> = text.lines().collect();
    let column = dup.column.checked_sub(1)?;
    for line_index in (0..dup.line.checked_sub(1)?).rev() {
        let line = lines.get(line_index)?;
        let indent = line.chars().take_while(|c| *c == ' ' || *c == '-').count();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        let rest: String = line.chars().skip(column).collect();
        if indent <= column && rest.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':')) {
            let offset = text.lines().take(line_index).map(|l| l.len() + 1).sum::<usize>()
                + line.char_indices().nth(column).map_or(0, |(i, _)| i);
            return Some(Pos {
                line: line_index + 1,
                column: dup.column,
                offset: Some(offset),
                len: Some(key.len()),
            });
        }
        if !blank && indent < column {
            return None;
        }
    }
    None
}

/// Removes `path` from a JSON document (a credential entry, already reported).
fn remove_pointer(value: &mut serde_json::Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut here = value;
    for p in parents {
        here = match here {
            serde_json::Value::Object(m) => match m.get_mut(p) {
                Some(v) => v,
                None => return,
            },
            serde_json::Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    if let serde_json::Value::Object(m) = here {
        m.remove(last);
    }
}

/// Messages never repeat a masked value, whatever produced them.
fn scrub_secrets(problems: &mut [Diagnostic], text: &str, masks: &[std::ops::Range<usize>]) {
    let secrets: Vec<&str> = masks
        .iter()
        .filter_map(|r| text.get(r.clone()))
        .map(|s| s.trim_matches(['"', '\'']))
        .filter(|s| s.len() >= 4)
        .collect();
    for problem in problems {
        for secret in &secrets {
            if problem.message.contains(secret) {
                problem.message = problem.message.replace(secret, "****");
            }
            if let Some(help) = &mut problem.help {
                *help = help.replace(secret, "****");
            }
        }
    }
}

/// The sandbox state file and the Dicker Data export named in `cspctl.yaml`: live state, not
/// desired state, even when they are YAML inside the workspace.
fn live_state_files(settings: &Located) -> Vec<PathBuf> {
    [["sandbox", "state"].as_slice(), &["distributor", "dicker_data", "export"]]
        .iter()
        .filter_map(|path| settings.lookup(path.iter()).and_then(|(_, v)| v.as_str().map(PathBuf::from)))
        .collect()
}

fn same_path(a: &Path, b: &Path) -> bool {
    let clean =
        |p: &Path| p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect::<PathBuf>();
    clean(a) == clean(b)
}

/// Every `*.yaml` / `*.yml` below `dir`, relative to it, skipping hidden entries.
fn collect_yaml(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir.join(rel)) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(Diagnostic::new(Mark::file(&dir.join(rel)), format!("cannot list directory: {e}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let child = rel.join(&name);
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            collect_yaml(dir, &child, out, errors);
        } else if child.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str =
        "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: live/state.yaml }\n";

    fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn product(key: &str) -> String {
        format!(
            "  - key: {key}\n    dicker_data: {{ stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }}\n    psa: {{ product: X }}\n"
        )
    }

    #[test]
    fn settings_first_then_files_sorted_by_path() {
        let dir = workspace(&[
            ("cspctl.yaml", &format!("{SETTINGS}products:\n{}", product("from-settings"))),
            ("z.yaml", &format!("products:\n{}", product("z"))),
            ("b/a.yml", &format!("products:\n{}", product("b-a"))),
            ("a.yaml", &format!("products:\n{}", product("a"))),
            ("live/state.yaml", "not: [a, workspace, file]\n"),
            ("empty.yaml", "# nothing yet\n"),
        ]);
        let ws = load(dir.path()).unwrap();
        let keys: Vec<&str> = ws.products.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["from-settings", "a", "b-a", "z"]);
        assert_eq!(ws.root, dir.path());
    }

    #[test]
    fn credentials_never_reach_error_text() {
        const CANARY: &str = "Canary7Secret9Value3Xq";
        let dir = workspace(&[
            (
                "cspctl.yaml",
                &format!(
                    "{SETTINGS}defaults: {{ token: {CANARY} }}\npsa_credentials:\n  password: [{CANARY}]\n"
                ),
            ),
            (
                "a.yaml",
                &format!(
                    "clients:\n  - dicker_data: \"1\"\n    name: eyJhbGciOiJIUzI1NiJ9.eyJ{CANARY}.{CANARY}\n    company: [x]\n"
                ),
            ),
            ("b.yaml", &format!("clients:\n  - dicker_data: \"2\"\n    api_key: \"{CANARY}\n")),
            (
                "c.yaml",
                &format!(
                    "products:\n  - key: k\n    dicker_data: {{ stock_code: 5 }}\n    secret: {CANARY}\n"
                ),
            ),
        ]);
        let errors = load(dir.path()).unwrap_err();
        for text in [errors.to_string(), format!("{errors:?}"), errors.render(true)] {
            assert!(!text.contains(CANARY), "credential echoed:\n{text}");
        }
        assert!(errors.0.len() >= 5, "{errors}");
    }
}
