//! Saved plans: `plan --out FILE` records exactly what was reviewed, with the fingerprint of
//! every addition it touches; `apply FILE` re-reads live state, plans again and refuses when
//! anything differs, so what is applied is what was approved.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::reconcile::{FORMAT_VERSION, Plan};

/// A plan on disk with what is needed to reproduce it. Holds no credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Same as the JSON output's `format_version`.
    pub format_version: u32,
    /// The workspace directory, as given to `plan`.
    pub workspace: PathBuf,
    /// The effective date it was planned for.
    pub date: NaiveDate,
    /// `--target` clients, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// The plan itself.
    pub plan: Plan,
}

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// Unreadable or not a saved plan.
    #[error("{path}: not a saved plan: {message}")]
    Unreadable { path: String, message: String },
    /// Made by an incompatible cspctl.
    #[error("{path}: saved plan format {found} is not supported (this cspctl writes {FORMAT_VERSION})")]
    Version { path: String, found: u32 },
}

impl SavedPlan {
    /// Reads a saved plan.
    pub fn read(path: &Path) -> Result<Self, SavedPlanError> {
        let unreadable =
            |message: String| SavedPlanError::Unreadable { path: path.display().to_string(), message };
        let bytes = crate::files::read(path, crate::files::SAVED_PLAN_LIMIT)
            .map_err(|e| unreadable(e.to_string()))?;
        Self::from_json(path, &bytes)
    }

    /// Reads a saved plan from its JSON bytes; `path` names it in errors.
    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<Self, SavedPlanError> {
        let unreadable =
            |message: String| SavedPlanError::Unreadable { path: path.display().to_string(), message };
        let saved: SavedPlan = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
        if saved.format_version != FORMAT_VERSION {
            return Err(SavedPlanError::Version {
                path: path.display().to_string(),
                found: saved.format_version,
            });
        }
        Ok(saved)
    }

    /// Writes the plan as pretty JSON.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, format!("{text}\n"))
    }

    /// How many actions of a fresh plan differ from the saved ones (0 = still current).
    pub fn differences(&self, fresh: &Plan) -> usize {
        let saved = &self.plan.actions;
        let same = saved.iter().filter(|a| fresh.actions.contains(a)).count();
        (saved.len() - same) + (fresh.actions.len() - same)
    }
}
