//! Product proposals: one PSA product per stock code the workspace does not map yet. First
//! what linked clients already bill beside that licence in the same quantity, then how close
//! the Dicker Data description is to the product's description and identifier. A product
//! whose words name another term or billing ("Annual", "Monthly", "1 YR", "Month") is never
//! offered: a P1Y-annual and a P1M licence are different products.

use std::collections::{BTreeMap, BTreeSet};

use super::evidence::Holdings;
use super::score::{NameIndex, WordCache};
use super::{CANDIDATES, Candidate, Known, ProductProposal, shown};
use crate::model::{
    Billing, DistributorSnapshot, LicenceStatus, Product, PsaId, PsaSnapshot, StockCode, Term,
};

/// A commitment or billing period a product's words name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Period {
    /// "Monthly", "Month", "Mth", "P1M", "MTM".
    Month,
    /// "Annual", "Yearly", "1 YR", "12 Months", "P1Y", "ANN".
    Year,
    /// "3 YR", "36 Months", "Triennial", "P3Y".
    ThreeYears,
}

/// The periods named in a product's identifier and description.
pub fn periods(text: &str) -> BTreeSet<Period> {
    let lower = text.to_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut out = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        match *w {
            "monthly" | "month" | "months" | "mth" | "mthly" | "p1m" | "mtm" | "m"
                if !(*w == "m" && i == 0) =>
            {
                let before = i.checked_sub(1).map(|j| words[j]).unwrap_or("");
                match before {
                    "12" => out.insert(Period::Year),
                    "36" => out.insert(Period::ThreeYears),
                    _ => out.insert(Period::Month),
                };
            }
            "year" | "years" | "yr" if i > 0 && words[i - 1] == "3" => {
                out.insert(Period::ThreeYears);
            }
            "annual" | "annually" | "yearly" | "year" | "yr" | "p1y" | "ann" | "1yr" => {
                out.insert(Period::Year);
            }
            "3yr" | "p3y" | "triennial" => {
                out.insert(Period::ThreeYears);
            }
            _ => {}
        }
    }
    out
}

/// Whether a product with these period words can bill a licence of this stock code. A
/// product that names no period fits any (its candidates say so).
pub fn fits(code: &StockCode, named: &BTreeSet<Period>) -> bool {
    use Period::*;
    if named.is_empty() {
        return true;
    }
    match (code.term, code.billing) {
        // Usage-based: no term words at all.
        (None, _) => false,
        (Some(Term::P1M), _) => !named.contains(&Year) && !named.contains(&ThreeYears),
        (Some(Term::P3Y), _) => named.contains(&ThreeYears),
        // Annual term billed monthly: "Annual" must be there; "Monthly" may be.
        (Some(Term::P1Y), Billing::Monthly) => named.contains(&Year) && !named.contains(&ThreeYears),
        // Annual term paid up front: no "Monthly".
        (Some(Term::P1Y), Billing::Annual) => {
            named.contains(&Year) && !named.contains(&Month) && !named.contains(&ThreeYears)
        }
        (Some(Term::P1Y), _) => named.contains(&Year) && !named.contains(&ThreeYears),
    }
}

