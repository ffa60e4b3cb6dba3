//! Money in a plan: what each managed addition bills per month before and after apply, what
//! Dicker Data charges for the licences behind it, the margin, and the licences Dicker Data
//! bills that no PSA line does. Amounts are decimal throughout: prices arrive as `f64` (JSON
//! numbers) and are converted once, at this boundary, to the decimal they were written as.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::desired::{Owner, Target};
use super::findings::Findings;
use crate::config::Currency;
use crate::model::{Addition, Billing, Licence, Product, StockCode, Term, Write};

/// An amount from the model as the decimal it was written as: the shortest text that reads
/// back as the same `f64` (`36.3`, never `36.29999…`). `None` for NaN, infinities and values
/// beyond a decimal's range.
pub fn decimal(value: f64) -> Option<Decimal> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return Some(Decimal::from(value as i64)); // seat counts and whole prices: no text needed
    }
    let mut text = ShortText::default();
    write!(text, "{value}").ok()?;
    Decimal::from_str(text.as_str()).ok()
}

/// Rounds to cents, halves away from zero, as invoices do; always two decimals (`726.00`,
/// not `726.0`), so JSON and CSV read like amounts.
pub fn cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// An amount as people read it: `$1,204.50`, `-$5.00`.
pub fn show(amount: Decimal) -> String {
    let rounded = cents(amount);
    let text = format!("{:.2}", rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    format!("{sign}${grouped}.{fraction}")
}

/// A change as people read it, always signed: `+$1,204.50`, `-$5.00`, `+$0.00`.
pub fn show_delta(amount: Decimal) -> String {
    let shown = show(amount);
    if shown.starts_with('-') { shown } else { format!("+{shown}") }
}

/// A stack buffer for formatting one number without allocating (the plan converts one price
/// per licence line; at 20,000 lines an allocation each would show in the bench).
#[derive(Default)]
struct ShortText {
    bytes: [u8; 32],
    len: usize,
}

impl ShortText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for ShortText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// How the PSA bills a product: its unit price is per month, or per year for products mapped
/// to annual-upfront stock codes (`…:Y:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    /// Unit price per month.
    #[default]
    Monthly,
    /// Unit price per year (annual up front); monthly figures are a twelfth of it.
    Annual,
}

impl Cycle {
    /// The cycle of a PSA product fed by these stock codes: annual when they all bill annually.
    pub fn of<'a>(codes: impl IntoIterator<Item = &'a StockCode>) -> Cycle {
        let mut codes = codes.into_iter().peekable();
        if codes.peek().is_some() && codes.all(|c| c.billing == Billing::Annual) {
            Cycle::Annual
        } else {
            Cycle::Monthly
        }
    }

    /// What a quantity at a unit price bills per month, to the cent.
    pub fn monthly(self, unit_price: Decimal, quantity: Decimal) -> Decimal {
        let amount = unit_price * quantity;
        cents(match self {
            Cycle::Monthly => amount,
            Cycle::Annual => amount / Decimal::from(12),
        })
    }

    /// What a quantity at a unit price bills per year (annual products), to the cent.
    pub fn yearly(self, unit_price: Decimal, quantity: Decimal) -> Option<Decimal> {
        (self == Cycle::Annual).then(|| cents(unit_price * quantity))
    }
}

/// Dicker Data's side of one billing line: the active seats held and what they cost.
///
/// The export's UNIT PRICE (and the API's price) is per unit **per term**, so a monthly cost
/// is the term price divided by the term's months; a co-termed line still carries the full
/// term price and is divided the same way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holding {
    /// Active seats.
    pub seats: u32,
    /// Seats whose line carries no unit price (cost unknown, counted as zero).
    pub unpriced_seats: u32,
    /// Licence lines.
    pub lines: usize,
    /// Σ quantity × unit price, per term (P1M, P1Y, P3Y): divided once at the end.
    per_term: [Decimal; 3],
    /// Earliest and latest end of the current terms, where reported.
    pub term_ends: Option<(NaiveDate, NaiveDate)>,
}

impl Holding {
    /// Adds one active licence line.
    pub fn add(&mut self, licence: &Licence) {
        self.seats = self.seats.saturating_add(licence.quantity);
        self.lines += 1;
        let slot = match licence.stock_code.term {
            Some(Term::P1M) => Some(0),
            Some(Term::P1Y) => Some(1),
            Some(Term::P3Y) => Some(2),
            None => None,
        };
        match (slot, licence.unit_price.and_then(decimal)) {
            (Some(slot), Some(price)) => self.per_term[slot] += price * Decimal::from(licence.quantity),
            _ => self.unpriced_seats = self.unpriced_seats.saturating_add(licence.quantity),
        }
        if let Some(end) = licence.term_end {
            self.term_ends = Some(match self.term_ends {
                Some((first, last)) => (first.min(end), last.max(end)),
                None => (end, end),
            });
        }
    }

