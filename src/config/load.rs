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
use super::yaml_error::yaml_error;
use super::{ConfigErrors, Document, SETTINGS_FILE, Workspace};
use crate::files;

/// Loads `dir/cspctl.yaml` and every other `*.yaml`/`*.yml` (any letter case) below `dir`
/// (hidden entries, the sandbox state file and the Dicker Data export excepted). `cspctl.yaml` comes first,
/// then the other files sorted by path, so products and clients have a stable order.
pub fn load(dir: &Path) -> Result<Workspace, ConfigErrors> {
    let settings_path = dir.join(SETTINGS_FILE);
    if !settings_path.exists() {
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
    let skipped = match &settings {
        Some(file) => live_state_files(&file.tree),
        None => live_state_files_by_text(&String::from_utf8_lossy(
            &files::read(&settings_path, files::WORKSPACE_FILE_LIMIT).unwrap_or_default(),
        )),
    };
    let relative = other_files(dir, &skipped, &mut errors);
    let mut files: Vec<ParsedFile> = settings.into_iter().collect();
    files.extend(relative.iter().filter_map(|rel| parse_file(dir, rel, &schema, &mut errors)));
    let settings = checks::settings(&files, &settings_path, &mut errors);
    let mut warnings = Vec::new();
    checks::workspace(&files, &mut errors, &mut warnings);
    // Problems read top to bottom, file by file; cross-file ones sit at their second place.
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    match settings {
        Some(settings) if errors.is_empty() => {
            let documents = files.into_iter().filter_map(|f| f.document);
            let (mut products, mut clients, mut exceptions) = (Vec::new(), Vec::new(), Vec::new());
            for mut doc in documents {
                products.append(&mut doc.products);
                clients.append(&mut doc.clients);
                exceptions.append(&mut doc.exceptions);
            }
            Ok(Workspace { root: dir.to_path_buf(), settings, products, clients, exceptions, warnings })
        }
        _ => Err(ConfigErrors(errors)),
    }
}

/// The files [`load`] reads, relative to `dir`, in the order it reads them: `cspctl.yaml`, then
/// the other workspace files sorted by path. A saved plan hashes exactly these, so a change to
/// any of them (and to nothing else) makes it stale.
pub fn workspace_files(dir: &Path) -> Vec<PathBuf> {
    let text = String::from_utf8_lossy(
        &files::read(&dir.join(SETTINGS_FILE), files::WORKSPACE_FILE_LIMIT).unwrap_or_default(),
    )
    .into_owned();
    let skipped = match located::parse(&text) {
        Ok(tree) => live_state_files(&tree),
        Err(_) => live_state_files_by_text(&text),
    };
    let mut all = vec![PathBuf::from(SETTINGS_FILE)];
    all.extend(other_files(dir, &skipped, &mut Vec::new()));
    all
}

/// Every workspace file but `cspctl.yaml` and the live state files it names, sorted by path.
fn other_files(dir: &Path, skipped: &[PathBuf], errors: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut relative = Vec::new();
    collect_yaml(dir, Path::new(""), &mut relative, errors);
    relative.retain(|p| p != Path::new(SETTINGS_FILE) && !skipped.iter().any(|s| same_path(s, p)));
    relative.sort();
    relative
}

/// Reads and checks one file on its own; `None` when it cannot be read or is not YAML.
fn parse_file(
    dir: &Path,
    rel: &Path,
    schema: &SchemaCheck,
    errors: &mut Vec<Diagnostic>,
) -> Option<ParsedFile> {
    let path = dir.join(rel);
    let text = read_text(&path, errors)?;
    let line_masks = secrets::scan_lines(&text);
    let tree = match located::parse(&text) {
        Ok(tree) => tree,
        Err(e) => {
            errors.push(yaml_error(&e, SourceFile::new(path, &text, &line_masks)));
            return None;
        }
    };
    let (found, mut masks) = secrets::scan(&tree, &text);
    masks.extend(line_masks);
    let source = SourceFile::new(path, &text, &masks);
    let mut problems: Vec<Diagnostic> = found
        .iter()
        .map(|f| {
            let what = super::wording::describe_path(&f.path);
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
                // What the schema cannot say (a number too large for its field): parse the text
                // again with serde-saphyr for the place, unless that text holds a credential.
                let typed = found.is_empty().then(|| {
                    serde_saphyr::from_str_with_options::<Document>(&text, located::options()).err()
                });
                let (at, message) = match typed.flatten() {
                    Some(e) => (
                        e.location().map(located::Pos::from_location).unwrap_or(tree.at),
                        serde_saphyr::MessageFormatter::format_message(
                            &serde_saphyr::UserMessageFormatter,
                            &e,
                        )
                        .into_owned(),
                    ),
                    None => (tree.at, e.to_string()),
                };
                problems.push(Diagnostic::new(
                    source.mark(at, "invalid value"),
                    format!("invalid value: {message}"),
                ));
                None
            }
        }
    } else {
        None
    };
    problems.extend(schema_problems);
    errors.extend(problems);
    Some(ParsedFile { rel: rel.to_path_buf(), source, tree, document })
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

/// A workspace file's text: a regular file within [`files::WORKSPACE_FILE_LIMIT`], in UTF-8
/// (the first byte that is not is reported with its line and column).
fn read_text(path: &Path, errors: &mut Vec<Diagnostic>) -> Option<String> {
    let bytes = match files::read(path, files::WORKSPACE_FILE_LIMIT) {
        Ok(bytes) => bytes,
        Err(e) => {
            errors.push(Diagnostic::new(Mark::file(path), e.to_string()));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let valid = std::str::from_utf8(&bytes[..bad]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            let at = Pos {
                line,
                column: valid[line_start..].chars().count() + 1,
                // The lossy text has U+FFFD where the bad byte was, at the same offset.
                offset: Some(bad),
                len: Some(char::REPLACEMENT_CHARACTER.len_utf8()),
            };
            let source = SourceFile::new(path.to_path_buf(), &text, &secrets::scan_lines(&text));
            errors.push(
                Diagnostic::new(
                    source.mark(at, "not UTF-8"),
                    format!("byte 0x{:02X} is not UTF-8 text; workspace files are UTF-8", bytes[bad]),
                )
                .help("save the file as UTF-8 (a Latin-1 or Windows-1252 editor setting writes bytes like this)"),
            );
            None
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

/// The same, from a `cspctl.yaml` that does not parse: the value after each `state:` or
/// `export:`, so a syntax error there does not also report the state file as a bad workspace file.
fn live_state_files_by_text(text: &str) -> Vec<PathBuf> {
    ["state:", "export:"]
        .iter()
        .flat_map(|key| text.match_indices(key).map(move |(i, _)| &text[i + key.len()..]))
        .filter_map(|rest| {
            let value = rest
                .trim_start()
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | '#'))
                .next()?;
            let value = value.trim_matches(['"', '\'']);
            (!value.is_empty()).then(|| PathBuf::from(value))
        })
        .collect()
}

fn same_path(a: &Path, b: &Path) -> bool {
    let clean =
        |p: &Path| p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect::<PathBuf>();
    clean(a) == clean(b)
}

/// Whether a file name is a workspace file's: it ends in `.yaml` or `.yml`, in any letter
/// case (`contoso.YAML` is loaded, not skipped).
fn is_yaml_name(name: &Path) -> bool {
    name.extension().is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Whether a name looks meant as YAML but is not loaded (`contoso.yaml.bak`, `contoso.yml~`).
fn looks_like_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !is_yaml_name(Path::new(name)) && (lower.contains(".yaml") || lower.contains(".yml"))
}

/// Directories below the workspace that are followed (through symlinks too); deeper is a loop.
const MAX_DEPTH: usize = 16;

/// Every `*.yaml` / `*.yml` below `dir`, relative to it, skipping hidden entries. Links are
/// followed; whether an entry is a regular file is decided when it is opened, so a FIFO named
/// `pipe.yaml` is refused by name rather than skipped.
fn collect_yaml(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>) {
    let here = dir.join(rel);
    if rel.components().count() > MAX_DEPTH {
        errors.push(Diagnostic::new(
            Mark::file(&here),
            format!("directories nested more than {MAX_DEPTH} deep (a symlink loop?); not read"),
        ));
        return;
    }
    let entries = match std::fs::read_dir(&here) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(Diagnostic::new(Mark::file(&here), format!("cannot list directory: {e}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let child = rel.join(&name);
        let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        if is_dir {
            collect_yaml(dir, &child, out, errors);
        } else if is_yaml_name(&child) {
            out.push(child);
        }
    }
}

/// Files below `dir` whose names look meant as YAML (`clients/contoso.yaml.bak`) but that are
/// not loaded, so `validate` can say so instead of skipping them silently.
pub fn skipped_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir.join(rel)) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = rel.join(&name);
            if name.starts_with('.') || child.components().count() > MAX_DEPTH {
                continue;
            }
            if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
                walk(dir, &child, out);
            } else if looks_like_yaml(&name) {
                out.push(child);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
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

    /// A mapping whose stock code is unique to its key (product id `CFQ7TTC0L` + 3 characters).
    fn product(key: &str) -> String {
        let id: String =
            key.chars().filter(char::is_ascii_alphanumeric).chain("XXX".chars()).take(3).collect();
        format!(
            "  - key: {key}\n    dicker_data: {{ stock_code: \"P1Y:CFQ7TTC0L{id}:0002:1:\" }}\n    psa: {{ product: X }}\n"
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
