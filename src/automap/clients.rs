//! Client automap: each Dicker Data client against every PSA company but the MSP's own.
//! A confident link needs the whole name, normalised, to equal exactly one active company's;
//! two equal companies make it ambiguous (both listed, none linked); an inactive company is
//! only a candidate, ranked lower.

use std::collections::{BTreeMap, HashMap};

use super::evidence::Holdings;
use super::score::{NameIndex, SAME, WordCache};
use super::{AgreementProposal, CANDIDATES, Candidate, ClientProposal, Known, Options, shown};
use crate::model::{Company, DistributorSnapshot, PsaId, PsaSnapshot, StockCode};

/// Score factor of an inactive company (its index weight).
const INACTIVE: f64 = 0.85;

/// The companies a client may be linked to, indexed by name.
pub struct Book<'a> {
    companies: Vec<&'a Company>,
    inactive: Vec<bool>,
    index: NameIndex,
    by_identifier: HashMap<String, PsaId>,
}

impl<'a> Book<'a> {
    /// Every company except the MSP's own.
    pub fn new(psa: &'a PsaSnapshot, options: &Options) -> Self {
        let mut companies: Vec<&Company> =
            psa.companies.iter().filter(|c| !options.own_companies.contains(&c.id)).collect();
        companies.sort_by_key(|c| c.id);
        let inactive: Vec<bool> = companies.iter().map(|c| psa.inactive_companies.contains(&c.id)).collect();
        let index = NameIndex::new(
            companies
                .iter()
                .zip(&inactive)
                .map(|(c, &off)| (c.name.as_str(), if off { INACTIVE } else { 1.0 })),
        );
        let by_identifier = companies.iter().map(|c| (c.identifier.to_lowercase(), c.id)).collect();
        Book { companies, inactive, index, by_identifier }
    }

    /// The record id of a company identifier.
    pub fn company_id(&self, identifier: &str) -> Option<PsaId> {
        self.by_identifier.get(&identifier.to_lowercase()).copied()
    }

    /// Name-only proposals for every client the workspace does not settle, by Dicker Data id.
    pub fn by_name(&self, dd: &DistributorSnapshot, known: &Known) -> Vec<ClientProposal> {
        let mut words = WordCache::default();
        let mut customers: Vec<_> = dd.customers.iter().filter(|c| !known.settled.contains(&c.id)).collect();
        customers.sort_by(|a, b| a.id.cmp(&b.id));
        customers
            .into_iter()
            .map(|customer| {
                let ranked = self.index.rank(&customer.name, &mut words, CANDIDATES);
                let exact: Vec<usize> = ranked.iter().filter(|s| s.exact).map(|s| s.entry).collect();
                let link = match exact.as_slice() {
                    [only] if !self.inactive[*only] => Some(self.companies[*only].identifier.clone()),
                    _ => None,
                };
                let ambiguous = exact.len() > 1;
                let mut candidates: Vec<Candidate> = ranked
                    .iter()
                    .map(|s| {
                        let c = self.companies[s.entry];
                        let mut reason = s.reason.clone();
                        if ambiguous && s.exact {
                            reason.push_str(&format!("; {} companies read the same: ambiguous", exact.len()));
                        }
                        if self.inactive[s.entry] {
                            reason.push_str("; inactive company");
                        }
                        Candidate {
                            identifier: c.identifier.clone(),
                            name: c.name.clone(),
                            score: s.score,
                            reason,
                        }
                    })
                    .collect();
                sort(&mut candidates);
                // Every equally exact company is listed when the name is ambiguous.
                let keep = CANDIDATES.max(exact.len());
                candidates.truncate(keep);
                ClientProposal {
                    dicker_data: customer.id.clone(),
                    name: customer.name.clone(),
                    link,
                    candidates,
                    agreement: AgreementProposal::default(),
                }
            })
            .collect()
    }

    /// Raises candidates whose company already bills the client's licences as the same
    /// products in the same quantities, and says so; links are never changed by it.
    pub fn weigh_evidence(
        &self,
        clients: &mut [ClientProposal],
        held: &Holdings,
        mapped: &BTreeMap<StockCode, PsaId>,
    ) {
        for client in clients.iter_mut() {
            for c in &mut client.candidates {
                let Some(company) = self.company_id(&c.identifier) else { continue };
                let (same, total) = held.same_quantities(&client.dicker_data, company, mapped);
                if same > 0 {
                    c.score += (SAME - c.score) * 0.5 * same as f64 / total as f64;
                    c.reason.push_str(&format!(
                        "; bills {same} of {total} licence{} at the same quantities",
                        if total == 1 { "" } else { "s" }
                    ));
                }
            }
            sort(&mut client.candidates);
            for c in &mut client.candidates {
                c.score = shown(c.score);
            }
        }
    }
}