    /// Adds another holding (several mappings feeding one PSA product).
    pub fn merge(&mut self, other: &Holding) {
        self.seats = self.seats.saturating_add(other.seats);
        self.unpriced_seats = self.unpriced_seats.saturating_add(other.unpriced_seats);
        self.lines += other.lines;
        for (mine, theirs) in self.per_term.iter_mut().zip(other.per_term) {
            *mine += theirs;
        }
        if let Some((first, last)) = other.term_ends {
            self.term_ends = Some(match self.term_ends {
                Some((a, b)) => (a.min(first), b.max(last)),
                None => (first, last),
            });
        }
    }

    /// What Dicker Data charges for these seats per month, to the cent (unpriced seats as zero).
    pub fn monthly_cost(&self) -> Decimal {
        let [p1m, p1y, p3y] = self.per_term;
        if p1y.is_zero() && p3y.is_zero() {
            return cents(p1m);
        }
        cents(p1m + p1y / Decimal::from(12) + p3y / Decimal::from(36))
    }

    /// The average monthly cost of one priced seat, unrounded; `None` with no priced seats.
    pub fn seat_cost(&self) -> Option<Decimal> {
        let priced = self.seats - self.unpriced_seats.min(self.seats);
        let [p1m, p1y, p3y] = self.per_term;
        (priced > 0)
            .then(|| (p1m + p1y / Decimal::from(12) + p3y / Decimal::from(36)) / Decimal::from(priced))
    }
}

/// What one action changes in billing: per month, and per year for annual products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revenue {
    /// Whether the PSA price is per month or per year.
    pub cycle: Cycle,
    /// Billed per month before apply (annual: a twelfth of the year).
    pub monthly_before: Decimal,
    /// Billed per month after apply.
    pub monthly_after: Decimal,
    /// Billed per year before apply (annual products only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_before: Option<Decimal>,
    /// Billed per year after apply (annual products only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_after: Option<Decimal>,
}

impl Revenue {
    /// After minus before, per month.
    pub fn monthly_delta(&self) -> Decimal {
        self.monthly_after - self.monthly_before
    }
}

impl Default for Revenue {
    fn default() -> Self {
        Revenue {
            cycle: Cycle::Monthly,
            monthly_before: Decimal::ZERO,
            monthly_after: Decimal::ZERO,
            yearly_before: None,
            yearly_after: None,
        }
    }
}

/// One (client, agreement, PSA product) pair: the seats Dicker Data bills the MSP for, what the
/// PSA bills the client before and after apply, the cost and the margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingLine {
    /// Dicker Data client id (shared by the client's lines: a plan has one line per pair).
    #[serde(with = "shared")]
    pub client: Arc<str>,
    /// Agreement / contract name (shared by the agreement's lines).
    #[serde(with = "shared")]
    pub agreement: Arc<str>,
    /// PSA product identifier (shared by the product's lines).
    #[serde(with = "shared")]
    pub product: Arc<str>,
    /// Whether its price is per month or per year.
    pub cycle: Cycle,
    /// Active Dicker Data seats mapped to it.
    pub seats: u32,
    /// PSA quantity before apply.
    pub quantity_before: Decimal,
    /// PSA quantity after apply.
    pub quantity_after: Decimal,
    /// PSA unit price after apply (per `cycle`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// Billed per month before apply.
    pub monthly_before: Decimal,
    /// Billed per month after apply.
    pub monthly_after: Decimal,
    /// Dicker Data's charge for the seats per month.
    pub cost: Decimal,
    /// Seats whose cost Dicker Data did not report (counted as zero in `cost`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unpriced_seats: u32,
    /// `monthly_after - cost`.
    pub margin: Decimal,
}

/// Licences Dicker Data bills the MSP that no PSA line bills: Not Setup clients and Not
/// Mapped licences, valued at cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unbilled {
    /// Seats.
    pub licences: u32,
    /// Licence lines.
    pub lines: usize,
    /// Dicker Data's charge per month.
    pub cost: Decimal,
    /// Seats whose cost Dicker Data did not report.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unpriced_seats: u32,
}

impl Unbilled {
    fn add(&mut self, other: &Unbilled) {
        self.licences = self.licences.saturating_add(other.licences);
        self.lines += other.lines;
        self.cost += other.cost;
        self.unpriced_seats = self.unpriced_seats.saturating_add(other.unpriced_seats);
    }

