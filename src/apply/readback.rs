//! The one read-back after the writes: every pair a create touched (and, where the PSA reads
//! many agreements per request, every touched agreement) read in bulk. It gives each write's
//! new version, and it is where a duplicate that cspctl's own writes made is found and
//! undone: two applies at once (CI runners on different machines share no lock), or a create
//! that landed at the server after the client gave up on it and sent it again.
//!
//! The rule both sides of a race agree on: on a pair this run created, every active addition
//! but the oldest (lowest id) is cancelled, dated the day the create took effect, so it
//! bills nothing. The pair had no active addition when the plan read it (that is why it
//! planned a create), so each of them was made since, by this run or by another at the same
//! moment; a later apply reading the same pair keeps the same one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::{ActionError, Event};
use crate::live::Psa;
use crate::model::{Addition, Applied, PsaId, Write};
use crate::reconcile::{ActionKind, Plan};

/// One duplicate found after the writes, and whether cancelling it worked.
#[derive(Debug)]
pub struct Duplicate {
    /// Agreement and product of the pair.
    pub agreement: PsaId,
    /// Product / service record id.
    pub product: PsaId,
    /// The addition kept (the oldest).
    pub kept: PsaId,
    /// The addition cancelled.
    pub cancelled: PsaId,
    /// The cancel write sent.
    pub write: Write,
    /// `Err` with the reason when the cancel failed (the next plan reports the pair).
    pub result: Result<(), String>,
}

/// Reads back, fills in versions, cancels duplicates. Returns them, and why the read-back
/// could not be made, if it could not.
pub(super) async fn confirm(
    plan: &Plan,
    psa: &dyn Psa,
    bulk: bool,
    results: &mut [Result<Applied, ActionError>],
    report: &mut impl FnMut(Event<'_>),
) -> (Vec<Duplicate>, Option<String>) {
    let attempted = |r: &Result<Applied, ActionError>| match r {
        Ok(_) => true,
        Err(e) => matches!(e, ActionError::Failed(_)),
    };
    let created: BTreeMap<(PsaId, PsaId), (usize, NaiveDate, u32)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(i, a)| a.kind == ActionKind::Create && attempted(&results[*i]))
        .filter_map(|(i, a)| match a.write {
            Write::Create { agreement, product, effective_date, quantity, .. } => {
                Some(((agreement, product), (i, effective_date, quantity)))
            }
            _ => None,
        })
        .collect();
    let agreements: BTreeSet<PsaId> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(i, _)| bulk && results[*i].is_ok())
        .map(|(_, a)| a.write.agreement())
        .chain(created.keys().map(|(agreement, _)| *agreement))
        .collect();
    if agreements.is_empty() {
        return (Vec::new(), None);
    }
    psa.settle().await;
    let live = match psa.additions(&agreements.into_iter().collect::<Vec<_>>()).await {
        Ok(live) => live,
        Err(e) => {
            let why = format!("reading back what was written failed ({e}); run plan to check it");
            return (Vec::new(), Some(why));
        }
    };
    let by_id: HashMap<PsaId, &Addition> = live.iter().map(|a| (a.id, a)).collect();
    for applied in results.iter_mut().flatten() {
        if let Some(now) = by_id.get(&applied.addition) {
            applied.fingerprint = now.fingerprint.clone();
        }
    }

    let mut duplicates = Vec::new();
    for (&(agreement, product), &(index, date, quantity)) in &created {
        let mut active: Vec<&Addition> = live
            .iter()
            .filter(|a| a.agreement == agreement && a.product == product && a.is_active_on(date))
            .collect();
        active.sort_by_key(|a| a.id);
        let Some((kept, extra)) = active.split_first() else { continue };
        for duplicate in extra {
            let write = Write::Cancel {
                addition: duplicate.id,
                agreement,
                product,
                expected: duplicate.fingerprint.clone(),
                from_quantity: duplicate.quantity,
                cancelled_date: date,
            };
            tracing::warn!(
                agreement,
                product,
                kept = kept.id,
                cancelled = duplicate.id,
                "cancelling a duplicate"
            );
            let result = psa.write(&write, Some(duplicate)).await.map(|_| ()).map_err(|e| e.to_string());
            let found =
                Duplicate { agreement, product, kept: kept.id, cancelled: duplicate.id, write, result };
            report(Event::Duplicate(&found));
            duplicates.push(found);
        }
        // The create's outcome is the addition that stays, if it bills what the plan asked.
        if !extra.is_empty() && results[index].is_ok() {
            results[index] = if kept.quantity == f64::from(quantity) {
                Ok(Applied { addition: kept.id, fingerprint: kept.fingerprint.clone() })
            } else {
                Err(ActionError::Overtaken { kept: kept.id, quantity: kept.quantity })
            };
        }
    }
    (duplicates, None)
}
