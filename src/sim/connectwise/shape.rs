//! `orderBy` and `fields` for list reads: ordering rows by one or more paths, and keeping only
//! the listed fields (which drops `_info` unless it is listed, as ConnectWise does).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::conditions::lookup;

fn path(text: &str) -> Vec<String> {
    text.trim().split('/').map(str::to_string).collect()
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// Sorts rows by `orderBy` (`name asc, id desc`); rows stay ordered by id otherwise.
pub(super) fn order(rows: &mut [&Value], order_by: &str) {
    let keys: Vec<(Vec<String>, bool)> = order_by
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            let mut words = k.split_whitespace();
            let field = path(words.next().unwrap_or_default());
            let descending = words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            (field, descending)
        })
        .collect();
    rows.sort_by(|a, b| {
        keys.iter()
            .map(|(field, descending)| {
                let o = compare(lookup(a, field), lookup(b, field));
                if *descending { o.reverse() } else { o }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

/// Keeps only the `fields` (`id,name,company/id`) of a row.
pub(super) fn project(row: &Value, fields: &str) -> Value {
    let mut out = Map::new();
    for field in fields.split(',').filter(|f| !f.trim().is_empty()) {
        let segments = path(field);
        let value = lookup(row, &segments);
        if value.is_null() {
            continue;
        }
        let mut at = &mut out;
        for (i, segment) in segments.iter().enumerate() {
            if i + 1 == segments.len() {
                at.insert(segment.clone(), value.clone());
            } else {
                let next = at.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                let Value::Object(map) = next else { break };
                at = map;
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn orders_and_projects() {
        let owned =
            [json!({"id": 1, "name": "b"}), json!({"id": 2, "name": "A"}), json!({"id": 3, "name": "b"})];
        let mut rows: Vec<&Value> = owned.iter().collect();
        order(&mut rows, "name asc, id desc");
        let ids: Vec<_> = rows.iter().map(|r| r["id"].as_i64().unwrap_or_default()).collect();
        assert_eq!(ids, vec![2, 3, 1]);
        let row = json!({"id": 7, "company": {"id": 250, "name": "X"}, "_info": {"lastUpdated": "t"}});
        assert_eq!(project(&row, "id, company/id"), json!({"id": 7, "company": {"id": 250}}));
    }
}
