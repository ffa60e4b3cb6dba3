//! Unit cost and RRP through Dicker Data's documented pricing call,
//! `GET /api/PricingRequest` with the request header as dotted query names
//! (`pricingRequest.messageID`, `.token`, `.accessKey`) and one `pricingRequest.products`
//! per code. Prices arrive as strings. Used for price sync; a plan does not call it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DickerDataApi, RequestHeader};
use crate::live::dickerdata::values;
use crate::live::{LiveError, RequestLabel};
use crate::model::StockCode;

/// Path of the documented pricing call.
pub const PRICING_PATH: &str = "/api/PricingRequest";

/// Codes asked for per request (query strings stay well under common URL limits).
const CODES_PER_REQUEST: usize = 50;

/// Dicker Data's price for one stock code.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPrice {
    /// Description Dicker Data gives the code.
    pub description: Option<String>,
    /// Partner cost per unit (`UnitPrice`).
    pub unit_cost: Option<f64>,
    /// Recommended retail price per unit, excluding tax (`RRPExTax`).
    pub unit_rrp: Option<f64>,
}

/// The pricing answer, as documented.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PricingAnswer {
    /// Free-text status.
    #[serde(default)]
    pub status: Option<String>,
    /// Error text, when any.
    #[serde(default)]
    pub error_description: Option<String>,
    /// One item per code found.
    #[serde(default)]
    pub search_result: Vec<PricingItem>,
}

/// One priced code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PricingItem {
    /// The code asked for.
    #[serde(rename = "PartNumber")]
    pub part_number: String,
    /// Description.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// Partner cost, as a string.
    #[serde(rename = "UnitPrice", default)]
    pub unit_price: Option<String>,
    /// RRP excluding tax, as a string.
    #[serde(rename = "RRPExTax", default)]
    pub rrp_ex_tax: Option<String>,
}

impl DickerDataApi {
    /// Unit cost and RRP of each code Dicker Data prices; codes it does not know are absent
    /// from the answer. Asks in batches, one request per 50 codes.
    pub async fn unit_prices(
        &self,
        codes: &[StockCode],
    ) -> Result<BTreeMap<StockCode, UnitPrice>, LiveError> {
        let label = RequestLabel::new("GET", PRICING_PATH);
        let url = self.conn.url(PRICING_PATH);
        let mut unique: Vec<String> = codes.iter().map(StockCode::to_string).collect();
        unique.sort();
        unique.dedup();
        let mut prices = BTreeMap::new();
        for batch in unique.chunks(CODES_PER_REQUEST) {
            let reply = self
                .call(&label, |h: &RequestHeader<'_>| {
                    let mut query: Vec<(&str, &str)> = vec![
                        ("pricingRequest.messageID", h.transaction_id),
                        ("pricingRequest.token", h.token),
                        ("pricingRequest.accessKey", h.access_key),
                    ];
                    query.extend(batch.iter().map(|c| ("pricingRequest.products", c.as_str())));
                    self.conn.http.get(&url).query(&query)
                })
                .await?;
            let answer: PricingAnswer = reply.json(&label)?;
            for item in answer.search_result {
                let Ok(code) = item.part_number.parse::<StockCode>() else {
                    tracing::debug!(part = %item.part_number, "priced part is not a stock code; ignored");
                    continue;
                };
                let money = |v: &Option<String>, name: &str| -> Result<Option<f64>, LiveError> {
                    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                        Some(t) => values::money(t).map(Some).map_err(|e| LiveError::Malformed {
                            request: label.clone(),
                            detail: format!("{} {name}: {e}", item.part_number),
                        }),
                        None => Ok(None),
                    }
                };
                let price = UnitPrice {
                    description: item.description.clone(),
                    unit_cost: money(&item.unit_price, "UnitPrice")?,
                    unit_rrp: money(&item.rrp_ex_tax, "RRPExTax")?,
                };
                prices.insert(code, price);
            }
        }
        Ok(prices)
    }
}
