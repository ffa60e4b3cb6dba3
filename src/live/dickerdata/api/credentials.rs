use crate::live::LiveError;
use crate::secret::Secret;

/// What Dicker Data issues for its API: the access token, and the account code that its B2B
/// key exchange also takes. Both are [`Secret`]s: `Debug` prints `****`, and they only leave
/// this type in the key-exchange body.
#[derive(Debug, Clone)]
pub struct DickerDataCredentials {
    /// Access token ("API token" / "Access Code"), exchanged for a short-lived AccessKey.
    pub access_token: Secret,
    /// Account code (the portal account number). The subscriptions API's one public client
    /// does not send it; cspctl sends it only when set, in case a tenant's key exchange wants it.
    pub account_code: Option<Secret>,
}

impl DickerDataCredentials {
    /// Environment variable holding the access token (required).
    pub const ACCESS_TOKEN_VAR: &'static str = "CSPCTL_DICKERDATA_ACCESS_TOKEN";
    /// Environment variable holding the account code (optional).
    pub const ACCOUNT_CODE_VAR: &'static str = "CSPCTL_DICKERDATA_ACCOUNT_CODE";

    /// Credentials passed in directly (tests, embedding).
    pub fn new(access_token: impl Into<String>, account_code: Option<&str>) -> Self {
        DickerDataCredentials {
            access_token: Secret::new(access_token),
            account_code: account_code.map(Secret::new),
        }
    }

    /// Reads `CSPCTL_DICKERDATA_ACCESS_TOKEN` and, when set, `CSPCTL_DICKERDATA_ACCOUNT_CODE`.
    pub fn from_env() -> Result<Self, LiveError> {
        let token = Secret::from_env(Self::ACCESS_TOKEN_VAR).map_err(|e| LiveError::Config(e.to_string()))?;
        Ok(DickerDataCredentials {
            access_token: token,
            account_code: Secret::from_env(Self::ACCOUNT_CODE_VAR).ok(),
        })
    }

    /// Replaces any credential text in `text` by `****`, for vendor messages that might echo
    /// a request back.
    pub(super) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in std::iter::once(&self.access_token).chain(self.account_code.as_ref()) {
            if !secret.expose().is_empty() {
                out = out.replace(secret.expose(), "****");
            }
        }
        out
    }
}
