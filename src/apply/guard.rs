//! The blast-radius guard: a plan that would cancel or cut much of what is billed is far more
//! likely to come from a bad input (an empty export, a wrong tenant) than from customers, so
//! apply refuses it unless the operator says `--allow-destructive`.

use crate::reconcile::{ActionKind, Plan};

/// Share of managed additions that may be cancelled in one apply.
const MAX_CANCEL_SHARE: f64 = 0.2;
/// Share of managed seats that may be removed in one apply.
const MAX_SEAT_CUT_SHARE: f64 = 0.2;
/// Below these counts a plan is never considered destructive (small tenants move a lot).
const MIN_CANCELS: usize = 3;
const MIN_SEATS: f64 = 10.0;

/// Why the plan is too destructive to apply without `--allow-destructive`, if it is.
pub fn destructive(plan: &Plan) -> Option<String> {
    let cancels = plan.count(ActionKind::Cancel);
    let seats_removed = plan.seats_removed();
    let managed = plan.managed.max(1) as f64;
    let seats = plan.managed_quantity.max(1.0);
    let mut reasons = Vec::new();
    if cancels >= MIN_CANCELS && cancels as f64 > managed * MAX_CANCEL_SHARE {
        reasons.push(format!("it cancels {cancels} of {} managed additions", plan.managed));
    }
    if seats_removed >= MIN_SEATS && seats_removed > seats * MAX_SEAT_CUT_SHARE {
        reasons.push(format!("it removes {seats_removed} of {} billed seats", plan.managed_quantity));
    }
    (!reasons.is_empty()).then(|| reasons.join(" and "))
}
