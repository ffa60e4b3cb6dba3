//! How problems name things: paths in a document, JSON types and values, lists of allowed
//! names, and the closest allowed name to a typo.

use serde_json::Value;

/// JSON pointer (`/clients/0/company`) to segments, unescaping `~1` and `~0`.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

/// `clients[2].products.m365` style name of a place in a document, for messages.
pub fn describe_path(path: &[String]) -> String {
    if path.is_empty() {
        return "the document".into();
    }
    let mut out = String::new();
    for segment in path {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    format!("`{out}`")
}

pub fn type_name(t: &str) -> &'static str {
    match t {
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "null",
        _ => "a value",
    }
}

pub fn found(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) if s.chars().count() > 40 => "a string".into(),
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

pub fn list(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// The allowed name closest to a misspelt one, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, allowed: &'a [String]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(name, a), a))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_yaml() {
        let path = pointer_segments("/clients/2/products/m365~1annual");
        assert_eq!(path, ["clients", "2", "products", "m365/annual"]);
        assert_eq!(describe_path(&path), "`clients[2].products.m365/annual`");
        assert_eq!(describe_path(&[]), "the document");
    }

    #[test]
    fn suggests_only_close_names() {
        let allowed: Vec<String> = ["agreement", "company", "name"].map(String::from).into();
        assert_eq!(closest("agrement", &allowed), Some("agreement"));
        assert_eq!(closest("colour", &allowed), None);
    }
}
