use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of a live object as it was read: the vendor's last-updated stamp where there is
/// one, else a hash of the content. A write carries the fingerprint its plan saw so that a
/// change made in between is refused as stale instead of overwritten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// A content hash, for vendors that expose no last-updated stamp.
    pub fn of_content<T: Serialize + ?Sized>(value: &T) -> Self {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Fingerprint(format!("sha256:{hex}"))
    }

    /// Whether the fingerprint was never set (objects built by hand in tests).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
