//! The plan as a pull-request comment, after Atlantis and tfcmt: a header saying what was
//! planned (workspace, PSA, plan date, commit), what apply would refuse at the very top, a
//! banner when billing falls, the summary line, then one folded section per client.
//!
//! Every string cspctl did not write is escaped ([`super::escape`]). The comment stays under
//! [`MAX_CHARS`]: detail is dropped from the end first, and the comment says how much was left
//! out and where the full plan is.
//!
//! Lines are built by small functions ([`action_cells`], [`client_heading`]) so a new column or
//! a per-client figure is added in one place.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use super::escape::{code, html, markdown as md};
use super::{RenderOptions, show, summary, symbol};
use crate::apply::{ActionError, Outcome};
use crate::git::Commit;
use crate::provenance::plan_hash;
use crate::reconcile::money;
use crate::reconcile::{Action, ActionKind, Plan};

/// Largest comment produced, in bytes (never fewer than characters): under the 65,536
/// characters GitHub accepts, with room for the marker and wrapper a posting step adds.
pub const MAX_CHARS: usize = 60_000;

/// Kept free while detail is added, for the closing tags and the "left out" note.
const RESERVE: usize = 1_500;

/// What the comment's header says about where the plan comes from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The workspace as a reviewer knows it (relative to the repository root when known).
    pub workspace: String,
    /// The PSA provider name (`connectwise`, `autotask`, `sandbox`).
    pub psa: String,
    /// The plan date.
    pub date: Option<NaiveDate>,
    /// The git commit planned: whether the workspace had uncommitted changes, and its author.
    pub commit: Option<Commit>,
    /// Where the full plan is (the `--out` file), named when detail is left out.
    pub full_plan: Option<String>,
}

/// The plan as a pull-request comment.
pub fn markdown(plan: &Plan, options: RenderOptions, origin: &Origin) -> String {
    Comment::new(plan, options, origin, None).render()
}

/// The plan and what apply did with each action (`apply --format markdown`).
pub fn markdown_applied(
    plan: &Plan,
    options: RenderOptions,
    origin: &Origin,
    outcomes: &[Outcome<'_>],
) -> String {
    Comment::new(plan, options, origin, Some(outcomes)).render()
}

struct Comment<'a> {
    plan: &'a Plan,
    options: RenderOptions,
    origin: &'a Origin,
    /// Per action (plan order), its outcome when this is an apply report.
    outcomes: Option<Vec<Option<&'a Outcome<'a>>>>,
    out: String,
    /// Set once something did not fit: everything after it is left out too.
    full: bool,
    left_out_actions: usize,
    left_out_findings: usize,
}

