//! The monthly billing report: the money of a plan without its writes. Per client what Dicker
//! Data bills the MSP, what the PSA bills the client (now and once in sync), the margin, the
//! licences billed to no one, renewals coming up and the exceptions accepted.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::escape::{code, markdown as escape};

use crate::reconcile::money::{self, BillingLine, ClientMoney, Money, Totals};
use crate::reconcile::{AcceptedException, FORMAT_VERSION, Finding, Plan};

/// Warning codes the report carries (money, renewals, exceptions, licences billed nowhere);
/// errors are all carried.
const REPORT_CODES: [&str; 9] = [
    "renewal_due",
    "below_commitment",
    "below_cost",
    "price_differs",
    "exception_expired",
    "exception_invalidated",
    "exception_unmatched",
    "not_setup",
    "not_mapped",
];

/// What a report shows, taken from a plan.
pub struct Report<'a> {
    /// The day it describes.
    pub date: NaiveDate,
    money: &'a Money,
    accepted: &'a [AcceptedException],
    findings: Vec<&'a Finding>,
}

impl<'a> Report<'a> {
    /// The report of a plan made on `date`.
    pub fn new(plan: &'a Plan, date: NaiveDate) -> Self {
        // Errors all count: a client the plan cannot read is missing from the figures.
        let findings = plan
            .errors
            .iter()
            .chain(plan.warnings.iter().filter(|f| REPORT_CODES.contains(&f.code.as_str())))
            .collect();
        Report { date, money: &plan.money, accepted: &plan.accepted, findings }
    }

    fn renewals(&self, client: &str) -> usize {
        self.findings
            .iter()
            .filter(|f| f.code == "renewal_due" && f.client.as_deref() == Some(client))
            .count()
    }

    fn accepted_for(&self, client: &str) -> usize {
        self.accepted.iter().filter(|a| a.client == client).count()
    }
}

/// Margin on today's billing (the plan's `margin` is on billing after apply).
fn margin_now(t: &Totals) -> Decimal {
    t.monthly_before - t.cost
}

fn seats(money: &Money, client: &str) -> u32 {
    money.lines.iter().filter(|l| *l.client == *client).map(|l| l.seats).sum()
}

/// The report as Markdown (headings and tables, for a wiki page or an email).
pub fn report_markdown(r: &Report) -> String {
    let m = r.money;
    let t = &m.totals;
    let mut out = String::new();
    let _ = writeln!(out, "## cspctl billing report, {} ({}, per month)\n", r.date, m.currency);
    let _ = writeln!(
        out,
        "**Billed {} · cost {} · margin {}** · in sync: billed {} · unbilled: {} licences, {} at cost\n",
        cash(t.monthly_before),
        cash(t.cost),
        cash(margin_now(t)),
        cash(t.monthly_after),
        t.unbilled.licences,
        cash(t.unbilled.cost)
    );
    if t.unpriced_seats + t.unbilled.unpriced_seats > 0 {
        let _ = writeln!(
            out,
            "_{} seat(s) carry no Dicker Data price; their cost counts as zero._\n",
            t.unpriced_seats + t.unbilled.unpriced_seats
        );
    }
    let _ = writeln!(
        out,
        "| Client | Licences | Billed | In sync | Cost | Margin | Unbilled | Renewals | Accepted |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for c in &m.clients {
        let ct = &c.totals;
        let unbilled = if ct.unbilled.is_empty() {
            String::new()
        } else {
            format!("{} ({})", ct.unbilled.licences, cash(ct.unbilled.cost))
        };
        let name = escape(&c.client_name);
        let name = if c.not_setup { format!("{name} (Not Setup)") } else { name.into_owned() };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {unbilled} | {} | {} |",
            seats(m, &c.client),
            cash(ct.monthly_before),
            cash(ct.monthly_after),
            cash(ct.cost),
            cash(margin_now(ct)),
            r.renewals(&c.client),
            r.accepted_for(&c.client)
        );
    }
    let _ = writeln!(
        out,
        "| **Total** | {} | {} | {} | {} | {} | {} ({}) | | |\n",
        m.lines.iter().map(|l| l.seats).sum::<u32>(),
        cash(t.monthly_before),
        cash(t.monthly_after),
        cash(t.cost),
        cash(margin_now(t)),
        t.unbilled.licences,
        cash(t.unbilled.cost)
    );
    if !m.lines.is_empty() {
        let _ = writeln!(out, "<details><summary>{} billing line(s)</summary>\n", m.lines.len());
        let _ = writeln!(
            out,
            "| Client | Agreement | Product | Seats | Billed qty | Unit price | Billed | Cost | Margin |\n|---|---|---|--:|--:|--:|--:|--:|--:|"
        );
        for l in &m.lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                escape(&name_of(m, &l.client)),
                escape(&l.agreement),
                code(&l.product),
                l.seats,
                l.quantity_before,
                unit_price(l),
                cash(l.monthly_before),
                cash(l.cost),
                cash(l.monthly_before - l.cost)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if !r.accepted.is_empty() {
        let _ = writeln!(out, "#### Accepted exceptions\n");
        for a in r.accepted {
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
        out.push('\n');
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out, "#### To look at\n");
        for f in &r.findings {
            let _ = writeln!(out, "- `{}` {}", f.code, escape(&f.message));
        }
        out.push('\n');
    }
    out
}

