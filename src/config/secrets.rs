//! Finding credentials in workspace YAML. The workspace is committed to git, so a key, password
//! or token written there is a leak; cspctl reads credentials only from environment variables.
//! Detection is by key name (anywhere in a file) and by value shape (JWTs, PEM private keys,
//! well-known token prefixes, URLs with a password, long high-entropy strings), tuned not to
//! fire on stock codes, GUID tenant ids or ordinary names.

use std::ops::Range;

use super::located::{Located, Node, Pos};

/// A credential found in a file. It never carries the value itself, only where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// JSON pointer segments of the value (`["psa", "connectwise", "private_key"]`).
    pub path: Vec<String>,
    /// Where the mapping key is (or the value, for a sequence item).
    pub key_at: Pos,
    /// Where the value is.
    pub value_at: Pos,
    /// Why it looks like a secret, e.g. "the key `api_key`" or "a JSON Web Token".
    pub reason: String,
    /// Whether the key name gave it away (the entry is then dropped before schema checks).
    pub by_key: bool,
    /// Whether the key itself is shaped like a secret (a token pasted where a name belongs).
    pub key_is_secret: bool,
}

/// Every secret-looking key or value in a file, and the byte ranges of their values to mask.
/// A key that is itself shaped like a secret (a token pasted as a product key) is masked too.
pub fn scan(root: &Located, text: &str) -> (Vec<Finding>, Vec<Range<usize>>) {
    let mut findings = Vec::new();
    walk(root, &mut Vec::new(), root.at, &mut findings);
    let mut masks = Vec::new();
    for finding in &findings {
        if finding.key_is_secret {
            // A key is one plain or quoted scalar on its line: its own span, no more.
            let at = finding.key_at;
            if let (Some(start), Some(len)) = (at.offset, at.len)
                && text.get(start..start + len).is_some()
            {
                masks.push(start..start + len);
            }
            continue;
        }
        // A credential key may hold a mapping or list (`credentials: { user: .., pass: .. }`):
        // every scalar below it is masked.
        if let Some((_, value)) = root.lookup(&finding.path) {
            scalar_positions(value, &mut |at| masks.extend(value_range(at, text)));
        }
    }
    (findings, masks)
}

