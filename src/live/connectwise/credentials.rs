//! The API member keys and integration id ConnectWise asks for, held so they cannot be printed.

use std::fmt;

use crate::live::LiveError;
use crate::secret::Secret;

/// Environment variable holding the API member's public key.
pub const PUBLIC_KEY_VAR: &str = "CSPCTL_CW_PUBLIC_KEY";
/// Environment variable holding the API member's private key.
pub const PRIVATE_KEY_VAR: &str = "CSPCTL_CW_PRIVATE_KEY";
/// Environment variable holding the integration's `clientId` (developer.connectwise.com).
pub const CLIENT_ID_VAR: &str = "CSPCTL_CW_CLIENT_ID";

/// Keys of a ConnectWise API member plus the integration's `clientId`. The login company comes
/// from `cspctl.yaml` (`company:`). Every field is redacted in `Debug`.
#[derive(Clone)]
pub struct ConnectWiseCredentials {
    /// Public key (the part after `company+` in the Basic user name).
    pub public_key: Secret,
    /// Private key (the Basic password).
    pub private_key: Secret,
    /// The integration's `clientId` header value.
    pub client_id: Secret,
}

impl ConnectWiseCredentials {
    /// Credentials passed in directly (tests, embedding programs).
    pub fn new(public_key: &str, private_key: &str, client_id: &str) -> Self {
        ConnectWiseCredentials {
            public_key: Secret::new(public_key),
            private_key: Secret::new(private_key),
            client_id: Secret::new(client_id),
        }
    }

    /// Reads `CSPCTL_CW_PUBLIC_KEY`, `CSPCTL_CW_PRIVATE_KEY` and `CSPCTL_CW_CLIENT_ID`.
    pub fn from_env() -> Result<Self, LiveError> {
        let read = |var: &str| Secret::from_env(var).map_err(|e| LiveError::Config(e.to_string()));
        Ok(ConnectWiseCredentials {
            public_key: read(PUBLIC_KEY_VAR)?,
            private_key: read(PRIVATE_KEY_VAR)?,
            client_id: read(CLIENT_ID_VAR)?,
        })
    }
}

impl fmt::Debug for ConnectWiseCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectWiseCredentials")
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key)
            .field("client_id", &self.client_id)
            .finish()
    }
}
