use serde::{Deserialize, Serialize};

use super::exceptions::AcceptedException;
use super::money::{Money, Revenue};
use crate::model::{Fingerprint, PsaId, Write};

/// Version of the JSON plan format; bumped on any incompatible change (2: money and accepted
/// exceptions).
pub const FORMAT_VERSION: u32 = 2;

/// What `apply` would do, and what the operator should know: the output of reconcile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Changes, in apply order: cancels first, then by client, agreement, product.
    pub actions: Vec<Action>,
    /// Problems that block apply (unknown company, ambiguous additions, ...).
    pub errors: Vec<Finding>,
    /// Things to look at that do not block apply (Not Setup clients, Not Mapped licences, ...).
    pub warnings: Vec<Finding>,
    /// Additions on managed agreements that cspctl does not own (shown with `--verbose`).
    pub unmanaged: Vec<UnmanagedAddition>,
    /// Active additions cspctl owns by rule (DESIGN §3): on the first run over an existing PSA
    /// these are the ones it adopts, so the number is shown rather than a surprise.
    pub managed: usize,
    /// Seats billed by those additions today; the blast-radius guard measures cuts against it.
    #[serde(default)]
    pub managed_quantity: f64,
    /// Billing before and after, cost, margin and unbilled licences, per line, client and in total.
    #[serde(default)]
    pub money: Money,
    /// Exceptions that held: pairs left as they are, with the reason.
    #[serde(default)]
    pub accepted: Vec<AcceptedException>,
}

/// One change to one addition, with the context a reviewer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// `create`, `update` or `cancel`.
    pub kind: ActionKind,
    /// Dicker Data client id.
    pub client: String,
    /// Client display name.
    pub client_name: String,
    /// PSA company identifier.
    pub company: String,
    /// Agreement / contract name.
    pub agreement: String,
    /// PSA product identifier.
    pub product: String,
    /// Product mapping keys that feed this addition.
    pub mappings: Vec<String>,
    /// Existing addition id (updates and cancels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addition: Option<PsaId>,
    /// Version of the addition the plan read (updates and cancels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// Field-level changes (for creates: the values set).
    pub changes: Vec<FieldChange>,
    /// What the change does to billing, per month (and per year for annual products).
    pub revenue: Revenue,
    /// The write to carry out.
    pub write: Write,
}

/// The three kinds of change, in the order they are shown and applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Stop billing an addition (`-`).
    Cancel,
    /// Change an addition (`~`).
    Update,
    /// Add an addition (`+`).
    Create,
}

/// One field's value before and after; `None` is "not set".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `quantity`, `description`, `unit_price` or `cancelled_date`.
    pub field: String,
    /// Value now.
    pub before: Option<serde_json::Value>,
    /// Value after apply.
    pub after: Option<serde_json::Value>,
}

/// A warning or error, with a stable code for scripts and the objects it concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// Stable machine-readable kind, e.g. `not_setup`, `not_mapped`, `unknown_company`.
    pub code: String,
    /// Dicker Data client id, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The sentence for people.
    pub message: String,
}

/// Warning codes for what `apply` (or the PSA during apply) would refuse even though the plan
/// has no error: the plan carries them so a pull-request check fails (with `--strict`) before
/// the apply after merge does. Errors always refuse.
///
/// - `destructive`: the blast-radius guard (`--allow-destructive` overrides it).
/// - `same_day_adjustment`: Autotask takes one unit adjustment per contract service per day.
/// - `request_budget`: the run would use a large share of the PSA's shared hourly budget.
pub const REFUSING_WARNINGS: &[&str] = &["destructive", "same_day_adjustment", "request_budget"];

impl Finding {
    /// Whether `apply` would refuse, or be refused, because of this finding (errors always;
    /// warnings whose code is in [`REFUSING_WARNINGS`]).
    pub fn refuses_apply(&self) -> bool {
        REFUSING_WARNINGS.contains(&self.code.as_str())
    }
}

/// An addition on a managed agreement whose product no mapping names: listed, never touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmanagedAddition {
    /// Agreement name.
    pub agreement: String,
    /// PSA product identifier (or id when unknown).
    pub product: String,
    /// Addition id.
    pub addition: PsaId,
    /// Its quantity.
    pub quantity: f64,
}

impl Plan {
    /// Whether apply would change anything.
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// Everything apply would refuse: every error, then the refusing warnings.
    pub fn refusals(&self) -> impl Iterator<Item = &Finding> {
        self.errors.iter().chain(self.warnings.iter().filter(|w| w.refuses_apply()))
    }

    /// Seats the plan removes: cancelled quantities plus quantity cuts.
    pub fn seats_removed(&self) -> f64 {
        self.actions
            .iter()
            .map(|a| match &a.write {
                Write::Cancel { from_quantity, .. } => *from_quantity,
                Write::Update { from_quantity, quantity: Some(q), .. } => {
                    (from_quantity - f64::from(*q)).max(0.0)
                }
                _ => 0.0,
            })
            .sum()
    }

    /// Number of actions of one kind.
    pub fn count(&self, kind: ActionKind) -> usize {
        self.actions.iter().filter(|a| a.kind == kind).count()
    }
}
