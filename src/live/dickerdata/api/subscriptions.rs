//! The partner's tenants and their subscriptions, in two calls whatever the size of the
//! book: `POST Subscriptions/GetTenant` and `POST Subscriptions/GetSubscriptionDetails`, both
//! with `{"In": {"SubscriptionType": "CSP"}}` and no tenant (the public client reads every
//! subscription this way), sent at once. Neither call is known to page: the one `Out` list is
//! the whole answer, and an answer that hints at more (a next-page token, a total larger than
//! the list, a full page) is refused rather than planned from.
//!
//! Rows are read loosely: every field is optional, ids and quantities may be numbers or text,
//! and dates may be `30-AUG-2025`, ISO dates or date-times, `dd/mm/yyyy` or .NET's
//! `/Date(ms)/`. The shared [`rules`] then apply as for the export.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::DickerDataApi;
use crate::live::dickerdata::{rules, values};
use crate::live::http::Reply;
use crate::live::{LiveError, RequestLabel};
use crate::model::{DistributorSnapshot, Licence, StockCode};

/// Path of the tenant list, relative to the API base.
pub const GET_TENANT_PATH: &str = "Subscriptions/GetTenant";

/// Path of the subscription list, relative to the API base.
pub const GET_SUBSCRIPTION_DETAILS_PATH: &str = "Subscriptions/GetSubscriptionDetails";

/// The subscription programme cspctl reads (Microsoft CSP; `ADY`/`ADM` are Adobe's).
pub const SUBSCRIPTION_TYPE: &str = "CSP";

/// The `In` of both calls: every filter optional; cspctl sends only `SubscriptionType`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// One tenant only.
    #[serde(rename = "TenantID", default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// `CSP`, `ADY` or `ADM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_type: Option<String>,
    /// One Dicker Data part number only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_code: Option<String>,
    /// One subscription reference only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_reference: Option<String>,
    /// One subscription only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
}

/// A value seen as text in one place and as a number in another (ids, quantities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// JSON text, e.g. `"275.00"`.
    Text(String),
    /// A JSON number, kept exact.
    Number(serde_json::Number),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(t) => t.trim().to_string(),
            Scalar::Number(n) => n.to_string(),
        }
    }
}

/// A `GetTenant` row. Its fields are not shown by any public client; the names the
/// subscription rows use are tried first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantRecord {
    /// Microsoft tenant id as Dicker Data keys it.
    #[serde(default, alias = "TenantID", skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Scalar>,
    /// Customer name.
    #[serde(default, alias = "TenantName", skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Second name field, used when there is no company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_description: Option<String>,
}

/// A `GetSubscriptionDetails` row, with the fields the public client reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionRecord {
    /// The partner's Dicker Data account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_code: Option<Scalar>,
    /// Tenant id: the customer key, as the export's TENANT ID.
    #[serde(default, alias = "TenantID", skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Scalar>,
    /// Catalogue name (the export's REFERENCE column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_reference: Option<String>,
    /// Customer name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Second name of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_description: Option<String>,
    /// Dicker Data's own part number (not the Microsoft code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_code: Option<String>,
    /// The 4-part Microsoft code, as in the export's STOCK CODE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_stock_code: Option<String>,
    /// Parent subscription (add-ons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_subscription_id: Option<Scalar>,
    /// Subscription id.
    #[serde(default, alias = "SubscriptionID", skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<Scalar>,
    /// `ACTIVE`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Billing frequency, in words not shown publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_frequency: Option<Scalar>,
    /// Last invoice date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_billing_date: Option<String>,
    /// Next invoice date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_billing_date: Option<String>,
    /// Seats, as a number or as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_quantity: Option<Scalar>,
    /// Serials (shape unknown; not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serials: Option<Value>,
    /// End of the current term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// Product name, as the export's STOCK DESCRIPTION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_description: Option<String>,
}

