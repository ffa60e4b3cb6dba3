use crate::live::LiveError;
use crate::secret::Secret;

/// The long-lived pair Dicker Data issues for its B2B API. Both halves are held as
/// [`Secret`]s: `Debug` prints `****`, and they only leave this type in request bodies.
#[derive(Debug, Clone)]
pub struct DickerDataCredentials {
    /// Account code (the portal account number).
    pub account_code: Secret,
    /// Access token ("API token" / "Access Code").
    pub access_token: Secret,
}

impl DickerDataCredentials {
    /// Environment variable holding the account code.
    pub const ACCOUNT_CODE_VAR: &'static str = "CSPCTL_DICKERDATA_ACCOUNT_CODE";
    /// Environment variable holding the access token.
    pub const ACCESS_TOKEN_VAR: &'static str = "CSPCTL_DICKERDATA_ACCESS_TOKEN";

    /// Credentials passed in directly (tests, embedding).
    pub fn new(account_code: impl Into<String>, access_token: impl Into<String>) -> Self {
        DickerDataCredentials {
            account_code: Secret::new(account_code),
            access_token: Secret::new(access_token),
        }
    }

    /// Reads `CSPCTL_DICKERDATA_ACCOUNT_CODE` and `CSPCTL_DICKERDATA_ACCESS_TOKEN`.
    pub fn from_env() -> Result<Self, LiveError> {
        let read = |var: &str| Secret::from_env(var).map_err(|e| LiveError::Config(e.to_string()));
        Ok(DickerDataCredentials {
            account_code: read(Self::ACCOUNT_CODE_VAR)?,
            access_token: read(Self::ACCESS_TOKEN_VAR)?,
        })
    }

    /// Replaces any credential text in `text` by `****`, for vendor messages that might echo
    /// a request back.
    pub(super) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.account_code, &self.access_token] {
            if !secret.expose().is_empty() {
                out = out.replace(secret.expose(), "****");
            }
        }
        out
    }
}
