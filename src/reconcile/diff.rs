//! Step two of a plan: compare what each (agreement, product) should bill with the additions
//! cspctl owns there, and decide create / update / cancel.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::desired::{Desired, Owner, Target};
use super::exceptions::{AcceptedException, Exceptions};
use super::findings::Findings;
use super::index::PsaIndex;
use super::money::{self, MoneyBuilder};
use super::{Action, ActionKind, FieldChange, UnmanagedAddition};
use crate::config::{OnLicenceRemoved, PriceUpdate, SyncDescription};
use crate::model::{Addition, Product, PsaId, Write};

/// The result of the diff before sorting.
pub(super) struct Diff {
    pub actions: Vec<Action>,
    pub unmanaged: Vec<UnmanagedAddition>,
    pub managed: usize,
    pub managed_quantity: f64,
    pub accepted: Vec<AcceptedException>,
}

pub(super) fn diff(
    desired: &Desired,
    psa: &PsaIndex,
    exceptions: &mut Exceptions,
    today: NaiveDate,
    findings: &mut Findings,
    money: &mut MoneyBuilder,
) -> Diff {
    // Owned additions sorted by (agreement, product): one allocation, groups found by search.
    let mut owned: Vec<((PsaId, PsaId), &Addition)> = Vec::new();
    let mut unmanaged = Vec::new();
    for (agreement_id, owner) in &desired.agreements {
        for addition in psa.additions.get(agreement_id).into_iter().flatten() {
            if !addition.is_active_on(today) {
                continue;
            }
            if desired.mapped_products.contains_key(&addition.product) {
                owned.push(((*agreement_id, addition.product), addition));
            } else {
                unmanaged.push(UnmanagedAddition {
                    agreement: owner.agreement.name.clone(),
                    product: psa
                        .product_ids
                        .get(&addition.product)
                        .map_or_else(|| format!("#{}", addition.product), |p| p.identifier.clone()),
                    addition: addition.id,
                    quantity: addition.quantity,
                });
            }
        }
    }
    owned.sort_unstable_by_key(|(key, addition)| (*key, addition.id));
    let managed = owned.len();
    let managed_quantity = owned.iter().map(|(_, a)| a.quantity).sum();

    let mut keys: Vec<(PsaId, PsaId)> =
        desired.targets.keys().chain(owned.iter().map(|(k, _)| k)).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let mut actions = Vec::new();
    let mut accepted = Vec::new();
    let mut names = money::Names::default();
    money.reserve(keys.len());
    for key in keys {
        let start = owned.partition_point(|(k, _)| *k < key);
        let end = start + owned[start..].partition_point(|(k, _)| *k == key);
        let existing = &owned[start..end];
        let target = desired.targets.get(&key);
        let Some(agreement_owner) = desired.agreements.get(&key.0) else { continue };
        // Two clients may share an agreement: the client whose licences make the target decides
        // its policies, on create and on every later plan alike.
        let owner = target.map_or(agreement_owner, |t| &t.owner);
        let Some(product) = target.map(|t| t.product).or_else(|| psa.product_ids.get(&key.1).copied()) else {
            continue;
        };
        let mut action = match existing {
            [] => target.and_then(|t| create(t, today)),
            [(_, addition)] => change(target, owner, product, addition, today),
            many => {
                let ids: Vec<String> = many.iter().map(|(_, a)| a.id.to_string()).collect();
                findings.error(
                    "ambiguous_additions",
                    Some(&owner.client.dicker_data),
                    format!(
                        "agreement \"{}\" has {} active additions of `{}` (ids {}); cspctl touches none of them until one remains",
                        owner.agreement.name,
                        many.len(),
                        product.identifier,
                        ids.join(", ")
                    ),
                );
                None
            }
        };
        let mut held_back = "";
        if !exceptions.is_empty() {
            let psa_quantity = match existing {
                [] => Some(0.0),
                [(_, a)] => Some(a.quantity),
                _ => None,
            };
            let seats: Vec<(&str, u32)> = match target {
                Some(t) => t.mappings.iter().map(|(k, n)| (*k, *n)).collect(),
                None => desired.mapped_products.get(&key.1).into_iter().flatten().map(|k| (*k, 0)).collect(),
            };
            let client = owner.client.dicker_data.as_str();
            if let Some(e) = exceptions.judge(client, seats, psa_quantity, today, findings) {
                held_back = " (an accepted exception)";
                accepted.push(AcceptedException {
                    client: client.to_string(),
                    client_name: owner.client_name.to_string(),
                    agreement: owner.agreement.name.clone(),
                    product: product.identifier.clone(),
                    mapping: e.product.clone(),
                    dicker_data: e.dicker_data,
                    psa: e.psa,
                    reason: e.reason.clone(),
                    expires: e.expires,
                    withheld: action.take().map(|a| a.changes).unwrap_or_default(),
                });
            }
        }
        if action.is_some() && !in_window(owner, today) {
            action = None;
            findings.error(
                "outside_agreement_window",
                Some(&owner.client.dicker_data),
                format!(
                    "agreement \"{}\" runs {} to {}; a change effective {today} would be rejected, so `{}` is not planned (extend the agreement or fix its dates)",
                    owner.agreement.name,
                    owner.agreement.start_date.map_or("(open)".into(), |d| d.to_string()),
                    owner.agreement.end_date.map_or("(open)".into(), |d| d.to_string()),
                    product.identifier
                ),
            );
        }
        let cycle = desired.cycles.get(&key.1).copied().unwrap_or_default();
        let additions = existing.iter().map(|(_, a)| *a);
        let (line, revenue) = money::line(
            &mut names,
            owner,
            product,
            cycle,
            target,
            additions,
            action.as_ref().map(|a| &a.write),
        );
        let why = match target {
            Some(t) if held_back.is_empty() && t.quantity < t.holding.seats => rule_reason(owner, t),
            _ => held_back.to_string(),
        };
        if let Some(t) = target {
            money::findings(&line, t, existing.first().map(|(_, a)| *a), findings);
            super::renewals::below_commitment(&line, &t.holding, &why, findings);
        }
        if !line.is_empty() {
            money.line(line, owner.client_name);
        }
        let Some(action) = action else { continue };
        if let [(_, addition)] = existing {
            same_day(addition, &action.write, owner, product, today, findings);
        }
        let mappings: Vec<String> = match target {
            Some(t) => t.mappings.keys().map(|k| k.to_string()).collect(),
            None => {
                desired.mapped_products.get(&key.1).into_iter().flatten().map(|k| k.to_string()).collect()
            }
        };
        actions.push(Action {
            kind: action.kind,
            client: owner.client.dicker_data.clone(),
            client_name: owner.client_name.to_string(),
            company: owner.company.identifier.clone(),
            agreement: owner.agreement.name.clone(),
            product: product.identifier.clone(),
            mappings,
            addition: existing.first().map(|(_, a)| a.id),
            fingerprint: existing.first().map(|(_, a)| a.fingerprint.clone()),
            changes: action.changes,
            revenue,
            write: action.write,
        });
    }
    Diff { actions, unmanaged, managed, managed_quantity, accepted }
}