impl<'a> Comment<'a> {
    fn new(
        plan: &'a Plan,
        options: RenderOptions,
        origin: &'a Origin,
        outcomes: Option<&'a [Outcome<'a>]>,
    ) -> Self {
        let outcomes = outcomes.map(|outcomes| {
            // `execute` returns outcomes in plan order.
            let matches = |o: &&Outcome<'a>, a: &Action| std::ptr::eq(o.action, a) || o.action == a;
            plan.actions.iter().enumerate().map(|(i, a)| outcomes.get(i).filter(|o| matches(o, a))).collect()
        });
        Comment {
            plan,
            options,
            origin,
            outcomes,
            out: String::new(),
            full: false,
            left_out_actions: 0,
            left_out_findings: 0,
        }
    }

    /// Appends detail if it fits (and nothing before it was dropped).
    fn detail(&mut self, text: &str) -> bool {
        if !self.full && self.out.len() + text.len() + RESERVE <= MAX_CHARS {
            self.out.push_str(text);
            true
        } else {
            self.full = true;
            false
        }
    }

    fn render(mut self) -> String {
        self.header();
        self.refusals();
        self.banner();
        let _ = writeln!(self.out, "**{}**\n", summary(self.plan));
        if let Some(line) = self.outcome_summary() {
            let _ = writeln!(self.out, "**{line}**\n");
        }
        let mut money = String::new();
        money_section(self.plan, &mut money);
        self.detail(&money);
        self.clients();
        self.warnings();
        if self.options.verbose {
            self.unmanaged();
        }
        self.left_out_note();
        self.applied_from();
        self.out
    }

    /// Last in an apply report: which plan was applied, from which commit and whose.
    fn applied_from(&mut self) {
        if self.outcomes.is_none() {
            return;
        }
        let mut line = format!("Applied plan `{}`", short_hash(&plan_hash(self.plan)));
        if let Some(c) = &self.origin.commit {
            let _ = write!(line, " from commit `{}`", short(&c.commit));
            if let Some(author) = &c.author {
                let _ = write!(line, " by {}", md(author));
            }
        }
        let _ = writeln!(self.out, "\n{line}.");
    }

    fn header(&mut self) {
        let o = self.origin;
        let title = if self.outcomes.is_some() { "cspctl apply" } else { "cspctl plan" };
        let _ = writeln!(self.out, "### {title}: {}\n", md(&o.workspace));
        let mut facts = vec![format!("**PSA** {}", psa_name(&o.psa))];
        if let Some(date) = o.date {
            facts.push(format!("**Plan date** {date}"));
        }
        match &o.commit {
            Some(c) => facts.push(format!(
                "**Commit** `{}`{}",
                short(&c.commit),
                if c.dirty { " with uncommitted changes" } else { "" }
            )),
            None => facts.push("**Commit** (not in a git checkout)".to_string()),
        }
        let _ = writeln!(self.out, "{}\n", facts.join(" · "));
    }

    /// Errors and refusing warnings, first: the reviewer sees why apply will not go ahead.
    fn refusals(&mut self) {
        let refusals: Vec<_> = self.plan.refusals().collect();
        if refusals.is_empty() {
            return;
        }
        let _ = writeln!(self.out, "> [!CAUTION]\n> **Apply would refuse this plan:**");
        // The top may use a third of the comment; the full plan has the rest.
        let limit = self.out.len() + MAX_CHARS / 3;
        let mut shown = 0;
        for f in &refusals {
            let line = format!("> - `{}` {}\n", f.code, md(&f.message));
            if self.out.len() + line.len() > limit {
                break;
            }
            self.out.push_str(&line);
            shown += 1;
        }
        if shown < refusals.len() {
            self.left_out_findings += refusals.len() - shown;
            let _ = writeln!(self.out, "> - … and {} more", refusals.len() - shown);
        }
        self.out.push('\n');
    }

    /// A warning when billing falls: anything cancelled, or fewer seats billed.
    fn banner(&mut self) {
        let cancels = self.plan.count(ActionKind::Cancel);
        let seats = self.plan.seats_removed();
        if cancels == 0 && seats <= 0.0 {
            return;
        }
        let mut parts = Vec::new();
        if cancels > 0 {
            parts.push(format!("cancels {}", plural(cancels, "addition")));
        }
        if seats > 0.0 {
            parts.push(format!(
                "removes {} billed seat{}",
                show_number(seats),
                if seats == 1.0 { "" } else { "s" }
            ));
        }
        let _ = writeln!(
            self.out,
            "> [!WARNING]\n> **This plan {}.** Check that the licences really ended before merging.\n",
            parts.join(" and ")
        );
    }

    fn outcome_summary(&self) -> Option<String> {
        let outcomes = self.outcomes.as_ref()?;
        let (mut applied, mut failed, mut skipped) = (0, 0, 0);
        for o in outcomes.iter().flatten() {
            match &o.result {
                Ok(_) => applied += 1,
                Err(ActionError::Skipped) => skipped += 1,
                Err(_) => failed += 1,
            }
        }
        Some(format!("Apply: {applied} applied, {failed} failed, {skipped} not attempted."))
    }

    /// One folded section per client, in client-name order; rows dropped from the end first.
    fn clients(&mut self) {
        let mut by_client: BTreeMap<(String, &str), Vec<usize>> = BTreeMap::new();
        for (i, a) in self.plan.actions.iter().enumerate() {
            by_client.entry((a.client_name.to_lowercase(), a.client.as_str())).or_default().push(i);
        }
        let columns = self.columns();
        let (plan, outcomes) = (self.plan, self.outcomes.take());
        for indices in by_client.values() {
            let actions: Vec<&Action> = indices.iter().map(|&i| &self.plan.actions[i]).collect();
            let row = |n: usize| {
                let i = indices[n];
                let outcome = outcomes.as_ref().and_then(|o| o[i]);
                format!("| {} |\n", action_cells(&plan.actions[i], outcome).join(" | "))
            };
            // A section opens only with its first row: never an empty table.
            let open = format!(
                "<details><summary>{}</summary>\n\n| {} |\n|{}\n{}",
                client_heading(&actions),
                columns.join(" | "),
                "---|".repeat(columns.len()),
                row(0)
            );
            if !self.detail(&open) {
                self.left_out_actions += indices.len();
                continue;
            }
            for n in 1..indices.len() {
                let row = row(n);
                if !self.detail(&row) {
                    self.left_out_actions += indices.len() - n;
                    break;
                }
            }
            self.out.push_str("\n</details>\n\n");
        }
        self.outcomes = outcomes;
    }

    fn columns(&self) -> Vec<&'static str> {
        let mut columns = vec!["", "Agreement", "Product", "Change", "Billed a month"];
        if self.outcomes.is_some() {
            columns.push("Outcome");
        }
        columns
    }

    fn warnings(&mut self) {
        let warnings: Vec<_> = self.plan.warnings.iter().filter(|w| !w.refuses_apply()).collect();
        if warnings.is_empty() {
            return;
        }
        let open = format!("<details><summary>{}</summary>\n\n", plural(warnings.len(), "warning"));
        if !self.detail(&open) {
            self.left_out_findings += warnings.len();
            return;
        }
        for (n, w) in warnings.iter().enumerate() {
            if !self.detail(&format!("- `{}` {}\n", w.code, md(&w.message))) {
                self.left_out_findings += warnings.len() - n;
                break;
            }
        }
        self.out.push_str("\n</details>\n\n");
    }

    fn unmanaged(&mut self) {
        let unmanaged = &self.plan.unmanaged;
        if unmanaged.is_empty()
            || !self.detail(&format!(
                "<details><summary>{}</summary>\n\n",
                plural(unmanaged.len(), "unmanaged addition")
            ))
        {
            return;
        }
        for u in unmanaged {
            let line = format!(
                "- {} / {} × {} (addition {})\n",
                md(&u.agreement),
                code(&u.product),
                u.quantity,
                u.addition
            );
            if !self.detail(&line) {
                break;
            }
        }
        self.out.push_str("\n</details>\n\n");
    }

    fn left_out_note(&mut self) {
        if self.left_out_actions == 0 && self.left_out_findings == 0 && !self.full {
            return;
        }
        let mut parts = Vec::new();
        if self.left_out_actions > 0 {
            parts.push(format!("{} of {} actions", self.left_out_actions, self.plan.actions.len()));
        }
        if self.left_out_findings > 0 {
            parts.push(plural(self.left_out_findings, "finding"));
        }
        if parts.is_empty() {
            parts.push("some unmanaged additions".to_string());
        }
        let full = match &self.origin.full_plan {
            Some(path) => format!("The full plan is in the plan JSON artifact ({}).", code(path)),
            None => "`cspctl plan --format json` prints the full plan.".to_string(),
        };
        let _ = writeln!(
            self.out,
            "> [!NOTE]\n> Cut to fit a pull-request comment: {} are not shown. {full}",
            parts.join(" and ")
        );
    }
}

