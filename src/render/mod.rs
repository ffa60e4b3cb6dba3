//! Plan -> text for people, JSON for scripts, Markdown for pull-request comments.

pub mod escape;
mod json;
mod markdown;
mod report;
mod text;

use crate::reconcile::money::{self, Cycle, Revenue, show_delta};
use crate::reconcile::{ActionKind, FieldChange, Plan};

pub use json::{json, json_from, json_value};
pub use markdown::{
    MAX_CHARS as MARKDOWN_MAX_CHARS, Origin, action_cells, client_heading, markdown, markdown_applied,
};
pub use report::{Report, report_csv, report_json, report_markdown};
pub use text::text;

/// What the renderers may use beyond the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colours (decided once by the CLI from TTY, flags and `NO_COLOR`).
    pub color: bool,
    /// List unmanaged additions too.
    pub verbose: bool,
}

/// The one-line summary every format ends (or starts) with; with changes, what they do to
/// monthly billing.
pub fn summary(plan: &Plan) -> String {
    let mut line = if plan.has_changes() {
        let delta: rust_decimal::Decimal = plan.actions.iter().map(|a| a.revenue.monthly_delta()).sum();
        format!(
            "Plan: {} to create, {} to update, {} to cancel ({}/month).",
            plan.count(ActionKind::Create),
            plan.count(ActionKind::Update),
            plan.count(ActionKind::Cancel),
            show_delta(delta)
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

/// What one action does to billing: `$726.00/month -> $907.50/month (+$181.50/month)`; annual
/// products per year first, then per month.
pub fn revenue_line(r: &Revenue) -> String {
    let monthly =
        format!("{}/month -> {}/month", money::show(r.monthly_before), money::show(r.monthly_after));
    let delta = show_delta(r.monthly_delta());
    match (r.cycle, r.yearly_before, r.yearly_after) {
        (Cycle::Annual, before, Some(after)) => format!(
            "{}/year -> {}/year, billed annually ({monthly}, {delta}/month)",
            money::show(before.unwrap_or_default()),
            money::show(after)
        ),
        _ => format!("{monthly} ({delta}/month)"),
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
