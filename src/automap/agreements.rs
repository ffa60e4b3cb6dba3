//! The agreement (ConnectWise) / recurring-service contract (Autotask) a linked client bills
//! on: the company's active agreement that already holds additions of mapped products; else
//! its only active agreement; else the active ones as candidates, none chosen.

use std::collections::{BTreeMap, BTreeSet};

use super::evidence::Holdings;
use crate::model::{AgreementStatus, PsaId, PsaSnapshot, StockCode};

/// The proposed agreement of one client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgreementProposal {
    /// The agreement name to write, when one is clear.
    pub link: Option<String>,
    /// The company's active agreements to pick from when none is clear.
    pub candidates: Vec<String>,
    /// Why the link was chosen ("holds 2 mapped products", "the only active agreement").
    pub reason: String,
}

/// The agreement proposal for a client linked to `company` (none when it is not linked).
pub fn propose(
    psa: &PsaSnapshot,
    company: Option<PsaId>,
    held: &Holdings,
    mapped: &BTreeMap<StockCode, PsaId>,
) -> AgreementProposal {
    let Some(company) = company else { return AgreementProposal::default() };
    let mut active: Vec<_> = psa
        .agreements
        .iter()
        .filter(|a| a.company == company && a.status == AgreementStatus::Active)
        .collect();
    active.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let products: BTreeSet<PsaId> = mapped.values().copied().collect();
    let billed = held.billed.get(&company).map(Vec::as_slice).unwrap_or(&[]);
    let holding: Vec<_> = active
        .iter()
        .filter(|a| {
            billed.iter().any(|(agreement, product, _)| *agreement == a.id && products.contains(product))
        })
        .collect();
    let names = || active.iter().map(|a| a.name.clone()).collect();
    match (holding.as_slice(), active.as_slice()) {
        ([one], _) => AgreementProposal {
            link: Some(one.name.clone()),
            candidates: Vec::new(),
            reason: "already holds additions of mapped products".into(),
        },
        ([], [only]) => AgreementProposal {
            link: Some(only.name.clone()),
            candidates: Vec::new(),
            reason: "the company's only active agreement".into(),
        },
        _ => AgreementProposal { link: None, candidates: names(), reason: String::new() },
    }
}