fn name_of(m: &Money, client: &str) -> String {
    m.clients
        .iter()
        .find(|c| c.client == client)
        .map_or_else(|| client.to_string(), |c| c.client_name.clone())
}

fn unit_price(l: &BillingLine) -> String {
    match (l.unit_price, l.cycle) {
        (Some(p), crate::reconcile::money::Cycle::Annual) => format!("{}/year", cash(p)),
        (Some(p), _) => cash(p),
        (None, _) => String::new(),
    }
}

/// One CSV row per client and a total row, amounts as plain numbers (no `$`, no thousands
/// separators) so a spreadsheet sums them; text that a spreadsheet would run as a formula is
/// quoted with a leading `'`.
pub fn report_csv(r: &Report) -> String {
    let m = r.money;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "client",
        "client_name",
        "not_setup",
        "licences",
        "billed_monthly",
        "billed_in_sync_monthly",
        "cost_monthly",
        "margin_monthly",
        "unbilled_licences",
        "unbilled_cost_monthly",
        "unpriced_seats",
        "renewals_due",
        "accepted_exceptions",
        "currency",
    ];
    let _ = writer.write_record(header);
    let row = |id: &str,
               name: &str,
               not_setup: bool,
               licences: u32,
               t: &Totals,
               renewals: usize,
               accepted: usize| {
        vec![
            cell(id),
            cell(name),
            not_setup.to_string(),
            licences.to_string(),
            t.monthly_before.to_string(),
            t.monthly_after.to_string(),
            t.cost.to_string(),
            margin_now(t).to_string(),
            t.unbilled.licences.to_string(),
            t.unbilled.cost.to_string(),
            (t.unpriced_seats + t.unbilled.unpriced_seats).to_string(),
            renewals.to_string(),
            accepted.to_string(),
            m.currency.to_string(),
        ]
    };
    for c in &m.clients {
        let ClientMoney { client, client_name, not_setup, totals, .. } = c;
        let _ = writer.write_record(row(
            client,
            client_name,
            *not_setup,
            seats(m, client),
            totals,
            r.renewals(client),
            r.accepted_for(client),
        ));
    }
    let renewals = r.findings.iter().filter(|f| f.code == "renewal_due").count();
    let seats: u32 = m.lines.iter().map(|l| l.seats).sum();
    let _ = writer.write_record(row("TOTAL", "", false, seats, &m.totals, renewals, r.accepted.len()));
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A text cell a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@` or a control
/// character would be read as a formula, so it gets a leading `'`.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The JSON report document; versioned with the plan's `format_version`.
#[derive(Serialize)]
struct ReportDocument<'a> {
    format_version: u32,
    date: NaiveDate,
    #[serde(flatten)]
    money: &'a Money,
    accepted: &'a [AcceptedException],
    findings: &'a [&'a Finding],
}

/// The report as pretty JSON with a trailing newline.
pub fn report_json(r: &Report) -> String {
    let doc = ReportDocument {
        format_version: FORMAT_VERSION,
        date: r.date,
        money: r.money,
        accepted: r.accepted,
        findings: &r.findings,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

/// An amount for Markdown: `\$` so GitHub never reads a pair of amounts as inline math.
fn cash(amount: Decimal) -> String {
    money::show(amount).replace('$', "\\$")
}
