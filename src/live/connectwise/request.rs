//! One ConnectWise request: the site's codebase, Basic auth, `clientId`, the pinned `Accept`
//! version, and error statuses turned into messages that name the request.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::ConnectWise;
use super::wire::CwError;
use crate::live::http::{self, Idempotency, Reply};
use crate::live::{LiveError, RequestLabel};

/// `scheme://host[:port]` from a `site:` that is a bare host or a full URL.
pub(super) fn origin(site: &str) -> Result<url::Url, LiveError> {
    let site = site.trim();
    let text = if site.contains("://") { site.to_string() } else { format!("https://{site}") };
    let bad = |why: &str| {
        LiveError::Config(format!(
            "psa.connectwise.site `{site}` {why}; give a host such as api-au.myconnectwise.net or a URL such as http://127.0.0.1:8080"
        ))
    };
    let url = url::Url::parse(&text).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("is not an http(s) host"));
    }
    if !url.path().trim_matches('/').is_empty() || url.query().is_some() {
        return Err(bad("has a path; set `codebase:` separately"));
    }
    url::Url::parse(&url.origin().ascii_serialization()).map_err(|e| bad(&e.to_string()))
}

#[derive(serde::Deserialize)]
struct CompanyInfo {
    #[serde(rename = "Codebase")]
    codebase: Option<String>,
}

impl ConnectWise {
    /// `{origin}/{codebase}apis/3.0`, asking `/login/companyinfo/{company}` once when
    /// `codebase:` is not set.
    pub(super) async fn api_base(&self) -> Result<String, LiveError> {
        let mut base = self.api_base.lock().await;
        if let Some(b) = base.as_ref() {
            return Ok(b.clone());
        }
        let codebase = match &self.codebase {
            Some(c) => c.clone(),
            None => self.discover_codebase().await?,
        };
        let found = self.base_for(&codebase);
        *base = Some(found.clone());
        Ok(found)
    }

    fn base_for(&self, codebase: &str) -> String {
        format!("{}/{codebase}apis/3.0", self.origin.as_str().trim_end_matches('/'))
    }

    /// Where `url` (under an API base) lives now, after it answered 404: a discovered codebase
    /// can move when a cloud tenant is upgraded, so the codebase is looked up again, once per
    /// run. `None` when nothing moved (a configured codebase, the same answer, or the one
    /// lookup already spent): the 404 stands.
    pub(super) async fn moved(&self, url: &str) -> Result<Option<String>, LiveError> {
        if self.codebase.is_some() {
            return Ok(None);
        }
        let Some((_, rest)) = url.split_once("/apis/3.0") else { return Ok(None) };
        let mut base = self.api_base.lock().await;
        let current = base.clone().unwrap_or_default();
        if !current.is_empty() && !url.starts_with(&current) {
            // Another request already found the new codebase.
            return Ok(Some(format!("{current}{rest}")));
        }
        if self.rediscovered.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        let fresh = self.base_for(&self.discover_codebase().await?);
        if fresh == current {
            return Ok(None);
        }
        tracing::info!(codebase = %fresh, "ConnectWise codebase moved; following it");
        *base = Some(fresh.clone());
        Ok(Some(format!("{fresh}{rest}")))
    }

