use std::fmt::Write as _;

use super::escape::{code, markdown as escape};
use super::{RenderOptions, show, summary, symbol};
use crate::reconcile::Plan;

/// The plan as a pull-request comment: the summary first, details folded.
pub fn markdown(plan: &Plan, options: RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### cspctl plan\n\n**{}**\n", summary(plan));
    if !plan.errors.is_empty() {
        let _ = writeln!(out, "#### Errors\n");
        for e in &plan.errors {
            let _ = writeln!(out, "- `{}` {}", e.code, escape(&e.message));
        }
        out.push('\n');
    }
    if !plan.actions.is_empty() {
        let _ = writeln!(out, "<details><summary>{} change(s)</summary>\n", plan.actions.len());
        let _ = writeln!(out, "| | Client | Agreement | Product | Change |\n|---|---|---|---|---|");
        for a in &plan.actions {
            let changes: Vec<String> = a
                .changes
                .iter()
                .map(|c| match &c.before {
                    None => format!("{}: {}", c.field, show(&c.after)),
                    Some(_) => format!("{}: {} → {}", c.field, show(&c.before), show(&c.after)),
                })
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                symbol(a.kind),
                escape(&a.client_name),
                escape(&a.agreement),
                code(&a.product),
                escape(&changes.join("; "))
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "<details><summary>{} warning(s)</summary>\n", plan.warnings.len());
        for w in &plan.warnings {
            let _ = writeln!(out, "- `{}` {}", w.code, escape(&w.message));
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if options.verbose && !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "<details><summary>{} unmanaged addition(s)</summary>\n", plan.unmanaged.len());
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "- {} / {} × {} (addition {})",
                escape(&u.agreement),
                code(&u.product),
                u.quantity,
                u.addition
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}
