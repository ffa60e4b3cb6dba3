//! Autotask API credentials: an API-only user's integration code, user name and secret.

use crate::live::LiveError;
use crate::secret::Secret;

/// Variable holding the tracking identifier (`ApiIntegrationCode`) of the API user.
pub const INTEGRATION_CODE_ENV: &str = "CSPCTL_AT_INTEGRATION_CODE";
/// Default variable holding the API user name (an e-mail address); `username_env` overrides it.
pub const USERNAME_ENV: &str = "CSPCTL_AT_USERNAME";
/// Variable holding the API user's secret.
pub const SECRET_ENV: &str = "CSPCTL_AT_SECRET";
/// Optional variable: resource id to impersonate (`ImpersonationResourceId`).
pub const IMPERSONATION_ENV: &str = "CSPCTL_AT_IMPERSONATION_RESOURCE_ID";

/// What Autotask needs in the headers of every call. All parts are [`Secret`]s: even the
/// user name identifies an API account and stays out of output.
#[derive(Debug, Clone)]
pub struct AutotaskCredentials {
    /// `ApiIntegrationCode` header.
    pub integration_code: Secret,
    /// `UserName` header; also the `user` of the zone lookup.
    pub username: Secret,
    /// `Secret` header.
    pub secret: Secret,
    /// `ImpersonationResourceId` header, when writes should be attributed to a resource.
    pub impersonation_resource_id: Option<Secret>,
}

impl AutotaskCredentials {
    /// Credentials passed in directly (tests, embedding).
    pub fn new(integration_code: &str, username: &str, secret: &str) -> Self {
        AutotaskCredentials {
            integration_code: Secret::new(integration_code),
            username: Secret::new(username),
            secret: Secret::new(secret),
            impersonation_resource_id: None,
        }
    }

    /// Reads [`INTEGRATION_CODE_ENV`], the user name variable (`username_env` or
    /// [`USERNAME_ENV`]), [`SECRET_ENV`] and optionally [`IMPERSONATION_ENV`].
    pub fn from_env(username_env: Option<&str>) -> Result<Self, LiveError> {
        let read = |var: &str| Secret::from_env(var).map_err(|e| LiveError::Config(e.to_string()));
        Ok(AutotaskCredentials {
            integration_code: read(INTEGRATION_CODE_ENV)?,
            username: read(username_env.unwrap_or(USERNAME_ENV))?,
            secret: read(SECRET_ENV)?,
            impersonation_resource_id: Secret::from_env(IMPERSONATION_ENV).ok(),
        })
    }
}