/// Reads tenants and subscriptions (two requests, at once) and applies the shared rules.
pub(super) async fn snapshot(api: &DickerDataApi) -> Result<DistributorSnapshot, LiveError> {
    let filter = Filter { subscription_type: Some(SUBSCRIPTION_TYPE.into()), ..Filter::default() };
    let (tenants, subscriptions) = tokio::try_join!(
        api.call(GET_TENANT_PATH, &filter, out::<TenantRecord>),
        api.call(GET_SUBSCRIPTION_DETAILS_PATH, &filter, out::<SubscriptionRecord>),
    )?;
    let mut builder = rules::SnapshotBuilder::default();
    let label = RequestLabel::new("POST", format!("/{GET_TENANT_PATH}"));
    for (i, t) in tenants.iter().enumerate() {
        let tenant = scalar(&t.tenant_id)
            .ok_or_else(|| malformed(&label, format!("tenant {} of the answer has no TenantId", i + 1)))?;
        let name = text(&t.company_name).or_else(|| text(&t.tenant_description)).unwrap_or_default();
        builder.customer(&tenant, &name);
    }
    let label = RequestLabel::new("POST", format!("/{GET_SUBSCRIPTION_DETAILS_PATH}"));
    for record in &subscriptions {
        subscription(&mut builder, record).map_err(|detail| malformed(&label, detail))?;
    }
    Ok(builder.finish("dicker_data api"))
}

fn subscription(builder: &mut rules::SnapshotBuilder, r: &SubscriptionRecord) -> Result<(), String> {
    let id = scalar(&r.subscription_id);
    let which = || format!("subscription {}", id.as_deref().unwrap_or("(no SubscriptionId)"));
    let tenant = scalar(&r.tenant_id).ok_or_else(|| format!("{} has no TenantId", which()))?;
    let name = text(&r.company_name).or_else(|| text(&r.tenant_description)).unwrap_or_default();
    builder.customer(&tenant, &name);
    let raw = text(&r.manufacturer_stock_code)
        .ok_or_else(|| format!("{} has no ManufacturerStockCode", which()))?;
    let stock_code: StockCode = raw.parse().map_err(|e| format!("{}: ManufacturerStockCode {e}", which()))?;
    if rules::is_usage_stock_code(&stock_code) {
        builder.skip_usage();
        return Ok(());
    }
    let subscription = id.clone().ok_or_else(|| format!("{} has no SubscriptionId", which()))?;
    let quantity = match &r.confirmed_quantity {
        Some(Scalar::Number(n)) => n
            .as_f64()
            .ok_or_else(|| format!("ConfirmedQuantity {n} is not a number"))
            .and_then(|n| values::quantity_from_number(n).map_err(|e| format!("ConfirmedQuantity {n} {e}"))),
        Some(Scalar::Text(t)) => values::quantity(t).map_err(|e| format!("ConfirmedQuantity {e}")),
        None => Err("no ConfirmedQuantity".into()),
    }
    .map_err(|e| format!("{}: {e}", which()))?;
    let status = text(&r.status).ok_or_else(|| format!("{} has no Status", which()))?;
    let date = |value: &Option<String>, field: &str| {
        text(value).map(|d| date(&d).map_err(|e| format!("{}: {field} {e}", which()))).transpose()
    };
    // An answer in an unknown date format is refused with its value, not misread.
    let next_billing = date(&r.next_billing_date, "NextBillingDate")?;
    let term_end = date(&r.expiry_date, "ExpiryDate")?;
    builder.licence(Licence {
        customer: tenant,
        subscription,
        description: text(&r.stock_description)
            .or_else(|| text(&r.subscription_reference))
            .unwrap_or_else(|| stock_code.to_string()),
        stock_code,
        quantity,
        status: rules::status(&status),
        unit_price: None,
        unit_rrp: None,
        term_end,
        next_billing,
    });
    Ok(())
}

