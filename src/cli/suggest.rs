//! `cspctl suggest [DIR]`: import's proposals for an existing workspace, limited to what it
//! lacks (Not Setup clients, Not Mapped stock codes). Prints the YAML to add as a unified diff,
//! or the proposals as JSON; `--write` appends the entries, keeping every existing line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::import::{self, CLIENTS_FILE, PRODUCTS_FILE};
use super::{CliError, ExitStatus, Printer, WorkspaceArg, connect};
use crate::automap::{self, Candidate, FORMAT_VERSION, Known, Proposals};
use crate::config::write;
use crate::config::{DistributorSource, SETTINGS_FILE, Workspace};

/// Output of `cspctl suggest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SuggestFormat {
    /// A unified diff of the YAML to add.
    Text,
    /// The proposals as one JSON document (see README).
    Json,
}

/// Arguments of `cspctl suggest`.
#[derive(Debug, clap::Args)]
pub struct SuggestArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// Append the proposed entries to the workspace files.
    #[arg(long)]
    write: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SuggestFormat::Text)]
    format: SuggestFormat,
    /// Day against which cancelled additions are history (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<NaiveDate>,
}

/// `cspctl suggest`.
pub async fn run(args: &SuggestArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let dir = &args.workspace.dir;
    let ws = super::plan::load_workspace(dir, printer)?;
    let today = args.date.unwrap_or_else(|| chrono::Local::now().date_naive());
    let known = Known {
        products: ws
            .products
            .iter()
            .map(|m| (m.dicker_data.stock_code.clone(), m.psa.product.clone()))
            .collect(),
        linked: ws.clients.iter().filter_map(|c| Some((c.dicker_data.clone(), c.company.clone()?))).collect(),
        settled: ws.clients.iter().map(|c| c.dicker_data.clone()).collect(),
    };
    let live = connect::open(&ws, None, today)?;
    let (dd, psa, options) = import::read(&live, &ws, &known, today).await?;
    let proposals = automap::propose(&dd, &psa, &known, &options);
    let taken: BTreeSet<String> = ws.products.iter().map(|m| m.key.clone()).collect();
    let keys = import::product_keys(&proposals.products, &taken);
    let changes = [
        ("products", target(&ws, PRODUCTS_FILE, "products"), import::product_entries(&proposals, &keys)),
        ("clients", target(&ws, CLIENTS_FILE, "clients"), import::client_entries(&proposals)),
    ];
    let mut edits: Vec<(PathBuf, String, String)> = Vec::new();
    for (key, path, entries) in changes {
        if entries.is_empty() {
            continue;
        }
        let old = if path.exists() {
            std::fs::read_to_string(&path).map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?
        } else {
            String::new()
        };
        let new = write::append(&old, key, &entries)
            .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
        edits.push((path, old, new));
    }
    match args.format {
        SuggestFormat::Json => printer.out(&format!("{:#}\n", document(&proposals))),
        SuggestFormat::Text => {
            for (path, old, new) in &edits {
                let rel = import::relative(dir, path);
                let (a, b) = if old.is_empty() {
                    ("/dev/null".to_string(), format!("b/{rel}"))
                } else {
                    (format!("a/{rel}"), format!("b/{rel}"))
                };
                let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                printer.out(&diff.unified_diff().context_radius(3).header(&a, &b).to_string());
            }
        }
    }
    if edits.is_empty() {
        printer.status(
            "Nothing to suggest: every Dicker Data client is in the workspace and every licence is mapped.",
        );
        return Ok(ExitStatus::Success);
    }
    if args.write {
        for (path, _, new) in &edits {
            std::fs::write(path, new).map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
        }
        printer.status(&format!(
            "Appended to {}.",
            edits.iter().map(|(p, _, _)| import::relative(dir, p)).collect::<Vec<_>>().join(", ")
        ));
    } else {
        printer.status(import::summary(&proposals).replace('\n', " ").trim_end());
        printer.status("Run with --write to append these entries.");
    }
    Ok(ExitStatus::Success)
}

/// The file new entries go to: `default` when it exists, else the last workspace file (by
/// path) that already has a top-level `key:` list, else a new `default`.
fn target(ws: &Workspace, default: &str, key: &str) -> PathBuf {
    let preferred = ws.root.join(default);
    if preferred.is_file() {
        return preferred;
    }
    let mut files = Vec::new();
    yaml_files(&ws.root, &mut files);
    files.sort();
    let live: Vec<PathBuf> = [
        ws.settings.sandbox.as_ref().map(|s| ws.root.join(&s.state)),
        match &ws.settings.distributor {
            DistributorSource::DickerData(d) => d.export.as_ref().map(|e| ws.root.join(e)),
            DistributorSource::Sandbox => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    let header = format!("{key}:");
    files
        .into_iter()
        .filter(|p| !live.contains(p) && p.file_name().is_some_and(|n| n != SETTINGS_FILE))
        .rfind(|p| std::fs::read_to_string(p).is_ok_and(|t| t.lines().any(|l| l.starts_with(&header))))
        .unwrap_or(preferred)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let hidden = e.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

/// The `--format json` document (`format_version` 1; README documents it).
fn document(p: &Proposals) -> Value {
    let candidates = |list: &[Candidate], key: &str| -> Vec<Value> {
        list.iter()
            .map(|c| {
                let mut m = serde_json::Map::new();
                m.insert(key.to_string(), json!(c.identifier));
                m.insert("name".into(), json!(c.name));
                m.insert("score".into(), json!(c.score));
                m.insert("reason".into(), json!(c.reason));
                Value::Object(m)
            })
            .collect()
    };
    json!({
        "format_version": FORMAT_VERSION,
        "clients": p.clients.iter().map(|c| json!({
            "dicker_data": c.dicker_data,
            "name": c.name,
            "link": c.link,
            "candidates": candidates(&c.candidates, "company"),
        })).collect::<Vec<_>>(),
        "products": p.products.iter().map(|x| json!({
            "stock_code": x.stock_code.to_string(),
            "description": x.description,
            "link": x.link,
            "candidates": candidates(&x.candidates, "product"),
        })).collect::<Vec<_>>(),
    })
}
