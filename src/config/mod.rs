//! Desired state: the YAML workspace, its schema, and loading it with errors that point at
//! file, line and column.

mod document;
mod load;
mod workspace;

pub use document::*;
pub use load::{ConfigErrors, Diagnostic, load};
pub use workspace::{Settings, Workspace};

/// The JSON Schema of every workspace file, as committed in `schema/cspctl.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Document);
    serde_json::to_value(schema).unwrap_or_default()
}
