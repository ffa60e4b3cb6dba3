//! Onboarding proposals, pure like `reconcile`: live snapshots (and what a workspace already
//! says) in, proposals out, no I/O. A client is linked to a PSA company on its own only when
//! its name, normalised, equals exactly one active company's; everything else is a ranked
//! list of candidates with scores and reasons, for a person to pick in review. Products are
//! proposed per stock code from what linked clients already bill and from descriptions whose
//! term and billing agree.

mod agreements;
mod clients;
mod evidence;
pub mod normalise;
mod products;
pub mod score;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{DistributorSnapshot, PsaId, PsaSnapshot, StockCode};

pub use agreements::AgreementProposal;
pub use products::{Period, fits, periods};

/// Version of the `suggest --format json` document.
pub const FORMAT_VERSION: u32 = 1;

/// How many candidates a proposal lists.
pub const CANDIDATES: usize = 3;

/// What the workspace already settles, so proposals cover only what is missing.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Existing product mappings: stock code -> PSA product identifier.
    pub products: Vec<(StockCode, String)>,
    /// Clients already linked: Dicker Data id -> PSA company identifier.
    pub linked: BTreeMap<String, String>,
    /// Dicker Data ids the workspace already names (linked or ignored): no proposal.
    pub settled: BTreeSet<String>,
}

/// The run's inputs besides the snapshots.
#[derive(Debug, Clone)]
pub struct Options {
    /// The MSP's own company (Autotask id 0, the ConnectWise login company): never a candidate.
    pub own_companies: BTreeSet<PsaId>,
    /// Additions cancelled on or before this day are history and are not evidence.
    pub today: NaiveDate,
}

/// One ranked choice for a person to pick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// PSA company or product identifier (what YAML names).
    pub identifier: String,
    /// Company name or product description.
    pub name: String,
    /// 0..1, rounded to two places.
    pub score: f64,
    /// Why, e.g. "same after legal form", "bills 2 of 2 licences at the same quantities".
    pub reason: String,
}

/// A Dicker Data client's proposed PSA company.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientProposal {
    /// Dicker Data customer id.
    pub dicker_data: String,
    /// Dicker Data's name for it.
    pub name: String,
    /// The confident link, when there is one.
    pub link: Option<String>,
    /// Best candidates, best first (the link among them).
    pub candidates: Vec<Candidate>,
    /// The agreement to bill on, for a linked client.
    pub agreement: AgreementProposal,
}

/// A stock code's proposed PSA product.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductProposal {
    /// The stock code the licences carry.
    pub stock_code: StockCode,
    /// Dicker Data's description of it.
    pub description: String,
    /// The confident choice, when there is one.
    pub link: Option<String>,
    /// Best candidates, best first.
    pub candidates: Vec<Candidate>,
}

/// Everything proposed in one run, in a stable order (clients by Dicker Data id, products by
/// stock code).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proposals {
    /// Clients the workspace does not name yet.
    pub clients: Vec<ClientProposal>,
    /// Stock codes no mapping covers yet.
    pub products: Vec<ProductProposal>,
}

/// Proposes links for every client and stock code `known` does not settle.
pub fn propose(dd: &DistributorSnapshot, psa: &PsaSnapshot, known: &Known, options: &Options) -> Proposals {
    let book = clients::Book::new(psa, options);
    let mut clients = book.by_name(dd, known);
    let mut linked: BTreeMap<String, PsaId> = BTreeMap::new();
    for (id, identifier) in &known.linked {
        if let Some(c) = psa.companies.iter().find(|c| c.identifier.eq_ignore_ascii_case(identifier)) {
            linked.insert(id.clone(), c.id);
        }
    }
    for c in &clients {
        if let Some(company) = c.link.as_deref().and_then(|l| book.company_id(l)) {
            linked.insert(c.dicker_data.clone(), company);
        }
    }
    let held = evidence::Holdings::new(dd, psa, options.today);
    let products = products::propose(dd, psa, known, &linked, &held);
    let mapped: BTreeMap<StockCode, PsaId> = known
        .products
        .iter()
        .filter_map(|(code, product)| {
            psa.products
                .iter()
                .find(|p| p.identifier.eq_ignore_ascii_case(product))
                .map(|p| (code.clone(), p.id))
        })
        .chain(products.iter().filter_map(|p| {
            let product = psa.products.iter().find(|x| Some(&x.identifier) == p.link.as_ref())?;
            Some((p.stock_code.clone(), product.id))
        }))
        .collect();
    book.weigh_evidence(&mut clients, &held, &mapped);
    for c in &mut clients {
        c.agreement =
            agreements::propose(psa, c.link.as_deref().and_then(|l| book.company_id(l)), &held, &mapped);
    }
    Proposals { clients, products }
}

/// A score as shown: two decimal places.
fn shown(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}
