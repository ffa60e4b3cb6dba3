//! The Autotask client against the simulator's Autotask dialect over loopback: snapshots,
//! writes and their units, stale refusal, request counts, faults, the swagger, credentials.

#[path = "autotask/e2e.rs"]
mod e2e;
#[path = "autotask/faults.rs"]
mod faults;
#[path = "autotask/flows.rs"]
mod flows;
#[path = "support/logs.rs"]
mod logs;
#[path = "autotask/names.rs"]
mod names;
#[path = "autotask/query.rs"]
mod query;
#[path = "autotask/races.rs"]
mod races;
#[path = "autotask/reads.rs"]
mod reads;
#[path = "autotask/same_day.rs"]
mod same_day;
#[path = "autotask/security.rs"]
mod security;
#[path = "autotask/spec.rs"]
mod spec;
#[path = "autotask/support.rs"]
mod support;
#[path = "autotask/swagger.rs"]
mod swagger;
#[path = "autotask/timezone.rs"]
mod timezone;
#[path = "autotask/whole.rs"]
mod whole;
#[path = "autotask/writes.rs"]
mod writes;

use chrono::Days;
use cspctl::live::autotask::Autotask;
use cspctl::live::{LiveError, Psa};
use cspctl::model::{Addition, Fingerprint, PsaScope, Write};
use cspctl::sim::autotask::{dialect_stats, units_on};
use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::*;

pub fn addition(snapshot: &cspctl::model::PsaSnapshot, id: i64) -> Addition {
    match snapshot.additions.iter().find(|a| a.id == id) {
        Some(a) => a.clone(),
        None => panic!("addition {id} missing from the snapshot"),
    }
}

pub async fn snap(client: &Autotask, scope: &PsaScope) -> cspctl::model::PsaSnapshot {
    match client.snapshot(scope).await {
        Ok(s) => s,
        Err(e) => panic!("snapshot: {e}"),
    }
}

pub async fn write(client: &Autotask, w: &Write) -> cspctl::model::Applied {
    match client.apply(w).await {
        Ok(a) => a,
        Err(e) => panic!("{w:?}: {e}"),
    }
}

/// Raw call to the simulator, as Autotask would be called by hand.
pub async fn raw(
    sim: &cspctl::sim::RunningSim,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let [code, user, secret] = cspctl::sim::SimCredentials::default().autotask;
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/ATServicesRest/V1.0/{path}", sim.url()))
        .header("ApiIntegrationCode", code)
        .header("UserName", user)
        .header("Secret", secret);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
#[path = "autotask/realities.rs"]
mod realities;
