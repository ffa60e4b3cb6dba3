//! JSON Schema validation of each workspace file against [`super::json_schema`], the same schema
//! editors use. Every violation becomes a [`Diagnostic`] at the key or value it is about, with
//! a message that says what was expected (allowed fields with the closest one suggested, the
//! expected type, the allowed values) instead of the validator's raw wording.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::diagnostic::{Diagnostic, SourceFile};
use super::located::Located;
use super::wording::{closest, describe_path, found, list, pointer_segments, type_name};
use crate::model::StockCode;

/// The compiled workspace schema, built once per load.
pub struct SchemaCheck {
    validator: Validator,
    schema: Value,
}

impl SchemaCheck {
    /// Compiles [`super::json_schema`]; it is generated from our own types, so failure is a bug
    /// reported as a message rather than a panic.
    pub fn new() -> Result<Self, String> {
        let schema = super::json_schema();
        let validator = jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .map_err(|e| format!("the built-in JSON Schema does not compile: {e}"))?;
        Ok(SchemaCheck { validator, schema })
    }

    /// Every schema violation in one file's document, located in the file.
    pub fn check(&self, instance: &Value, tree: &Located, file: &SourceFile) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for error in self.validator.iter_errors(instance) {
            self.explain(&error, tree, file, &mut problems);
        }
        problems.dedup();
        problems
    }

    fn explain(
        &self,
        error: &ValidationError<'_>,
        tree: &Located,
        file: &SourceFile,
        out: &mut Vec<Diagnostic>,
    ) {
        let path = pointer_segments(error.instance_path().as_str());
        let here = tree.lookup(&path);
        let (key_at, value_at) = here.map_or((tree.at, tree.at), |(k, v)| (k, v.at));
        let what = describe_path(&path);
        let instance = error.instance();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(error.schema_path().as_str());
                for name in unexpected {
                    let at = tree
                        .lookup(path.iter().map(String::as_str).chain([name.as_str()]))
                        .map_or(value_at, |(k, _)| k);
                    let mut d = Diagnostic::new(
                        file.mark(at, "unknown field"),
                        format!("unknown field `{name}` in {what}; expected one of {}", list(&allowed)),
                    );
                    let retired = super::document::RETIRED_FIELDS
                        .iter()
                        .find(|(parent, field, _)| field == name && path.last().is_some_and(|p| p == parent));
                    if let Some((_, _, instead)) = retired {
                        d = d.help(instead.to_string());
                    } else if let Some(best) = closest(name, &allowed) {
                        d = d.help(format!("did you mean `{best}`?"));
                    }
                    out.push(d);
                }
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => type_name(&t.to_string()).to_string(),
                    TypeKind::Multiple(set) => {
                        let names: Vec<&str> = set
                            .iter()
                            .map(|t| t.to_string())
                            .filter(|t| t != "null")
                            .map(|t| type_name(&t))
                            .collect();
                        names.join(" or ")
                    }
                };
                let found = found(instance);
                let mut d = Diagnostic::new(
                    file.mark(value_at, format!("expected {expected}")),
                    format!("wrong type for {what}: expected {expected}, found {found}"),
                );
                if expected.starts_with("a string") && matches!(**instance, Value::Number(_) | Value::Bool(_))
                {
                    d = d.help(format!("quote it: \"{}\"", instance));
                }
                out.push(d);
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.push(Diagnostic::new(
                    file.mark(key_at, format!("`{name}` missing here")),
                    format!("missing field `{name}` in {what}"),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                    .collect();
                out.push(self.bad_value(file, value_at, &what, instance, &allowed));
            }
            ValidationErrorKind::Constant { expected_value } => {
                let allowed =
                    vec![expected_value.as_str().map_or(expected_value.to_string(), str::to_string)];
                out.push(self.bad_value(file, value_at, &what, instance, &allowed));
            }
            ValidationErrorKind::Pattern { .. } => {
                let text = instance.as_str().unwrap_or_default();
                let message = match text.parse::<StockCode>() {
                    Err(e) if path.last().is_some_and(|p| p == "stock_code") => {
                        format!("invalid {what}: {e}")
                    }
                    _ => format!("invalid {what}: `{text}` does not have the expected form"),
                };
                out.push(Diagnostic::new(file.mark(value_at, "invalid value"), message));
            }
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::ExclusiveMinimum { limit } => {
                out.push(Diagnostic::new(
                    file.mark(value_at, "too small"),
                    format!("{what} must be at least {limit}, found {}", found(instance)),
                ));
            }
            ValidationErrorKind::Maximum { limit } | ValidationErrorKind::ExclusiveMaximum { limit } => {
                out.push(Diagnostic::new(
                    file.mark(value_at, "too large"),
                    format!("{what} must be at most {limit}, found {}", found(instance)),
                ));
            }
            ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
                self.explain_alternatives(error, context, tree, file, &what, out);
            }
            _ => {
                out.push(Diagnostic::new(file.mark(value_at, "invalid"), format!("invalid {what}: {error}")))
            }
        }
    }

    /// `anyOf`/`oneOf`: report the alternative whose type matched (an optional field's value,
    /// or the mapping form of `distributor:`), else list the accepted forms.
    fn explain_alternatives(
        &self,
        error: &ValidationError<'_>,
        context: &[Vec<ValidationError<'static>>],
        tree: &Located,
        file: &SourceFile,
        what: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        let here = error.instance_path().as_str().to_string();
        if self.explain_tagged(error, context, tree, file, what, out) {
            return;
        }
        let type_mismatch = |errors: &Vec<ValidationError<'static>>| {
            errors.iter().any(|e| {
                e.instance_path().as_str() == here && matches!(e.kind(), ValidationErrorKind::Type { .. })
            })
        };
        let matching: Vec<&Vec<ValidationError<'static>>> =
            context.iter().filter(|b| !type_mismatch(b)).collect();
        if let [branch] = matching.as_slice() {
            for e in branch.iter() {
                self.explain(e, tree, file, out);
            }
            return;
        }
        let forms = self.forms(error.schema_path().as_str());
        let path = pointer_segments(&here);
        let value_at = tree.lookup(&path).map_or(tree.at, |(_, v)| v.at);
        let names: Vec<String> =
            forms.iter().filter_map(|f| f.strip_prefix('`')?.strip_suffix('`')).map(str::to_string).collect();
        if names.len() == forms.len() {
            // Every accepted form is a plain word: an enum such as `sync_description`.
            out.push(self.bad_value(file, value_at, what, error.instance(), &names));
            return;
        }
        out.push(Diagnostic::new(
            file.mark(value_at, "not an accepted form"),
            format!("invalid {what}: expected {}, found {}", forms.join(" or "), found(error.instance())),
        ));
    }

    /// A `oneOf` that is an externally tagged enum (`sandbox`, or a mapping with one key such as
    /// `connectwise:`): report against the variant the key names, or say the kind is unknown.
    fn explain_tagged(
        &self,
        error: &ValidationError<'_>,
        context: &[Vec<ValidationError<'static>>],
        tree: &Located,
        file: &SourceFile,
        what: &str,
        out: &mut Vec<Diagnostic>,
    ) -> bool {
        let Some(variants) = self.variants(error.schema_path().as_str()) else { return false };
        let path = pointer_segments(error.instance_path().as_str());
        let (key_at, value_at) = tree.lookup(&path).map_or((tree.at, tree.at), |(k, v)| (k, v.at));
        let names: Vec<String> = variants.iter().map(|(name, _)| name.clone()).collect();
        let accepted = variants
            .iter()
            .map(|(name, unit)| if *unit { format!("`{name}`") } else { format!("`{name}: {{...}}`") })
            .collect::<Vec<_>>()
            .join(", ");
        let (kind, at) = match error.instance().as_ref() {
            Value::Object(map) if map.len() == 1 => {
                let Some(key) = map.keys().next() else { return false };
                if let Some(i) = variants.iter().position(|(name, unit)| name == key && !unit) {
                    for e in context.get(i).into_iter().flatten() {
                        self.explain(e, tree, file, out);
                    }
                    return true;
                }
                let at = tree
                    .lookup(path.iter().map(String::as_str).chain([key.as_str()]))
                    .map_or(key_at, |(k, _)| k);
                (key.clone(), at)
            }
            Value::String(s) => (s.clone(), value_at),
            _ => return false,
        };
        let mut d = Diagnostic::new(
            file.mark(at, "unknown kind"),
            format!("invalid {what}: unknown kind `{kind}`; expected one of {accepted}"),
        );
        if let Some(best) = closest(&kind, &names) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        out.push(d);
        true
    }

    /// The variants of a tagged-enum `oneOf`: (name, is a plain word); `None` for other unions.
    fn variants(&self, schema_path: &str) -> Option<Vec<(String, bool)>> {
        let alternatives = self.schema.pointer(schema_path)?.as_array()?;
        let mut variants = Vec::new();
        for alt in alternatives {
            if let Some(c) = alt.get("const").and_then(Value::as_str) {
                variants.push((c.to_string(), true));
            } else if let Some([key]) = alt.get("required").and_then(Value::as_array).map(Vec::as_slice)
                && alt.get("properties").and_then(Value::as_object).is_some_and(|p| p.len() == 1)
            {
                variants.push((key.as_str()?.to_string(), false));
            } else {
                return None;
            }
        }
        // All plain words is an ordinary enum, explained as a bad value elsewhere.
        variants.iter().any(|(_, unit)| !unit).then_some(variants)
    }

    fn bad_value(
        &self,
        file: &SourceFile,
        at: super::located::Pos,
        what: &str,
        instance: &Value,
        allowed: &[String],
    ) -> Diagnostic {
        let text = instance.as_str().map_or(instance.to_string(), str::to_string);
        let mut d = Diagnostic::new(
            file.mark(at, "not an accepted value"),
            format!("invalid {what}: `{text}`; expected {}", list(allowed)),
        );
        if let Some(best) = closest(&text, allowed) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        d
    }

    /// The `properties` names of the object schema an `additionalProperties` error came from.
    fn allowed_properties(&self, schema_path: &str) -> Vec<String> {
        let object = schema_path.strip_suffix("/additionalProperties").unwrap_or(schema_path);
        self.schema
            .pointer(object)
            .and_then(|o| o.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Short descriptions of each alternative of an `anyOf`/`oneOf`, for "expected ... or ...".
    fn forms(&self, schema_path: &str) -> Vec<String> {
        let Some(alternatives) = self.schema.pointer(schema_path).and_then(Value::as_array) else {
            return vec!["an accepted form".into()];
        };
        alternatives.iter().map(|alt| self.form(alt)).filter(|f| f != "null").collect()
    }

    fn form(&self, alt: &Value) -> String {
        if let Some(target) = alt.get("$ref").and_then(Value::as_str) {
            return match self.schema.pointer(target.trim_start_matches('#')) {
                Some(resolved) if resolved.get("oneOf").is_some() || resolved.get("anyOf").is_some() => {
                    let inner = resolved.get("oneOf").or_else(|| resolved.get("anyOf"));
                    inner
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|a| self.form(a))
                        .collect::<Vec<_>>()
                        .join(" or ")
                }
                Some(resolved) => self.form(resolved),
                None => "an accepted form".into(),
            };
        }
        if let Some(c) = alt.get("const") {
            return format!("`{}`", c.as_str().map_or(c.to_string(), str::to_string));
        }
        if let Some(required) = alt.get("required").and_then(Value::as_array) {
            let keys: Vec<String> =
                required.iter().filter_map(Value::as_str).map(|k| format!("`{k}`")).collect();
            return format!("a mapping with {}", keys.join(", "));
        }
        match alt.get("type").and_then(Value::as_str) {
            Some(t) => type_name(t).to_string(),
            None => "an accepted form".into(),
        }
    }
}
