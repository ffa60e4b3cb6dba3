//! Desired state: the YAML workspace, its schema, and loading it with errors that point at
//! file, line and column.

mod checks;
mod diagnostic;
mod document;
mod load;
mod located;
mod schema_check;
mod secrets;
mod state_check;
mod wording;
mod workspace;
pub mod write;
mod yaml_error;

pub use diagnostic::{ConfigErrors, Diagnostic, Mark, Severity, SourceFile};
pub use document::*;
pub use load::{load, skipped_files, workspace_files};
pub use located::Pos;
pub use state_check::check_sandbox_state;
pub use workspace::{DEFAULT_RENEWAL_WINDOW_DAYS, Settings, Workspace};

/// The settings file every workspace has at its root.
pub const SETTINGS_FILE: &str = "cspctl.yaml";

/// Parser budgets and strictness of workspace YAML, for other YAML cspctl reads (the
/// sandbox state), so a YAML bomb there is refused as fast.
pub fn yaml_options() -> serde_saphyr::Options {
    located::options()
}

/// The JSON Schema of every workspace file, as committed in `schema/cspctl.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Document);
    serde_json::to_value(schema).unwrap_or_default()
}
