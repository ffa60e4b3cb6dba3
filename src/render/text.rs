use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use super::escape::terminal;
use super::{RenderOptions, is_text_change, revenue_line, show, summary, symbol};
use crate::reconcile::money::{self, show_delta};
use crate::reconcile::{ActionKind, FieldChange, Plan};

/// The plan for a terminal: one block per action (cancels first), then warnings, errors and
/// the summary line.
pub fn text(plan: &Plan, options: RenderOptions) -> String {
    let paint = |style: Style, s: &str| {
        if options.color { format!("{}{s}{}", style.render(), style.render_reset()) } else { s.to_string() }
    };
    let mut out = String::new();
    for action in &plan.actions {
        let color = match action.kind {
            ActionKind::Create => AnsiColor::Green,
            ActionKind::Update => AnsiColor::Yellow,
            ActionKind::Cancel => AnsiColor::Red,
        };
        let style = color.on_default();
        let verb = match action.kind {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Cancel => "cancel",
        };
        let id = match (&action.write, action.addition) {
            (crate::model::Write::Cancel { from_quantity, .. }, Some(id)) => {
                format!(" (addition {id}, quantity {from_quantity})")
            }
            (_, Some(id)) => format!(" (addition {id})"),
            (_, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {} {} / {} / {}{id}",
            paint(style.bold(), symbol(action.kind)),
            paint(style, verb),
            terminal(&action.client_name),
            terminal(&action.agreement),
            terminal(&action.product)
        );
        for change in &action.changes {
            let _ = writeln!(out, "      {}", field_line(change, options));
        }
        let _ = writeln!(out, "      billed: {}", revenue_line(&action.revenue));
    }
    if !plan.actions.is_empty() {
        out.push('\n');
    }
    money_text(plan, options, &mut out);
    if options.verbose && !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "Not managed by cspctl (listed only):");
        for u in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  · {} / {} × {} (addition {})",
                terminal(&u.agreement),
                terminal(&u.product),
                u.quantity,
                u.addition
            );
        }
        out.push('\n');
    }
    if plan.managed > 0 && options.verbose {
        let _ = writeln!(out, "{} existing addition(s) are managed by rule.\n", plan.managed);
    }
    for w in plan.warnings.iter().filter(|w| w.refuses_apply()) {
        let _ = writeln!(
            out,
            "{} {}",
            paint(AnsiColor::Red.on_default().bold(), "blocks apply:"),
            terminal(&w.message)
        );
    }
    for w in plan.warnings.iter().filter(|w| !w.refuses_apply()) {
        let _ = writeln!(
            out,
            "{} {}",
            paint(AnsiColor::Yellow.on_default().bold(), "warning:"),
            terminal(&w.message)
        );
    }
    for e in &plan.errors {
        let _ =
            writeln!(out, "{} {}", paint(AnsiColor::Red.on_default().bold(), "error:"), terminal(&e.message));
    }
    if !plan.warnings.is_empty() || !plan.errors.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", paint(Style::new().bold(), &summary(plan)));
    out
}