    /// Valued from a holding.
    pub fn of(holding: &Holding) -> Unbilled {
        Unbilled {
            licences: holding.seats,
            lines: holding.lines,
            cost: holding.monthly_cost(),
            unpriced_seats: holding.unpriced_seats,
        }
    }

    /// Whether nothing is unbilled.
    pub fn is_empty(&self) -> bool {
        self.licences == 0 && self.lines == 0
    }
}

/// Monthly figures added up over lines (a client, an agreement, or the whole plan).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Billed per month before apply.
    pub monthly_before: Decimal,
    /// Billed per month after apply.
    pub monthly_after: Decimal,
    /// Dicker Data's charge per month for the mapped seats.
    pub cost: Decimal,
    /// `monthly_after - cost`.
    pub margin: Decimal,
    /// Mapped seats whose cost Dicker Data did not report.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unpriced_seats: u32,
    /// Held but billed nowhere.
    #[serde(default, skip_serializing_if = "Unbilled::is_empty")]
    pub unbilled: Unbilled,
}

impl Totals {
    /// After minus before, per month: the revenue impact of the plan.
    pub fn monthly_delta(&self) -> Decimal {
        self.monthly_after - self.monthly_before
    }

    fn add_line(&mut self, line: &BillingLine) {
        self.monthly_before += line.monthly_before;
        self.monthly_after += line.monthly_after;
        self.cost += line.cost;
        self.margin += line.margin;
        self.unpriced_seats = self.unpriced_seats.saturating_add(line.unpriced_seats);
    }

    fn add(&mut self, other: &Totals) {
        self.monthly_before += other.monthly_before;
        self.monthly_after += other.monthly_after;
        self.cost += other.cost;
        self.margin += other.margin;
        self.unpriced_seats = self.unpriced_seats.saturating_add(other.unpriced_seats);
        self.unbilled.add(&other.unbilled);
    }
}

/// One agreement's billing before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementMoney {
    /// Agreement / contract name.
    pub agreement: String,
    /// Its lines added up.
    #[serde(flatten)]
    pub totals: Totals,
}

/// One client's billing, cost, margin and unbilled licences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMoney {
    /// Dicker Data client id.
    pub client: String,
    /// Display name (the workspace's, else Dicker Data's).
    pub client_name: String,
    /// Not in any workspace file: everything it holds is unbilled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_setup: bool,
    /// Its lines and unbilled licences added up.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per agreement, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<AgreementMoney>,
}

/// The money of a plan: per line, per client (with agreements) and in total. Totals are sums
/// of the (cent-rounded) figures below them, so every table adds up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// The workspace's currency (`currency:` in cspctl.yaml); amounts are labelled, never converted.
    pub currency: Currency,
    /// Everything added up.
    pub totals: Totals,
    /// Per client, by id.
    pub clients: Vec<ClientMoney>,
    /// Per (client, agreement, product), by client, agreement, product.
    pub lines: Vec<BillingLine>,
}

/// Builds [`Money`] from lines and unbilled holdings as reconcile finds them.
#[derive(Debug, Default)]
pub(super) struct MoneyBuilder {
    lines: Vec<BillingLine>,
    /// (client id, client name, not set up, unbilled).
    unbilled: Vec<(String, String, bool, Unbilled)>,
    /// Client names, by id, for clients with lines.
    names: Vec<(Arc<str>, String)>,
}

impl MoneyBuilder {
    /// Makes room for this many lines (a plan has one per pair it looks at).
    pub fn reserve(&mut self, lines: usize) {
        self.lines.reserve(lines);
    }

    /// Records one billing line.
    pub fn line(&mut self, line: BillingLine, client_name: &str) {
        if self.names.last().is_none_or(|(id, _)| *id != line.client) {
            self.names.push((Arc::clone(&line.client), client_name.to_string()));
        }
        self.lines.push(line);
    }

    /// Records a client's unbilled licences.
    pub fn unbilled(&mut self, client: &str, client_name: &str, not_setup: bool, unbilled: Unbilled) {
        if !unbilled.is_empty() {
            self.unbilled.push((client.to_string(), client_name.to_string(), not_setup, unbilled));
        }
    }

