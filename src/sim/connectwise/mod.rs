//! The ConnectWise Manage dialect of the simulator: `/login/companyinfo/{company}` and the
//! REST API under `/{codebase}/apis/3.0` (both `v4_6_release` and the codebase companyinfo
//! reports), serving the sandbox PSA state with ConnectWise's paths, field names, Basic auth
//! plus `clientId`, `conditions`, `page`/`pageSize` with `Link` headers (and forward-only
//! paging), and its error bodies. Writes go into the shared sandbox state. Like a live tenant,
//! it answers `200 null` for an unknown company id, sends `x-cw-request-id` on every answer,
//! and can move to another codebase mid-run (`PUT /_sandbox/connectwise/codebase`), after
//! which the old one answers 404.

#![allow(
    clippy::result_large_err,
    reason = "handlers return a finished error response early; not a hot path"
)]

mod additions;
pub mod conditions;
mod listing;
mod shape;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use super::SimShared;
pub use wire::INITIAL_STAMP;

/// The codebase `/login/companyinfo` reports; `v4_6_release` is served too.
pub const CODEBASE: &str = "v2026_4";

/// The codebase every ConnectWise cloud tenant also answers on.
pub const RELEASE_CODEBASE: &str = "v4_6_release";

/// The codebase a tenant moves to when a test says so.
pub const NEXT_CODEBASE: &str = "v2027_1";

/// Where tests move the tenant to another codebase: `PUT {"codebase": "v2027_1"}`.
pub const CODEBASE_CONTROL_PATH: &str = "/_sandbox/connectwise/codebase";

/// The codebase `/login/companyinfo` reports now.
#[derive(Clone)]
struct Current(Arc<std::sync::Mutex<String>>);

impl Current {
    fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Routes of this dialect.
pub fn routes(shared: Arc<SimShared>) -> Router {
    let api = Router::new()
        .route("/company/companies", get(listing::companies))
        .route("/company/companies/count", get(listing::companies_count))
        .route("/company/companies/{id}", get(listing::company))
        .route("/finance/agreements", get(listing::agreements))
        .route("/finance/agreements/count", get(listing::agreements_count))
        .route("/finance/agreements/{id}", get(listing::agreement))
        .route("/finance/agreements/{id}/additions", get(listing::additions).post(additions::create))
        .route("/finance/agreements/{id}/additions/count", get(listing::additions_count))
        .route(
            "/finance/agreements/{id}/additions/{additionId}",
            get(additions::get_one).patch(additions::patch).delete(additions::delete),
        )
        .route("/procurement/catalog", get(listing::catalog))
        .route("/procurement/catalog/count", get(listing::catalog_count))
        .route("/procurement/catalog/{id}", get(listing::catalog_item))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), authenticate))
        .with_state(shared.clone());
    let current = Current(Arc::new(std::sync::Mutex::new(CODEBASE.to_string())));
    let served = |codebase: &'static str| {
        let current = current.clone();
        api.clone().route_layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let current = current.clone();
            async move {
                if current.get() != codebase {
                    return error(StatusCode::NOT_FOUND, "NotFound", "The requested resource was not found");
                }
                next.run(request).await
            }
        }))
    };
    Router::new()
        .route("/login/companyinfo/{company}", get(company_info))
        .route(CODEBASE_CONTROL_PATH, axum::routing::put(move_codebase))
        .with_state(shared)
        .nest(&format!("/{RELEASE_CODEBASE}/apis/3.0"), api.clone())
        .nest(&format!("/{CODEBASE}/apis/3.0"), served(CODEBASE))
        .nest(&format!("/{NEXT_CODEBASE}/apis/3.0"), served(NEXT_CODEBASE))
        .layer(axum::Extension(current))
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            if let Ok(id) = header::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                response.headers_mut().insert("x-cw-request-id", id);
            }
            response
        }))
}

/// `PUT /_sandbox/connectwise/codebase {"codebase": ...}`: companyinfo reports it from now on,
/// and the codebase it replaces answers 404 (`v4_6_release` always answers).
async fn move_codebase(
    axum::Extension(current): axum::Extension<Current>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    match body.get("codebase").and_then(Value::as_str) {
        Some(c @ (CODEBASE | NEXT_CODEBASE)) => {
            *current.0.lock().unwrap_or_else(|p| p.into_inner()) = c.to_string();
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::BAD_REQUEST, "InvalidObject", "codebase must be v2026_4 or v2027_1"),
    }
}

/// `GET /login/companyinfo/{company}`: no auth; tells clients which codebase to use.
async fn company_info(
    State(shared): State<Arc<SimShared>>,
    axum::Extension(current): axum::Extension<Current>,
    Path(company): Path<String>,
) -> Response {
    if !company.eq_ignore_ascii_case(&shared.credentials.connectwise[0]) {
        // As live ConnectWise does: 200 with a `null` body for a company id it does not know.
        return json_response(StatusCode::OK, Value::Null);
    }
    axum::Json(json!({
        "CompanyName": "Sandbox MSP",
        "Codebase": format!("{}/", current.get()),
        "VersionCode": "v2026.4",
        "VersionNumber": "v4.6.2026.4",
        "CompanyID": shared.credentials.connectwise[0],
        "IsCloud": false,
    }))
    .into_response()
}

/// Basic `company+publicKey:privateKey` (401 otherwise), then `clientId` (403 without).
async fn authenticate(State(shared): State<Arc<SimShared>>, request: Request, next: Next) -> Response {
    let [company, public, private, client_id] = &shared.credentials.connectwise;
    let given = basic_credentials(request.headers());
    let accepted = given
        .as_deref()
        .and_then(|g| g.split_once(':'))
        .and_then(|(user, pass)| user.split_once('+').map(|(c, p)| (c, p, pass)))
        .is_some_and(|(c, p, pass)| c.eq_ignore_ascii_case(company) && p == public && pass == private);
    if !accepted {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Authentication failed: invalid API member keys",
        );
    }
    let client = request.headers().get("clientid").and_then(|v| v.to_str().ok());
    if client != Some(client_id.as_str()) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "A valid clientId header is required (register one at developer.connectwise.com)",
        );
    }
    next.run(request).await
}

fn basic_credentials(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// A ConnectWise-shaped error response.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, wire::error_body(code, message, &[]))
}

/// A JSON response with ConnectWise's content type.
fn json_response(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