/// Why a target bills fewer seats than held: the client's `included` rule for its mappings.
fn rule_reason(owner: &Owner, target: &Target) -> String {
    let included: Vec<String> = target
        .mappings
        .keys()
        .filter_map(|k| {
            owner.client.products.get(*k).and_then(|p| p.included).map(|n| format!("included: {n} on `{k}`"))
        })
        .collect();
    if included.is_empty() { String::new() } else { format!(" ({})", included.join(", ")) }
}

struct Planned {
    kind: ActionKind,
    changes: Vec<FieldChange>,
    write: Write,
}

fn create(target: &Target, today: NaiveDate) -> Option<Planned> {
    if target.quantity == 0 {
        return None;
    }
    let description = match target.owner.sync {
        SyncDescription::AlwaysOff => None,
        SyncDescription::AlwaysOn | SyncDescription::OnCreate => target.description.clone(),
    };
    let unit_price = target.price.unit_price.or(target.product.unit_price);
    let mut changes = vec![field("quantity", None, Some(json!(target.quantity)))];
    if let Some(d) = &description {
        changes.push(field("description", None, Some(json!(d))));
    }
    if let Some(p) = unit_price {
        changes.push(field("unit_price", None, Some(json!(p))));
    }
    Some(Planned {
        kind: ActionKind::Create,
        changes,
        write: Write::Create {
            agreement: target.owner.agreement.id,
            product: target.product.id,
            quantity: target.quantity,
            description,
            unit_price,
            unit_cost: target.product.unit_cost,
            effective_date: today,
        },
    })
}

