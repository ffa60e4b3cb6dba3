//! Accepted exceptions: a difference between Dicker Data and the PSA that the MSP has looked at
//! and accepts, pinned to both quantities. While both still match (and it has not expired) the
//! pair is left as it is and listed as accepted; when either moves or it expires, the plan acts
//! again and a warning says why. Never silent, in either direction.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::FieldChange;
use super::findings::Findings;
use crate::config::Exception;

/// An exception that held in this plan: what it accepts and what the plan held back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedException {
    /// Dicker Data client id.
    pub client: String,
    /// Client display name.
    pub client_name: String,
    /// Agreement / contract name.
    pub agreement: String,
    /// PSA product identifier.
    pub product: String,
    /// Product mapping key the exception names.
    pub mapping: String,
    /// Dicker Data seats accepted (and held today).
    pub dicker_data: u32,
    /// PSA quantity accepted (and billed today).
    pub psa: u32,
    /// Why the difference is accepted.
    pub reason: String,
    /// Last day it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    /// The changes the plan would make without it.
    pub withheld: Vec<FieldChange>,
}

/// The workspace's exceptions, looked up by (client, mapping key), each used at most once.
pub(super) struct Exceptions<'a> {
    list: &'a [Exception],
    by_pair: HashMap<(&'a str, &'a str), usize>,
    used: Vec<bool>,
}

impl<'a> Exceptions<'a> {
    pub fn new(list: &'a [Exception]) -> Self {
        let by_pair =
            list.iter().enumerate().map(|(i, e)| ((e.client.as_str(), e.product.as_str()), i)).collect();
        Exceptions { list, by_pair, used: vec![false; list.len()] }
    }

    /// Whether the workspace has none (the plan then skips every lookup).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The exception that holds for one pair, if any. `seats` are the client's Dicker Data
    /// seats per mapping key feeding the pair; `psa` the quantity billed now (`None` when it
    /// cannot be told: several additions). Exceptions that no longer hold are reported.
    pub fn judge<'k>(
        &mut self,
        client: &str,
        seats: impl IntoIterator<Item = (&'k str, u32)>,
        psa: Option<f64>,
        today: NaiveDate,
        findings: &mut Findings,
    ) -> Option<&'a Exception> {
        for (key, held) in seats {
            let Some(&i) = self.by_pair.get(&(client, key)) else { continue };
            self.used[i] = true;
            let e = &self.list[i];
            let Some(psa) = psa else { continue };
            let which = format!("exception for client {client} / `{key}`");
            if let Some(expires) = e.expires.filter(|d| *d < today) {
                findings.warn(
                    "exception_expired",
                    Some(client),
                    format!(
                        "{which} expired on {expires} (it accepted {} seat(s) held, {} billed: {}); the plan acts on this pair again",
                        e.dicker_data, e.psa, e.reason
                    ),
                );
                continue;
            }
            let psa_matches = (psa - f64::from(e.psa)).abs() < 1e-9;
            if held != e.dicker_data || !psa_matches {
                findings.warn(
                    "exception_invalidated",
                    Some(client),
                    format!(
                        "{which} no longer holds: Dicker Data has {held} seat(s) (accepted {}), the PSA bills {} (accepted {}); the plan acts on this pair again (update or remove the exception)",
                        e.dicker_data,
                        quantity(psa),
                        e.psa
                    ),
                );
                continue;
            }
            return Some(e);
        }
        None
    }

    /// Reports the exceptions that matched no pair of the plan.
    pub fn finish(self, findings: &mut Findings) {
        for (e, used) in self.list.iter().zip(self.used) {
            if !used {
                findings.warn(
                    "exception_unmatched",
                    Some(&e.client),
                    format!(
                        "exception for client {} / `{}` matches nothing this plan bills (no seats held, no addition, or the client is not planned); remove it",
                        e.client, e.product
                    ),
                );
            }
        }
    }
}

fn quantity(q: f64) -> String {
    if q.fract() == 0.0 { format!("{q:.0}") } else { q.to_string() }
}