/// The `Out` list of a 2xx answer. An answer without `Out` that carries a message is the
/// vendor's refusal; one without either is malformed (and read again). `"Out": null` is an
/// empty list.
pub(super) fn out<T: serde::de::DeserializeOwned>(
    label: &RequestLabel,
    reply: &Reply,
) -> Result<Vec<T>, LiveError> {
    // Each field is first held as the text it arrived as: the rows are decoded straight from
    // the body, never through a JSON tree of 200,000 rows.
    let fields: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
        serde_json::from_slice(&reply.body).map_err(|e| malformed(label, e.to_string()))?;
    let mut list = None;
    let mut body = Map::new();
    for (key, raw) in fields {
        match key.as_str() {
            "Out" => list = Some(raw),
            _ => {
                body.insert(
                    key,
                    serde_json::from_str(raw.get()).map_err(|e| malformed(label, e.to_string()))?,
                );
            }
        }
    }
    let Some(list) = list else {
        let said = ["Message", "ErrorDescription", "message", "Status"]
            .iter()
            .find_map(|k| body.get(*k).and_then(Value::as_str).filter(|m| !m.trim().is_empty()));
        return Err(match said {
            Some(message) => LiveError::Vendor {
                request: label.clone(),
                status: reply.status.as_u16(),
                message: message.to_string(),
            },
            None => malformed(label, "no `Out` list in the answer".into()),
        });
    };
    // A raw value's text has no surrounding whitespace.
    let rows: Vec<T> = match list.get() {
        "null" => Vec::new(),
        text if text.starts_with('[') => {
            serde_json::from_str(text).map_err(|e| malformed(label, format!("`Out` rows: {e}")))?
        }
        other => return Err(malformed(label, format!("`Out` is {other}, not a list"))),
    };
    if let Some(hint) = more_follows(&body, rows.len()) {
        return Err(LiveError::Vendor {
            request: label.clone(),
            status: reply.status.as_u16(),
            message: format!(
                "the answer says more rows follow ({hint}) but how this call pages is not known; \
                 cspctl will not plan from part of a list (read the export instead, and report this \
                 answer shape)"
            ),
        });
    }
    Ok(rows)
}

/// A field beside `Out` that says the list is partial: a next-page token or link, a
/// "has more" flag, a total larger than the rows served, or a page size the rows fill.
fn more_follows(body: &Map<String, Value>, served: usize) -> Option<String> {
    for (key, value) in body {
        let k = key.to_ascii_lowercase();
        if k == "out" || matches!(value, Value::Null | Value::Bool(false)) {
            continue;
        }
        if value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        let number = value.as_u64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
        let says_more =
            if k.contains("next") || k.contains("continuation") || k.contains("cursor") || k.contains("more")
            {
                number != Some(0)
            } else if k.contains("total") || k.ends_with("count") {
                number.is_some_and(|n| n > served as u64)
            } else if k.contains("pagesize") || k == "top" || k == "limit" {
                number.is_some_and(|n| n > 0 && served as u64 >= n)
            } else {
                false
            };
        if says_more {
            return Some(format!("`{key}`: {value}"));
        }
    }
    None
}

