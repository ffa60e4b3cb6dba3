//! Saved plans: `plan --out FILE` records exactly what was reviewed, with the fingerprint of
//! every addition it touches, and what it was made for: the workspace (relative to the git
//! repository root, so it names the same workspace in another clone or job), the commit, the
//! hash of every workspace file, the cspctl version, the PSA endpoint and the plan date.
//! `apply FILE` checks those first, then re-reads live state, plans again and refuses when
//! anything differs, so what is applied is what was approved.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::{SETTINGS_FILE, Workspace};
use crate::git::{Checkout, Commit};
use crate::provenance::{CSPCTL_VERSION, WorkspaceFiles, endpoint, plan_hash};
use crate::reconcile::{FORMAT_VERSION, Plan};

/// A plan on disk with what is needed to reproduce it and to know where it belongs. Holds no
/// credentials and no absolute path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Same as the JSON output's `format_version`.
    pub format_version: u32,
    /// The cspctl release that made it; apply refuses a plan made by another.
    pub cspctl_version: String,
    /// The workspace directory, `/`-separated, relative to [`SavedPlan::relative_to`].
    pub workspace: String,
    /// What `workspace` is relative to.
    pub relative_to: Base,
    /// The commit planned (absent outside a git checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<Commit>,
    /// The PSA the plan writes to ([`endpoint`]); apply refuses it for another.
    pub endpoint: String,
    /// One hash of every workspace file ([`WorkspaceFiles::hash`]).
    pub files_hash: String,
    /// Each workspace file's hash, so a refusal names what changed.
    pub files: WorkspaceFiles,
    /// The effective date it was planned for.
    pub date: NaiveDate,
    /// [`plan_hash`] of `plan`, checked on reading (a hand-edited plan is refused).
    pub plan_hash: String,
    /// `--target` clients, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// The plan itself.
    pub plan: Plan,
}

/// What a saved plan's workspace path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The top of the git checkout: any checkout of the repository has the workspace there.
    GitRoot,
    /// The directory holding the plan file (the workspace is not in a git checkout).
    PlanFile,
}

/// Why a saved plan cannot be used. Each refusal has its own exit code ([`Self::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// Unreadable or not a saved plan.
    #[error("{path}: not a saved plan: {message}")]
    Unreadable { path: String, message: String },
    /// Made by another cspctl release, or in another saved-plan format.
    #[error(
        "{path} was made by cspctl {made_by}; this is cspctl {CSPCTL_VERSION}, which applies only plans it made; nothing was applied"
    )]
    OtherVersion { path: String, made_by: String },
    /// Not for the workspace it would be applied to, or its workspace is not here.
    #[error("{path} was made for another workspace: {message}; nothing was applied")]
    OtherWorkspace { path: String, message: String },
    /// The workspace now points at another PSA.
    #[error(
        "{path} was made for the PSA at `{saved}`, but the workspace now points at `{now}`; nothing was applied"
    )]
    OtherEndpoint { path: String, saved: String, now: String },
    /// A workspace file changed, appeared or went since the plan was made.
    #[error("{path} is out of date: the workspace files changed since it was made ({}); nothing was applied", changes.join(", "))]
    FilesChanged { path: String, changes: Vec<String> },
    /// Live state moved: a fresh plan differs.
    #[error(
        "{path} is stale: {differences} action(s) differ from a fresh plan (live state changed since it was saved); nothing was applied"
    )]
    Stale { path: String, differences: usize },
}

/// The exit codes of refused saved plans, for `apply --help` (README has the same table).
pub const EXIT_CODES: &str = "\
Exit codes: 0 applied (or nothing to change); 1 any other error. A saved plan refused exits:
  3  made for another workspace (or its workspace is not in this checkout)
  4  made for another PSA endpoint
  5  made by another cspctl version
  6  the workspace files changed since the plan was made
  7  stale: live state changed since (a fresh plan differs)";