    /// Sorts and adds up.
    pub fn finish(self, currency: Currency) -> Money {
        let MoneyBuilder { mut lines, unbilled, mut names } = self;
        lines.sort_by(|a, b| {
            (&a.client, &a.agreement, &a.product).cmp(&(&b.client, &b.agreement, &b.product))
        });
        names.sort();
        names.dedup_by(|a, b| a.0 == b.0);
        let mut clients: Vec<ClientMoney> = names
            .into_iter()
            .map(|(client, client_name)| ClientMoney {
                client: client.to_string(),
                client_name,
                not_setup: false,
                totals: Totals::default(),
                agreements: Vec::new(),
            })
            .collect();
        for (client, client_name, not_setup, amount) in unbilled {
            match clients.binary_search_by(|c| c.client.as_str().cmp(&client)) {
                Ok(i) => clients[i].totals.unbilled.add(&amount),
                Err(i) => clients.insert(
                    i,
                    ClientMoney {
                        client,
                        client_name,
                        not_setup,
                        totals: Totals { unbilled: amount, ..Totals::default() },
                        agreements: Vec::new(),
                    },
                ),
            }
        }
        let mut at = 0;
        for line in &lines {
            while *clients[at].client != *line.client {
                at += 1;
            }
            let client = &mut clients[at];
            client.totals.add_line(line);
            match client.agreements.last_mut() {
                Some(a) if *a.agreement == *line.agreement => a.totals.add_line(line),
                _ => {
                    let mut totals = Totals::default();
                    totals.add_line(line);
                    client.agreements.push(AgreementMoney { agreement: line.agreement.to_string(), totals });
                }
            }
        }
        let mut totals = Totals::default();
        for client in &clients {
            totals.add(&client.totals);
        }
        Money { currency, totals, clients, lines }
    }
}

impl Money {
    /// Keeps only the clients `keep` accepts (`--target`), totals added up again.
    pub fn retain_clients(&mut self, keep: impl Fn(&str) -> bool) {
        self.lines.retain(|l| keep(&l.client));
        self.clients.retain(|c| keep(&c.client));
        let mut totals = Totals::default();
        for client in &self.clients {
            totals.add(&client.totals);
        }
        self.totals = totals;
    }
}

impl BillingLine {
    /// Nothing held, nothing billed before or after: not worth a line.
    pub fn is_empty(&self) -> bool {
        self.seats == 0 && self.quantity_before.is_zero() && self.quantity_after.is_zero()
    }
}

/// The billing line of one (agreement, product) pair: `additions` are the owned additions
/// there now, `write` what the plan does to them.
pub(super) fn line<'a>(
    names: &mut Names,
    owner: &Owner,
    product: &Product,
    cycle: Cycle,
    target: Option<&Target>,
    additions: impl Iterator<Item = &'a Addition>,
    write: Option<&Write>,
) -> (BillingLine, Revenue) {
    let (mut quantity_before, mut monthly_before) = (Decimal::ZERO, Decimal::ZERO);
    let mut yearly_before = cycle.yearly(Decimal::ZERO, Decimal::ZERO);
    let mut price_before = None;
    for a in additions {
        let quantity = decimal(a.quantity).unwrap_or_default();
        let price = a.unit_price.and_then(decimal);
        quantity_before += quantity;
        if let Some(p) = price {
            monthly_before += cycle.monthly(p, quantity);
            yearly_before = cycle.yearly(p, quantity).map(|y| y + yearly_before.unwrap_or_default());
        }
        price_before = price_before.or(price);
    }
    let (quantity_after, unit_price) = match write {
        None => (quantity_before, price_before),
        Some(Write::Create { quantity, unit_price, .. }) => {
            (Decimal::from(*quantity), unit_price.and_then(decimal))
        }
        Some(Write::Update { quantity, unit_price, .. }) => {
            (quantity.map_or(quantity_before, Decimal::from), unit_price.and_then(decimal).or(price_before))
        }
        Some(Write::Cancel { .. }) => (Decimal::ZERO, price_before),
    };
    let (monthly_after, yearly_after) = match (write, unit_price) {
        (None, _) => (monthly_before, yearly_before),
        (Some(_), Some(p)) => (cycle.monthly(p, quantity_after), cycle.yearly(p, quantity_after)),
        (Some(_), None) => (Decimal::ZERO, cycle.yearly(Decimal::ZERO, quantity_after)),
    };
    let (seats, cost, unpriced_seats) = target.map_or((0, Decimal::ZERO, 0), |t| {
        (t.holding.seats, t.holding.monthly_cost(), t.holding.unpriced_seats)
    });
    let (client, agreement, product) = names.of(owner, product);
    let line = BillingLine {
        client,
        agreement,
        product,
        cycle,
        seats,
        quantity_before,
        quantity_after,
        unit_price,
        monthly_before,
        monthly_after,
        cost,
        unpriced_seats,
        margin: monthly_after - cost,
    };
    let revenue = Revenue { cycle, monthly_before, monthly_after, yearly_before, yearly_after };
    (line, revenue)
}

