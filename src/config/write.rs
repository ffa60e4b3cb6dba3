//! Writing workspace YAML: new files (`cspctl import`) and entries appended to the `clients:`
//! or `products:` list of an existing file (`cspctl suggest --write`) without reformatting it:
//! every existing line, comment and blank line stays as it is; new text goes after the list's
//! last line. Output is deterministic, so the same proposals always write the same bytes.

use std::fmt::Write as _;

use serde_json::Value;

/// One list entry to write, with the comment lines a reviewer reads above it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// Lines written as `# ...` above the entry.
    pub comments: Vec<String>,
    /// `key: value` lines in order; values are YAML already (see [`scalar`], [`flow`]); an
    /// empty value writes `key:` for a reviewer to fill in.
    pub fields: Vec<Field>,
    /// Write the entry itself as comments: a proposal to complete and uncomment.
    pub commented: bool,
}

/// One `key: value` line of an entry, with an optional trailing comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key.
    pub key: &'static str,
    /// The value, as YAML text.
    pub value: String,
    /// Written as `  # note` after the value.
    pub note: Option<String>,
}

impl Field {
    /// A field with no trailing comment.
    pub fn new(key: &'static str, value: String) -> Self {
        Field { key, value, note: None }
    }

    /// A field with a trailing comment.
    pub fn noted(key: &'static str, value: String, note: impl Into<String>) -> Self {
        let note = note.into();
        Field { key, value, note: (!note.is_empty()).then_some(note) }
    }
}

/// Why entries could not be appended to a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The list is written in flow style (`clients: [...]`), which cannot grow by lines.
    #[error(
        "`{key}:` is a flow list (`[...]`) on line {line}; write it as a block list (`- ...` lines) so entries can be appended"
    )]
    FlowList { key: String, line: usize },
}

/// A string as a YAML scalar: plain when that reads back as the same string, else quoted
/// (JSON escaping, which YAML double quotes accept).
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && s.chars().all(|c| c.is_ascii_alphanumeric() || " -_./()'&,+".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !s.contains(" #")
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "nan" | "inf"
        );
    if plain { s.to_string() } else { Value::String(s.to_string()).to_string() }
}

