//! Paged list reads: `pageSize=1000`, following the `Link` header's `rel="next"` (page numbers
//! or forward-only `pageId`) until there is none.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ConnectWise, PAGE_SIZE, request};
use crate::live::http::{Idempotency, sleep_backoff};
use crate::live::{LiveError, RequestLabel};

/// The target of the `rel` entry of an RFC 5988 `Link` header, if any. URLs are taken between
/// `<>` so commas inside them do not split entries.
pub(super) fn link(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    let wanted = format!("rel=\"{rel}\"");
    for value in headers.get_all(reqwest::header::LINK) {
        let mut rest = value.to_str().ok()?;
        while let Some(open) = rest.find('<') {
            let close = open + rest[open..].find('>')?;
            let url = &rest[open + 1..close];
            let params_end = rest[close..].find('<').map_or(rest.len(), |k| close + k);
            let params = &rest[close + 1..params_end];
            let matches = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.eq_ignore_ascii_case(&wanted) || p.eq_ignore_ascii_case(&format!("rel={rel}"))
            });
            if matches {
                return Some(url.to_string());
            }
            rest = &rest[params_end..];
        }
    }
    None
}

/// One list read in progress, a page at a time.
pub(super) struct Pager<'a> {
    cw: &'a ConnectWise,
    label: RequestLabel,
    first: url::Url,
    next: Option<url::Url>,
    page: usize,
    /// Pages in the whole list, when the first reply's `rel="last"` link said so.
    pub last_page: Option<usize>,
}

impl<'a> Pager<'a> {
    /// Starts reading `path` (relative to the API base), filtered by `conditions`.
    pub(super) async fn new(
        cw: &'a ConnectWise,
        path: &str,
        conditions: Option<&str>,
    ) -> Result<Self, LiveError> {
        let label = RequestLabel::new("GET", path);
        let base = cw.api_base().await?;
        let mut first = url::Url::parse(&format!("{base}{path}"))
            .map_err(|e| LiveError::Config(format!("{label}: {e}")))?;
        {
            let mut query = first.query_pairs_mut();
            if let Some(c) = conditions {
                query.append_pair("conditions", c);
            }
            query.append_pair("pageSize", &PAGE_SIZE.to_string());
        }
        Ok(Pager { cw, label, next: Some(first.clone()), first, page: 0, last_page: None })
    }

    /// The next page's rows, or `None` after the last.
    pub(super) async fn next_page(&mut self) -> Result<Option<Vec<Value>>, LiveError> {
        let Some(mut url) = self.next.take() else { return Ok(None) };
        let label = &self.label;
        let mut attempt = 0;
        // A truncated body is retried like a dropped connection: reading again is harmless.
        let (reply, batch) = loop {
            attempt += 1;
            let mut reply = self.cw.send(label, url.as_str(), None, Idempotency::Retry).await?;
            if reply.status == reqwest::StatusCode::NOT_FOUND
                && let Some(moved) = self.cw.moved(url.as_str()).await?
            {
                url = url::Url::parse(&moved).map_err(|e| LiveError::Config(format!("{label}: {e}")))?;
                if let Some(first) = self.cw.moved(self.first.as_str()).await? {
                    self.first =
                        url::Url::parse(&first).map_err(|e| LiveError::Config(format!("{label}: {e}")))?;
                }
                reply = self.cw.send(label, url.as_str(), None, Idempotency::Retry).await?;
            }
            let reply = request::check(label, reply)?;
            match reply.json::<Vec<Value>>(label) {
                Ok(batch) => break (reply, batch),
                Err(e) if attempt >= self.cw.retry.max_attempts => return Err(e),
                Err(e) => {
                    tracing::debug!(request = %label, error = %e, attempt, "unreadable page; reading again");
                    sleep_backoff(&self.cw.retry, attempt, None).await;
                }
            }
        };
        self.page += 1;
        if self.page == 1 {
            self.last_page = link(&reply.headers, "last")
                .and_then(|l| url::Url::parse(&l).ok())
                .and_then(|u| u.query_pairs().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()));
        }
        self.next = match link(&reply.headers, "next") {
            Some(next) => Some(self.cw.same_site(label, &next)?),
            // A full page and no `Link` header at all: some endpoints send none; ask on.
            None if batch.len() >= PAGE_SIZE && !reply.headers.contains_key(reqwest::header::LINK) => {
                let mut next = self.first.clone();
                if self.cw.forward_only {
                    let id =
                        batch.last().and_then(|r| r.get("id")).and_then(Value::as_i64).ok_or_else(|| {
                            LiveError::Malformed {
                                request: label.clone(),
                                detail: "rows without `id`".into(),
                            }
                        })?;
                    next.query_pairs_mut().append_pair("pageId", &id.to_string());
                } else {
                    next.query_pairs_mut().append_pair("page", &(self.page + 1).to_string());
                }
                Some(next)
            }
            None => None,
        };
        Ok(Some(batch))
    }

    /// Reads the remaining pages and decodes every row, `rows` (already read) first.
    pub(super) async fn finish<T: DeserializeOwned>(
        mut self,
        mut rows: Vec<Value>,
    ) -> Result<Vec<T>, LiveError> {
        while let Some(batch) = self.next_page().await? {
            rows.extend(batch);
        }
        rows.into_iter()
            .map(|row| {
                serde_json::from_value(row)
                    .map_err(|e| LiveError::Malformed { request: self.label.clone(), detail: e.to_string() })
            })
            .collect()
    }
}

impl ConnectWise {
    /// Every row of `path` (relative to the API base) that `conditions` keeps.
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        conditions: Option<&str>,
    ) -> Result<Vec<T>, LiveError> {
        Pager::new(self, path, conditions).await?.finish(Vec::new()).await
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

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    use super::*;

    #[test]
    fn finds_rels_even_with_commas_inside_urls() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            HeaderValue::from_static(
                "<https://h/x?conditions=id in (1,2)&page=1>; rel=\"first\", <https://h/x?page=3&ids=4,5>; rel=\"next\", <https://h/x?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(link(&headers, "next").as_deref(), Some("https://h/x?page=3&ids=4,5"));
        assert_eq!(link(&headers, "last").as_deref(), Some("https://h/x?page=9"));
        assert_eq!(link(&headers, "prev"), None);
    }
}