/// Billing per client (those whose billing changes; all with `--verbose`) and in total, then
/// unbilled licences and accepted exceptions.
fn money_text(plan: &Plan, options: RenderOptions, out: &mut String) {
    let m = &plan.money;
    let shown: Vec<_> =
        m.clients.iter().filter(|c| options.verbose || !c.totals.monthly_delta().is_zero()).collect();
    let width = shown.iter().map(|c| terminal(&c.client_name).chars().count()).max().unwrap_or(0).max(5);
    let _ = writeln!(out, "Billing per month ({}):", m.currency);
    for c in shown.iter().filter(|c| !c.not_setup) {
        let t = &c.totals;
        let _ = writeln!(
            out,
            "  {:<width$}  {} -> {} ({})",
            terminal(&c.client_name),
            money::show(t.monthly_before),
            money::show(t.monthly_after),
            show_delta(t.monthly_delta())
        );
    }
    let t = &m.totals;
    let unpriced = if t.unpriced_seats > 0 {
        format!(" ({} seat(s) of unknown cost)", t.unpriced_seats)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {:<width$}  {} -> {} ({}); cost {}{unpriced}, margin {}",
        "Total",
        money::show(t.monthly_before),
        money::show(t.monthly_after),
        show_delta(t.monthly_delta()),
        money::show(t.cost),
        money::show(t.margin)
    );
    if !t.unbilled.is_empty() {
        let u = &t.unbilled;
        let _ = writeln!(
            out,
            "Unbilled: {} licences ({} line(s)), {}/month at cost, billed to no one:",
            u.licences,
            u.lines,
            money::show(u.cost)
        );
        for c in m.clients.iter().filter(|c| !c.totals.unbilled.is_empty()) {
            let u = &c.totals.unbilled;
            let why = if c.not_setup { "Not Setup" } else { "Not Mapped" };
            let _ = writeln!(
                out,
                "  {} ({why}): {} licences, {}/month",
                terminal(&c.client_name),
                u.licences,
                money::show(u.cost)
            );
        }
    }
    if !plan.accepted.is_empty() {
        let _ = writeln!(out, "Accepted exceptions (left as they are):");
        for a in &plan.accepted {
            let until = a.expires.map_or(String::new(), |d| format!(", until {d}"));
            let _ = writeln!(
                out,
                "  {} / {} / {}: {} held, {} billed: {}{until}",
                terminal(&a.client_name),
                terminal(&a.agreement),
                terminal(&a.product),
                a.dicker_data,
                a.psa,
                terminal(&a.reason)
            );
        }
    }
    out.push('\n');
}

fn field_line(change: &FieldChange, options: RenderOptions) -> String {
    if is_text_change(change) {
        return format!("{}: {}", change.field, word_diff(change, options));
    }
    let show = |v: &Option<_>| terminal(&show(v)).into_owned();
    match (&change.before, &change.after) {
        (None, after @ Some(_)) => format!("{}: {}", change.field, show(after)),
        (before @ Some(_), None) => format!("{}: {} -> (removed)", change.field, show(before)),
        (before, after) => format!("{}: {} -> {}", change.field, show(before), show(after)),
    }
}

/// `[-old-]{+new+}` word diff of two texts, coloured when allowed.
fn word_diff(change: &FieldChange, options: RenderOptions) -> String {
    let before = terminal(&show(&change.before)).into_owned();
    let after = terminal(&show(&change.after)).into_owned();
    let diff = TextDiff::from_words(before.as_str(), after.as_str());
    // Merge runs of one kind (and the spaces between them) so a phrase reads as one change.
    let mut runs: Vec<(ChangeTag, String)> = Vec::new();
    let changes: Vec<_> = diff.iter_all_changes().map(|c| (c.tag(), c.value().to_string())).collect();
    for (i, (tag, value)) in changes.iter().enumerate() {
        let spacer = *tag == ChangeTag::Equal && value.trim().is_empty();
        let next_changed = changes.get(i + 1).is_some_and(|(t, _)| *t != ChangeTag::Equal);
        let tag = match runs.last() {
            Some((last, _)) if spacer && *last != ChangeTag::Equal && next_changed => *last,
            _ => *tag,
        };
        match runs.last_mut() {
            Some((last, text)) if *last == tag => text.push_str(value),
            _ => runs.push((tag, value.clone())),
        }
    }
    let mut out = String::new();
    for (tag, word) in runs {
        let word = word.as_str();
        match (tag, options.color) {
            (ChangeTag::Equal, _) => out.push_str(word),
            (ChangeTag::Delete, false) => out.push_str(&format!("[-{word}-]")),
            (ChangeTag::Insert, false) => out.push_str(&format!("{{+{word}+}}")),
            (ChangeTag::Delete, true) => {
                let s = AnsiColor::Red.on_default().strikethrough();
                out.push_str(&format!("{}{word}{}", s.render(), s.render_reset()));
            }
            (ChangeTag::Insert, true) => {
                let s = AnsiColor::Green.on_default().underline();
                out.push_str(&format!("{}{word}{}", s.render(), s.render_reset()));
            }
        }
    }
    out
}