/// A date as the API might write it: `30-AUG-2025`, `2025-08-30`, an ISO date-time (its date
/// part, as written), `30/08/2025` (day first, as in Australia and New Zealand), or .NET's
/// `/Date(1756512000000)/`.
pub fn date(text: &str) -> Result<chrono::NaiveDate, String> {
    let t = text.trim();
    if let Ok(d) = values::date(t) {
        return Ok(d);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%d/%m/%Y") {
        return Ok(d);
    }
    let millis = t
        .strip_prefix("/Date(")
        .and_then(|r| r.strip_suffix(")/"))
        .map(|r| r.split(['+', '-']).next().unwrap_or(r))
        .and_then(|ms| ms.parse::<i64>().ok());
    if let Some(d) = millis.and_then(chrono::DateTime::from_timestamp_millis) {
        return Ok(d.date_naive());
    }
    Err(format!("`{t}` is not a date cspctl can read (expected e.g. 30-AUG-2025 or 2025-08-30)"))
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn scalar(value: &Option<Scalar>) -> Option<String> {
    value.as_ref().map(Scalar::text).filter(|s| !s.is_empty())
}

fn malformed(label: &RequestLabel, detail: String) -> LiveError {
    LiveError::Malformed { request: label.clone(), detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn map(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn partial_lists_are_recognised() {
        assert_eq!(more_follows(&map(r#"{"Out":[]}"#), 0), None);
        assert_eq!(more_follows(&map(r#"{"Out":[],"NextPageToken":null,"HasMore":false}"#), 0), None);
        assert_eq!(more_follows(&map(r#"{"Out":[],"TotalCount":3}"#), 3), None);
        assert_eq!(more_follows(&map(r#"{"Out":[],"PageSize":100}"#), 40), None);
        assert_eq!(more_follows(&map(r#"{"Status":"OK","PageNumber":1}"#), 5), None);
        assert!(more_follows(&map(r#"{"NextPageToken":"abc"}"#), 5).unwrap().contains("NextPageToken"));
        assert!(more_follows(&map(r#"{"HasMore":true}"#), 5).is_some());
        assert!(more_follows(&map(r#"{"TotalCount":"12"}"#), 5).is_some());
        assert!(more_follows(&map(r#"{"PageSize":5}"#), 5).is_some());
    }

    #[test]
    fn out_reads_a_list_null_or_a_refusal_whatever_the_spacing() {
        let label = RequestLabel::new("POST", "/Subscriptions/GetSubscriptionDetails");
        let read = |body: &'static str| {
            let reply = Reply {
                status: reqwest::StatusCode::OK,
                headers: Default::default(),
                body: bytes::Bytes::from_static(body.as_bytes()),
            };
            out::<SubscriptionRecord>(&label, &reply)
        };
        assert_eq!(read(r#"{ "Out" :  null , "Status": "OK" }"#).map(|r| r.len()).ok(), Some(0));
        assert_eq!(
            read("{\n  \"Out\":\n  [ {\"TenantId\": \"ab12\"}, {} ]\n}").map(|r| r.len()).ok(),
            Some(2)
        );
        let not_a_list = read(r#"{"Out": {"TenantId": "ab12"}}"#).unwrap_err().to_string();
        assert!(not_a_list.contains(r#"`Out` is {"TenantId": "ab12"}, not a list"#), "{not_a_list}");
        let refused = read(r#"{"Status": "Failed", "Message": "Invalid AccessKey"}"#).unwrap_err();
        assert!(
            matches!(&refused, LiveError::Vendor { message, .. } if message == "Invalid AccessKey"),
            "{refused:?}"
        );
        assert!(matches!(read("[1]"), Err(LiveError::Malformed { .. })));
    }

    #[test]
    fn dates_in_every_plausible_spelling() {
        let d = NaiveDate::from_ymd_opt(2025, 8, 30).unwrap();
        for spelling in [
            "30-AUG-2025",
            "2025-08-30",
            "2025-08-30T00:00:00",
            "2025-08-30T00:00:00.000Z",
            "30/08/2025",
            "/Date(1756512000000)/",
            "/Date(1756512000000+1000)/",
        ] {
            assert_eq!(date(spelling), Ok(d), "{spelling}");
        }
        assert!(date("08/30/2025").unwrap_err().contains("`08/30/2025`"));
    }

    #[test]
    fn rows_read_with_numbers_or_text() {
        let row: SubscriptionRecord = serde_json::from_str(
            r#"{"TenantId":"ab12","SubscriptionId":77,"ConfirmedQuantity":"12.00","Status":"ACTIVE","Extra":1}"#,
        )
        .unwrap();
        assert_eq!(scalar(&row.subscription_id).as_deref(), Some("77"));
        assert_eq!(row.confirmed_quantity, Some(Scalar::Text("12.00".into())));
        let empty: SubscriptionRecord = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, SubscriptionRecord::default());
    }
}
