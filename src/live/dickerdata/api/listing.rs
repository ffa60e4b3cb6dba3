//! **MODELLED** customer and subscription listing. Dicker Data has not published this
//! endpoint; cspctl models it on the Annuity Information export so both sources agree, and
//! reads paths and page size from `cspctl.yaml` so a confirmed contract can replace it:
//!
//! - `POST {customers_path}` and `POST {subscriptions_path}` (defaults
//!   `/api/Cloud/Customers`, `/api/Cloud/Subscriptions`), body
//!   `{"RequestHeader": {...}, "PageNumber": 1, "PageSize": 1000}`;
//! - answer `{"Status", "Message", "PageNumber", "PageSize", "TotalCount", "Items": [...]}`;
//! - customer items `{customerId, customerName, tenantId}`; subscription items
//!   `{customerId, customerName, tenantId, subscriptionId, stockCode, description, quantity,
//!   status, chargeType, termStart, termEnd, revaluationDate, unitPrice, unitRrp}`, where
//!   quantity and prices may be numbers or strings (`"275.00"`, `"$338.31"`) as in the export.
//!
//! Every list is read in full with the largest page size; the shared
//! [`rules`](crate::live::dickerdata::rules) then apply exactly as for the export.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{DickerDataApi, RequestHeader};
use crate::live::dickerdata::{rules, values};
use crate::live::{LiveError, RequestLabel};
use crate::model::{DistributorSnapshot, Licence, StockCode};

/// Largest page the modelled listing serves (and the default page size).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Safety stop for a listing that never ends.
const MAX_PAGES: u32 = 100_000;

/// Where the modelled listing lives and how it pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingSettings {
    /// Path of the customer listing (MODELLED), e.g. `/api/Cloud/Customers`.
    pub customers_path: String,
    /// Path of the subscription listing (MODELLED), e.g. `/api/Cloud/Subscriptions`.
    pub subscriptions_path: String,
    /// Items per page; the largest the API allows, so a plan makes as few requests as it can.
    pub page_size: u32,
}

impl Default for ListingSettings {
    fn default() -> Self {
        ListingSettings {
            customers_path: "/api/Cloud/Customers".into(),
            subscriptions_path: "/api/Cloud/Subscriptions".into(),
            page_size: MAX_PAGE_SIZE,
        }
    }
}

impl ListingSettings {
    pub(super) fn check(&self) -> Result<(), LiveError> {
        for (name, path) in
            [("customers_path", &self.customers_path), ("subscriptions_path", &self.subscriptions_path)]
        {
            if !path.starts_with('/') || path.contains(['?', '#']) {
                return Err(LiveError::Config(format!(
                    "dicker_data api {name} `{path}` should be a path starting with `/`, without a query"
                )));
            }
        }
        if self.page_size == 0 {
            return Err(LiveError::Config("dicker_data api page_size should be at least 1".into()));
        }
        Ok(())
    }
}

/// Request body of one page (MODELLED).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageRequest<H> {
    /// The documented request header.
    pub request_header: H,
    /// 1-based page number.
    pub page_number: u32,
    /// Items per page.
    pub page_size: u32,
}

/// One page of a listing (MODELLED).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Page<T> {
    /// Free-text status, e.g. `Success`.
    #[serde(default)]
    pub status: Option<String>,
    /// Error text, when any.
    #[serde(default)]
    pub message: Option<String>,
    /// Page served (1-based).
    #[serde(default)]
    pub page_number: Option<u32>,
    /// Page size applied (may be smaller than asked).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Items in the whole listing.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// This page's items.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// A number that may arrive as a JSON number or as text (`"275.00"`, `"$338.31"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Figure {
    /// A JSON number.
    Number(f64),
    /// Text in the export's spelling.
    Text(String),
}

/// A customer item (MODELLED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    /// Dicker Data's own customer number (not used as the key).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Customer (tenant) name.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Tenant id: the key cspctl uses, as in the export's TENANT ID.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// A subscription item (MODELLED), mirroring one line of the export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRecord {
    /// Dicker Data's customer number.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Customer (tenant) name.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Tenant id (the key).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Subscription id.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Stock code, as in the export.
    #[serde(default)]
    pub stock_code: Option<String>,
    /// Stock description.
    #[serde(default)]
    pub description: Option<String>,
    /// Seats.
    #[serde(default)]
    pub quantity: Option<Figure>,
    /// `Active`, `Suspended`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// `NCE`, `Azure`, ...
    #[serde(default)]
    pub charge_type: Option<String>,
    /// First start of the subscription.
    #[serde(default)]
    pub term_start: Option<String>,
    /// End of the first term.
    #[serde(default)]
    pub term_end: Option<String>,
    /// Current term end / next renewal.
    #[serde(default)]
    pub revaluation_date: Option<String>,
    /// Unit cost per term.
    #[serde(default)]
    pub unit_price: Option<Figure>,
    /// Unit recommended retail price per term.
    #[serde(default)]
    pub unit_rrp: Option<Figure>,
}

