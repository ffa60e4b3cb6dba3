//! Desired state: the YAML workspace, its schema, and loading it with errors that point at
//! file, line and column.

mod checks;
mod diagnostic;
mod document;
mod load;
mod located;
mod schema_check;
mod secrets;
mod wording;
mod workspace;
mod yaml_error;

pub use diagnostic::{ConfigErrors, Diagnostic, Mark, SourceFile};
pub use document::*;
pub use load::{SETTINGS_FILE, load};
pub use located::Pos;
pub use workspace::{DEFAULT_RENEWAL_WINDOW_DAYS, Settings, Workspace};

/// The JSON Schema of every workspace file, as committed in `schema/cspctl.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Document);
    serde_json::to_value(schema).unwrap_or_default()
}