/// Byte ranges to mask found from the text alone, valid YAML or not: the value of every
/// `key:` that names a credential (in block or flow style, quoted values to their closing
/// quote, block scalars and continuation lines included), and every token shaped like a
/// secret anywhere, comments included. Run on every file, so a comment never shows what the
/// tree scan cannot see.
pub fn scan_lines(text: &str) -> Vec<Range<usize>> {
    let mut masks = Vec::new();
    let lines: Vec<(usize, &str)> = line_starts(text);
    for (index, &(start, content)) in lines.iter().enumerate() {
        for (key_start, key_end, in_flow) in keys_in_line(content) {
            let key = content[key_start..key_end].trim().trim_matches(['"', '\'']);
            if secret_key(key).is_none() {
                continue;
            }
            let after = &content[key_end + 1..];
            let lead = after.len() - after.trim_start().len();
            let value_start = key_end + 1 + lead;
            let indent = content.len() - content.trim_start().len();
            let end = value_end(text, &lines, index, value_start, indent, in_flow);
            if end > start + value_start {
                masks.push(start + value_start..end);
            }
            // `password: *pw` takes its value from `&pw` elsewhere: mask what follows the anchor.
            if let Some(alias) = content[value_start..].strip_prefix('*') {
                let name: String = alias
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '}' | ']'))
                    .collect();
                let anchor = format!("&{name}");
                for (at, _) in text.match_indices(&anchor).filter(|_| !name.is_empty()) {
                    let line = lines.partition_point(|(s, _)| *s <= at) - 1;
                    let (line_start, line_text) = lines[line];
                    let after = at - line_start + anchor.len();
                    let lead = line_text[after..].len() - line_text[after..].trim_start().len();
                    let line_indent = line_text.len() - line_text.trim_start().len();
                    let end = value_end(
                        text,
                        &lines,
                        line,
                        after + lead,
                        line_indent,
                        line_text[..after].contains(['{', '[']),
                    );
                    masks.push(line_start + after + lead..end.max(line_start + after + lead));
                }
            }
        }
        let mut offset = 0;
        for token in
            content.split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}' | '=' | '`'))
        {
            let trimmed =
                token.trim_matches(['"', '\'']).trim_end_matches([':', ';', ')']).trim_start_matches('(');
            let trimmed = trimmed.trim_matches(['"', '\'']);
            if !trimmed.is_empty()
                && secret_value(trimmed).is_some()
                && let Some(found) = content[offset..].find(trimmed)
            {
                masks.push(start + offset + found..start + offset + found + trimmed.len());
            }
            offset += token.len() + 1;
            offset = offset.min(content.len());
        }
    }
    masks
}

/// Each line's byte offset and text without its line ending.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    lines
}

/// Where `key:` pairs may start in a line: after the indentation and `- `, and after each `{`
/// or `,` (flow style). Returns (key start, colon, whether inside a flow collection).
fn keys_in_line(content: &str) -> Vec<(usize, usize, bool)> {
    let mut starts = vec![(content.len() - content.trim_start_matches([' ', '-']).len(), false)];
    starts.extend(content.match_indices(['{', ',']).map(|(i, _)| (i + 1, true)));
    starts
        .into_iter()
        .filter_map(|(from, in_flow)| {
            let rest = &content[from..];
            let colon = rest.char_indices().find_map(|(i, c)| match c {
                ':' if rest[i + 1..].chars().next().is_none_or(char::is_whitespace) => Some(Some(i)),
                ',' | '{' | '}' | '[' | ']' | '#' => Some(None),
                _ => None,
            })??;
            (!rest[..colon].trim().is_empty()).then_some((from, from + colon, in_flow))
        })
        .collect()
}

/// The end (absolute byte offset) of a credential's value that starts at `value_start` in
/// line `index`: a quoted value runs to its closing quote (without one, as a plain value
/// does), a flow value to the next `,` or `}`, any other value to the end of its line and every
/// following line indented deeper than the key (block scalars, continuations).
fn value_end(
    text: &str,
    lines: &[(usize, &str)],
    index: usize,
    value_start: usize,
    indent: usize,
    in_flow: bool,
) -> usize {
    let (start, content) = lines[index];
    let absolute = start + value_start;
    let rest = &text[absolute..];
    // To the end of the line and every following line indented deeper than the key.
    let block_end = || {
        let mut end = start + content.len();
        for &(next_start, next) in &lines[index + 1..] {
            let next_indent = next.len() - next.trim_start().len();
            if !next.trim().is_empty() && next_indent <= indent {
                break;
            }
            end = next_start + next.len();
        }
        end
    };
    match rest.chars().next() {
        Some(q @ ('"' | '\'')) => closing_quote(rest, q).map_or_else(block_end, |end| absolute + end),
        Some(_) if in_flow => {
            let line_rest = &content[value_start..];
            start + value_start + line_rest.find([',', '}', ']']).unwrap_or(line_rest.len())
        }
        Some(_) => block_end(),
        None => absolute,
    }
}

/// The byte just past the quote that closes the quoted scalar at the start of `s`.
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            c if c == quote => {
                if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    continue;
                }
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

/// Text a diagnostic prints, with every secret taken out: each value in `known` (what the
/// file's masks cover) and any token shaped like a secret become `****`, so neither a value
/// nor its length reaches the output. This is the one pass every rendered diagnostic goes
/// through.
pub fn mask_output(text: &str, known: &[String]) -> String {
    let mut out = text.to_string();
    for secret in known {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    let mut shaped: Vec<String> = Vec::new();
    for token in out.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}' | '=' | '`' | '"' | '\'' | '(' | ')')
    }) {
        let token = token.trim_end_matches([':', ';', '.']);
        if !token.is_empty() && secret_value(token).is_some() {
            shaped.push(token.to_string());
        }
    }
    for token in shaped {
        out = out.replace(&token, MASK);
    }
    out
}

/// What a secret looks like in output, whatever its length.
pub const MASK: &str = "****";

/// The pieces of masked text worth searching output for: each line of each masked range
/// (before ranges are merged), and each of its words of eight characters or more, quotes and
/// blanks trimmed, at least four characters long (shorter ones would hide ordinary words; the
/// snippet masks them anyway).
pub fn secret_pieces(text: &str, masks: &[Range<usize>]) -> Vec<String> {
    let lines = masks.iter().filter_map(|r| text.get(r.clone())).flat_map(|s| s.split('\n'));
    let clean = |s: &str| s.trim().trim_matches(['"', '\'', '|', '>']).trim().to_string();
    let mut pieces: Vec<String> = Vec::new();
    for line in lines {
        pieces.push(clean(line));
        // Words of a longer masked line (`secret: value # comment`) on their own, too.
        pieces.extend(line.split_whitespace().map(clean).filter(|w| w.chars().count() >= 8));
    }
    pieces.retain(|s| s.chars().count() >= 4);
    // Longest first, so a secret that contains another is replaced whole.
    pieces.sort_by_key(|s| std::cmp::Reverse(s.len()));
    pieces.dedup();
    pieces
}