/// A JSON value as one-line YAML flow (`{ connectwise: { site: x, company: y } }`).
pub fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let parts: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", scalar(k), flow(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// Entries as block-list lines indented by `indent` spaces, a blank line between entries.
pub fn entries(list: &[Entry], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for c in &e.comments {
            let _ = writeln!(out, "{pad}# {}", one_line(c));
        }
        let lead = if e.commented { "# " } else { "" };
        for (j, f) in e.fields.iter().enumerate() {
            let dash = if j == 0 { "- " } else { "  " };
            let mut line = format!("{pad}{lead}{dash}{}:", f.key);
            if !f.value.is_empty() {
                line.push(' ');
                line.push_str(&f.value);
            }
            if let Some(note) = &f.note {
                line.push_str("  # ");
                line.push_str(&one_line(note));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Comment text on one line: vendor names with line breaks or control characters cannot
/// end the comment and inject YAML.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A new file: header comments, then `key:` and its entries (`key: []` when there are none).
pub fn new_file(header: &[&str], key: &str, list: &[Entry]) -> String {
    let mut out = String::new();
    for h in header {
        let _ = writeln!(out, "# {h}");
    }
    if list.is_empty() {
        let _ = writeln!(out, "{key}: []");
    } else {
        let _ = writeln!(out, "{key}:");
        out.push_str(&entries(list, 2));
    }
    out
}

/// `text` with `list` appended to its top-level `key:` block list (added at the end of the
/// file when it has none). Existing lines are kept byte for byte, except that an empty
/// `key: []` becomes `key:` so the list can hold entries.
pub fn append(text: &str, key: &str, list: &[Entry]) -> Result<String, WriteError> {
    if list.is_empty() {
        return Ok(text.to_string());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let top = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty() && !matches!(b[0], b' ' | b'\t' | b'#' | b'-' | b'\n' | b'\r')
    };
    let header = format!("{key}:");
    let start = lines.iter().position(|l| {
        top(l) && l.trim_end().starts_with(&header) && {
            let rest = l.trim_end()[header.len()..].trim();
            rest.is_empty() || rest.starts_with('#') || rest.starts_with('[')
        }
    });
    let mut out = String::with_capacity(text.len() + 256);
    let Some(start) = start else {
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
        if !text.trim().is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{key}:");
        out.push_str(&entries(list, 2));
        return Ok(out);
    };
    let rest = lines[start].trim_end()[header.len()..].trim();
    if let Some(after) = rest.strip_prefix("[]") {
        // The one line that changes: an empty flow list becomes a block list.
        let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        lines[start] = format!(
            "{header}{}\n",
            if after.trim().is_empty() { String::new() } else { format!(" {}", after.trim()) }
        );
        return append(&lines.concat(), key, list);
    }
    if rest.starts_with('[') {
        return Err(WriteError::FlowList { key: key.to_string(), line: start + 1 });
    }
    // The block ends before the next top-level key or document marker.
    let end = (start + 1..lines.len())
        .find(|&i| top(lines[i]) || lines[i].starts_with("---"))
        .unwrap_or(lines.len());
    // Its last line: not blank, and not a comment at column 0 (that one introduces what follows).
    let last = (start..end)
        .rev()
        .find(|&i| !lines[i].trim().is_empty() && !lines[i].starts_with('#'))
        .unwrap_or(start);
    let indent = lines[start + 1..end]
        .iter()
        .find_map(|l| {
            let t = l.trim_start_matches(' ');
            t.starts_with("- ").then(|| l.len() - t.len())
        })
        .unwrap_or(2);
    for l in &lines[..=last] {
        out.push_str(l);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if last > start {
        out.push('\n');
    }
    out.push_str(&entries(list, indent));
    for l in &lines[last + 1..] {
        out.push_str(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, commented: bool) -> Entry {
        Entry {
            comments: vec!["candidates: Contoso Group (0.93, same after legal form)".into()],
            fields: vec![
                Field::new("dicker_data", scalar(id)),
                Field::noted("company", if commented { String::new() } else { "Contoso".into() }, "pick one"),
            ],
            commented,
        }
    }

    #[test]
    fn scalars_are_plain_only_when_they_read_back_the_same() {
        assert_eq!(scalar("Contoso Pty Ltd"), "Contoso Pty Ltd");
        assert_eq!(scalar("100231"), "\"100231\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("P1Y:CFQ7TTC0LCHC:0002:1:"), "\"P1Y:CFQ7TTC0LCHC:0002:1:\"");
        assert_eq!(scalar("A # B"), "\"A # B\"");
        assert_eq!(scalar("Ōtautahi"), "\"Ōtautahi\"");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn appending_keeps_every_existing_line_and_the_list_indent() {
        let text = "# my clients\nclients:\n    - dicker_data: \"1\"   # kept\n      company: A\n\n# trailing note\nproducts: []\n";
        let out = append(text, "clients", &[client("2", true)]).unwrap_or_default();
        let kept: Vec<&str> = text.lines().collect();
        let mut at = 0;
        for line in out.lines() {
            if at < kept.len() && line == kept[at] {
                at += 1;
            }
        }
        assert_eq!(at, kept.len(), "every original line, in order:\n{out}");
        assert!(out.contains("\n    # candidates: Contoso Group (0.93, same after legal form)\n    # - dicker_data: \"2\"\n    #   company:  # pick one\n"), "{out}");
        assert!(out.ends_with("# trailing note\nproducts: []\n"), "{out}");
    }

    #[test]
    fn a_file_without_the_list_gets_it_at_the_end_and_flow_lists_are_refused() {
        let out = append("products:\n  - key: a\n", "clients", &[client("3", false)]).unwrap_or_default();
        assert_eq!(
            out,
            "products:\n  - key: a\n\nclients:\n  # candidates: Contoso Group (0.93, same after legal form)\n  - dicker_data: \"3\"\n    company: Contoso  # pick one\n"
        );
        assert_eq!(
            append("clients: [{ dicker_data: \"1\" }]\n", "clients", &[client("3", false)]),
            Err(WriteError::FlowList { key: "clients".into(), line: 1 })
        );
        let grown = append("clients: []  # none yet\n", "clients", &[client("3", false)]).unwrap_or_default();
        assert!(grown.starts_with("clients: # none yet\n  # candidates"), "{grown}");
    }

    #[test]
    fn comments_cannot_break_out_of_their_line() {
        let e = Entry {
            comments: vec!["Evil\nclients: []".into()],
            fields: vec![Field::noted("k", "v".into(), "a\rb")],
            commented: false,
        };
        assert_eq!(entries(&[e], 0), "# Evil clients: []\n- k: v  # a b\n");
    }

    #[test]
    fn flow_values_are_one_line() {
        let v =
            serde_json::json!({ "connectwise": { "site": "api-au.myconnectwise.net", "company": "mymsp" } });
        assert_eq!(flow(&v), "{ connectwise: { site: api-au.myconnectwise.net, company: mymsp } }");
    }
}