/// Reads both listings and applies the shared rules.
pub(super) async fn snapshot(api: &DickerDataApi) -> Result<DistributorSnapshot, LiveError> {
    let customers: Vec<CustomerRecord> = read_all(api, &api.listing.customers_path).await?;
    let subscriptions: Vec<SubscriptionRecord> = read_all(api, &api.listing.subscriptions_path).await?;
    let mut builder = rules::SnapshotBuilder::default();
    let customers_label = RequestLabel::new("POST", &api.listing.customers_path);
    for (i, c) in customers.iter().enumerate() {
        let tenant = text(&c.tenant_id)
            .ok_or_else(|| malformed(&customers_label, format!("item {} has no tenantId", i + 1)))?;
        builder.customer(&tenant, &text(&c.customer_name).unwrap_or_default());
    }
    let label = RequestLabel::new("POST", &api.listing.subscriptions_path);
    for record in &subscriptions {
        subscription(&mut builder, record).map_err(|detail| malformed(&label, detail))?;
    }
    Ok(builder.finish("dicker_data api"))
}

fn subscription(builder: &mut rules::SnapshotBuilder, r: &SubscriptionRecord) -> Result<(), String> {
    let id = text(&r.subscription_id);
    let which = || format!("subscription {}", id.as_deref().unwrap_or("(no subscriptionId)"));
    let tenant = text(&r.tenant_id).ok_or_else(|| format!("{} has no tenantId", which()))?;
    builder.customer(&tenant, &text(&r.customer_name).unwrap_or_default());
    if text(&r.charge_type).is_some_and(|c| rules::is_usage_charge_type(&c)) {
        builder.skip_usage();
        return Ok(());
    }
    let raw = text(&r.stock_code).ok_or_else(|| format!("{} has no stockCode", which()))?;
    let stock_code: StockCode = raw.parse().map_err(|e| format!("{}: {e}", which()))?;
    if rules::is_usage_stock_code(&stock_code) {
        builder.skip_usage();
        return Ok(());
    }
    let subscription = id.clone().ok_or_else(|| format!("{} has no subscriptionId", which()))?;
    let quantity = match &r.quantity {
        Some(Figure::Number(n)) => values::quantity_from_number(*n).map_err(|e| format!("quantity {n} {e}")),
        Some(Figure::Text(t)) => values::quantity(t),
        None => Err("no quantity".into()),
    }
    .map_err(|e| format!("{}: {e}", which()))?;
    let money = |f: &Option<Figure>, name: &str| match f {
        Some(Figure::Number(n)) => Ok(Some(*n)),
        Some(Figure::Text(t)) if !t.trim().is_empty() => {
            values::money(t).map(Some).map_err(|e| format!("{}: {name} {e}", which()))
        }
        _ => Ok(None),
    };
    for (date, name) in
        [(&r.term_start, "termStart"), (&r.term_end, "termEnd"), (&r.revaluation_date, "revaluationDate")]
    {
        if let Some(d) = text(date) {
            values::date(&d).map_err(|e| format!("{}: {name} {e}", which()))?;
        }
    }
    let status = text(&r.status).ok_or_else(|| format!("{} has no status", which()))?;
    builder.licence(Licence {
        customer: tenant,
        subscription,
        description: text(&r.description).unwrap_or_else(|| stock_code.to_string()),
        stock_code,
        quantity,
        status: rules::status(&status),
        unit_price: money(&r.unit_price, "unitPrice")?,
        unit_rrp: money(&r.unit_rrp, "unitRrp")?,
        term_end: text(&r.revaluation_date).and_then(|d| values::date(&d).ok()),
        next_billing: None,
    });
    Ok(())
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn malformed(label: &RequestLabel, detail: String) -> LiveError {
    LiveError::Malformed { request: label.clone(), detail }
}

/// Reads every page of one listing, in order, with the configured (largest) page size.
async fn read_all<T: DeserializeOwned>(api: &DickerDataApi, path: &str) -> Result<Vec<T>, LiveError> {
    let label = RequestLabel::new("POST", path);
    let url = api.conn.url(path);
    let mut items: Vec<T> = Vec::new();
    let mut page_number = 1;
    loop {
        let page: Page<T> = read_page(api, &label, &url, page_number).await?;
        let served = page.items.len();
        let size = page.page_size.filter(|s| *s > 0).unwrap_or(api.listing.page_size) as usize;
        items.extend(page.items);
        let done = match page.total_count {
            Some(total) if served == 0 && (items.len() as u64) < total => {
                // Never plan from part of a listing.
                return Err(malformed(
                    &label,
                    format!("page {page_number} was empty after {} of {total} items", items.len()),
                ));
            }
            Some(total) => items.len() as u64 >= total,
            None => served < size,
        };
        if done {
            return Ok(items);
        }
        page_number += 1;
        if page_number > MAX_PAGES {
            return Err(malformed(&label, format!("the listing did not end after {MAX_PAGES} pages")));
        }
    }
}

/// Times a page whose body does not parse is asked for again (a read is safe to repeat).
const PAGE_ATTEMPTS: u32 = 5;

/// One page; a body cut short in transit is read again, up to [`PAGE_ATTEMPTS`] times.
async fn read_page<T: DeserializeOwned>(
    api: &DickerDataApi,
    label: &RequestLabel,
    url: &str,
    page_number: u32,
) -> Result<Page<T>, LiveError> {
    let mut attempt = 1;
    loop {
        let reply = api
            .call(label, |header: &RequestHeader<'_>| {
                api.conn.http.post(url).json(&PageRequest {
                    request_header: header,
                    page_number,
                    page_size: api.listing.page_size,
                })
            })
            .await?;
        match reply.json(label) {
            Err(e) if attempt < PAGE_ATTEMPTS => {
                tracing::debug!(request = %label, page_number, error = %e, "unreadable page; reading it again");
                attempt += 1;
            }
            parsed => return parsed,
        }
    }
}
