//! The hourly request budget Autotask shares between every integration of a database
//! (`GET /ThresholdInformation`): read once per run, and a warning when this run would use a
//! large share of what is left.

use serde::Deserialize;

/// Share of the remaining budget a run may use before cspctl warns.
pub const WARN_SHARE: f64 = 0.25;

/// Autotask's answer to `GET /ThresholdInformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Threshold {
    /// Requests allowed per window (10,000 by default).
    pub external_request_threshold: u64,
    /// Window length in minutes (60).
    pub request_threshold_timeframe: u64,
    /// Requests made in the current window by all integrations.
    pub current_timeframe_request_count: u64,
}

impl Threshold {
    /// Requests left in the current window.
    pub fn remaining(&self) -> u64 {
        self.external_request_threshold.saturating_sub(self.current_timeframe_request_count)
    }
}

/// The warning to log when `requests` more would use a large share of what remains.
pub fn warning(threshold: &Threshold, requests: u64) -> Option<String> {
    let remaining = threshold.remaining();
    if (requests as f64) < WARN_SHARE * remaining as f64 {
        return None;
    }
    Some(format!(
        "this run needs about {requests} Autotask API requests; {remaining} of {} remain in the current {}-minute \
         window shared by every integration (Autotask slows requests from 50% and refuses them at 100%)",
        threshold.external_request_threshold, threshold.request_threshold_timeframe
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(used: u64) -> Threshold {
        Threshold {
            external_request_threshold: 10_000,
            request_threshold_timeframe: 60,
            current_timeframe_request_count: used,
        }
    }

    #[test]
    fn warns_only_for_a_large_share_of_what_is_left() {
        assert_eq!(warning(&t(0), 100), None);
        assert_eq!(warning(&t(9_000), 100), None);
        let w = warning(&t(9_800), 100).unwrap_or_default();
        assert!(w.contains("about 100") && w.contains("200 of 10000"), "{w}");
        assert!(warning(&t(10_500), 1).is_some());
    }
}
