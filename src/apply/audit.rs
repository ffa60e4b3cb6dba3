use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use serde_json::json;

use super::{ActionError, Duplicate};
use crate::git::Commit;
use crate::model::Applied;
use crate::reconcile::Action;

/// An append-only JSON-lines record of every write attempted: the trail an MSP keeps of what
/// cspctl changed in its billing, and when.
pub struct AuditLog {
    file: File,
    context: AuditContext,
}

/// What every line of one apply carries, so each write is tied to the plan and commit that
/// asked for it.
#[derive(Debug, Clone)]
pub struct AuditContext {
    /// [`crate::provenance::plan_hash`] of the plan applied.
    pub plan_hash: String,
    /// The commit planned and its author (absent outside a git checkout).
    pub commit: Option<Commit>,
}

impl AuditLog {
    /// Opens (or creates) `path` for appending; every line will carry `context`. A regular
    /// file only, opened without blocking (see [`crate::files::open_append`]).
    pub fn open(path: &Path, context: AuditContext) -> Result<Self, crate::files::FileError> {
        Ok(AuditLog { file: crate::files::open_append(path)?, context })
    }

    /// Adds the plan hash, commit and author, then writes the line.
    fn write(&mut self, mut line: serde_json::Value) -> std::io::Result<()> {
        if let Some(fields) = line.as_object_mut() {
            let commit = self.context.commit.as_ref();
            fields.insert("plan_hash".into(), json!(self.context.plan_hash));
            fields.insert("commit".into(), json!(commit.map(|c| &c.commit)));
            fields.insert("author".into(), json!(commit.and_then(|c| c.author.as_ref())));
        }
        writeln!(self.file, "{line}")
    }

    /// Appends one line for one action's outcome.
    pub fn record(&mut self, action: &Action, result: &Result<Applied, ActionError>) -> std::io::Result<()> {
        let (status, detail) = match result {
            Ok(applied) => {
                ("applied", json!({ "addition": applied.addition, "fingerprint": applied.fingerprint }))
            }
            Err(ActionError::Skipped) => ("skipped", json!(null)),
            Err(ActionError::Interrupted) => ("not_started", json!(null)),
            Err(e @ ActionError::Unchecked(_)) => ("skipped", json!(e.to_string())),
            Err(e) => ("failed", json!(e.to_string())),
        };
        let line = json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "status": status,
            "kind": action.kind,
            "client": action.client,
            "company": action.company,
            "agreement": action.agreement,
            "product": action.product,
            "write": action.write,
            "result": detail,
        });
        self.write(line)
    }

    /// Appends one line for a duplicate the read-back found and cancelled (or failed to).
    pub fn record_duplicate(&mut self, duplicate: &Duplicate) -> std::io::Result<()> {
        let (status, detail) = match &duplicate.result {
            Ok(()) => ("duplicate_cancelled", json!(null)),
            Err(e) => ("duplicate_cancel_failed", json!(e)),
        };
        let line = json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "status": status,
            "kind": "cancel",
            "agreement_id": duplicate.agreement,
            "product_id": duplicate.product,
            "kept": duplicate.kept,
            "write": duplicate.write,
            "result": detail,
        });
        self.write(line)
    }
}
