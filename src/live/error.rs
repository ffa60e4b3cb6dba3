use std::fmt;

use crate::model::{Fingerprint, PsaId};

/// The request an error is about: method and path, never credentials or query secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLabel {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without host or query, e.g. `/finance/agreements/812/additions`.
    pub path: String,
}

impl RequestLabel {
    /// Labels a request by method and path.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        RequestLabel { method: method.into(), path: path.into() }
    }
}

impl fmt::Display for RequestLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Why reading or writing live state failed, with what a person needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The vendor answered with an error status and (usually) a message.
    #[error("{request} failed with HTTP {status}: {message}")]
    Vendor { request: RequestLabel, status: u16, message: String },
    /// Credentials were refused.
    #[error("{request} was refused (HTTP {status}): {message}. Check the credential environment variables")]
    Auth { request: RequestLabel, status: u16, message: String },
    /// The credentials work but the API user may not do this (Autotask says so with a 500).
    #[error(
        "{request} was refused (HTTP {status}): {message}. The API user's security level does not allow this; grant it in the PSA or use an API user whose role does"
    )]
    Permission { request: RequestLabel, status: u16, message: String },
    /// No usable answer: timeout, connection failure, or retries exhausted.
    #[error("{request}: {message}")]
    Transport { request: RequestLabel, message: String },
    /// The body could not be understood.
    #[error("{request}: the response was not the JSON expected: {detail}")]
    Malformed { request: RequestLabel, detail: String },
    /// The record changed after the plan read it; the write was not made.
    #[error(
        "addition {addition} changed since the plan read it (read {expected}, now {found}); run plan again"
    )]
    Stale { addition: PsaId, expected: Fingerprint, found: Fingerprint },
    /// Autotask already holds a unit adjustment of this contract service dated `date` and
    /// allows one per service per day: the change can only take effect from a later date.
    #[error(
        "contract service {addition} already has a unit adjustment dated {date}, and Autotask allows one per \
         service per day, so this change cannot be made today; cspctl does not move the date. It can take \
         effect from the next day: run apply on a later date, or change the units by hand in Autotask"
    )]
    SameDay { addition: PsaId, date: chrono::NaiveDate },
    /// A local source (sandbox state, export file) could not be read or written.
    #[error("{path}: {message}")]
    Source { path: String, message: String },
    /// Connection settings are unusable (missing variable, bad URL).
    #[error("{0}")]
    Config(String),
}

impl LiveError {
    /// Whether the failure is a refusal of one action rather than of the whole run.
    pub fn is_stale(&self) -> bool {
        matches!(self, LiveError::Stale { .. })
    }

    /// Whether the failure is Autotask's one-adjustment-per-day rule (applying again today
    /// would meet it again).
    pub fn is_same_day(&self) -> bool {
        matches!(self, LiveError::SameDay { .. })
    }
}
