//! Dicker Data stock codes: the key that ties a licence to a product mapping.
//!
//! Three spellings of one licence reach cspctl: the 4-part annuity form
//! (`P1Y:CFQ7TTC0LCHC:0002:1:`), the 3-part invoice form (`P1M:CFQ7TTC0LH04:0001`) and the
//! Azure form (`DZH318Z0BPS6:0001`). Parsing normalises case and trailing colons so the same
//! licence from the export, the API or YAML compares equal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed stock code: term, Microsoft product and SKU, and billing frequency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StockCode {
    /// Commitment term; `None` for usage-based (Azure) codes.
    pub term: Option<Term>,
    /// Microsoft product id, e.g. `CFQ7TTC0LCHC`.
    pub product_id: String,
    /// Microsoft SKU id within the product, e.g. `0002`.
    pub sku_id: String,
    /// How the term is billed; the 3-part form does not say.
    pub billing: Billing,
}

/// ISO-8601 commitment term as Microsoft and Dicker Data write it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Term {
    /// Month to month (`P1M`).
    P1M,
    /// One-year commitment (`P1Y`).
    P1Y,
    /// Three-year commitment (`P3Y`).
    P3Y,
}

/// Billing frequency encoded in the 4th part of an annuity stock code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// `1`: billed every month.
    Monthly,
    /// `Y`: billed annually up front.
    Annual,
    /// 3-part code: the billing part is absent.
    Unknown,
    /// Azure: consumption-based, no term and no billing cycle.
    Usage,
}

/// Why a stock code did not parse; names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockCodeError {
    /// Wrong number of `:`-separated parts.
    #[error(
        "stock code `{code}` has {parts} parts; expected `TERM:PRODUCT:SKU:BILLING:` (e.g. `P1Y:CFQ7TTC0LCHC:0002:1:`), `TERM:PRODUCT:SKU` or Azure `PRODUCT:SKU`"
    )]
    Shape { code: String, parts: usize },
    /// The term part is not `P1M`, `P1Y` or `P3Y`.
    #[error("stock code `{code}`: term `{term}` is not one of P1M, P1Y, P3Y")]
    Term { code: String, term: String },
    /// The product id is not 12 alphanumeric characters.
    #[error("stock code `{code}`: product id `{product}` should be 12 letters or digits (e.g. CFQ7TTC0LCHC)")]
    Product { code: String, product: String },
    /// The SKU id is not 4 alphanumeric characters.
    #[error("stock code `{code}`: sku id `{sku}` should be 4 letters or digits (e.g. 0002)")]
    Sku { code: String, sku: String },
    /// The billing part is not `1` (monthly) or `Y` (annual).
    #[error("stock code `{code}`: billing `{billing}` should be `1` (monthly) or `Y` (annual up front)")]
    Billing { code: String, billing: String },
}

impl StockCode {
    /// Whether a licence with this code is billed by this product mapping's code.
    ///
    /// Exact match, except that a 3-part code (billing unknown) matches any billing of the
    /// same term, product and SKU; the caller decides what to do when that is ambiguous.
    pub fn matches(&self, mapping: &StockCode) -> bool {
        self.term == mapping.term
            && self.product_id == mapping.product_id
            && self.sku_id == mapping.sku_id
            && (self.billing == mapping.billing
                || self.billing == Billing::Unknown
                || mapping.billing == Billing::Unknown)
    }
}

fn is_id(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FromStr for StockCode {
    type Err = StockCodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let code = raw.trim().to_ascii_uppercase();
        let body = code.trim_end_matches(':');
        let parts: Vec<&str> = body.split(':').collect();
        let product = |p: &str| {
            if is_id(p, 12) {
                Ok(p.to_string())
            } else {
                Err(StockCodeError::Product { code: raw.to_string(), product: p.to_string() })
            }
        };
        let sku = |s: &str| {
            if is_id(s, 4) {
                Ok(s.to_string())
            } else {
                Err(StockCodeError::Sku { code: raw.to_string(), sku: s.to_string() })
            }
        };
        let term = |t: &str| match t {
            "P1M" => Ok(Term::P1M),
            "P1Y" => Ok(Term::P1Y),
            "P3Y" => Ok(Term::P3Y),
            _ => Err(StockCodeError::Term { code: raw.to_string(), term: t.to_string() }),
        };
        match parts.as_slice() {
            [p, s] => Ok(StockCode {
                term: None,
                product_id: product(p)?,
                sku_id: sku(s)?,
                billing: Billing::Usage,
            }),
            [t, p, s] => Ok(StockCode {
                term: Some(term(t)?),
                product_id: product(p)?,
                sku_id: sku(s)?,
                billing: Billing::Unknown,
            }),
            [t, p, s, b] => {
                let billing = match *b {
                    "1" => Billing::Monthly,
                    "Y" => Billing::Annual,
                    _ => {
                        return Err(StockCodeError::Billing {
                            code: raw.to_string(),
                            billing: b.to_string(),
                        });
                    }
                };
                Ok(StockCode { term: Some(term(t)?), product_id: product(p)?, sku_id: sku(s)?, billing })
            }
            _ => Err(StockCodeError::Shape { code: raw.to_string(), parts: parts.len() }),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Term::P1M => "P1M",
            Term::P1Y => "P1Y",
            Term::P3Y => "P3Y",
        })
    }
}

impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Billing::Monthly => "monthly",
            Billing::Annual => "annual",
            Billing::Unknown => "unknown",
            Billing::Usage => "usage",
        })
    }
}

/// The canonical spelling: upper case, 4-part codes with their trailing colon.
impl fmt::Display for StockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.term, self.billing) {
            (None, _) => write!(f, "{}:{}", self.product_id, self.sku_id),
            (Some(t), Billing::Monthly) => write!(f, "{t}:{}:{}:1:", self.product_id, self.sku_id),
            (Some(t), Billing::Annual) => write!(f, "{t}:{}:{}:Y:", self.product_id, self.sku_id),
            (Some(t), _) => write!(f, "{t}:{}:{}", self.product_id, self.sku_id),
        }
    }
}

impl Serialize for StockCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StockCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for StockCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StockCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Dicker Data stock code: `TERM:PRODUCT:SKU:BILLING:` (annuity export, billing 1 = monthly, Y = annual), `TERM:PRODUCT:SKU` (invoice lines) or `PRODUCT:SKU` (Azure).",
            "pattern": "^([Pp]1[MmYy]|[Pp]3[Yy]):[A-Za-z0-9]{12}:[A-Za-z0-9]{4}(:[1Yy]:?)?$|^[A-Za-z0-9]{12}:[A-Za-z0-9]{4}$",
            "examples": ["P1Y:CFQ7TTC0LCHC:0002:1:", "P1M:CFQ7TTC0LH04:0001", "DZH318Z0BPS6:0001"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let a: StockCode = "P1Y:CFQ7TTC0LCHC:0002:1:".parse().unwrap();
        assert_eq!(a.term, Some(Term::P1Y));
        assert_eq!(a.billing, Billing::Monthly);
        let b: StockCode = "p1y:cfq7ttc0lflz:0002:y".parse().unwrap();
        assert_eq!(b.to_string(), "P1Y:CFQ7TTC0LFLZ:0002:Y:");
        let c: StockCode = "P1M:CFQ7TTC0LH04:0001".parse().unwrap();
        assert_eq!(c.billing, Billing::Unknown);
        assert_eq!(c.to_string(), "P1M:CFQ7TTC0LH04:0001");
        let d: StockCode = "DZH318Z0BPS6:0001".parse().unwrap();
        assert_eq!((d.term, d.billing), (None, Billing::Usage));
    }

    #[test]
    fn three_part_matches_four_part_of_same_term() {
        let four: StockCode = "P1M:CFQ7TTC0LH04:0001:1:".parse().unwrap();
        let three: StockCode = "P1M:CFQ7TTC0LH04:0001".parse().unwrap();
        let other_term: StockCode = "P1Y:CFQ7TTC0LH04:0001".parse().unwrap();
        assert!(three.matches(&four));
        assert!(!other_term.matches(&four));
    }

    #[test]
    fn errors_name_the_wrong_part() {
        let e = "P2Y:CFQ7TTC0LCHC:0002:1:".parse::<StockCode>().unwrap_err();
        assert!(matches!(e, StockCodeError::Term { .. }), "{e}");
        let e = "P1Y:CFQ7:0002:1:".parse::<StockCode>().unwrap_err();
        assert!(matches!(e, StockCodeError::Product { .. }), "{e}");
        let e = "P1Y:CFQ7TTC0LCHC:02:1:".parse::<StockCode>().unwrap_err();
        assert!(matches!(e, StockCodeError::Sku { .. }), "{e}");
        let e = "P1Y:CFQ7TTC0LCHC:0002:M:".parse::<StockCode>().unwrap_err();
        assert!(matches!(e, StockCodeError::Billing { .. }), "{e}");
        let e = "CFQ7TTC0LCHC".parse::<StockCode>().unwrap_err();
        assert!(matches!(e, StockCodeError::Shape { parts: 1, .. }), "{e}");
    }
}
