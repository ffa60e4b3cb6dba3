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
            "pattern": "^\\s*([Pp]1[MmYy]|[Pp]3[Yy]):[A-Za-z0-9]{12}:[A-Za-z0-9]{4}(:[1Yy])?:*\\s*$|^\\s*[A-Za-z0-9]{12}:[A-Za-z0-9]{4}:*\\s*$",
            "examples": ["P1Y:CFQ7TTC0LCHC:0002:1:", "P1M:CFQ7TTC0LH04:0001", "DZH318Z0BPS6:0001"]
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(s: &str) -> Result<StockCode, StockCodeError> {
        s.parse()
    }

    #[test]
    fn four_part_annuity_form() {
        let monthly = parse("P1Y:CFQ7TTC0LCHC:0002:1:").unwrap();
        assert_eq!(
            monthly,
            StockCode {
                term: Some(Term::P1Y),
                product_id: "CFQ7TTC0LCHC".into(),
                sku_id: "0002".into(),
                billing: Billing::Monthly,
            }
        );
        let annual = parse("P1Y:CFQ7TTC0LFLZ:0002:Y:").unwrap();
        assert_eq!(annual.billing, Billing::Annual);
        let month_to_month = parse("P1M:CFQ7TTC0LHSF:0001:1:").unwrap();
        assert_eq!((month_to_month.term, month_to_month.billing), (Some(Term::P1M), Billing::Monthly));
        let three_year = parse("P3Y:CFQ7TTC0LCHC:0002:Y:").unwrap();
        assert_eq!(three_year.term, Some(Term::P3Y));
    }

    #[test]
    fn four_part_without_trailing_colon_and_in_lower_case() {
        let b = parse("p1y:cfq7ttc0lflz:0002:y").unwrap();
        assert_eq!(b.to_string(), "P1Y:CFQ7TTC0LFLZ:0002:Y:");
        assert_eq!(
            parse("  P1Y:CFQ7TTC0LCHC:0002:1::  ").unwrap(),
            parse("P1Y:CFQ7TTC0LCHC:0002:1:").unwrap()
        );
    }

    #[test]
    fn three_part_invoice_form() {
        let c = parse("P1M:CFQ7TTC0LH04:0001").unwrap();
        assert_eq!((c.term, c.billing), (Some(Term::P1M), Billing::Unknown));
        assert_eq!(c.to_string(), "P1M:CFQ7TTC0LH04:0001");
        assert_eq!(parse("p1m:cfq7ttc0lh04:0001:").unwrap(), c);
    }

    #[test]
    fn azure_form() {
        let d = parse("DZH318Z0BPS6:0001").unwrap();
        assert_eq!((d.term, d.billing), (None, Billing::Usage));
        assert_eq!(d.product_id, "DZH318Z0BPS6");
        assert_eq!(d.to_string(), "DZH318Z0BPS6:0001");
        assert_eq!(parse("dzh318z0bps6:0001:").unwrap(), d);
    }

    #[test]
    fn same_product_with_another_sku_is_another_code() {
        let premium = parse("P1Y:CFQ7TTC0LCHC:0002:1:").unwrap();
        let defender = parse("P1Y:CFQ7TTC0LCHC:001J:1:").unwrap();
        assert_ne!(premium, defender);
        assert!(!premium.matches(&defender));
    }

    #[test]
    fn three_part_matches_four_part_of_same_term() {
        let four = parse("P1M:CFQ7TTC0LH04:0001:1:").unwrap();
        let annual = parse("P1M:CFQ7TTC0LH04:0001:Y:").unwrap();
        let three = parse("P1M:CFQ7TTC0LH04:0001").unwrap();
        let other_term = parse("P1Y:CFQ7TTC0LH04:0001").unwrap();
        assert!(three.matches(&four));
        assert!(four.matches(&three));
        assert!(three.matches(&annual));
        assert!(!four.matches(&annual));
        assert!(!other_term.matches(&four));
    }

    #[test]
    fn errors_name_the_wrong_part() {
        let e = parse("P2Y:CFQ7TTC0LCHC:0002:1:").unwrap_err();
        assert!(matches!(&e, StockCodeError::Term { term, .. } if term == "P2Y"), "{e}");
        let e = parse("P1Y:CFQ7:0002:1:").unwrap_err();
        assert!(matches!(&e, StockCodeError::Product { product, .. } if product == "CFQ7"), "{e}");
        let e = parse("P1Y:CFQ7TTC0LCHC:02:1:").unwrap_err();
        assert!(matches!(&e, StockCodeError::Sku { sku, .. } if sku == "02"), "{e}");
        let e = parse("P1Y:CFQ7TTC0LCHC:0002:M:").unwrap_err();
        assert!(matches!(&e, StockCodeError::Billing { billing, .. } if billing == "M"), "{e}");
        let e = parse("CFQ7TTC0LCHC").unwrap_err();
        assert!(matches!(e, StockCodeError::Shape { parts: 1, .. }), "{e}");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "   ",
            ":",
            "P1Y:CFQ7TTC0LCHC:0002:1:EXTRA",
            "P1Y:CFQ7TTC0LCHC:0002:1:X:",
            "P1Y::0002:1:",
            "P1Y:CFQ7TTC0LCHC::1:",
            "P1Y:CFQ7TTC0LCH-:0002:1:",
            "P1Y:CFQ7TTC0LCHCX:0002:1:",
            "P1Y:CFQ7TTC0LCHC:00023:1:",
            "P1Y:CFQ7TTC0LCHC:0002:12:",
            "1Y:CFQ7TTC0LCHC:0002:1:",
            "P1D:CFQ7TTC0LCHC:0002",
            "CFQ7TTC0LCHC:0002:1:",
            "DZH318Z0BPS:0001",
            "DZH318Z0BPS6:01",
            "P1Y: CFQ7TTC0LCHC:0002:1:",
            "P1Y:CFQ7TTC0LCHÇ:0002:1:",
            ":P1Y:CFQ7TTC0LCHC:0002:1:",
        ] {
            assert!(parse(bad).is_err(), "`{bad}` should not parse");
        }
    }

    #[test]
    fn error_messages_quote_the_code_as_written() {
        let e = parse("p1y:cfq7:0002:1:").unwrap_err().to_string();
        assert!(e.contains("`p1y:cfq7:0002:1:`"), "{e}");
        assert!(e.contains("product id `CFQ7`"), "{e}");
        let e = parse("CFQ7TTC0LCHC").unwrap_err().to_string();
        assert!(e.contains("has 1 parts"), "{e}");
    }

    #[test]
    fn serde_uses_the_canonical_spelling() {
        let c: StockCode = serde_json::from_str("\"p1y:cfq7ttc0lchc:0002:1\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"P1Y:CFQ7TTC0LCHC:0002:1:\"");
        let e = serde_json::from_str::<StockCode>("\"P1Y:CFQ7TTC0LCHC:0002:Q:\"").unwrap_err();
        assert!(e.to_string().contains("billing `Q`"), "{e}");
    }

    fn id(len: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::char::range('A', 'Z'),
                proptest::char::range('a', 'z'),
                proptest::char::range('0', '9')
            ],
            len,
        )
        .prop_map(|c| c.into_iter().collect())
    }

    fn term() -> impl Strategy<Value = Term> {
        prop_oneof![Just(Term::P1M), Just(Term::P1Y), Just(Term::P3Y)]
    }

    /// Any valid code, built from its parts.
    fn code() -> impl Strategy<Value = StockCode> {
        let upper = |s: String| s.to_ascii_uppercase();
        prop_oneof![
            (id(12), id(4)).prop_map(move |(p, s)| StockCode {
                term: None,
                product_id: upper(p),
                sku_id: upper(s),
                billing: Billing::Usage,
            }),
            (
                term(),
                id(12),
                id(4),
                prop_oneof![Just(Billing::Monthly), Just(Billing::Annual), Just(Billing::Unknown)]
            )
                .prop_map(move |(t, p, s, b)| StockCode {
                    term: Some(t),
                    product_id: upper(p),
                    sku_id: upper(s),
                    billing: b,
                }),
        ]
    }

    /// A code as a person or a third-party file might write it: any case, 0 to 2 trailing
    /// colons, surrounding spaces.
    fn spelled(c: &StockCode) -> impl Strategy<Value = String> + use<> {
        let canonical = c.to_string();
        let body = canonical.trim_end_matches(':').to_string();
        (proptest::collection::vec(any::<bool>(), body.len()), 0..3usize, 0..2usize).prop_map(
            move |(lower, colons, spaces)| {
                let cased: String = body
                    .chars()
                    .zip(lower)
                    .map(|(ch, l)| if l { ch.to_ascii_lowercase() } else { ch })
                    .collect();
                format!("{0}{cased}{1}{0}", " ".repeat(spaces), ":".repeat(colons))
            },
        )
    }

    proptest! {
        #[test]
        fn parse_of_format_is_identity(c in code()) {
            prop_assert_eq!(parse(&c.to_string()).unwrap(), c);
        }

        #[test]
        fn format_of_parse_is_canonical((c, s) in code().prop_flat_map(|c| (Just(c.clone()), spelled(&c)))) {
            let parsed = parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), c.to_string());
            prop_assert_eq!(parsed, c);
        }

        #[test]
        fn schema_pattern_accepts_what_the_parser_accepts(
            (_c, s) in code().prop_flat_map(|c| (Just(c.clone()), spelled(&c)))
        ) {
            let schema = schemars::schema_for!(StockCode);
            let validator = jsonschema::validator_for(&serde_json::to_value(&schema).unwrap()).unwrap();
            prop_assert!(validator.is_valid(&serde_json::Value::String(s.clone())), "{}", s);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }
    }
}