/// Proposals for every stock code that active licences carry and no mapping covers.
pub fn propose(
    dd: &DistributorSnapshot,
    psa: &PsaSnapshot,
    known: &Known,
    linked: &BTreeMap<String, PsaId>,
    held: &Holdings,
) -> Vec<ProductProposal> {
    let mut codes: BTreeMap<StockCode, BTreeMap<String, usize>> = BTreeMap::new();
    for l in dd.licences.iter().filter(|l| l.status == LicenceStatus::Active) {
        if known.products.iter().any(|(mapped, _)| l.stock_code.matches(mapped)) {
            continue;
        }
        *codes.entry(l.stock_code.clone()).or_default().entry(l.description.clone()).or_default() += 1;
    }
    let mut products: Vec<&Product> = psa.products.iter().filter(|p| p.active).collect();
    products.sort_by_key(|p| p.id);
    let texts: Vec<String> = products.iter().map(|p| format!("{} {}", p.description, p.identifier)).collect();
    let index = NameIndex::new(texts.iter().map(|t| (t.as_str(), 1.0)));
    let named: Vec<BTreeSet<Period>> = texts.iter().map(|t| periods(t)).collect();
    let mut words = WordCache::default();
    codes
        .into_iter()
        .map(|(code, descriptions)| {
            // The description most licences carry; ties to the first in order.
            let description = descriptions
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(d, _)| d.clone())
                .unwrap_or_default();
            let votes = billed_beside(&code, linked, held);
            // Linked clients holding the code whose company bills anything: those can vote.
            let holders = linked
                .iter()
                .filter(|&(client, company)| {
                    held.licences.get(client).is_some_and(|h| h.contains_key(&code))
                        && held.billed.contains_key(company)
                })
                .count();
            let mut scored: BTreeMap<usize, (f64, String)> = BTreeMap::new();
            // Every similar item: term and billing filter them after ranking.
            for s in index.rank(&description, &mut words, usize::MAX) {
                if !fits(&code, &named[s.entry]) {
                    continue;
                }
                let reason = if named[s.entry].is_empty() {
                    format!("{} description; names no term", if s.exact { "same" } else { "similar" })
                } else {
                    format!(
                        "{} description, term and billing agree",
                        if s.exact { "same" } else { "similar" }
                    )
                };
                scored.insert(s.entry, (s.score, reason));
            }
            let names_code = |p: &Product| {
                let text = format!("{} {}", p.identifier, p.description).to_uppercase();
                text.contains(&code.product_id) && text.contains(&code.sku_id)
            };
            for (j, p) in products.iter().enumerate() {
                if names_code(p) && fits(&code, &named[j]) {
                    let e = scored.entry(j).or_insert((0.0, String::new()));
                    e.0 = e.0.max(0.95);
                    e.1 = "names the Microsoft product and SKU".into();
                }
                if let Some(n) = votes.get(&p.id).filter(|_| fits(&code, &named[j])) {
                    let e = scored.entry(j).or_insert((0.0, "different description".into()));
                    e.0 += (1.0 - e.0) * 0.8 * *n as f64 / holders.max(1) as f64;
                    e.1.push_str(&format!(
                        "; billed beside it at the same quantity for {n} of {holders} linked client{}",
                        if holders == 1 { "" } else { "s" }
                    ));
                }
            }
            let mut candidates: Vec<(f64, usize, String)> =
                scored.into_iter().map(|(j, (s, r))| (s, j, r)).collect();
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            // Confident: every linked holder bills it at the same quantity and nothing else
            // is billed so; or a unique exact description whose words name the same term.
            let unanimous = holders > 0 && votes.len() == 1 && votes.values().all(|n| *n == holders);
            let link = candidates.first().and_then(|(s, j, _)| {
                let by_votes = unanimous && votes.contains_key(&products[*j].id);
                let second = candidates.get(1).map(|c| c.0).unwrap_or(0.0);
                let by_text = *s >= 0.95 && second < 0.95 && !named[*j].is_empty();
                (by_votes || by_text).then(|| products[*j].identifier.clone())
            });
            ProductProposal {
                stock_code: code,
                description,
                link,
                candidates: candidates
                    .into_iter()
                    .take(CANDIDATES)
                    .map(|(s, j, reason)| Candidate {
                        identifier: products[j].identifier.clone(),
                        name: products[j].description.clone(),
                        score: shown(s),
                        reason,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Products that linked clients holding `code` are billed at the same quantity, with how
/// many clients each.
fn billed_beside(
    code: &StockCode,
    linked: &BTreeMap<String, PsaId>,
    held: &Holdings,
) -> BTreeMap<PsaId, usize> {
    let mut votes = BTreeMap::new();
    for (client, company) in linked {
        let Some(qty) = held.licences.get(client).and_then(|h| h.get(code)) else { continue };
        let billed = held.billed.get(company).map(Vec::as_slice).unwrap_or(&[]);
        let same: BTreeSet<PsaId> =
            billed.iter().filter(|(_, _, q)| *q == f64::from(*qty)).map(|(_, p, _)| *p).collect();
        for p in same {
            *votes.entry(p).or_default() += 1;
        }
    }
    votes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> StockCode {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn period_words_are_read_from_identifiers_and_descriptions() {
        use Period::*;
        assert_eq!(periods("M365 Business Premium (Annual/Monthly)"), [Month, Year].into());
        assert_eq!(periods("M365-BP-ANN-M"), [Month, Year].into());
        assert_eq!(periods("Exchange Online Plan 1 - 1 YR"), [Year].into());
        assert_eq!(periods("Teams Essentials month to month"), [Month].into());
        assert_eq!(periods("Defender 12 Months"), [Year].into());
        assert_eq!(periods("Windows 365 3 Year"), [ThreeYears].into());
        assert!(periods("Microsoft 365 E3").is_empty());
    }

    #[test]
    fn term_and_billing_must_agree() {
        let annual_up_front = code("P1Y:CFQ7TTC0LCHC:0002:Y:");
        let annual_monthly = code("P1Y:CFQ7TTC0LCHC:0002:1:");
        let monthly = code("P1M:CFQ7TTC0LCHC:0002:1:");
        let say = |t: &str| periods(t);
        assert!(fits(&annual_up_front, &say("M365 BP Annual")));
        assert!(!fits(&annual_up_front, &say("M365 BP Annual, billed Monthly")));
        assert!(!fits(&annual_up_front, &say("M365 BP Monthly")));
        assert!(fits(&annual_monthly, &say("M365 BP Annual, billed Monthly")));
        assert!(!fits(&annual_monthly, &say("M365 BP Monthly")));
        assert!(fits(&monthly, &say("M365 BP Monthly")));
        assert!(!fits(&monthly, &say("M365 BP 1 YR")));
        assert!(fits(&monthly, &say("M365 BP")), "no period words: fits, and the reason says so");
    }
}