/// The first 12 characters of a commit, as headers show it.
fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// `sha256:` and the first 16 hex digits of a plan hash (the JSON has all of it).
fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(7 + 16)]
}

/// The `<summary>` of a client's section: name, id and what changes.
pub fn client_heading(actions: &[&Action]) -> String {
    let first = actions[0];
    let mut counts = Vec::new();
    for (kind, verb) in
        [(ActionKind::Create, "create"), (ActionKind::Update, "update"), (ActionKind::Cancel, "cancel")]
    {
        let n = actions.iter().filter(|a| a.kind == kind).count();
        if n > 0 {
            counts.push(format!("{n} to {verb}"));
        }
    }
    format!("<b>{}</b> ({}): {}", html(&first.client_name), html(&first.client), counts.join(", "))
}

/// The table cells of one action (and its outcome in an apply report), escaped.
pub fn action_cells(a: &Action, outcome: Option<&Outcome<'_>>) -> Vec<String> {
    let changes: Vec<String> = a
        .changes
        .iter()
        .map(|c| match &c.before {
            None => format!("{}: {}", c.field, show(&c.after)),
            Some(_) => format!("{}: {} → {}", c.field, show(&c.before), show(&c.after)),
        })
        .collect();
    let mut cells = vec![
        format!("`{}`", symbol(a.kind)),
        md(&a.agreement).into_owned(),
        code(&a.product),
        md(&changes.join("; ")).into_owned(),
        billed(&a.revenue),
    ];
    if let Some(outcome) = outcome {
        cells.push(match &outcome.result {
            Ok(applied) => format!("applied (addition {})", applied.addition),
            Err(ActionError::Skipped) => "not attempted".to_string(),
            Err(e) => format!("**failed**: {}", md(&e.to_string())),
        });
    }
    cells
}