impl SavedPlanError {
    /// The exit code `apply` ends with: one per kind of refusal, so a pipeline can tell "plan
    /// again" (6, 7) from "this job is pointed at the wrong thing" (3, 4, 5).
    pub fn exit_code(&self) -> u8 {
        match self {
            SavedPlanError::Unreadable { .. } => 1,
            SavedPlanError::OtherWorkspace { .. } => 3,
            SavedPlanError::OtherEndpoint { .. } => 4,
            SavedPlanError::OtherVersion { .. } => 5,
            SavedPlanError::FilesChanged { .. } => 6,
            SavedPlanError::Stale { .. } => 7,
        }
    }
}

/// What is read before the rest: a plan from another release may have another shape.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    cspctl_version: Option<String>,
    #[serde(default)]
    format_version: Option<u32>,
}

impl SavedPlan {
    /// Records `plan`, made from the workspace in `dir`, to be saved at `plan_file`.
    pub fn new(
        workspace: &Workspace,
        plan_file: &Path,
        date: NaiveDate,
        targets: Vec<String>,
        plan: Plan,
    ) -> std::io::Result<Self> {
        let dir = &workspace.root;
        let checkout = Checkout::of(dir);
        let (path, relative_to) = match checkout.as_ref().and_then(|c| c.relative(dir)) {
            Some(path) => (path, Base::GitRoot),
            None => {
                let parent = absolute_parent(plan_file)?;
                let path = relative_path(&parent, &dir.canonicalize()?).ok_or_else(|| {
                    std::io::Error::other(format!(
                        "cannot name the workspace relative to {}",
                        parent.display()
                    ))
                })?;
                (path, Base::PlanFile)
            }
        };
        let files = WorkspaceFiles::read(dir)?;
        Ok(SavedPlan {
            format_version: FORMAT_VERSION,
            cspctl_version: CSPCTL_VERSION.to_string(),
            workspace: path,
            relative_to,
            git: checkout.and_then(|c| c.head()),
            endpoint: endpoint(&workspace.settings.psa),
            files_hash: files.hash(),
            files,
            date,
            plan_hash: plan_hash(&plan),
            targets,
            plan,
        })
    }

    /// Reads a saved plan.
    pub fn read(path: &Path) -> Result<Self, SavedPlanError> {
        let unreadable =
            |message: String| SavedPlanError::Unreadable { path: path.display().to_string(), message };
        let bytes = crate::files::read(path, crate::files::SAVED_PLAN_LIMIT)
            .map_err(|e| unreadable(e.to_string()))?;
        Self::from_json(path, &bytes)
    }

    /// Reads a saved plan from its JSON bytes; `path` names it in errors. The version comes
    /// first: a plan from another release is refused as such, whatever else it holds.
    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<Self, SavedPlanError> {
        let name = path.display().to_string();
        let unreadable = |message: String| SavedPlanError::Unreadable { path: name.clone(), message };
        let header: Header = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
        match (&header.cspctl_version, header.format_version) {
            (Some(v), Some(FORMAT_VERSION)) if v == CSPCTL_VERSION => {}
            (Some(v), _) => return Err(SavedPlanError::OtherVersion { path: name, made_by: v.clone() }),
            (None, Some(_)) => {
                return Err(SavedPlanError::OtherVersion { path: name, made_by: "an older release".into() });
            }
            (None, None) => return Err(unreadable("no `cspctl_version` or `format_version`".into())),
        }
        let saved: SavedPlan = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
        if plan_hash(&saved.plan) != saved.plan_hash {
            return Err(unreadable(
                "its actions do not match its `plan_hash` (edited after it was saved?)".into(),
            ));
        }
        Ok(saved)
    }

