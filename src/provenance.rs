//! What identifies a plan and what it was made from: the cspctl version, the PSA endpoint, the
//! workspace files (each hashed) and the hash of the plan's actions. A saved plan records them
//! and `apply` checks them, so a plan is applied only to the workspace, PSA and files it was
//! reviewed for; plan JSON, the audit log and apply's outcome carry the plan hash, so every
//! write can be tied to the plan a reviewer approved.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::PsaConnection;
use crate::reconcile::Plan;

/// The release a saved plan records and apply compares: reconcile rules change between
/// releases, so a plan is applied only by the release that made it.
pub const CSPCTL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The PSA a workspace writes to, as one line: the provider and where it is. Names no
/// credential (the Autotask zone found by lookup depends on the API user, which is not named).
pub fn endpoint(psa: &PsaConnection) -> String {
    match psa {
        PsaConnection::Sandbox => "sandbox".to_string(),
        PsaConnection::Connectwise(s) => {
            format!("connectwise {} company {}", s.site.trim_end_matches('/'), s.company)
        }
        PsaConnection::Autotask(s) => match &s.base_url {
            Some(url) => format!("autotask {}", url.trim_end_matches('/')),
            None => format!(
                "autotask (zone found at {})",
                s.zone_url
                    .as_deref()
                    .unwrap_or(crate::live::autotask::DEFAULT_ZONE_URL)
                    .trim_end_matches('/')
            ),
        },
    }
}

/// `sha256:` and the hex digest of the plan's actions, the writes included: two plans with the
/// same hash make the same changes. Stable: actions are in a fixed order and serialise the same
/// way every run.
pub fn plan_hash(plan: &Plan) -> String {
    sha256(&serde_json::to_vec(&plan.actions).unwrap_or_default())
}

/// The workspace files the loader reads, each with its SHA-256, keyed by `/`-separated path
/// relative to the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkspaceFiles(pub BTreeMap<String, String>);

impl WorkspaceFiles {
    /// Hashes every file [`crate::config::workspace_files`] lists.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        for rel in crate::config::workspace_files(dir) {
            let bytes = crate::files::read(&dir.join(&rel), crate::files::WORKSPACE_FILE_LIMIT)
                .map_err(std::io::Error::other)?;
            let name: Vec<String> =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.insert(name.join("/"), sha256(&bytes));
        }
        Ok(WorkspaceFiles(files))
    }

    /// One hash for them all: over each path and its hash, in path order.
    pub fn hash(&self) -> String {
        let mut all = String::new();
        for (path, hash) in &self.0 {
            all.push_str(path);
            all.push('\0');
            all.push_str(hash);
            all.push('\n');
        }
        sha256(all.as_bytes())
    }

    /// What differs from `now`: `changed: PATH`, `added: PATH`, `removed: PATH`, by path.
    pub fn changes(&self, now: &WorkspaceFiles) -> Vec<String> {
        let mut out = Vec::new();
        for (path, hash) in &self.0 {
            match now.0.get(path) {
                None => out.push(format!("removed: {path}")),
                Some(h) if h != hash => out.push(format!("changed: {path}")),
                Some(_) => {}
            }
        }
        out.extend(now.0.keys().filter(|p| !self.0.contains_key(*p)).map(|p| format!("added: {p}")));
        out.sort_by(|a, b| a.split_once(": ").map(|x| x.1).cmp(&b.split_once(": ").map(|x| x.1)));
        out
    }
}

/// `sha256:` and the lower-case hex digest.
fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_changes_are_named_by_path() {
        let files = |list: &[(&str, &str)]| {
            WorkspaceFiles(list.iter().map(|(p, h)| (p.to_string(), h.to_string())).collect())
        };
        let before = files(&[("cspctl.yaml", "a"), ("clients/a.yaml", "b"), ("old.yaml", "c")]);
        let after = files(&[("cspctl.yaml", "a"), ("clients/a.yaml", "B"), ("new.yaml", "d")]);
        assert_eq!(
            before.changes(&after),
            ["changed: clients/a.yaml", "added: new.yaml", "removed: old.yaml"]
        );
        assert_eq!(before.changes(&before), Vec::<String>::new());
        assert_ne!(before.hash(), after.hash());
        assert_eq!(before.hash(), before.clone().hash());
        assert!(before.hash().starts_with("sha256:") && before.hash().len() == 7 + 64);
    }
}
