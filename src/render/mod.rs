//! Plan -> text for people, JSON for scripts, Markdown for pull-request comments.

pub mod escape;
mod json;
mod markdown;
mod text;

use crate::reconcile::{ActionKind, FieldChange, Plan};

pub use json::{json, json_value};
pub use markdown::{
    MAX_CHARS as MARKDOWN_MAX_CHARS, Origin, action_cells, client_heading, markdown, markdown_applied,
};
pub use text::text;

/// What the renderers may use beyond the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours (decided once by the CLI from TTY, flags and `NO_COLOR`).
    pub color: bool,
    /// List unmanaged additions too.
    pub verbose: bool,
}

/// The one-line summary every format ends (or starts) with.
pub fn summary(plan: &Plan) -> String {
    let mut line = if plan.has_changes() {
        format!(
            "Plan: {} to create, {} to update, {} to cancel.",
            plan.count(ActionKind::Create),
            plan.count(ActionKind::Update),
            plan.count(ActionKind::Cancel)
        )
    } else {
        "No changes. The PSA matches the workspace.".to_string()
    };
    line.push_str(&format!(" {}.", plural(plan.warnings.len(), "warning")));
    if !plan.errors.is_empty() {
        line.push_str(&format!(" {}; apply refuses until fixed.", plural(plan.errors.len(), "error")));
    } else if plan.refusals().next().is_some() {
        line.push_str(" Apply would refuse it as it stands.");
    }
    line
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// The symbol of an action kind.
pub fn symbol(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Create => "+",
        ActionKind::Update => "~",
        ActionKind::Cancel => "-",
    }
}

/// A value as people read it: strings unquoted, absent as `(none)`.
fn show(value: &Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "(none)".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) if n.is_f64() => format!("{:.2}", n.as_f64().unwrap_or_default()),
        Some(other) => other.to_string(),
    }
}

/// Whether a change is long text best shown as a word diff.
fn is_text_change(change: &FieldChange) -> bool {
    matches!(
        (&change.before, &change.after),
        (Some(serde_json::Value::String(_)), Some(serde_json::Value::String(_)))
    )
}