    /// Writes the plan as pretty JSON.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, format!("{text}\n"))
    }

    /// The workspace directory this plan is for, found from the current directory: the same
    /// relative path in the git checkout the current directory is in (else the one the plan
    /// file is in), or next to the plan file. Refused when nothing is there, or when the current
    /// directory is inside another workspace (the user meant that one).
    pub fn locate(&self, plan_file: &Path) -> Result<PathBuf, SavedPlanError> {
        let other = |message: String| SavedPlanError::OtherWorkspace {
            path: plan_file.display().to_string(),
            message,
        };
        let cwd = std::env::current_dir().map_err(|e| other(format!("no current directory: {e}")))?;
        let plan_dir = absolute_parent(plan_file).map_err(|e| other(e.to_string()))?;
        let (base, stop) = match self.relative_to {
            Base::GitRoot => {
                let root = Checkout::root_of(&cwd).or_else(|| Checkout::root_of(&plan_dir)).ok_or_else(|| {
                    other(format!(
                        "it names workspace `{}` in a git checkout, and neither the current directory nor the plan file is in one",
                        self.workspace
                    ))
                })?;
                (root.clone(), Some(root))
            }
            Base::PlanFile => (plan_dir, None),
        };
        let dir = base.join(&self.workspace);
        if !dir.join(SETTINGS_FILE).is_file() {
            return Err(other(format!(
                "its workspace `{}` (relative to {}) has no {SETTINGS_FILE} here",
                self.workspace,
                base.display()
            )));
        }
        let dir = dir.canonicalize().map_err(|e| other(format!("{}: {e}", dir.display())))?;
        if let Some(here) = enclosing_workspace(&cwd, stop.as_deref())
            && here != dir
        {
            let name = stop
                .as_deref()
                .and_then(|root| relative_path(root, &here))
                .unwrap_or_else(|| here.display().to_string());
            return Err(other(format!(
                "it is for workspace `{}`, but the current directory is in workspace `{name}`",
                self.workspace
            )));
        }
        Ok(dir)
    }

    /// Checks the loaded workspace against what the plan was made for: the PSA endpoint, then
    /// every workspace file.
    pub fn check(&self, plan_file: &Path, workspace: &Workspace) -> Result<(), SavedPlanError> {
        let path = plan_file.display().to_string();
        let now = endpoint(&workspace.settings.psa);
        if now != self.endpoint {
            return Err(SavedPlanError::OtherEndpoint { path, saved: self.endpoint.clone(), now });
        }
        let files = WorkspaceFiles::read(&workspace.root)
            .map_err(|e| SavedPlanError::Unreadable { path: path.clone(), message: e.to_string() })?;
        if files.hash() != self.files_hash {
            let mut changes = self.files.changes(&files);
            if changes.is_empty() {
                changes.push("its file list does not match its `files_hash`".into());
            }
            return Err(SavedPlanError::FilesChanged { path, changes });
        }
        Ok(())
    }

    /// Refuses the plan when a fresh one differs from it.
    pub fn check_fresh(&self, plan_file: &Path, fresh: &Plan) -> Result<(), SavedPlanError> {
        match self.differences(fresh) {
            0 => Ok(()),
            differences => Err(SavedPlanError::Stale { path: plan_file.display().to_string(), differences }),
        }
    }

    /// How many actions of a fresh plan differ from the saved ones (0 = still current).
    pub fn differences(&self, fresh: &Plan) -> usize {
        let saved = &self.plan.actions;
        let same = saved.iter().filter(|a| fresh.actions.contains(a)).count();
        (saved.len() - same) + (fresh.actions.len() - same)
    }
}

/// The canonical directory holding `file` (which need not exist yet).
fn absolute_parent(file: &Path) -> std::io::Result<PathBuf> {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.canonicalize()
}

/// `target` relative to `base` (both canonical), `/`-separated, with `..` where needed; `.`
/// for the same directory.
fn relative_path(base: &Path, target: &Path) -> Option<String> {
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = target.components().collect();
    if base.first() != target.first() {
        return None;
    }
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(target[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    Some(if parts.is_empty() { ".".to_string() } else { parts.join("/") })
}

/// The nearest directory from `dir` upwards (to `stop` at most) holding a `cspctl.yaml`.
fn enclosing_workspace(dir: &Path, stop: Option<&Path>) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    for here in dir.ancestors() {
        if here.join(SETTINGS_FILE).is_file() {
            return Some(here.to_path_buf());
        }
        if Some(here) == stop {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(rel("/a/b", "/a/b").as_deref(), Some("."));
        assert_eq!(rel("/a/b", "/a/b/c/d").as_deref(), Some("c/d"));
        assert_eq!(rel("/a/b/plans", "/a/ws").as_deref(), Some("../../ws"));
    }
}
