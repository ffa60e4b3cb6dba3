//! Renewals and commitments. Under New Commerce a seat count can be cut only in the 7 days
//! after a purchase or renewal; after that Dicker Data bills it until the term ends. So a
//! reviewer needs to know which commitments renew soon (the one moment to reduce them), and
//! where the PSA bills fewer seats than the MSP is committed to pay for.

use chrono::{Days, NaiveDate};

use super::findings::Findings;
use super::money::{BillingLine, Holding, show};
use crate::model::{Licence, LicenceStatus, Term};

/// Days after a renewal in which NCE still allows a reduction or cancellation.
pub const NCE_REDUCTION_DAYS: u64 = 7;

/// One finding per active commitment (a term longer than a month) of this client whose term
/// ends within `window_days` of `today` (0: none). Month-to-month terms renew every month:
/// not news.
pub(super) fn renewals(
    client: &str,
    licences: &[&Licence],
    today: NaiveDate,
    window_days: u32,
    findings: &mut Findings,
) {
    if window_days == 0 {
        return; // `renewal_window_days: 0` turns renewal findings off
    }
    let Some(horizon) = today.checked_add_days(Days::new(u64::from(window_days))) else { return };
    for l in licences.iter().filter(|l| l.status == LicenceStatus::Active) {
        let Some(end) = l.term_end.filter(|end| *end >= today && *end <= horizon) else { continue };
        if matches!(l.stock_code.term, None | Some(Term::P1M)) {
            continue;
        }
        let renews = end.succ_opt().unwrap_or(end);
        let fixed_after = renews.checked_add_days(Days::new(NCE_REDUCTION_DAYS - 1)).unwrap_or(renews);
        let days = (renews - today).num_days();
        let term = l.stock_code.term.map_or(String::new(), |t| format!("{t}, "));
        findings.warn(
            "renewal_due",
            Some(client),
            format!(
                "client {client}: {} × {} ({term}subscription {}) renews on {renews} (in {days} day(s)); the seat count can be reduced only until {fixed_after}, then it is fixed for the next term",
                l.quantity, l.description, l.subscription
            ),
        );
    }
}

/// A finding when the PSA will bill fewer seats than Dicker Data holds: the MSP pays for the
/// difference at least until the terms end. `why` names what brings the PSA below (a rule or
/// an accepted exception).
pub(super) fn below_commitment(line: &BillingLine, holding: &Holding, why: &str, findings: &mut Findings) {
    let billed = line.quantity_after;
    let held = rust_decimal::Decimal::from(holding.seats);
    if holding.seats == 0 || billed >= held {
        return;
    }
    let unbilled = held - billed;
    let cost = holding.seat_cost().map(|c| super::money::cents(c * unbilled));
    let until = match holding.term_ends {
        Some((first, last)) if first == last => format!("until {last}"),
        Some((first, last)) => format!("until {first} to {last} (the terms end on different days)"),
        None => "until the term ends (Dicker Data did not report the date)".to_string(),
    };
    let cost = cost.map_or(String::new(), |c| format!(", {}/month at cost,", show(c)));
    findings.warn(
        "below_commitment",
        Some(&line.client),
        format!(
            "client {}: Dicker Data bills {} seat(s) behind `{}` on \"{}\" but the PSA will bill {}{why}; the MSP pays for {} unbilled seat(s){cost} {until}",
            line.client, holding.seats, line.product, line.agreement, billed, unbilled
        ),
    );
}
