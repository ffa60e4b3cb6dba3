//! Collection, count and single-record reads: `conditions` filtering, `orderBy`, `fields`,
//! `page`/`pageSize` (max 1000) with RFC 5988 `Link` headers, and forward-only paging
//! (`pagination-type: forward-only` + `pageId`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{SimShared, error, json_response, wire};
use crate::model::{Calendar, PsaId, PsaSnapshot};

/// Largest page ConnectWise serves.
const MAX_PAGE_SIZE: usize = 1000;

/// Page size when the request names none.
const DEFAULT_PAGE_SIZE: usize = 25;

/// The query and headers of a list request.
struct ListRequest {
    params: Vec<(String, String)>,
    forward_only: bool,
    /// `scheme://host` the client addressed, for absolute `Link` URLs.
    origin: String,
    path: String,
}

impl ListRequest {
    fn new(shared: &SimShared, uri: &OriginalUri, query: Option<String>, headers: &HeaderMap) -> Self {
        let params = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let forward_only = headers
            .get("pagination-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("forward-only"));
        let origin = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .unwrap_or_else(|| shared.base_url().to_string());
        ListRequest { params, forward_only, origin, path: uri.0.path().to_string() }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The rows `conditions` keeps, or a 400 naming the problem.
    fn filter<'r>(&self, rows: &'r [Value]) -> Result<Vec<&'r Value>, Response> {
        let Some(text) = self.param("conditions").filter(|c| !c.trim().is_empty()) else {
            return Ok(rows.iter().collect());
        };
        let condition = super::conditions::parse(text)
            .map_err(|e| error(StatusCode::BAD_REQUEST, "InvalidObject", &format!("conditions: {e}")))?;
        Ok(rows.iter().filter(|r| condition.matches(r)).collect())
    }

    fn number(&self, name: &str) -> Result<Option<i64>, Response> {
        match self.param(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                error(StatusCode::BAD_REQUEST, "InvalidObject", &format!("{name} must be an integer"))
            }),
        }
    }

    fn link(&self, replace: &[(&str, String)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            if !replace.iter().any(|(r, _)| k.eq_ignore_ascii_case(r)) {
                query.append_pair(k, v);
            }
        }
        for (k, v) in replace {
            query.append_pair(k, v);
        }
        format!("{}{}?{}", self.origin, self.path, query.finish())
    }

    /// One page of `rows` (filtered, ordered by id) with its `Link` header; only the page's
    /// rows are copied.
    fn page(&self, rows: &[Value]) -> Response {
        let mut rows = match self.filter(rows) {
            Ok(rows) => rows,
            Err(response) => return response,
        };
        let id = |r: &&Value| r.get("id").and_then(Value::as_i64).unwrap_or(0);
        if !rows.is_sorted_by_key(id) {
            rows.sort_by_key(id);
        }
        if let Some(order_by) = self.param("orderBy").filter(|_| !self.forward_only) {
            super::shape::order(&mut rows, order_by);
        }
        let size = match self.number("pageSize") {
            Ok(size) => size.map_or(DEFAULT_PAGE_SIZE, |s| (s.max(1) as usize).min(MAX_PAGE_SIZE)),
            Err(response) => return response,
        };
        let (body, links) = if self.forward_only {
            let after = match self.number("pageId") {
                Ok(after) => after.unwrap_or(0),
                Err(response) => return response,
            };
            let rest: Vec<&Value> = rows
                .into_iter()
                .filter(|r| r.get("id").and_then(Value::as_i64).unwrap_or(0) > after)
                .collect();
            let more = rest.len() > size;
            let body: Vec<&Value> = rest.into_iter().take(size).collect();
            let last_id = body.last().and_then(|r| r.get("id")).and_then(Value::as_i64);
            let links = match (more, last_id) {
                (true, Some(id)) => {
                    vec![(self.link(&[("pageSize", size.to_string()), ("pageId", id.to_string())]), "next")]
                }
                _ => Vec::new(),
            };
            (body, links)
        } else {
            let page = match self.number("page") {
                Ok(page) => page.unwrap_or(1).max(1) as usize,
                Err(response) => return response,
            };
            let last = rows.len().div_ceil(size).max(1);
            let body: Vec<&Value> = rows.into_iter().skip((page - 1) * size).take(size).collect();
            let at = |p: usize| self.link(&[("pageSize", size.to_string()), ("page", p.to_string())]);
            let mut links = Vec::new();
            if page > 1 {
                links.push((at(page - 1), "prev"));
            }
            if page < last {
                links.push((at(page + 1), "next"));
            }
            links.push((at(1), "first"));
            links.push((at(last), "last"));
            (body, links)
        };
        let body = match self.param("fields").filter(|f| !f.trim().is_empty()) {
            Some(fields) => body.iter().map(|row| super::shape::project(row, fields)).collect(),
            None => body.into_iter().cloned().collect(),
        };
        let mut response = json_response(StatusCode::OK, Value::Array(body));
        let header_text: Vec<String> =
            links.iter().map(|(url, rel)| format!("<{url}>; rel=\"{rel}\"")).collect();
        if let Ok(value) = HeaderValue::from_str(&header_text.join(", "))
            && !header_text.is_empty()
        {
            response.headers_mut().insert(header::LINK, value);
        }
        response
    }

    fn count(&self, rows: &[Value]) -> Response {
        match self.filter(rows) {
            Ok(rows) => json_response(StatusCode::OK, json!({ "count": rows.len() })),
            Err(response) => response,
        }
    }
}

