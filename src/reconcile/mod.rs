//! The pure core: (desired, live, date) -> Plan. No I/O, no async, no clock: the same inputs
//! always give the same plan, which is what makes plans reviewable and apply idempotent.

mod desired;
mod diff;
mod exceptions;
mod findings;
mod index;
pub mod money;
mod plan;
mod renewals;

use chrono::NaiveDate;

pub use exceptions::AcceptedException;
pub use plan::{
    Action, ActionKind, FORMAT_VERSION, FieldChange, Finding, Plan, REFUSING_WARNINGS, UnmanagedAddition,
};

use crate::config::Workspace;
use crate::model::{DistributorSnapshot, PsaScope, PsaSnapshot};

/// What the PSA providers must read for this workspace: the companies, agreements and
/// products it names, and nothing else.
pub fn scope(ws: &Workspace) -> PsaScope {
    let mut scope = PsaScope::default();
    for client in ws.clients.iter().filter(|c| !c.ignore) {
        let Some(company) = &client.company else { continue };
        scope.companies.insert(company.clone());
        let names =
            client.agreement.iter().chain(client.products.values().filter_map(|p| p.agreement.as_ref()));
        for name in names {
            scope.agreements.insert((company.clone(), name.clone()));
        }
    }
    scope.products =
        ws.products.iter().filter(|m| !m.is_incomplete()).map(|m| m.psa.product.clone()).collect();
    scope
}

/// Plans the changes that make the PSA bill what Dicker Data holds, as the workspace says.
///
/// `today` is the effective date of every change and the day against which cancelled
/// additions are judged history.
pub fn plan(ws: &Workspace, distributor: &DistributorSnapshot, psa: &PsaSnapshot, today: NaiveDate) -> Plan {
    let index = index::PsaIndex::new(psa);
    let mut desired = desired::desired(ws, distributor, &index, today);
    let mut findings = std::mem::take(&mut desired.findings);
    let mut money = std::mem::take(&mut desired.money);
    let mut exceptions = exceptions::Exceptions::new(&ws.exceptions);
    let diff = diff::diff(&desired, &index, &mut exceptions, today, &mut findings, &mut money);
    exceptions.finish(&mut findings);

    let mut actions = diff.actions;
    actions.sort_by(|a, b| {
        (a.kind, &a.client, &a.agreement, &a.product).cmp(&(b.kind, &b.client, &b.agreement, &b.product))
    });
    let mut unmanaged = diff.unmanaged;
    unmanaged
        .sort_by(|a, b| (&a.agreement, &a.product, a.addition).cmp(&(&b.agreement, &b.product, b.addition)));
    for list in [&mut findings.errors, &mut findings.warnings] {
        list.sort_by(|a, b| (&a.client, &a.code, &a.message).cmp(&(&b.client, &b.code, &b.message)));
        list.dedup();
    }
    let mut accepted = diff.accepted;
    accepted
        .sort_by(|a, b| (&a.client, &a.agreement, &a.product).cmp(&(&b.client, &b.agreement, &b.product)));
    Plan {
        actions,
        errors: findings.errors,
        warnings: findings.warnings,
        unmanaged,
        managed: diff.managed,
        managed_quantity: diff.managed_quantity,
        money: money.finish(ws.settings.currency),
        accepted,
    }
}
