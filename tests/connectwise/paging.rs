//! Paging edge cases a real site can produce and the simulator does not: endpoints that send
//! no `Link` header at all, and a `Link` pointing at another host (never followed with keys).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use cspctl::config::ConnectWiseSettings;
use cspctl::live::{LiveError, Psa};
use cspctl::model::PsaScope;
use serde_json::json;

use crate::support::*;

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn companies(from: i64, to: i64) -> serde_json::Value {
    (from..=to)
        .map(|i| json!({"id": i, "identifier": format!("C{i:05}"), "name": format!("Company {i}")}))
        .collect()
}

fn settings_for(site: String) -> ConnectWiseSettings {
    ConnectWiseSettings {
        site,
        company: "sandbox".into(),
        codebase: Some("cb".into()),
        api_version: None,
        concurrency: None,
    }
}

fn scope_of(n: usize) -> PsaScope {
    PsaScope { companies: (1..=n).map(|i| format!("C{i:05}")).collect(), ..PsaScope::default() }
}

#[tokio::test]
async fn pages_on_when_a_full_page_comes_without_any_link_header() {
    let app = axum::Router::new()
        .route(
            "/cb/apis/3.0/company/companies",
            get(|RawQuery(query): RawQuery| async move {
                let query = query.unwrap_or_default();
                let rows = if query.contains("page=2") { companies(1001, 1004) } else { companies(1, 1000) };
                axum::Json(rows)
            }),
        )
        .route("/cb/apis/3.0/finance/agreements", get(|| async { axum::Json(json!([])) }));
    let site = serve(app).await;
    // One literal chunk: a filtered read of the named companies, paged without Link headers.
    let mut scope = scope_of(1004);
    scope.companies = ["C00001".to_string(), "C01003".to_string()].into();
    let snap = client_with(&settings_for(site), credentials()).snapshot(&scope).await.expect("snapshot");
    let ids: Vec<i64> = snap.companies.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 1003], "page 2 was asked for although no Link said so");
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/cb/apis/3.0/company/companies",
        get(move |_: HeaderMap| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut response = axum::Json(companies(1, 2)).into_response();
                response.headers_mut().insert(
                    "link",
                    HeaderValue::from_static(
                        "<http://attacker.invalid/cb/apis/3.0/company/companies?page=2>; rel=\"next\"",
                    ),
                );
                response
            }
        }),
    );
    let site = serve(app).await;
    let err =
        client_with(&settings_for(site), credentials()).snapshot(&scope_of(2)).await.expect_err("refused");
    assert!(matches!(err, LiveError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("another host"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