fn change(
    target: Option<&Target>,
    owner: &Owner,
    product: &Product,
    addition: &Addition,
    today: NaiveDate,
) -> Option<Planned> {
    let quantity = target.map_or(0, |t| t.quantity);
    if quantity == 0 {
        return match owner.on_removed {
            OnLicenceRemoved::Keep => None,
            OnLicenceRemoved::SetZero => update(addition, today, Some(0), None, None),
            OnLicenceRemoved::Cancel => Some(Planned {
                kind: ActionKind::Cancel,
                changes: vec![field("cancelled_date", None, Some(json!(today)))],
                write: Write::Cancel {
                    addition: addition.id,
                    agreement: addition.agreement,
                    product: addition.product,
                    expected: addition.fingerprint.clone(),
                    from_quantity: addition.quantity,
                    cancelled_date: today,
                },
            }),
        };
    }
    let target = target?;
    let new_quantity = (!same(addition.quantity, f64::from(quantity))).then_some(quantity);
    let new_description = match owner.sync {
        SyncDescription::AlwaysOn => {
            target.description.clone().filter(|d| addition.description.as_deref() != Some(d.as_str()))
        }
        SyncDescription::AlwaysOff | SyncDescription::OnCreate => None,
    };
    let new_price = match target.price.update {
        PriceUpdate::Leave => None,
        PriceUpdate::Sync => target
            .price
            .unit_price
            .or(product.unit_price)
            .filter(|p| !addition.unit_price.is_some_and(|q| same(*p, q))),
    };
    update(addition, today, new_quantity, new_description, new_price)
}

fn update(
    addition: &Addition,
    today: NaiveDate,
    quantity: Option<u32>,
    description: Option<String>,
    unit_price: Option<f64>,
) -> Option<Planned> {
    let quantity = quantity.filter(|q| !same(addition.quantity, f64::from(*q)));
    if quantity.is_none() && description.is_none() && unit_price.is_none() {
        return None;
    }
    let mut changes = Vec::new();
    if let Some(q) = quantity {
        changes.push(field("quantity", Some(number(addition.quantity)), Some(json!(q))));
    }
    if let Some(d) = &description {
        changes.push(field("description", addition.description.as_ref().map(|d| json!(d)), Some(json!(d))));
    }
    if let Some(p) = unit_price {
        changes.push(field("unit_price", addition.unit_price.map(|p| json!(p)), Some(json!(p))));
    }
    Some(Planned {
        kind: ActionKind::Update,
        changes,
        write: Write::Update {
            addition: addition.id,
            agreement: addition.agreement,
            product: addition.product,
            expected: addition.fingerprint.clone(),
            from_quantity: addition.quantity,
            quantity,
            description,
            unit_price,
            effective_date: today,
        },
    })
}

/// A quantity change on a service whose units were already changed effective today (only
/// Autotask reports this): it takes one adjustment per contract service per day and refuses a
/// second, so the plan says so for this action rather than leaving apply to meet the refusal.
fn same_day(
    addition: &Addition,
    write: &Write,
    owner: &Owner,
    product: &Product,
    today: NaiveDate,
    findings: &mut Findings,
) {
    let to = match write {
        Write::Update { quantity: Some(q), .. } => *q,
        Write::Cancel { .. } => 0,
        _ => return,
    };
    if addition.adjusted_on != Some(today) {
        return;
    }
    findings.warn(
        "same_day_adjustment",
        Some(&owner.client.dicker_data),
        format!(
            "contract service {} (`{}` on agreement \"{}\") already has a units change dated {today}, and Autotask takes one adjustment per contract service per day: apply would be refused for this change of {} to {to}. Plan again on a later date (the change then takes effect that day), or change the units by hand in Autotask",
            addition.id,
            product.identifier,
            owner.agreement.name,
            number(addition.quantity)
        ),
    );
}

fn in_window(owner: &Owner, today: NaiveDate) -> bool {
    owner.agreement.start_date.is_none_or(|d| d <= today)
        && owner.agreement.end_date.is_none_or(|d| d >= today)
}

fn field(name: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
    FieldChange { field: name.to_string(), before, after }
}

/// A quantity as JSON: whole numbers without a fraction.
fn number(q: f64) -> Value {
    if q.fract() == 0.0 && q.abs() < 1e15 { json!(q as i64) } else { json!(q) }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
