//! Properties of the reconcile core over random worlds.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use cspctl::config::{
    Client, ClientDefaults, ClientProduct, DickerDataItem, Exception, OnLicenceRemoved, PricePolicy,
    PriceUpdate, ProductMapping, PsaProductRef, SyncDescription, Workspace,
};
use cspctl::model::{
    Addition, Agreement, AgreementStatus, Company, Customer, DistributorSnapshot, Fingerprint, Licence,
    LicenceStatus, Product, PsaSnapshot,
};
use cspctl::reconcile::money::Totals;
use cspctl::reconcile::plan;
use cspctl::render::{RenderOptions, json, text};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rust_decimal::Decimal;

const CODES: [&str; 5] = [
    "P1Y:CFQ7TTC0LCHC:0002:1:",
    "P1Y:CFQ7TTC0LCHC:0002:Y:",
    "P1M:CFQ7TTC0LCHC:0002:1:",
    "P1Y:CFQ7TTC0LDPB:0001:1:",
    "P1M:CFQ7TTC0LH04:0001",
];

fn day(offset: i64) -> NaiveDate {
    super::today() + chrono::Duration::days(offset)
}

#[derive(Debug, Clone)]
struct World {
    ws: Workspace,
    dd: DistributorSnapshot,
    psa: PsaSnapshot,
}

fn mappings() -> impl Strategy<Value = Vec<ProductMapping>> {
    prop::collection::vec((0..3usize, prop::option::of(1..50u32), any::<bool>(), any::<bool>()), 4).prop_map(
        |v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (psa, price, sync, describe))| ProductMapping {
                    key: format!("m{i}"),
                    description: describe.then(|| format!("Mapping {i}")),
                    dicker_data: DickerDataItem { stock_code: CODES[i].parse().unwrap() },
                    microsoft: None,
                    psa: PsaProductRef { product: format!("P{psa}") },
                    price: Some(PricePolicy {
                        unit_price: price.map(f64::from),
                        update: if sync { PriceUpdate::Sync } else { PriceUpdate::Leave },
                    }),
                })
                .collect()
        },
    )
}

/// (presence, company, agreement, sync, removal policy, per-product rules) of one client.
type ClientEntry = (u8, usize, usize, u8, u8, Vec<(usize, Option<usize>, u32, u32)>);

fn client_entry() -> impl Strategy<Value = ClientEntry> {
    (
        0..3u8,
        0..4usize,
        0..3usize,
        0..3u8,
        0..3u8,
        prop::collection::vec((0..4usize, prop::option::of(0..3usize), 0..3u32, 0..4u32), 0..3),
    )
}

