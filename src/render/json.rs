use serde::Serialize;

use super::Origin;
use crate::git::Commit;
use crate::provenance::plan_hash;
use crate::reconcile::money::Money;
use crate::reconcile::{
    AcceptedException, Action, ActionKind, FORMAT_VERSION, Finding, Plan, UnmanagedAddition,
};

/// The JSON document `--format json` prints; its shape is documented in README and only
/// changes with `format_version`.
#[derive(Serialize)]
struct PlanDocument<'a> {
    format_version: u32,
    /// The effective date planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<chrono::NaiveDate>,
    /// The commit planned, its dirty flag and author (absent outside a git checkout).
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a Commit>,
    /// [`plan_hash`]: the same in the audit log of the apply that carries the plan out.
    plan_hash: String,
    summary: Summary,
    actions: &'a [Action],
    errors: Vec<FindingDoc<'a>>,
    warnings: Vec<FindingDoc<'a>>,
    unmanaged: &'a [UnmanagedAddition],
    accepted: &'a [AcceptedException],
    money: &'a Money,
}

/// A finding as JSON: its fields, and `apply_refuses: true` when apply would refuse the plan
/// because of it (every error; the warnings in `REFUSING_WARNINGS`).
#[derive(Serialize)]
struct FindingDoc<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    apply_refuses: bool,
}

fn findings(list: &[Finding], errors: bool) -> Vec<FindingDoc<'_>> {
    list.iter()
        .map(|finding| FindingDoc { finding, apply_refuses: errors || finding.refuses_apply() })
        .collect()
}

#[derive(Serialize)]
struct Summary {
    create: usize,
    update: usize,
    cancel: usize,
    warnings: usize,
    errors: usize,
    /// Findings that make apply refuse (errors included).
    refusals: usize,
    managed: usize,
    /// Change in monthly billing over all actions (a decimal string).
    monthly_delta: rust_decimal::Decimal,
}

/// The plan as pretty JSON with a trailing newline (no date or commit: see [`json_from`]).
pub fn json(plan: &Plan) -> String {
    json_from(plan, &Origin::default())
}

/// The plan as pretty JSON with a trailing newline; `origin` gives its date and commit.
pub fn json_from(plan: &Plan, origin: &Origin) -> String {
    let mut text = serde_json::to_string_pretty(&json_value(plan, origin))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

/// The plan document as a JSON value, for outputs that embed it (apply's report).
pub fn json_value(plan: &Plan, origin: &Origin) -> serde_json::Value {
    let doc = PlanDocument {
        format_version: FORMAT_VERSION,
        date: origin.date,
        git: origin.commit.as_ref(),
        plan_hash: plan_hash(plan),
        summary: Summary {
            create: plan.count(ActionKind::Create),
            update: plan.count(ActionKind::Update),
            cancel: plan.count(ActionKind::Cancel),
            warnings: plan.warnings.len(),
            errors: plan.errors.len(),
            refusals: plan.refusals().count(),
            managed: plan.managed,
            monthly_delta: plan.actions.iter().map(|a| a.revenue.monthly_delta()).sum(),
        },
        actions: &plan.actions,
        errors: findings(&plan.errors, true),
        warnings: findings(&plan.warnings, false),
        unmanaged: &plan.unmanaged,
        accepted: &plan.accepted,
        money: &plan.money,
    };
    serde_json::to_value(&doc).unwrap_or_default()
}