fn scalar_positions(node: &Located, f: &mut impl FnMut(Pos)) {
    match &node.node {
        Node::Map(entries) => entries.iter().for_each(|e| scalar_positions(&e.value, f)),
        Node::Seq(items) => items.iter().for_each(|i| scalar_positions(i, f)),
        _ => f(node.at),
    }
}

/// The environment variables that hold credentials for the connection a path is under.
pub fn env_hint(path: &[String]) -> String {
    let under = |name: &str| path.iter().any(|p| p == name);
    let vars = if under("connectwise") {
        "CSPCTL_CW_* environment variables"
    } else if under("autotask") {
        "CSPCTL_AT_* environment variables"
    } else if under("dicker_data") {
        "CSPCTL_DICKERDATA_* environment variables"
    } else {
        "environment variables (CSPCTL_DICKERDATA_*, CSPCTL_CW_*, CSPCTL_AT_*)"
    };
    format!("remove it from the YAML (which is committed to git) and set it through the {vars}; see README")
}

fn walk(node: &Located, path: &mut Vec<String>, key_at: Pos, out: &mut Vec<Finding>) {
    match &node.node {
        Node::Map(entries) => {
            for entry in entries {
                path.push(entry.key.clone());
                if let Some(reason) = secret_value(&entry.key) {
                    out.push(Finding {
                        path: path.clone(),
                        key_at: entry.key_at,
                        value_at: entry.key_at,
                        reason: reason.replacen("the value", "the key", 1),
                        by_key: false,
                        key_is_secret: true,
                    });
                }
                if let Some(reason) = secret_key(&entry.key) {
                    out.push(Finding {
                        path: path.clone(),
                        key_at: entry.key_at,
                        value_at: entry.value.at,
                        reason,
                        by_key: true,
                        key_is_secret: false,
                    });
                } else {
                    walk(&entry.value, path, entry.key_at, out);
                }
                path.pop();
            }
        }
        Node::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(item, path, item.at, out);
                path.pop();
            }
        }
        Node::String(value) => {
            // A token inside longer text (a description that quotes it) is as much a leak.
            if let Some(reason) =
                secret_value(value).or_else(|| value.split_whitespace().find_map(secret_value))
            {
                out.push(Finding {
                    path: path.clone(),
                    key_at,
                    value_at: node.at,
                    reason,
                    by_key: false,
                    key_is_secret: false,
                });
            }
        }
        Node::Null | Node::Bool(_) | Node::Number(_) => {}
    }
}

/// A key name that only credentials have: `password`, `api_key`, `clientSecret`, ...
fn secret_key(key: &str) -> Option<String> {
    let words = words(key);
    // The last word decides: `access_token` is a credential, `token_expiry` is not.
    let has = |w: &str| words.last().is_some_and(|x| x == w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    let joined = words.concat();
    let hit = ["password", "passwd", "passphrase", "secret", "token", "credential", "credentials", "pwd"]
        .iter()
        .any(|w| has(w))
        || pair("api", "key")
        || pair("private", "key")
        || pair("access", "key")
        || pair("integration", "code")
        || pair("client", "secret")
        || ["apikey", "privatekey", "accesskey", "clientsecret", "accesstoken", "integrationcode"]
            .contains(&joined.as_str());
    hit.then(|| format!("the key `{key}` names a credential"))
}

/// Splits `client_secret`, `clientSecret`, `api-key` and `API_KEY` into lower-case words.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// A value whose shape only credentials have.
fn secret_value(value: &str) -> Option<String> {
    let v = value.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("the value is a PEM private key".into());
    }
    if is_jwt(v) {
        return Some("the value is a JSON Web Token".into());
    }
    if let Some(prefix) = ["ghp_", "gho_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk-", "AKIA"]
        .iter()
        .find(|p| v.starts_with(**p) && v.len() >= p.len() + 16 && !v.contains(char::is_whitespace))
    {
        return Some(format!("the value looks like an access token (`{prefix}...`)"));
    }
    if url_with_password(v) {
        return Some("the URL carries a password".into());
    }
    if high_entropy(v) {
        return Some("the value looks like a key (a long random string)".into());
    }
    None
}

