use std::fmt::Write as _;

use super::escape::{code, markdown as escape};
use super::{RenderOptions, show, summary, symbol};
use crate::reconcile::Plan;
use crate::reconcile::money;

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
        let _ =
            writeln!(out, "| | Client | Agreement | Product | Change | Billed |\n|---|---|---|---|---|---|");
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
                "| `{}` | {} | {} | {} | {} | {} |",
                symbol(a.kind),
                escape(&a.client_name),
                escape(&a.agreement),
                code(&a.product),
                escape(&changes.join("; ")),
                super::revenue_line(&a.revenue).replace('$', "\\$").replace("->", "→")
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    money_section(plan, &mut out);
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

/// Billing per client (those whose billing changes) and in total, unbilled licences and
/// accepted exceptions, as the plan comment's money section.
fn money_section(plan: &Plan, out: &mut String) {
    let m = &plan.money;
    let t = &m.totals;
    let changed: Vec<_> = m.clients.iter().filter(|c| !c.totals.monthly_delta().is_zero()).collect();
    let _ = writeln!(
        out,
        "<details><summary>Billing: {} → {} a month ({}), margin {}</summary>\n",
        cash(t.monthly_before),
        cash(t.monthly_after),
        cash_delta(t.monthly_delta()),
        cash(t.margin)
    );
    let _ = writeln!(out, "| Client | Agreement | Before | After | Change |\n|---|---|--:|--:|--:|");
    for c in &changed {
        for a in c.agreements.iter().filter(|a| !a.totals.monthly_delta().is_zero()) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                escape(&c.client_name),
                escape(&a.agreement),
                cash(a.totals.monthly_before),
                cash(a.totals.monthly_after),
                cash_delta(a.totals.monthly_delta())
            );
        }
    }
    let _ = writeln!(
        out,
        "| **Total** ({}, per month) | | {} | {} | {} |\n\nDicker Data cost {} a month; margin after apply {}.",
        m.currency,
        cash(t.monthly_before),
        cash(t.monthly_after),
        cash_delta(t.monthly_delta()),
        cash(t.cost),
        cash(t.margin)
    );
    if !t.unbilled.is_empty() {
        let _ = writeln!(
            out,
            "\n**Unbilled: {} licences, {}/month at cost** (Dicker Data bills them, no PSA line does):\n",
            t.unbilled.licences,
            cash(t.unbilled.cost)
        );
        for c in m.clients.iter().filter(|c| !c.totals.unbilled.is_empty()) {
            let why = if c.not_setup { "Not Setup" } else { "Not Mapped" };
            let _ = writeln!(
                out,
                "- {} ({why}): {} licences, {}/month",
                escape(&c.client_name),
                c.totals.unbilled.licences,
                cash(c.totals.unbilled.cost)
            );
        }
    }
    let _ = writeln!(out, "\n</details>\n");
    if !plan.accepted.is_empty() {
        let _ = writeln!(out, "<details><summary>{} accepted exception(s)</summary>\n", plan.accepted.len());
        for a in &plan.accepted {
            let until = a.expires.map_or(String::new(), |d| format!(" (until {d})"));
            let _ = writeln!(
                out,
                "- {} / {} / {}: {} held, {} billed: {}{until}",
                escape(&a.client_name),
                escape(&a.agreement),
                code(&a.product),
                a.dicker_data,
                a.psa,
                escape(&a.reason)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// An amount for Markdown: `\$` so GitHub never reads a pair of amounts as inline math.
fn cash(amount: rust_decimal::Decimal) -> String {
    money::show(amount).replace('$', "\\$")
}

/// A signed change for Markdown.
fn cash_delta(amount: rust_decimal::Decimal) -> String {
    money::show_delta(amount).replace('$', "\\$")
}