/// Price findings of one line: sold below Dicker Data's cost, or billed at another price than
/// the mapping's `price.unit_price` (which only `update: sync` corrects).
pub(super) fn findings(
    line: &BillingLine,
    target: &Target,
    existing: Option<&Addition>,
    findings: &mut Findings,
) {
    let place = || format!("client {}: `{}` on \"{}\"", line.client, line.product, line.agreement);
    if let (Some(price), Some(seat_cost)) = (line.unit_price, target.holding.seat_cost())
        && !line.quantity_after.is_zero()
    {
        let per_month = match line.cycle {
            Cycle::Monthly => price,
            Cycle::Annual => price / Decimal::from(12),
        };
        let gap = cents(per_month) - cents(seat_cost);
        if gap.is_sign_negative() && !gap.is_zero() {
            findings.warn(
                "below_cost",
                Some(&line.client),
                format!(
                    "{} sells a seat at {}/month, below Dicker Data's {} ({} a seat, {}/month over {} seat(s))",
                    place(),
                    show(per_month),
                    show(seat_cost),
                    show_delta(gap),
                    show_delta(cents(gap * line.quantity_after)),
                    line.quantity_after
                ),
            );
        }
    }
    if let (Some(wanted), Some(_), Some(billed)) =
        (target.price.unit_price.and_then(decimal), existing, line.unit_price)
        && wanted != billed
    {
        findings.warn(
            "price_differs",
            Some(&line.client),
            format!(
                "{} bills {} a unit but its mapping's `price.unit_price` is {} (`update: leave` keeps the PSA's price; `update: sync` corrects it)",
                place(),
                show(billed),
                show(wanted)
            ),
        );
    }
}

/// The names billing lines share, made once per client, agreement and product rather than
/// copied into each line (20,000 lines would otherwise mean 60,000 copies).
#[derive(Default)]
pub(super) struct Names {
    client: Option<Arc<str>>,
    agreement: Option<Arc<str>>,
    products: std::collections::HashMap<crate::model::PsaId, Arc<str>>,
}

impl Names {
    /// Lines come in agreement order, so the last client and agreement are almost always the
    /// ones asked for again.
    fn of(&mut self, owner: &Owner, product: &Product) -> (Arc<str>, Arc<str>, Arc<str>) {
        let reuse = |slot: &mut Option<Arc<str>>, name: &str| match slot {
            Some(shared) if **shared == *name => Arc::clone(shared),
            _ => Arc::clone(slot.insert(Arc::from(name))),
        };
        let client = reuse(&mut self.client, &owner.client.dicker_data);
        let agreement = reuse(&mut self.agreement, &owner.agreement.name);
        let product =
            self.products.entry(product.id).or_insert_with(|| Arc::from(product.identifier.as_str()));
        (client, agreement, Arc::clone(product))
    }
}

/// Serde for shared names: written and read as plain strings.
mod shared {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(name: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_the_decimals_they_were_written_as() {
        assert_eq!(decimal(36.3), Some(Decimal::new(363, 1)));
        assert_eq!(decimal(0.1 + 0.2), Decimal::from_str("0.30000000000000004").ok());
        assert_eq!(decimal(338.31), Some(Decimal::new(33831, 2)));
        assert_eq!(decimal(-5.0), Some(Decimal::from(-5)));
        assert_eq!(decimal(f64::NAN), None);
        assert_eq!(decimal(1e300), None, "beyond a decimal's range");
    }

    #[test]
    fn amounts_read_like_invoices() {
        assert_eq!(show(Decimal::new(120450, 2)), "$1,204.50");
        assert_eq!(show(Decimal::new(-5, 0)), "-$5.00");
        assert_eq!(show(Decimal::new(12345678901, 3)), "$12,345,678.90");
        assert_eq!(show(Decimal::new(999, 0)), "$999.00");
        assert_eq!(show_delta(Decimal::new(120450, 2)), "+$1,204.50");
        assert_eq!(show_delta(Decimal::ZERO), "+$0.00");
        assert_eq!(show_delta(Decimal::new(-1, 3)), "+$0.00", "rounds to zero: no sign");
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(cents(Decimal::new(28_1925, 4)), Decimal::new(2819, 2));
        assert_eq!(cents(Decimal::new(5, 3)), Decimal::new(1, 2));
        assert_eq!(cents(Decimal::new(-5, 3)), Decimal::new(-1, 2));
    }
}