/// What an action bills per month before → after and the change; annual products add the
/// yearly figures, since that is what the client's invoice shows.
fn billed(r: &money::Revenue) -> String {
    let monthly =
        format!("{} → {} ({})", cash(r.monthly_before), cash(r.monthly_after), cash_delta(r.monthly_delta()));
    match (r.cycle, r.yearly_after) {
        (money::Cycle::Annual, Some(after)) => format!(
            "{monthly}; {} → {} a year, billed annually",
            cash(r.yearly_before.unwrap_or_default()),
            cash(after)
        ),
        _ => monthly,
    }
}

fn psa_name(psa: &str) -> &str {
    match psa {
        "connectwise" => "ConnectWise Manage",
        "autotask" => "Autotask",
        other => other,
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn show_number(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n}") }
}

/// Agreements listed in the money section; the rest are counted.
const MONEY_ROWS: usize = 25;

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
    // The largest changes first, a bounded number, so the money never crowds out the changes.
    let mut rows: Vec<_> = changed
        .iter()
        .flat_map(|c| {
            c.agreements.iter().filter(|a| !a.totals.monthly_delta().is_zero()).map(move |a| (*c, a))
        })
        .collect();
    rows.sort_by(|x, y| {
        y.1.totals
            .monthly_delta()
            .abs()
            .cmp(&x.1.totals.monthly_delta().abs())
            .then(x.0.client.cmp(&y.0.client))
    });
    for (c, a) in rows.iter().take(MONEY_ROWS) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(&c.client_name),
            md(&a.agreement),
            cash(a.totals.monthly_before),
            cash(a.totals.monthly_after),
            cash_delta(a.totals.monthly_delta())
        );
    }
    if rows.len() > MONEY_ROWS {
        let _ = writeln!(
            out,
            "| … {} more agreement(s) change billing (see the JSON plan) | | | | |",
            rows.len() - MONEY_ROWS
        );
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
        for c in m.clients.iter().filter(|c| !c.totals.unbilled.is_empty()).take(MONEY_ROWS) {
            let why = if c.not_setup { "Not Setup" } else { "Not Mapped" };
            let _ = writeln!(
                out,
                "- {} ({why}): {} licences, {}/month",
                md(&c.client_name),
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
                md(&a.client_name),
                md(&a.agreement),
                code(&a.product),
                a.dicker_data,
                a.psa,
                md(&a.reason)
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