fn world() -> impl Strategy<Value = World> {
    (
        mappings(),
        prop::collection::vec(client_entry(), 5),
        prop::collection::vec(
            (
                0..6usize,
                0..6usize,
                0..20u32,
                prop::bool::weighted(0.8),
                prop::option::of(0..60_000u32),
                prop::option::of(-10i64..400),
            ),
            0..25,
        ),
        prop::collection::vec(prop::bool::weighted(0.85), 3),
        prop::collection::vec((0..4u8, -400i64..400, prop::option::of(-30i64..600)), 9),
        prop::collection::vec((any::<bool>(), any::<bool>(), prop::option::of(1..60u32)), 4),
        prop::collection::vec(
            (
                0..9usize,
                0..4usize,
                0..20u32,
                prop::option::of(-60i64..60),
                prop::option::of(0..2usize),
                prop::option::of(1..6000u32),
            ),
            0..20,
        ),
        prop::collection::vec((0..5usize, 0..4usize, 0..6u32, 0..6u32, prop::option::of(-3i64..3)), 0..3),
    )
        .prop_map(
            |(mappings, clients, licences, companies, agreements, products, additions, exceptions)| {
                let mut ws_clients = Vec::new();
                for (i, (presence, company, agreement, sync, removed, overrides)) in
                    clients.into_iter().enumerate()
                {
                    if presence == 0 {
                        continue;
                    }
                    let products: BTreeMap<String, ClientProduct> = overrides
                        .into_iter()
                        .map(|(m, agr, included, minimum)| {
                            let rule = ClientProduct {
                                agreement: agr.map(|a| format!("A{a}")),
                                included: (included > 0).then_some(included),
                                minimum: (minimum > 0).then_some(minimum),
                            };
                            (format!("m{m}"), rule)
                        })
                        .collect();
                    ws_clients.push(Client {
                        dicker_data: format!("C{i}"),
                        name: Some(format!("Client {i}")),
                        ignore: presence == 1,
                        company: Some(format!("K{company}")),
                        agreement: Some(format!("A{agreement}")),
                        products,
                        sync_description: Some(
                            [
                                SyncDescription::AlwaysOff,
                                SyncDescription::AlwaysOn,
                                SyncDescription::OnCreate,
                            ][sync as usize],
                        ),
                        on_licence_removed: Some(
                            [OnLicenceRemoved::Cancel, OnLicenceRemoved::SetZero, OnLicenceRemoved::Keep]
                                [removed as usize],
                        ),
                    });
                }
                let dd = DistributorSnapshot {
                    customers: (0..5)
                        .map(|i| Customer { id: format!("C{i}"), name: format!("Client {i}") })
                        .collect(),
                    licences: licences
                        .into_iter()
                        .enumerate()
                        .map(|(n, (c, code, quantity, active, cents, end))| Licence {
                            customer: format!("C{c}"),
                            subscription: format!("S{n}"),
                            stock_code: CODES
                                .get(code)
                                .unwrap_or(&"P1Y:CFQ7TTC0HD33:0001:1:")
                                .parse()
                                .unwrap(),
                            description: format!("Licence {code}"),
                            quantity,
                            status: if active { LicenceStatus::Active } else { LicenceStatus::Inactive },
                            unit_price: cents.map(|c| f64::from(c) / 100.0),
                            unit_rrp: None,
                            term_end: end.map(day),
                            next_billing: None,
                        })
                        .collect(),
                };
                let mut psa = PsaSnapshot::default();
                for (k, present) in companies.into_iter().enumerate() {
                    if present {
                        psa.companies.push(Company {
                            id: k as i64 + 1,
                            identifier: format!("K{k}"),
                            name: format!("Company {k}"),
                        });
                    }
                }
                for (n, (status, start, end)) in agreements.into_iter().enumerate() {
                    let status = match status {
                        0 => AgreementStatus::Cancelled,
                        1 => AgreementStatus::Expired,
                        _ => AgreementStatus::Active,
                    };
                    psa.agreements.push(Agreement {
                        id: 10 + n as i64,
                        name: format!("A{}", n % 3),
                        company: (n / 3) as i64 + 1,
                        status,
                        start_date: Some(day(start.min(0) - 1)),
                        end_date: end.map(|e| day(e.max(start.min(0)))),
                    });
                }
                for (p, (present, active, price)) in products.into_iter().enumerate() {
                    if present || p == 3 {
                        psa.products.push(Product {
                            id: 100 + p as i64,
                            identifier: if p == 3 { "LABOUR".into() } else { format!("P{p}") },
                            description: String::new(),
                            active: active || p == 3,
                            unit_price: price.map(f64::from),
                            unit_cost: None,
                        });
                    }
                }
                for (n, (agreement, product, quantity, cancelled, description, price)) in
                    additions.into_iter().enumerate()
                {
                    psa.additions.push(Addition {
                        id: 1000 + n as i64,
                        agreement: 10 + agreement as i64,
                        product: 100 + product as i64,
                        quantity: f64::from(quantity),
                        description: description.map(|d| format!("Mapping {d}")),
                        unit_price: price.map(|p| f64::from(p) / 100.0),
                        unit_cost: None,
                        effective_date: Some(day(-100)),
                        cancelled_date: cancelled.map(day),
                        adjusted_on: None,
                        fingerprint: Fingerprint(format!("v{n}")),
                    });
                }
                let mut ws =
                    super::synthetic::sandbox_workspace(mappings, ws_clients, ClientDefaults::default());
                let mut seen = std::collections::BTreeSet::new();
                ws.exceptions = exceptions
                    .into_iter()
                    .filter(|(c, m, ..)| seen.insert((*c, *m)))
                    .map(|(c, m, dicker_data, psa, expires)| Exception {
                        client: format!("C{c}"),
                        product: format!("m{m}"),
                        dicker_data,
                        psa,
                        reason: "accepted".into(),
                        expires: expires.map(day),
                    })
                    .collect();
                World { ws, dd, psa }
            },
        )
}