fn one(rows: &[Value], id: PsaId, what: &str) -> Response {
    match rows.iter().find(|r| r.get("id").and_then(Value::as_i64) == Some(id)) {
        Some(row) => json_response(StatusCode::OK, row.clone()),
        None => error(StatusCode::NOT_FOUND, "NotFound", &format!("{what} recId '{id}' was not found")),
    }
}

/// Positions of the state's records by id, of each agreement's additions, and the three lists
/// as the wire shows them (rendered on first read): built once per state generation
/// ([`SimShared::view`]), so a query costs what it returns, not a rendering of every row.
struct Index {
    companies: HashMap<PsaId, usize>,
    products: HashMap<PsaId, usize>,
    agreements: HashMap<PsaId, usize>,
    additions: HashMap<PsaId, Vec<usize>>,
    rendered: [std::sync::OnceLock<Vec<Value>>; 3],
}

fn index(shared: &SimShared, state: &crate::sim::StateGuard<'_>) -> Arc<Index> {
    shared.view(state, "connectwise", |state| {
        let psa = &state.psa;
        let positions = |ids: Vec<PsaId>| ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        let mut additions: HashMap<PsaId, Vec<usize>> = HashMap::new();
        for (i, a) in psa.additions.iter().enumerate() {
            additions.entry(a.agreement).or_default().push(i);
        }
        Index {
            companies: positions(psa.companies.iter().map(|c| c.id).collect()),
            products: positions(psa.products.iter().map(|p| p.id).collect()),
            agreements: positions(psa.agreements.iter().map(|a| a.id).collect()),
            additions,
            rendered: Default::default(),
        }
    })
}

/// Rows of the three lists, ordered by id as the state holds them.
fn companies_of<'i>(psa: &PsaSnapshot, index: &'i Index, _: &Calendar) -> &'i [Value] {
    index.rendered[0].get_or_init(|| {
        psa.companies.iter().map(|c| wire::company(c, !psa.inactive_companies.contains(&c.id))).collect()
    })
}

fn agreements_of<'i>(psa: &PsaSnapshot, index: &'i Index, calendar: &Calendar) -> &'i [Value] {
    index.rendered[1].get_or_init(|| {
        psa.agreements
            .iter()
            .map(|a| {
                wire::agreement_of(a, index.companies.get(&a.company).map(|&i| &psa.companies[i]), calendar)
            })
            .collect()
    })
}

