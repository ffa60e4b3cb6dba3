use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::files;
use crate::live::LiveError;
use crate::model::{Addition, Applied, DistributorSnapshot, Fingerprint, PsaSnapshot, Write};

/// The sandbox file: what Dicker Data and the PSA hold, in cspctl's own model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxState {
    /// The distributor side.
    #[serde(default)]
    pub dicker_data: DistributorSnapshot,
    /// The PSA side.
    #[serde(default)]
    pub psa: PsaSnapshot,
}

impl SandboxState {
    /// Reads a `.json` or `.yaml` state file: a regular file within
    /// [`files::STATE_FILE_LIMIT`], UTF-8, every id unique within its list (see
    /// [`crate::config::check_sandbox_state`]); problems name the file and line.
    pub fn load(path: &Path) -> Result<Self, LiveError> {
        let source = |message: String| LiveError::Source { path: path.display().to_string(), message };
        let bytes = files::read(path, files::STATE_FILE_LIMIT).map_err(|e| source(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            source(format!("line {line}: not UTF-8 text; save the state file as UTF-8"))
        })?;
        crate::config::check_sandbox_state(path, &text).map_err(|e| LiveError::Source {
            path: path.display().to_string(),
            message: format!("the sandbox state has problems:\n{}", e.render(false)),
        })?;
        let state = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            serde_json::from_str(&text).map_err(|e| source(e.to_string()))?
        } else {
            serde_saphyr::from_str_with_options(&text, crate::config::yaml_options())
                .map_err(|e| source(e.to_string()))?
        };
        Ok(state)
    }

    /// Writes the state to `path` atomically: a temp file beside it, then a rename.
    pub fn save(&self, path: &Path) -> Result<(), LiveError> {
        let source = |message: String| LiveError::Source { path: path.display().to_string(), message };
        let text = if path.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(self).map_err(|e| source(e.to_string()))?
        } else {
            serde_saphyr::to_string(self).map_err(|e| source(e.to_string()))?
        };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| source(e.to_string()))?;
        tmp.write_all(text.as_bytes()).map_err(|e| source(e.to_string()))?;
        tmp.as_file().sync_all().map_err(|e| source(e.to_string()))?;
        tmp.persist(path).map_err(|e| source(e.error.to_string()))?;
        Ok(())
    }
}

impl PsaSnapshot {
    /// Carries out one write in memory, as a PSA would: refuses stale updates, stamps a new
    /// last-updated time, never deletes.
    pub fn apply(&mut self, write: &Write, now: DateTime<Utc>) -> Result<Applied, LiveError> {
        let stamp = |previous: &Fingerprint| next_stamp(previous, now);
        match write {
            Write::Create {
                agreement,
                product,
                quantity,
                description,
                unit_price,
                unit_cost,
                effective_date,
            } => {
                if !self.agreements.iter().any(|a| a.id == *agreement) {
                    return Err(not_found("agreement", *agreement));
                }
                if !self.products.iter().any(|p| p.id == *product) {
                    return Err(not_found("product", *product));
                }
                let id = self.additions.iter().map(|a| a.id).max().unwrap_or(0) + 1;
                let fingerprint = stamp(&Fingerprint::default());
                self.additions.push(Addition {
                    id,
                    agreement: *agreement,
                    product: *product,
                    quantity: f64::from(*quantity),
                    description: description.clone(),
                    unit_price: *unit_price,
                    unit_cost: *unit_cost,
                    effective_date: Some(*effective_date),
                    cancelled_date: None,
                    adjusted_on: None,
                    fingerprint: fingerprint.clone(),
                });
                Ok(Applied { addition: id, fingerprint })
            }
            Write::Update { addition, expected, quantity, description, unit_price, .. } => {
                let row = self.fresh_addition(*addition, expected)?;
                if let Some(q) = quantity {
                    row.quantity = f64::from(*q);
                }
                if let Some(d) = description {
                    row.description = Some(d.clone());
                }
                if let Some(p) = unit_price {
                    row.unit_price = Some(*p);
                }
                row.fingerprint = stamp(&row.fingerprint);
                Ok(Applied { addition: row.id, fingerprint: row.fingerprint.clone() })
            }
            Write::Cancel { addition, expected, cancelled_date, .. } => {
                let row = self.fresh_addition(*addition, expected)?;
                row.cancelled_date = Some(*cancelled_date);
                row.fingerprint = stamp(&row.fingerprint);
                Ok(Applied { addition: row.id, fingerprint: row.fingerprint.clone() })
            }
        }
    }

    fn fresh_addition(&mut self, id: i64, expected: &Fingerprint) -> Result<&mut Addition, LiveError> {
        let row = self.additions.iter_mut().find(|a| a.id == id).ok_or_else(|| not_found("addition", id))?;
        if &row.fingerprint != expected {
            return Err(LiveError::Stale {
                addition: id,
                expected: expected.clone(),
                found: row.fingerprint.clone(),
            });
        }
        Ok(row)
    }
}

fn not_found(what: &str, id: i64) -> LiveError {
    LiveError::Source { path: "sandbox".into(), message: format!("{what} {id} does not exist") }
}

/// A last-updated stamp later than both the clock and the previous stamp, so every write
/// changes the fingerprint even within one second.
pub(crate) fn next_stamp(previous: &Fingerprint, now: DateTime<Utc>) -> Fingerprint {
    let after = DateTime::parse_from_rfc3339(&previous.0)
        .map(|t| t.with_timezone(&Utc) + chrono::Duration::seconds(1))
        .unwrap_or(now);
    Fingerprint(after.max(now).to_rfc3339_opts(SecondsFormat::Secs, true))
}
