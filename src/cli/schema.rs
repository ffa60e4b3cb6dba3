use super::{CliError, ExitStatus, Printer};

/// `cspctl schema`: the JSON Schema that `schema/cspctl.schema.json` holds.
pub fn run(printer: &Printer) -> Result<ExitStatus, CliError> {
    let schema = crate::config::json_schema();
    let text = serde_json::to_string_pretty(&schema).map_err(|e| CliError::new(&e))?;
    printer.out(&format!("{text}\n"));
    Ok(ExitStatus::Success)
}
