//! Reading a workspace directory into a checked [`Workspace`].

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Document, Settings, Workspace};

/// One problem in the YAML, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File, relative to the current directory as given.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Every problem found while loading, so one run shows them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Loads `dir/cspctl.yaml` and every other `*.yaml`/`*.yml` below `dir`.
pub fn load(dir: &Path) -> Result<Workspace, ConfigErrors> {
    let settings_path = dir.join("cspctl.yaml");
    let mut errors = Vec::new();
    let mut files = Vec::new();
    collect_yaml(dir, &mut files);
    files.sort();
    // The sandbox state file lives in the workspace too; it is live state, not desired state.
    if let Some(state) = sandbox_state_path(&settings_path) {
        files.retain(|f| f != &dir.join(&state));
    }
    let mut settings_doc = None;
    let mut products = Vec::new();
    let mut clients = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(Diagnostic { file, line: None, column: None, message: e.to_string() });
                continue;
            }
        };
        match serde_saphyr::from_str::<Document>(&text) {
            Ok(mut doc) => {
                products.append(&mut doc.products);
                clients.append(&mut doc.clients);
                if file == settings_path {
                    settings_doc = Some(doc);
                }
            }
            Err(e) => errors.push(Diagnostic { file, line: None, column: None, message: e.to_string() }),
        }
    }
    let settings = match settings_doc {
        Some(doc) => match (doc.distributor, doc.psa) {
            (Some(distributor), Some(psa)) => Some(Settings {
                distributor,
                psa,
                sandbox: doc.sandbox,
                defaults: doc.defaults.unwrap_or_default(),
            }),
            _ => {
                errors.push(Diagnostic {
                    file: settings_path,
                    line: None,
                    column: None,
                    message: "`distributor:` and `psa:` are required".into(),
                });
                None
            }
        },
        None => {
            if errors.is_empty() {
                errors.push(Diagnostic {
                    file: settings_path,
                    line: None,
                    column: None,
                    message: "not found: a workspace is a directory with a cspctl.yaml".into(),
                });
            }
            None
        }
    };
    match settings {
        Some(settings) if errors.is_empty() => {
            Ok(Workspace { root: dir.to_path_buf(), settings, products, clients })
        }
        _ => Err(ConfigErrors(errors)),
    }
}

fn sandbox_state_path(settings_path: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(settings_path).ok()?;
    let doc: Document = serde_saphyr::from_str(&text).ok()?;
    doc.sandbox.map(|s| s.state)
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}