fn is_jwt(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && v.starts_with("eyJ")
        && parts.iter().take(2).all(|p| p.len() >= 10)
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn url_with_password(v: &str) -> bool {
    url::Url::parse(v).is_ok_and(|u| u.password().is_some_and(|p| !p.is_empty()))
}

/// At least 32 characters of one base64/hex-like token, mixing upper case, lower case and
/// digits, with high Shannon entropy. GUIDs (tenant ids), stock codes (`:`), paths and URLs
/// (`/` with a dot or `://`) and words with spaces never qualify.
fn high_entropy(v: &str) -> bool {
    if v.len() < 32 || v.len() > 4096 || is_guid(v) || v.contains(':') || v.contains('.') {
        return false;
    }
    if !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')) {
        return false;
    }
    let (upper, lower, digit) = (
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
    );
    if !(upper && lower && digit) {
        return false;
    }
    let mut counts = [0usize; 256];
    for b in v.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = v.len() as f64;
    let entropy: f64 = counts.iter().filter(|c| **c > 0).map(|c| *c as f64 / n).map(|p| -p * p.log2()).sum();
    entropy >= 4.0
}

fn is_guid(v: &str) -> bool {
    let v = v.trim_start_matches('{').trim_end_matches('}');
    let groups: Vec<&str> = v.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The bytes of a value in the source text; null or empty values have nothing to mask. The
/// parser's span is widened to what the text says the scalar covers (a quoted value to its
/// closing quote over any number of lines, a block scalar to its last line), so no line of a
/// multi-line secret stays visible.
fn value_range(at: Pos, text: &str) -> Option<Range<usize>> {
    let start = at.offset?;
    let len = at.len.filter(|l| *l > 0)?;
    text.get(start..start + len)?;
    let lines = line_starts(text);
    let index = lines.partition_point(|(s, _)| *s <= start).checked_sub(1)?;
    let (line_start, content) = lines[index];
    let prefix = content.get(..start - line_start)?;
    let in_flow = prefix.contains(['{', '[']);
    let indent = content.len() - content.trim_start().len();
    let end = value_end(text, &lines, index, start - line_start, indent, in_flow).max(start + len);
    Some(start..end.min(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(yaml: &str) -> Vec<String> {
        let root = super::super::located::parse(yaml).unwrap();
        scan(&root, yaml).0.into_iter().map(|f| f.path.join("/")).collect()
    }

    #[test]
    fn finds_credential_keys_anywhere() {
        let yaml = "psa:\n  connectwise:\n    site: x\n    private_key: abc\nclients:\n  - clientSecret: s\n    API_KEY: k\n    key: m365\n    token_expiry: 3\n";
        assert_eq!(
            reasons(yaml),
            ["psa/connectwise/private_key", "clients/0/clientSecret", "clients/0/API_KEY"]
        );
    }

    #[test]
    fn finds_secret_values_but_not_ids() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let yaml = format!(
            "a: {jwt}\nb: \"P1Y:CFQ7TTC0LCHC:0002:1:\"\nc: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\nd: Contoso Pty Ltd - Microsoft 365 Business Premium\ne: q8Zt3NcV1xR7yLm2Kp9Wd4Hs6Fj0Bg5Ae\nf: https://user:hunter2@example.com/api\ng: 3F2504E04F8911D39A0C0305E82C3301\nh: examples/quickstart/state.yaml\n"
        );
        assert_eq!(reasons(&yaml), ["a", "e", "f"]);
    }

    #[test]
    fn masks_lines_of_broken_yaml() {
        let yaml = "psa:\n  password: \"hunter2-is-long\n  other: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtc3AifQ.c2lnbmF0dXJl\n  name: ok\n";
        let masks = scan_lines(yaml);
        let hidden: Vec<&str> = masks.iter().map(|r| &yaml[r.clone()]).collect();
        assert_eq!(hidden, ["\"hunter2-is-long", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtc3AifQ.c2lnbmF0dXJl"]);
    }

    #[test]
    fn masks_every_scalar_under_a_credential_key() {
        let yaml = "credentials:\n  user: u\n  pass: p4ssw0rd\n";
        let root = super::super::located::parse(yaml).unwrap();
        let (_, masks) = scan(&root, yaml);
        let hidden: Vec<&str> = masks.iter().map(|r| &yaml[r.clone()]).collect();
        assert_eq!(hidden, ["u", "p4ssw0rd"]);
    }

    #[test]
    fn masks_the_value_bytes() {
        let yaml = "api_key: \"abcdef\"\n";
        let root = super::super::located::parse(yaml).unwrap();
        let (_, masks) = scan(&root, yaml);
        assert_eq!(masks.len(), 1);
        assert!(yaml[masks[0].clone()].contains("abcdef"), "{:?}", masks);
    }
}
