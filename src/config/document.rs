//! The YAML a workspace is made of. One schema covers every file: `cspctl.yaml` holds the
//! settings, other files hold `products:` and `clients:` (the loader checks which is where).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Billing, StockCode, Term};

/// One YAML file of a workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cspctl workspace file")]
pub struct Document {
    /// Format version of the workspace; `1`. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Where licences are read from. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributor: Option<DistributorSource>,
    /// Where billing is written. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psa: Option<PsaConnection>,
    /// The local state file used when a side is `sandbox`. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxSettings>,
    /// The tenant's IANA time zone, e.g. `Pacific/Auckland`: when "today" turns over (the
    /// default plan date), which day a PSA date-time names, and the midnight written for a day.
    /// Default `Australia/Sydney` (right for every Australian zone's dates; New Zealand and
    /// Western Australian tenants set theirs). Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Per-client settings that clients do not override. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<ClientDefaults>,
    /// Currency of every amount (PSA prices and Dicker Data costs); default `AUD`. Labels
    /// amounts, converts nothing. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Days ahead within which a commitment renewal is reported; default 30. Only in `cspctl.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 3660))]
    pub renewal_window_days: Option<u32>,
    /// Product mappings: Dicker Data stock code to PSA product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductMapping>,
    /// Dicker Data clients and where they bill.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<Client>,
    /// Accepted differences between Dicker Data and the PSA, pinned to both quantities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
}

/// The currency amounts are in (Dicker Data bills Australian partners in AUD, New Zealand
/// partners in NZD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Currency {
    /// Australian dollars.
    #[default]
    AUD,
    /// New Zealand dollars.
    NZD,
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Currency::AUD => "AUD",
            Currency::NZD => "NZD",
        })
    }
}

/// An accepted difference for one client and product mapping: while Dicker Data still holds
/// `dicker_data` seats and the PSA still bills `psa`, the plan leaves the pair alone and lists
/// it as accepted; when either moves, or after `expires`, the plan acts again and says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Dicker Data client id (a client of the workspace).
    pub client: String,
    /// Product mapping key.
    pub product: String,
    /// Active Dicker Data seats of that mapping accepted as they are.
    pub dicker_data: u32,
    /// PSA quantity accepted as it is.
    pub psa: u32,
    /// Why the difference is accepted; shown in every plan and report.
    #[schemars(length(min = 1))]
    pub reason: String,
    /// Last day (YYYY-MM-DD) the exception holds; afterwards the plan acts again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: Option<NaiveDate>,
}

/// Licence source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DistributorSource {
    /// The `dicker_data` side of the sandbox state file.
    Sandbox,
    /// Dicker Data, from its API or its Annuity Information export.
    DickerData(DickerDataSettings),
}

/// PSA connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PsaConnection {
    /// The `psa` side of the sandbox state file.
    Sandbox,
    /// ConnectWise Manage (PSA) REST API.
    Connectwise(ConnectWiseSettings),
    /// Autotask (Datto) PSA REST API.
    Autotask(AutotaskSettings),
}

/// The sandbox state file (both sides' live state), relative to the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    /// Path of a `.yaml` or `.json` state file.
    pub state: PathBuf,
}

/// Dicker Data source settings: exactly one of `export` or `api`. API credentials come from
/// `CSPCTL_DICKERDATA_ACCESS_TOKEN` (and `CSPCTL_DICKERDATA_ACCOUNT_CODE`, when set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DickerDataSettings {
    /// Annuity Information export (`.xlsx` or `.csv`), relative to the workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<PathBuf>,
    /// Dicker Data cloud-subscriptions API (undocumented by Dicker Data; see README).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<DickerDataApiSettings>,
}

/// Dicker Data API settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DickerDataApiSettings {
    /// API root; default `https://api.dickerdata.com.au/`. A full `http://host:port` is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// Settings cspctl no longer reads, with what replaced them, so a workspace written for an
/// older cspctl is told what to do instead of only "unknown field". Keyed by the field name
/// under the given parent.
pub const RETIRED_FIELDS: &[(&str, &str, &str)] = &[
    ("api", "customers_path", DICKER_DATA_LISTING_RETIRED),
    ("api", "subscriptions_path", DICKER_DATA_LISTING_RETIRED),
    ("api", "page_size", DICKER_DATA_LISTING_RETIRED),
];

const DICKER_DATA_LISTING_RETIRED: &str = "the modelled Dicker Data listing is gone: cspctl now reads \
     `Subscriptions/GetTenant` and `Subscriptions/GetSubscriptionDetails` of Dicker Data's \
     subscriptions API, whose paths and paging are fixed; delete this line (only `base_url` remains)";

/// ConnectWise Manage settings; keys come from `CSPCTL_CW_*` variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectWiseSettings {
    /// API host such as `api-au.myconnectwise.net`, or a full `http(s)://host:port` URL.
    pub site: String,
    /// ConnectWise company id (the login company), e.g. `mymsp`.
    pub company: String,
    /// Codebase such as `v4_6_release`; found through `/login/companyinfo/{company}` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codebase: Option<String>,
    /// API model version sent in `Accept` (default `2026.4`, the version cspctl is tested against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Most reads in flight at once (default 32). cspctl starts at 4 and adapts: more while
    /// answers stay fast and clean, fewer on 429/503 or slowing answers, pausing for `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub concurrency: Option<usize>,
}

