//! Every request the client sends (and every answer the simulator gives) checked against the
//! Autotask swagger in `../shared/reference/specs/autotask-swagger-v1.json`, when present.
//!
//! How wire and swagger are reconciled:
//! - Paths: the swagger's paths start `/V1.0/` and use PascalCase (`/V1.0/ZoneInformation`);
//!   requests go to `…/ATServicesRest/V1.0/…` or `…/atservicesrest/v1.0/…`. Everything before
//!   `/v1.0/` is dropped and segments compare case-insensitively; `{parentId}`-style segments
//!   match any value. `…/query/next` is not in the swagger: it is the server-provided
//!   `nextPageUrl`, which cspctl follows as given.
//! - Field names: the swagger's models are PascalCase (`ContractID`), the wire is camelCase
//!   (`contractID`); names compare case-insensitively. Query bodies are checked against
//!   `QueryModel` and `Filter`, and the field names inside them (`IncludeFields`, each
//!   condition's `field`) against the entity model the query operation returns.
//! - Known gap: the swagger is a circa-2020 schema without `ContractService.adjustedPrice`
//!   (only `InternalCurrencyAdjustedPrice`); Autotask's entity help page documents
//!   `adjustedPrice` as the updatable price, so it is the one allowed exception.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Wire names newer than the swagger, by model.
const NEWER_THAN_SWAGGER: &[(&str, &str)] = &[("ContractServiceModel", "adjustedPrice")];

pub struct Swagger(Value);

impl Swagger {
    /// The swagger, or `None` (after saying so on stderr) when the reference files are absent.
    pub fn load() -> Option<Swagger> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/specs/autotask-swagger-v1.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(Swagger(serde_json::from_str(&text).expect("the swagger is JSON"))),
            Err(_) => {
                eprintln!(
                    "SKIPPED: {} not found; Autotask requests not checked against the swagger",
                    path.display()
                );
                None
            }
        }
    }

    /// The swagger path template a request path matches, case-insensitively.
    pub fn template(&self, path: &str) -> Option<String> {
        let lower = path.to_ascii_lowercase();
        let at = lower.find("/v1.0/")?;
        let wanted: Vec<&str> = path[at + 1..].split('/').collect();
        let paths = self.0["paths"].as_object()?;
        paths
            .keys()
            .find(|template| {
                let have: Vec<&str> = template.trim_start_matches('/').split('/').collect();
                have.len() == wanted.len()
                    && have.iter().zip(&wanted).all(|(h, w)| h.starts_with('{') || h.eq_ignore_ascii_case(w))
            })
            .cloned()
    }

    fn operation(&self, template: &str, method: &str) -> Option<&Value> {
        self.0["paths"][template].get(method.to_ascii_lowercase())
    }

    fn model_name(reference: &Value) -> Option<String> {
        reference.get("$ref")?.as_str()?.rsplit('/').next().map(str::to_string)
    }

    /// The model a body parameter of an operation must follow.
    pub fn body_model(&self, template: &str, method: &str) -> Option<String> {
        let params = self.operation(template, method)?["parameters"].as_array()?;
        let body = params.iter().find(|p| p["in"] == "body")?;
        Self::model_name(&body["schema"])
    }

    /// The model the operation declares for its 200 answer (for queries: the entity model).
    pub fn answer_model(&self, template: &str, method: &str) -> Option<String> {
        Self::model_name(&self.operation(template, method)?["responses"]["200"]["schema"])
    }

    /// Property names of a model, lower-cased, plus the documented newer wire names.
    pub fn fields(&self, model: &str) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.0["definitions"][model]["properties"]
            .as_object()
            .map(|o| o.keys().map(|k| k.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        for (m, f) in NEWER_THAN_SWAGGER {
            if *m == model {
                out.insert(f.to_ascii_lowercase());
            }
        }
        out
    }
}

/// Problems with one query body: keys not in `QueryModel`/`Filter`, field names not in `entity`.
pub fn check_query(swagger: &Swagger, entity_model: &str, body: &Value, problems: &mut Vec<String>) {
    let query = swagger.fields("QueryModel");
    let filter = swagger.fields("Filter");
    let entity = swagger.fields(entity_model);
    let Some(object) = body.as_object() else {
        problems.push(format!("query body is not an object: {body}"));
        return;
    };
    for (k, v) in object {
        if !query.contains(&k.to_ascii_lowercase()) {
            problems.push(format!("QueryModel has no `{k}`"));
        }
        if k.eq_ignore_ascii_case("IncludeFields") {
            for f in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !entity.contains(&f.to_ascii_lowercase()) {
                    problems.push(format!("{entity_model} has no `{f}` (IncludeFields)"));
                }
            }
        }
        if k.eq_ignore_ascii_case("Filter") {
            let mut stack: Vec<&Value> = v.as_array().into_iter().flatten().collect();
            while let Some(c) = stack.pop() {
                for (ck, cv) in c.as_object().into_iter().flatten() {
                    if !filter.contains(&ck.to_ascii_lowercase()) {
                        problems.push(format!("Filter has no `{ck}`"));
                    }
                    if ck == "field" && !entity.contains(&cv.as_str().unwrap_or("").to_ascii_lowercase()) {
                        problems.push(format!("{entity_model} has no `{cv}` (filter)"));
                    }
                    if ck == "items" {
                        stack.extend(cv.as_array().into_iter().flatten());
                    }
                }
            }
        }
    }
}

/// Problems with a flat JSON object against a model.
pub fn check_object(swagger: &Swagger, model: &str, body: &Value, what: &str, problems: &mut Vec<String>) {
    let fields = swagger.fields(model);
    for k in body.as_object().into_iter().flatten().map(|(k, _)| k) {
        if !fields.contains(&k.to_ascii_lowercase()) {
            problems.push(format!("{model} has no `{k}` ({what})"));
        }
    }
}
