//! Writes: creates that re-read the agreement before ever sending a second POST, and updates
//! and cancels as JSON-patch after checking `_info.lastUpdated` against the plan's.

use serde_json::{Map, Value, json};

use super::ConnectWise;
use super::request::check;
use super::wire::CwAddition;
use crate::live::http::{Idempotency, sleep_backoff};
use crate::live::{LiveError, RequestLabel};
use crate::model::{Applied, Fingerprint, PsaId, Write};

/// Carries out one write.
pub(super) async fn apply(cw: &ConnectWise, write: &Write) -> Result<Applied, LiveError> {
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
        Write::Update { addition, agreement, expected, quantity, description, unit_price, .. } => {
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
            cw.patch(*agreement, *addition, expected, ops).await
        }
        Write::Cancel { addition, agreement, expected, cancelled_date, .. } => {
            let ops = vec![
                json!({ "op": "replace", "path": "cancelledDate", "value": cw.calendar.wire(*cancelled_date) }),
            ];
            cw.patch(*agreement, *addition, expected, ops).await
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

    /// Reads the addition, refuses when `_info.lastUpdated` moved since the plan, then PATCHes.
    async fn patch(
        &self,
        agreement: PsaId,
        addition: PsaId,
        expected: &Fingerprint,
        ops: Vec<Value>,
    ) -> Result<Applied, LiveError> {
        let path = format!("/finance/agreements/{agreement}/additions/{addition}");
        let current: CwAddition = self.read_json(&path).await?;
        let found = current.fingerprint();
        if &found != expected {
            return Err(LiveError::Stale { addition, expected: expected.clone(), found });
        }
        if ops.is_empty() {
            return Ok(Applied { addition, fingerprint: found });
        }
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