proptest! {
    // A fixed seed keeps CI repeatable; PROPTEST_CASES / PROPTEST_RNG_SEED explore further.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        rng_seed: std::env::var("PROPTEST_RNG_SEED").ok().and_then(|v| v.parse().ok()).map_or(RngSeed::Fixed(0x00C5_9C71), RngSeed::Fixed),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Applying a plan and planning again gives no changes: apply converges in one step.
    #[test]
    fn apply_then_plan_is_empty(world in world()) {
        let today = super::today();
        let first = plan(&world.ws, &world.dd, &world.psa, today);
        let mut psa = world.psa.clone();
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        for action in &first.actions {
            psa.apply(&action.write, now).expect("every planned write applies to the state it was planned from");
        }
        let second = plan(&world.ws, &world.dd, &psa, today);
        prop_assert!(second.actions.is_empty(), "second plan:\n{}", text(&second, RenderOptions::default()));
        prop_assert_eq!(&first.errors, &second.errors);
    }

    /// The same inputs in any order give byte-identical output.
    #[test]
    fn plan_output_is_deterministic(world in world(), seed in any::<u64>()) {
        let today = super::today();
        let first = plan(&world.ws, &world.dd, &world.psa, today);
        let mut shuffled = world.clone();
        let rotate = |n: usize| if n == 0 { 0 } else { (seed as usize) % n };
        let n = shuffled.dd.licences.len();
        shuffled.dd.licences.rotate_left(rotate(n));
        shuffled.dd.licences.reverse();
        let n = shuffled.psa.additions.len();
        shuffled.psa.additions.rotate_left(rotate(n));
        shuffled.dd.customers.reverse();
        shuffled.psa.agreements.reverse();
        shuffled.psa.companies.reverse();
        let second = plan(&shuffled.ws, &shuffled.dd, &shuffled.psa, today);
        let options = RenderOptions { color: false, verbose: true };
        prop_assert_eq!(json(&first), json(&second));
        prop_assert_eq!(text(&first, options), text(&second, options));
    }

    /// Every money total is the sum of the figures below it: lines make agreements and
    /// clients, clients make the plan's totals, actions make the summary's delta, and every
    /// margin is billed minus cost.
    #[test]
    fn money_totals_are_sums_of_their_lines(world in world()) {
        let p = plan(&world.ws, &world.dd, &world.psa, super::today());
        let m = &p.money;
        let sum = |lines: &mut dyn Iterator<Item = &cspctl::reconcile::money::BillingLine>| {
            let mut t = Totals::default();
            for l in lines {
                t.monthly_before += l.monthly_before;
                t.monthly_after += l.monthly_after;
                t.cost += l.cost;
                t.margin += l.margin;
                t.unpriced_seats += l.unpriced_seats;
            }
            t
        };
        for l in &m.lines {
            prop_assert_eq!(l.margin, l.monthly_after - l.cost);
            prop_assert_eq!(l.monthly_after.scale().max(2), 2, "lines are in cents: {}", l.monthly_after);
        }
        let mut clients = Totals::default();
        for c in &m.clients {
            let lines = sum(&mut m.lines.iter().filter(|l| *l.client == *c.client));
            prop_assert_eq!(
                (c.totals.monthly_before, c.totals.monthly_after, c.totals.cost, c.totals.margin, c.totals.unpriced_seats),
                (lines.monthly_before, lines.monthly_after, lines.cost, lines.margin, lines.unpriced_seats)
            );
            let agreements = c.agreements.iter().fold(Totals::default(), |mut t, a| {
                t.monthly_before += a.totals.monthly_before;
                t.monthly_after += a.totals.monthly_after;
                t.cost += a.totals.cost;
                t.margin += a.totals.margin;
                t
            });
            prop_assert_eq!((agreements.monthly_before, agreements.monthly_after), (lines.monthly_before, lines.monthly_after));
            clients.monthly_before += c.totals.monthly_before;
            clients.monthly_after += c.totals.monthly_after;
            clients.cost += c.totals.cost;
            clients.margin += c.totals.margin;
            clients.unbilled.licences += c.totals.unbilled.licences;
            clients.unbilled.cost += c.totals.unbilled.cost;
        }
        let all = sum(&mut m.lines.iter());
        prop_assert_eq!((m.totals.monthly_before, m.totals.monthly_after, m.totals.cost, m.totals.margin),
            (all.monthly_before, all.monthly_after, all.cost, all.margin));
        prop_assert_eq!((clients.monthly_before, clients.cost, clients.margin), (all.monthly_before, all.cost, all.margin));
        prop_assert_eq!((m.totals.unbilled.licences, m.totals.unbilled.cost), (clients.unbilled.licences, clients.unbilled.cost));
        prop_assert_eq!(m.totals.margin, m.totals.monthly_after - m.totals.cost);
        let actions: Decimal = p.actions.iter().map(|a| a.revenue.monthly_delta()).sum();
        prop_assert_eq!(actions, m.totals.monthly_delta(), "the summary's delta is the lines' delta");
    }
}