fn catalog_of<'i>(psa: &PsaSnapshot, index: &'i Index, _: &Calendar) -> &'i [Value] {
    index.rendered[2].get_or_init(|| psa.products.iter().map(wire::catalog_item).collect())
}

/// One agreement's additions through the index, or a 404 when the agreement does not exist.
fn indexed_additions(
    psa: &PsaSnapshot,
    index: &Index,
    agreement: PsaId,
    calendar: &Calendar,
) -> Result<Vec<Value>, Response> {
    let Some(&at) = index.agreements.get(&agreement) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("Agreement recId '{agreement}' was not found"),
        ));
    };
    let status = Some(psa.agreements[at].status);
    Ok(index
        .additions
        .get(&agreement)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|&i| {
            let a = &psa.additions[i];
            wire::addition_of(a, index.products.get(&a.product).map(|&p| &psa.products[p]), status, calendar)
        })
        .collect())
}

/// A 404 when the agreement does not exist.
pub(super) fn agreement_exists(psa: &PsaSnapshot, agreement: PsaId) -> Result<(), Response> {
    if psa.agreements.iter().any(|a| a.id == agreement) {
        return Ok(());
    }
    Err(error(StatusCode::NOT_FOUND, "NotFound", &format!("Agreement recId '{agreement}' was not found")))
}

macro_rules! collection {
    ($list:ident, $count:ident, $item:ident, $rows:ident, $what:literal) => {
        /// The collection, one page at a time.
        pub(super) async fn $list(
            State(shared): State<Arc<SimShared>>,
            uri: OriginalUri,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
        ) -> Response {
            let calendar = shared.calendar();
            let state = shared.lock_state();
            let index = index(&shared, &state);
            let rows = $rows(&state.psa, &index, &calendar);
            drop(state);
            ListRequest::new(&shared, &uri, query, &headers).page(rows)
        }

        /// `{"count": N}` of the rows `conditions` keeps.
        pub(super) async fn $count(
            State(shared): State<Arc<SimShared>>,
            uri: OriginalUri,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
        ) -> Response {
            let calendar = shared.calendar();
            let state = shared.lock_state();
            let index = index(&shared, &state);
            let rows = $rows(&state.psa, &index, &calendar);
            drop(state);
            ListRequest::new(&shared, &uri, query, &headers).count(rows)
        }

        /// One record by id.
        pub(super) async fn $item(State(shared): State<Arc<SimShared>>, Path(id): Path<PsaId>) -> Response {
            let calendar = shared.calendar();
            let state = shared.lock_state();
            one($rows(&state.psa, &index(&shared, &state), &calendar), id, $what)
        }
    };
}

collection!(companies, companies_count, company, companies_of, "Company");
collection!(agreements, agreements_count, agreement, agreements_of, "Agreement");
collection!(catalog, catalog_count, catalog_item, catalog_of, "Catalog item");

/// The additions of one agreement, one page at a time.
pub(super) async fn additions(
    State(shared): State<Arc<SimShared>>,
    Path(id): Path<PsaId>,
    uri: OriginalUri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = ListRequest::new(&shared, &uri, query, &headers);
    let calendar = shared.calendar();
    let rows = {
        let state = shared.lock_state();
        indexed_additions(&state.psa, &index(&shared, &state), id, &calendar)
    };
    rows.map_or_else(|missing| missing, |rows| request.page(&rows))
}

/// `{"count": N}` of one agreement's additions that `conditions` keeps.
pub(super) async fn additions_count(
    State(shared): State<Arc<SimShared>>,
    Path(id): Path<PsaId>,
    uri: OriginalUri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = ListRequest::new(&shared, &uri, query, &headers);
    let calendar = shared.calendar();
    let rows = {
        let state = shared.lock_state();
        indexed_additions(&state.psa, &index(&shared, &state), id, &calendar)
    };
    rows.map_or_else(|missing| missing, |rows| request.count(&rows))
}
