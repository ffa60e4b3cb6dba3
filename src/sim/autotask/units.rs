//! Contract service units per period: the part of Autotask that cspctl's model does not hold.
//!
//! Each contract service has unit rows ordered by start date; an adjustment opens a row at its
//! effective date (and shifts every later row by the same change). The rows are seeded from the
//! shared sandbox state and written back to it after every adjustment, so `/_sandbox/state` and
//! the other dialects always see the current quantity.

use std::collections::HashMap;

use chrono::{NaiveDate, SecondsFormat, Utc};

use crate::model::{Addition, Agreement, Fingerprint, PsaId, PsaSnapshot};

/// One ContractServiceUnits row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    /// Row id (stable while the contract service is not reseeded).
    pub id: PsaId,
    /// First day of the period.
    pub start: NaiveDate,
    /// Units billed from `start` until the next row.
    pub units: i64,
    /// Whether an adjustment opened this row (two adjustments on one date are refused).
    pub adjusted: bool,
}

/// The rows of one contract service and the state values they were last synced with.
#[derive(Debug, Clone)]
struct ServiceUnits {
    rows: Vec<UnitRow>,
    seen: (f64, Option<NaiveDate>),
}

/// All unit rows of the dialect.
#[derive(Debug, Default)]
pub struct UnitBook {
    services: HashMap<PsaId, ServiceUnits>,
    next_row: PsaId,
    next_adjustment: PsaId,
    /// Moves whenever a row changes, so an index of the rows knows it is stale.
    version: u64,
    /// The state generation the book was last synced with.
    synced: Option<u64>,
}

/// Why an adjustment was refused, in Autotask's words.
#[derive(Debug, Clone, PartialEq)]
pub enum AdjustError {
    /// A second adjustment for the contract service on the same date.
    Duplicate,
    /// Units would drop below zero.
    Negative,
}

/// The first day of a contract service's billing, for seeding.
pub fn seed_start(addition: &Addition, contract: Option<&Agreement>, today: NaiveDate) -> NaiveDate {
    addition.effective_date.or(contract.and_then(|c| c.start_date)).unwrap_or(today)
}

impl UnitBook {
    /// Reseeds the rows of every contract service whose state quantity or cancelled date
    /// changed behind the dialect's back (another dialect, a new state).
    pub fn sync(&mut self, psa: &PsaSnapshot, today: NaiveDate) {
        let contracts: HashMap<PsaId, &Agreement> = psa.agreements.iter().map(|a| (a.id, a)).collect();
        for a in &psa.additions {
            let seen = (a.quantity, a.cancelled_date);
            if self.services.get(&a.id).is_some_and(|s| s.seen == seen) {
                continue;
            }
            let start = seed_start(a, contracts.get(&a.agreement).copied(), today);
            let mut rows = Vec::new();
            match a.cancelled_date {
                Some(c) if c <= start => rows.push(self.row(start, 0, false)),
                Some(c) => {
                    rows.push(self.row(start, a.quantity.round() as i64, false));
                    rows.push(self.row(c, 0, false));
                }
                None => rows.push(self.row(start, a.quantity.round() as i64, false)),
            }
            self.services.insert(a.id, ServiceUnits { rows, seen });
            self.version += 1;
        }
    }

    /// [`UnitBook::sync`], skipped when the state has not changed since the last sync at
    /// `generation` (a read then costs nothing per contract service).
    pub fn sync_at(&mut self, psa: &PsaSnapshot, today: NaiveDate, generation: u64) {
        if self.synced != Some(generation) {
            self.sync(psa, today);
            self.synced = Some(generation);
        }
    }

    /// Changes with every change of a row.
    pub fn version(&self) -> u64 {
        self.version
    }

    fn row(&mut self, start: NaiveDate, units: i64, adjusted: bool) -> UnitRow {
        self.next_row += 1;
        UnitRow { id: self.next_row, start, units, adjusted }
    }

    /// The rows of a contract service, oldest first.
    pub fn rows(&self, contract_service: PsaId) -> &[UnitRow] {
        self.services.get(&contract_service).map(|s| s.rows.as_slice()).unwrap_or(&[])
    }

    /// Applies one adjustment and returns its id.
    pub fn adjust(
        &mut self,
        contract_service: PsaId,
        date: NaiveDate,
        change: i64,
    ) -> Result<PsaId, AdjustError> {
        self.next_row += 1;
        let row_id = self.next_row;
        let entry = self
            .services
            .entry(contract_service)
            .or_insert_with(|| ServiceUnits { rows: Vec::new(), seen: (f64::NAN, None) });
        if entry.rows.iter().any(|r| r.start == date && r.adjusted) {
            return Err(AdjustError::Duplicate);
        }
        let before = units_at(&entry.rows, date).unwrap_or(0);
        if before + change < 0 || entry.rows.iter().any(|r| r.start > date && r.units + change < 0) {
            return Err(AdjustError::Negative);
        }
        for r in entry.rows.iter_mut().filter(|r| r.start > date) {
            r.units += change;
        }
        match entry.rows.iter_mut().find(|r| r.start == date) {
            Some(r) => {
                r.units += change;
                r.adjusted = true;
            }
            None => {
                let at = entry.rows.partition_point(|r| r.start < date);
                entry
                    .rows
                    .insert(at, UnitRow { id: row_id, start: date, units: before + change, adjusted: true });
            }
        }
        self.next_adjustment += 1;
        self.version += 1;
        Ok(self.next_adjustment)
    }

    /// Writes the current units of a contract service back to the shared state row.
    pub fn write_back(&mut self, addition: &mut Addition, today: NaiveDate) {
        let Some(entry) = self.services.get_mut(&addition.id) else { return };
        let current = entry.rows.iter().rposition(|r| r.start <= today);
        let (quantity, cancelled) = match current {
            None => (0.0, None),
            Some(i) if entry.rows[i].units == 0 => {
                let mut first = i;
                while first > 0 && entry.rows[first - 1].units == 0 {
                    first -= 1;
                }
                (0.0, Some(entry.rows[first].start))
            }
            Some(i) => {
                let later_zero = entry.rows[i + 1..].iter().find(|r| r.units == 0).map(|r| r.start);
                (entry.rows[i].units as f64, later_zero)
            }
        };
        addition.quantity = quantity;
        addition.cancelled_date = cancelled;
        entry.seen = (quantity, cancelled);
        addition.fingerprint = next_stamp(&addition.fingerprint);
    }
}

/// Units in force on `date`: the row with the latest start on or before it.
pub fn units_at(rows: &[UnitRow], date: NaiveDate) -> Option<i64> {
    rows.iter().rev().find(|r| r.start <= date).map(|r| r.units)
}

/// A last-updated stamp that always moves forward, as the sandbox provider's does.
pub(super) fn next_stamp(previous: &Fingerprint) -> Fingerprint {
    let now = Utc::now();
    let after = chrono::DateTime::parse_from_rfc3339(&previous.0)
        .map(|t| t.with_timezone(&Utc) + chrono::Duration::seconds(1))
        .unwrap_or(now);
    Fingerprint(after.max(now).to_rfc3339_opts(SecondsFormat::Secs, true))
}
