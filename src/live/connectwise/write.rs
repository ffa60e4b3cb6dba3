//! Writes: creates that re-read the pair before ever sending a second POST, and updates and
//! cancels as JSON-patch once `_info.lastUpdated`, as apply's read before writing found it,
//! matches the plan's. Every answer carries the addition, so no write reads back on its own.

use serde_json::{Map, Value, json};

use super::ConnectWise;
use super::request::check;
use super::wire::CwAddition;
use crate::live::http::{Idempotency, sleep_backoff};
use crate::live::{LiveError, RequestLabel};
use crate::model::{Addition, Applied, Fingerprint, PsaId, Write};

/// Refuses a write whose record moved since the plan (or, for a create, whose pair gained a
/// live addition since the plan saw none).
fn check_current(write: &Write, current: Option<&Addition>) -> Result<(), LiveError> {
    let gone = || Fingerprint("(no longer on the agreement)".into());
    match (write, current) {
        (Write::Create { .. }, Some(a)) if a.cancelled_date.is_none() => Err(LiveError::Stale {
            addition: a.id,
            expected: Fingerprint::default(),
            found: a.fingerprint.clone(),
        }),
        (Write::Create { .. }, _) => Ok(()),
        (Write::Update { addition, expected, .. } | Write::Cancel { addition, expected, .. }, found) => {
            let found = found.map(|a| a.fingerprint.clone()).unwrap_or_else(gone);
            if &found == expected {
                Ok(())
            } else {
                Err(LiveError::Stale { addition: *addition, expected: expected.clone(), found })
            }
        }
    }
}

/// Carries out one write checked against `current`.
pub(super) async fn apply(
    cw: &ConnectWise,
    write: &Write,
    current: Option<&Addition>,
) -> Result<Applied, LiveError> {
    check_current(write, current)?;
    match write {
        Write::Create {
            agreement,
            product,
            quantity,
            description,
            unit_price,
            unit_cost,
            effective_date,
        } => {
            let mut body = Map::new();
            body.insert("product".into(), json!({ "id": product }));
            body.insert("billCustomer".into(), json!("Billable"));
            body.insert("quantity".into(), json!(quantity));
            if let Some(p) = unit_price {
                body.insert("unitPrice".into(), json!(p));
            }
            if let Some(c) = unit_cost {
                body.insert("unitCost".into(), json!(c));
            }
            body.insert("effectiveDate".into(), json!(cw.calendar.wire(*effective_date)));
            if let Some(d) = description {
                body.insert("description".into(), json!(d));
            }
            cw.create(*agreement, *product, &Value::Object(body)).await
        }
        Write::Update { addition, agreement, quantity, description, unit_price, .. } => {
            let mut ops = Vec::new();
            if let Some(q) = quantity {
                ops.push(json!({ "op": "replace", "path": "quantity", "value": q }));
            }
            if let Some(d) = description {
                ops.push(json!({ "op": "replace", "path": "description", "value": d }));
            }
            if let Some(p) = unit_price {
                ops.push(json!({ "op": "replace", "path": "unitPrice", "value": p }));
            }
            cw.patch(*agreement, *addition, current, ops).await
        }
        Write::Cancel { addition, agreement, cancelled_date, .. } => {
            let ops = vec![
                json!({ "op": "replace", "path": "cancelledDate", "value": cw.calendar.wire(*cancelled_date) }),
            ];
            cw.patch(*agreement, *addition, current, ops).await
        }
    }
}

fn applied(label: &RequestLabel, reply: &crate::live::http::Reply) -> Result<Applied, LiveError> {
    let addition: CwAddition = reply.json(label)?;
    Ok(Applied { addition: addition.id, fingerprint: addition.fingerprint() })
}

impl ConnectWise {
    /// POSTs an addition once per attempt. When the outcome is unclear (timeout, 5xx, a body
    /// that cannot be read) it re-reads the agreement's live additions of that product and
    /// only sends again when none is there, so a retry can never bill a product twice.
    async fn create(&self, agreement: PsaId, product: PsaId, body: &Value) -> Result<Applied, LiveError> {
        let path = format!("/finance/agreements/{agreement}/additions");
        let label = RequestLabel::new("POST", &path);
        let url = format!("{}{path}", self.api_base().await?);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let unclear = match self.send(&label, &url, Some(body), Idempotency::Once).await {
                Ok(reply) if reply.status.is_success() => match applied(&label, &reply) {
                    Ok(done) => return Ok(done),
                    Err(e) => e,
                },
                Ok(reply) => {
                    let unclear = reply.status.is_server_error() || reply.status.as_u16() == 429;
                    let error = match check(&label, reply) {
                        Err(e) => e,
                        Ok(r) => return applied(&label, &r),
                    };
                    if !unclear {
                        return Err(error);
                    }
                    error
                }
                Err(e) => e,
            };
            tracing::debug!(request = %label, error = %unclear, attempt, "create outcome unclear; re-reading");
            self.lost_answer();
            match self.find_live(agreement, product).await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => {}
                Err(check_failed) => {
                    return Err(LiveError::Transport {
                        request: label,
                        message: format!(
                            "the outcome is unknown ({unclear}) and checking whether the addition was created failed                              ({check_failed}); run plan again: it shows whether the addition exists"
                        ),
                    });
                }
            }
            if attempt >= self.retry.max_attempts {
                return Err(unclear);
            }
            sleep_backoff(&self.retry, attempt, None).await;
        }
    }

    /// The newest live (not cancelled) addition of `product` on `agreement`, if any.
    async fn find_live(&self, agreement: PsaId, product: PsaId) -> Result<Option<Applied>, LiveError> {
        let path = format!("/finance/agreements/{agreement}/additions");
        let conditions = format!("product/id={product} and cancelledDate=null");
        let found: Vec<CwAddition> = self.list(&path, Some(&conditions)).await?;
        Ok(found
            .into_iter()
            .max_by_key(|a| a.id)
            .map(|a| Applied { addition: a.id, fingerprint: a.fingerprint() }))
    }

    /// PATCHes an addition apply's read before writing found at the plan's version.
    async fn patch(
        &self,
        agreement: PsaId,
        addition: PsaId,
        current: Option<&Addition>,
        ops: Vec<Value>,
    ) -> Result<Applied, LiveError> {
        if ops.is_empty() {
            let fingerprint = current.map(|a| a.fingerprint.clone()).unwrap_or_default();
            return Ok(Applied { addition, fingerprint });
        }
        let path = format!("/finance/agreements/{agreement}/additions/{addition}");
        let patch = RequestLabel::new("PATCH", &path);
        let reply = self.call("PATCH", &path, Some(&Value::Array(ops)), Idempotency::Retry).await?;
        match applied(&patch, &reply) {
            Ok(done) => Ok(done),
            // The change was accepted but its answer was unreadable: read the new version.
            Err(LiveError::Malformed { .. }) => {
                let now: CwAddition = self.read_json(&path).await?;
                Ok(Applied { addition, fingerprint: now.fingerprint() })
            }
            Err(e) => Err(e),
        }
    }
}
