//! The plan's read: whole lists filtered with `conditions` (companies and catalog items by
//! identifier, agreements by company), then the additions of the agreements the workspace
//! names, one paged read each, as many at a time as the adaptive limit allows, and finally the catalog items those
//! additions bill that the workspace does not map (one filtered read, only when there are any).
//! A whole read (onboarding) reads the three lists unfiltered instead: one paged read each.

use std::collections::{BTreeSet, HashMap, HashSet};

use futures::{StreamExt, TryStreamExt, stream};
use serde::de::DeserializeOwned;

use super::conditions::{MAX_ENCODED_CONDITIONS, in_chunks, text};
use super::pages::Pager;
use super::wire::{CwAddition, CwAgreement, CwCatalogItem, CwCompany};
use super::{ConnectWise, PAGE_SIZE};
use crate::live::{LiveError, RequestLabel};
use crate::model::{Addition, Agreement, NameKey, PsaId, PsaScope, PsaSnapshot};

/// Reads everything `scope` names.
pub(super) async fn read(cw: &ConnectWise, scope: &PsaScope) -> Result<PsaSnapshot, LiveError> {
    let company_names: Vec<String> = scope.companies.iter().map(|c| text(c)).collect();
    let product_names: Vec<String> = scope.products.iter().map(|p| text(p)).collect();
    let (companies, products) = if scope.whole {
        tokio::try_join!(
            cw.list::<CwCompany>("/company/companies", None),
            cw.list::<CwCatalogItem>("/procurement/catalog", None),
        )?
    } else {
        tokio::try_join!(
            cw.bulk::<CwCompany>("/company/companies", "identifier", &company_names),
            cw.bulk::<CwCatalogItem>("/procurement/catalog", "identifier", &product_names),
        )?
    };
    let inactive_companies = companies.iter().filter(|c| c.inactive()).map(CwCompany::id).collect();
    let wanted_companies: HashSet<NameKey> = scope.companies.iter().map(|c| NameKey::new(c)).collect();
    let wanted_products: HashSet<NameKey> = scope.products.iter().map(|p| NameKey::new(p)).collect();
    let mut companies: Vec<_> = companies
        .into_iter()
        .map(CwCompany::into_model)
        .filter(|c| scope.whole || wanted_companies.contains(&NameKey::new(&c.identifier)))
        .collect();
    companies.sort_by_key(|c| c.id);
    companies.dedup_by_key(|c| c.id);
    let mut products: Vec<_> = products
        .into_iter()
        .map(CwCatalogItem::into_model)
        .filter(|p| scope.whole || wanted_products.contains(&NameKey::new(&p.identifier)))
        .collect();
    products.sort_by_key(|p| p.id);
    products.dedup_by_key(|p| p.id);

    let company_ids: BTreeSet<PsaId> = companies.iter().map(|c| c.id).collect();
    let id_literals: Vec<String> = company_ids.iter().map(ToString::to_string).collect();
    let label = RequestLabel::new("GET", "/finance/agreements");
    let agreement_rows = if scope.whole {
        cw.list::<CwAgreement>("/finance/agreements", None).await?
    } else {
        cw.bulk::<CwAgreement>("/finance/agreements", "company/id", &id_literals).await?
    };
    let mut agreements = agreement_rows
        .into_iter()
        .map(|a| {
            a.into_model(&cw.calendar)
                .map_err(|detail| LiveError::Malformed { request: label.clone(), detail })
        })
        .collect::<Result<Vec<Agreement>, _>>()?;
    agreements.retain(|a| company_ids.contains(&a.company));
    agreements.sort_by_key(|a| a.id);
    agreements.dedup_by_key(|a| a.id);

    // Indexed once: (company, agreement name) pairs find their agreements without a scan.
    let mut owners: HashMap<NameKey, Vec<PsaId>> = HashMap::new();
    for c in &companies {
        owners.entry(NameKey::new(&c.identifier)).or_default().push(c.id);
    }
    let mut by_owner: HashMap<(PsaId, NameKey), Vec<PsaId>> = HashMap::new();
    for a in &agreements {
        by_owner.entry((a.company, NameKey::new(&a.name))).or_default().push(a.id);
    }
    let named: BTreeSet<PsaId> = scope
        .agreements
        .iter()
        .flat_map(|(company, name)| {
            let name = NameKey::new(name);
            let owners = owners.get(&NameKey::new(company)).map(Vec::as_slice).unwrap_or_default();
            owners
                .iter()
                .flat_map(|owner| by_owner.get(&(*owner, name.clone())).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
        })
        .collect();
    // Every read is queued at once; the adaptive limit decides how many are in flight.
    let mut additions: Vec<Addition> = stream::iter(named)
        .map(|id| cw.additions_of(id))
        .buffer_unordered(cw.reads.max())
        .try_concat()
        .await?;
    additions.sort_by_key(|a| a.id);

    // Products billed on those agreements that the workspace does not map (labour, hardware):
    // read by id so the plan can name the additions it leaves alone.
    let known: BTreeSet<PsaId> = products.iter().map(|p| p.id).collect();
    let others: BTreeSet<PsaId> =
        additions.iter().map(|a| a.product).filter(|p| !known.contains(p)).collect();
    if !others.is_empty() {
        let ids: Vec<String> = others.iter().map(ToString::to_string).collect();
        let extra = cw.bulk::<CwCatalogItem>("/procurement/catalog", "id", &ids).await?;
        products.extend(extra.into_iter().map(CwCatalogItem::into_model).filter(|p| others.contains(&p.id)));
        products.sort_by_key(|p| p.id);
        products.dedup_by_key(|p| p.id);
    }
    Ok(PsaSnapshot { companies, agreements, products, additions, inactive_companies })
}

#[derive(serde::Deserialize)]
struct Count {
    count: usize,
}

impl ConnectWise {
    /// Rows of `path` whose `field` is one of `literals`: one filtered read when the list of
    /// literals fits in one URL; otherwise whichever needs fewer requests of reading the whole
    /// list (its first page's `Link rel="last"`, or `/count` when paging forward-only, tells
    /// how many pages) or one filtered read per chunk.
    async fn bulk<T: DeserializeOwned + Send>(
        &self,
        path: &str,
        field: &str,
        literals: &[String],
    ) -> Result<Vec<T>, LiveError> {
        if literals.is_empty() {
            return Ok(Vec::new());
        }
        let chunks = in_chunks(field, literals, MAX_ENCODED_CONDITIONS);
        if let [only] = chunks.as_slice() {
            return self.list(path, Some(only)).await;
        }
        if !self.forward_only {
            // The whole list's first page says (`rel="last"`) how many pages it has.
            let mut whole = Pager::new(self, path, None).await?;
            let first = whole.next_page().await?.unwrap_or_default();
            if whole.last_page.is_none_or(|pages| pages <= chunks.len()) {
                return whole.finish(first).await;
            }
        } else {
            let count_path = format!("{path}/count");
            let count: Count = self.read_json(&count_path).await?;
            if count.count.div_ceil(PAGE_SIZE).max(1) <= chunks.len() {
                return self.list(path, None).await;
            }
        }
        stream::iter(chunks)
            .map(|c| async move { self.list(path, Some(&c)).await })
            .buffer_unordered(self.reads.max())
            .try_concat()
            .await
    }

    /// Every addition of one agreement, cancelled history included (the plan decides).
    pub(super) async fn additions_of(&self, agreement: PsaId) -> Result<Vec<Addition>, LiveError> {
        let path = format!("/finance/agreements/{agreement}/additions");
        let label = RequestLabel::new("GET", &path);
        self.list::<CwAddition>(&path, None)
            .await?
            .into_iter()
            .map(|a| {
                a.into_model(agreement, &self.calendar)
                    .map_err(|detail| LiveError::Malformed { request: label.clone(), detail })
            })
            .collect()
    }
}
