//! Paged list reads: `pageSize=1000`, following the `Link` header's `rel="next"` (page numbers
//! or forward-only `pageId`) until there is none.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ConnectWise, PAGE_SIZE, request};
use crate::live::http::Idempotency;
use crate::live::{LiveError, RequestLabel};

/// The `rel="next"` target of an RFC 5988 `Link` header, if any. URLs are taken between `<>`
/// so commas inside them do not split entries.
pub(super) fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let mut rest = value.to_str().ok()?;
        while let Some(open) = rest.find('<') {
            let close = open + rest[open..].find('>')?;
            let url = &rest[open + 1..close];
            let params_end = rest[close..].find('<').map_or(rest.len(), |k| close + k);
            let params = &rest[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next {
                return Some(url.to_string());
            }
            rest = &rest[params_end..];
        }
    }
    None
}

impl ConnectWise {
    /// Every row of `path` (relative to the API base) that `conditions` keeps.
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        conditions: Option<&str>,
    ) -> Result<Vec<T>, LiveError> {
        let label = RequestLabel::new("GET", path);
        let base = self.api_base().await?;
        let mut first = url::Url::parse(&format!("{base}{path}"))
            .map_err(|e| LiveError::Config(format!("{label}: {e}")))?;
        {
            let mut query = first.query_pairs_mut();
            if let Some(c) = conditions {
                query.append_pair("conditions", c);
            }
            query.append_pair("pageSize", &PAGE_SIZE.to_string());
        }
        let mut rows = Vec::new();
        let mut url = first.clone();
        let mut page = 1;
        loop {
            let reply =
                request::check(&label, self.send(&label, url.as_str(), None, Idempotency::Retry).await?)?;
            let batch: Vec<Value> = reply.json(&label)?;
            let full = batch.len() >= PAGE_SIZE;
            let last_id = batch.last().and_then(|r| r.get("id")).and_then(Value::as_i64);
            for row in batch {
                rows.push(
                    serde_json::from_value(row).map_err(|e| LiveError::Malformed {
                        request: label.clone(),
                        detail: e.to_string(),
                    })?,
                );
            }
            page += 1;
            url = match next_link(&reply.headers) {
                Some(next) => self.same_site(&label, &next)?,
                // A full page without a link: some endpoints do not send one; ask on.
                None if full => {
                    let mut next = first.clone();
                    if self.forward_only {
                        let id = last_id.ok_or_else(|| LiveError::Malformed {
                            request: label.clone(),
                            detail: "rows without `id`".into(),
                        })?;
                        next.query_pairs_mut().append_pair("pageId", &id.to_string());
                    } else {
                        next.query_pairs_mut().append_pair("page", &page.to_string());
                    }
                    next
                }
                None => return Ok(rows),
            };
        }
    }

    /// A `Link` target, refused unless it is on the site credentials are meant for.
    fn same_site(&self, label: &RequestLabel, link: &str) -> Result<url::Url, LiveError> {
        let url = url::Url::parse(link).map_err(|e| LiveError::Malformed {
            request: label.clone(),
            detail: format!("Link header target is not a URL: {e}"),
        })?;
        if url.origin() != self.origin.origin() {
            return Err(LiveError::Malformed {
                request: label.clone(),
                detail: "Link header points at another host; not following it with credentials".into(),
            });
        }
        Ok(url)
    }
}