fn sort(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.identifier.cmp(&b.identifier)));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::automap::{Known, Options, propose};
    use crate::model::{Addition, Agreement, AgreementStatus, Customer, Licence, LicenceStatus, Product};

    fn day() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
    }

    fn company(id: PsaId, identifier: &str, name: &str) -> Company {
        Company { id, identifier: identifier.into(), name: name.into() }
    }

    fn world(names: &[(&str, &str)], companies: Vec<Company>) -> (DistributorSnapshot, PsaSnapshot) {
        let customers =
            names.iter().map(|(id, name)| Customer { id: (*id).into(), name: (*name).into() }).collect();
        (
            DistributorSnapshot { customers, licences: Vec::new() },
            PsaSnapshot { companies, ..PsaSnapshot::default() },
        )
    }

    fn options(own: &[PsaId]) -> Options {
        Options { own_companies: own.iter().copied().collect::<BTreeSet<_>>(), today: day() }
    }

    #[test]
    fn links_only_a_unique_exact_match_and_lists_both_when_two_read_the_same() {
        let (dd, psa) = world(
            &[("1", "CONTOSO PTY LTD"), ("2", "Fabrikam Limited"), ("3", "Northwnd Traders")],
            vec![
                company(10, "Contoso", "Contoso"),
                company(11, "ContosoGroup", "Contoso Group"),
                company(20, "Fabrikam", "Fabrikam Pty Ltd"),
                company(21, "FabrikamNZ", "Fabrikam Ltd"),
                company(30, "Northwind", "Northwind Traders"),
            ],
        );
        let p = propose(&dd, &psa, &Known::default(), &options(&[]));
        assert_eq!(p.clients[0].link.as_deref(), Some("Contoso"));
        assert_eq!(p.clients[0].candidates[0].reason, "same after legal form");
        assert_eq!(p.clients[1].link, None, "two companies read as Fabrikam");
        let two: Vec<&str> = p.clients[1].candidates.iter().take(2).map(|c| c.identifier.as_str()).collect();
        assert_eq!(two, ["Fabrikam", "FabrikamNZ"]);
        assert!(p.clients[1].candidates[0].reason.contains("ambiguous"));
        assert_eq!(p.clients[2].link, None, "a typo is never a link");
        assert_eq!(p.clients[2].candidates[0].identifier, "Northwind");
    }

    #[test]
    fn the_msps_own_company_is_never_a_candidate_and_inactive_ones_are_not_linked() {
        let (dd, mut psa) = world(
            &[("1", "Sandbox MSP"), ("2", "Old Co Pty Ltd")],
            vec![company(0, "0", "Sandbox MSP"), company(5, "OldCo", "Old Co")],
        );
        psa.inactive_companies.insert(5);
        let p = propose(&dd, &psa, &Known::default(), &options(&[0]));
        assert!(p.clients[0].candidates.is_empty(), "{:?}", p.clients[0]);
        assert_eq!(p.clients[1].link, None);
        assert_eq!(p.clients[1].candidates[0].score, 0.85);
        assert!(p.clients[1].candidates[0].reason.ends_with("inactive company"));
    }

    #[test]
    fn an_agreement_billing_the_same_quantities_raises_a_candidate() {
        let (mut dd, mut psa) = world(
            &[("1", "Smith Plumbing Sydney"), ("2", "Jones Legal")],
            vec![
                company(1, "SmithPlumb", "Smith Plumbing"),
                company(2, "SmithPlumbSup", "Smith Plumbing Supplies"),
            ],
        );
        let code: StockCode = "P1Y:CFQ7TTC0LCHC:0002:1:".parse().unwrap_or_else(|_| unreachable!());
        dd.licences.push(Licence {
            customer: "1".into(),
            subscription: "s1".into(),
            stock_code: code.clone(),
            description: "Microsoft 365 Business Premium".into(),
            quantity: 17,
            status: LicenceStatus::Active,
            unit_price: None,
            unit_rrp: None,
            term_end: None,
            next_billing: None,
        });
        psa.products.push(Product {
            id: 7,
            identifier: "M365-BP-ANN".into(),
            description: "Microsoft 365 Business Premium (annual, billed monthly)".into(),
            active: true,
            unit_price: None,
            unit_cost: None,
        });
        psa.agreements.push(Agreement {
            id: 40,
            name: "Managed Services".into(),
            company: 2,
            status: AgreementStatus::Active,
            start_date: None,
            end_date: None,
        });
        psa.additions.push(Addition {
            id: 1,
            agreement: 40,
            product: 7,
            quantity: 17.0,
            description: None,
            unit_price: None,
            unit_cost: None,
            effective_date: None,
            cancelled_date: None,
            fingerprint: Default::default(),
            adjusted_on: None,
        });
        let known = Known { products: vec![(code, "M365-BP-ANN".into())], ..Known::default() };
        let p = propose(&dd, &psa, &known, &options(&[]));
        let top = &p.clients[0].candidates[0];
        assert_eq!(top.identifier, "SmithPlumbSup");
        assert!(top.reason.ends_with("bills 1 of 1 licence at the same quantities"), "{top:?}");
        assert_eq!(p.clients[0].link, None, "evidence ranks, it never links");
    }
}