    async fn discover_codebase(&self) -> Result<String, LiveError> {
        let path = format!("/login/companyinfo/{}", self.company);
        let label = RequestLabel::new("GET", &path);
        let url = self.origin.join(&path).map_err(|e| LiveError::Config(format!("{label}: {e}")))?;
        let build = || self.http.get(url.clone()).header("Accept", "application/json");
        // An unreadable answer is asked for again, as for a 5xx: discovery is a read.
        http::read(&label, &self.retry, build, |reply| {
            if !reply.status.is_success() {
                return Err(LiveError::Vendor {
                    request: label.clone(),
                    status: reply.status.as_u16(),
                    message: format!(
                        "could not discover the codebase of company `{}` ({}){}; check `company:` or set `codebase:`",
                        self.company,
                        reply.text_excerpt(),
                        request_id(reply)
                    ),
                });
            }
            // ConnectWise answers 200 with `null` for a company id it does not know.
            let info: Option<CompanyInfo> = reply.json(&label)?;
            let Some(info) = info else {
                return Err(LiveError::Config(format!(
                    "{label}: ConnectWise does not know the company id `{}` (it answered `null`); \
                     psa.connectwise.company must be the company id you log in with",
                    self.company
                )));
            };
            let codebase = info.codebase.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                LiveError::Malformed { request: label.clone(), detail: "no Codebase in the answer".into() }
            })?;
            Ok(format!("{}/", codebase.trim_matches('/')))
        })
        .await
    }

    /// A request with the site's credentials and headers. The secrets are exposed only here.
    fn build(&self, method: &Method, url: &str, body: Option<&Value>) -> reqwest::RequestBuilder {
        let user = format!("{}+{}", self.company, self.credentials.public_key.expose());
        let mut builder = self
            .http
            .request(method.clone(), url)
            .basic_auth(user, Some(self.credentials.private_key.expose()));
        if let Ok(mut client_id) = reqwest::header::HeaderValue::from_str(self.credentials.client_id.expose())
        {
            client_id.set_sensitive(true);
            builder = builder.header("clientId", client_id);
        }
        builder = builder.header("Accept", &self.accept);
        if self.forward_only && method == Method::GET {
            builder = builder.header("pagination-type", "forward-only");
        }
        if let Some(body) = body {
            builder = builder.header("Content-Type", "application/json").body(body.to_string());
        }
        builder
    }

    /// Sends a request to `url` (absolute), retrying what `idempotency` allows; returns the
    /// reply whatever its status.
    pub(super) async fn send(
        &self,
        label: &RequestLabel,
        url: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> Result<Reply, LiveError> {
        let method = Method::from_bytes(label.method.as_bytes()).unwrap_or(Method::GET);
        let gate = (method == Method::GET).then_some(&self.reads);
        http::send_gated(label, &self.retry, idempotency, gate, || self.build(&method, url, body)).await
    }

    /// GETs one JSON document, reading again when the body arrives unreadable (safe for reads).
    pub(super) async fn read_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, LiveError> {
        let label = RequestLabel::new("GET", path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.call("GET", path, None, Idempotency::Retry).await?.json(&label) {
                Ok(value) => return Ok(value),
                Err(e) if attempt >= self.retry.max_attempts => return Err(e),
                Err(e) => {
                    tracing::debug!(request = %label, error = %e, attempt, "unreadable body; reading again");
                    http::sleep_backoff(&self.retry, attempt, None).await;
                }
            }
        }
    }

    /// Sends `method path` (relative to the API base) and fails on any non-2xx status.
    pub(super) async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> Result<Reply, LiveError> {
        let label = RequestLabel::new(method, path);
        let url = format!("{}{path}", self.api_base().await?);
        let reply = self.send(&label, &url, body, idempotency).await?;
        if reply.status == StatusCode::NOT_FOUND
            && let Some(moved) = self.moved(&url).await?
        {
            return check(&label, self.send(&label, &moved, body, idempotency).await?);
        }
        check(&label, reply)
    }
}

/// Turns an error status into [`LiveError`], with ConnectWise's message when it sent one.
pub(super) fn check(label: &RequestLabel, reply: Reply) -> Result<Reply, LiveError> {
    if reply.status.is_success() {
        return Ok(reply);
    }
    let status = reply.status.as_u16();
    // Error bodies can carry raw line breaks inside their strings; JSON allows none there.
    let body = String::from_utf8_lossy(&reply.body).replace("\r\n", " ").replace('\n', " ");
    let message = match serde_json::from_str::<CwError>(&body) {
        Ok(body) => body.describe(),
        Err(_) => match reply.text_excerpt() {
            t if t.is_empty() => reply.status.canonical_reason().unwrap_or("no body").to_string(),
            t => t,
        },
    };
    let message = format!("{message}{}", request_id(&reply));
    Err(match reply.status {
        StatusCode::UNAUTHORIZED => LiveError::Auth { request: label.clone(), status, message },
        StatusCode::FORBIDDEN => LiveError::Auth {
            request: label.clone(),
            status,
            message: format!(
                "{message}. Check CSPCTL_CW_CLIENT_ID and that the API member's security role allows this"
            ),
        },
        _ => LiveError::Vendor { request: label.clone(), status, message },
    })
}

/// ` (x-cw-request-id …)` when ConnectWise sent one, so a support case can name the request.
pub(super) fn request_id(reply: &Reply) -> String {
    reply
        .headers
        .get("x-cw-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .map(|v| format!(" (x-cw-request-id {})", v.trim()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_is_a_host_or_an_origin() {
        assert_eq!(origin("api-au.myconnectwise.net").unwrap().as_str(), "https://api-au.myconnectwise.net/");
        assert_eq!(origin("http://127.0.0.1:8080/").unwrap().as_str(), "http://127.0.0.1:8080/");
        assert!(
            origin("https://na.myconnectwise.net/v4_6_release/apis/3.0")
                .unwrap_err()
                .to_string()
                .contains("codebase")
        );
        assert!(origin("ftp://example.com").is_err());
    }
}