/// Autotask settings; credentials come from `CSPCTL_AT_INTEGRATION_CODE`, `CSPCTL_AT_USERNAME`
/// and `CSPCTL_AT_SECRET` (optionally `CSPCTL_AT_IMPERSONATION_RESOURCE_ID`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutotaskSettings {
    /// Zone base URL, e.g. `https://webservices14.autotask.net/ATServicesRest/`; found by zone lookup when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Zone lookup root; default `https://webservices2.autotask.net/atservicesrest/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_url: Option<String>,
    /// Name of the environment variable holding the API user name, instead of `CSPCTL_AT_USERNAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_env: Option<String>,
    /// Requests in flight per Autotask endpoint, 1 to 3 (Autotask's limit); default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub concurrency: Option<u8>,
}

/// Defaults for per-client settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientDefaults {
    /// Whether licence names are written to addition descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_description: Option<SyncDescription>,
    /// What happens to an addition when its licences are gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_licence_removed: Option<OnLicenceRemoved>,
}

/// Whether the licence name is written to the addition's description.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncDescription {
    /// Never written; the PSA's own description stands.
    #[default]
    AlwaysOff,
    /// Written on create and kept equal afterwards.
    AlwaysOn,
    /// Written on create only; later edits in the PSA are left alone.
    OnCreate,
}

/// What to do with an owned addition when the client holds no more of its licences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnLicenceRemoved {
    /// Cancel it (set its cancelled date; history is kept, nothing is deleted).
    #[default]
    Cancel,
    /// Keep it, at quantity zero.
    SetZero,
    /// Leave it exactly as it is.
    Keep,
}

/// A product mapping: one Dicker Data stock code billed as one PSA product, for every client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductMapping {
    /// Unique name clients use to refer to this mapping, e.g. `m365-bp-annual-monthly`.
    pub key: String,
    /// Text written to descriptions when a client syncs them; default: Dicker Data's product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Dicker Data side.
    pub dicker_data: DickerDataItem,
    /// The Microsoft side; derived from the stock code, and checked against it when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft: Option<MicrosoftLicence>,
    /// The PSA side.
    pub psa: PsaProductRef,
    /// Unit price policy; default: catalog price on create, PSA price left alone afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<PricePolicy>,
}

impl ProductMapping {
    /// Whether the mapping names no PSA product yet (`psa: { product: "" }`, as `cspctl
    /// import` writes when nothing fits): it loads, and its licences stay Not Mapped.
    pub fn is_incomplete(&self) -> bool {
        self.psa.product.trim().is_empty()
    }
}

/// The Dicker Data stock item of a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DickerDataItem {
    /// Stock code such as `P1Y:CFQ7TTC0LCHC:0002:1:`.
    pub stock_code: StockCode,
}

/// The Microsoft licence a stock code stands for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MicrosoftLicence {
    /// Product id, e.g. `CFQ7TTC0LCHC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// SKU id, e.g. `0002`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Commitment term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<Term>,
    /// Billing frequency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
}

/// The PSA product a mapping bills as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PsaProductRef {
    /// ConnectWise catalog identifier / Autotask service name; `""` while the mapping is
    /// incomplete (a warning: its licences stay Not Mapped until a product is picked).
    pub product: String,
}

/// Unit price policy of a mapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricePolicy {
    /// Price to charge; default: the PSA catalog price. From 0 to 100,000 (a larger unit
    /// price is a typo, and a negative one would bill a credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100_000))]
    pub unit_price: Option<f64>,
    /// `leave` (default): set the price on create only; `sync`: keep it equal on every apply.
    #[serde(default)]
    pub update: PriceUpdate,
}

/// Whether an existing addition's price is kept in line with the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceUpdate {
    /// Set on create only.
    #[default]
    Leave,
    /// Corrected on every apply.
    Sync,
}

/// A Dicker Data client and where its licences bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// Dicker Data customer (tenant) id: the key. A string, quoted when it is all digits
    /// (`"0100231"` keeps its leading zero; unquoted, YAML tools read it as a number).
    pub dicker_data: String,
    /// Expected name; a mismatch with Dicker Data warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Acknowledged but never billed through the PSA.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore: bool,
    /// PSA company identifier (required unless ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Default agreement (ConnectWise) / recurring-service contract (Autotask) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    /// Per-product settings, keyed by product mapping key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub products: BTreeMap<String, ClientProduct>,
    /// Overrides `defaults.sync_description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_description: Option<SyncDescription>,
    /// Overrides `defaults.on_licence_removed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_licence_removed: Option<OnLicenceRemoved>,
}

/// A client's settings for one product mapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientProduct {
    /// Agreement for this product instead of the client's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    /// Seats included in the client's bundle: billed quantity is reduced by this many (at
    /// most 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1_000_000))]
    pub included: Option<u32>,
    /// Billed quantity never goes below this (a contracted minimum; at most 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1_000_000))]
    pub minimum: Option<u32>,
}
