//! How PSA names compare. ConnectWise and Autotask both keep their records in SQL Server
//! under its default case-insensitive collation: a filter `identifier = 'adatumhealth'` finds
//! `AdatumHealth`, and trailing spaces do not count. cspctl compares company identifiers,
//! agreement names and product identifiers the same way everywhere (reader, reconcile and
//! simulator), so what the PSA returns for a name is what the plan finds for it.

use std::fmt;

/// A PSA name folded the way the PSA compares it: letter case ignored (Unicode lower case)
/// and surrounding spaces dropped. Two names with the same key are the same name to the PSA.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey(String);

impl NameKey {
    /// The key of `name`.
    pub fn new(name: &str) -> Self {
        NameKey(name.trim().to_lowercase())
    }

    /// The folded text, for comparisons the simulator makes inside its filters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the PSA treats `a` and `b` as one name.
pub fn same_psa_name(a: &str, b: &str) -> bool {
    NameKey::new(a) == NameKey::new(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_surrounding_spaces_do_not_count() {
        assert!(same_psa_name("AdatumHealth", "adatumhealth"));
        assert!(same_psa_name("Acme - Microsoft 365 ", "ACME - MICROSOFT 365"));
        assert!(same_psa_name("ÉCOLE", "école"));
        assert!(!same_psa_name("Acme M365", "Acme  M365"));
        assert!(!same_psa_name("M365-BP", "M365_BP"));
    }
}
