//! Building `conditions` values: quoted literals, and `field in (...)` lists cut into chunks
//! that keep each URL under the limits of the web servers in front of ConnectWise.

/// Largest URL-encoded `conditions` value per request (IIS's default query limit is 2048).
pub(super) const MAX_ENCODED_CONDITIONS: usize = 1800;

/// A string literal: double quotes, or single quotes when the text holds a double quote.
pub(super) fn text(value: &str) -> String {
    if !value.contains('"') {
        format!("\"{value}\"")
    } else if !value.contains('\'') {
        format!("'{value}'")
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn encoded_len(text: &str) -> usize {
    url::form_urlencoded::byte_serialize(text.as_bytes()).map(str::len).sum()
}

/// `field in (a,b,...)` conditions covering `literals`, each at most `max_encoded` long once
/// URL-encoded (a single literal longer than that still gets its own chunk).
pub(super) fn in_chunks(field: &str, literals: &[String], max_encoded: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut length = encoded_len(&format!("{field} in ()"));
    let base = length;
    for literal in literals {
        let extra = encoded_len(literal) + usize::from(!current.is_empty()) * encoded_len(",");
        if !current.is_empty() && length + extra > max_encoded {
            chunks.push(format!("{field} in ({})", current.join(",")));
            current.clear();
            length = base;
        }
        length += encoded_len(literal) + usize::from(!current.is_empty()) * encoded_len(",");
        current.push(literal);
    }
    if !current.is_empty() {
        chunks.push(format!("{field} in ({})", current.join(",")));
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_chunks() {
        assert_eq!(text("Contoso"), "\"Contoso\"");
        assert_eq!(text("Say \"hi\""), "'Say \"hi\"'");
        let literals: Vec<String> = (0..500).map(|i| text(&format!("COMPANY-{i:04}"))).collect();
        let chunks = in_chunks("identifier", &literals, MAX_ENCODED_CONDITIONS);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| encoded_len(c) <= MAX_ENCODED_CONDITIONS));
        let joined: usize = chunks.iter().map(|c| c.matches("COMPANY-").count()).sum();
        assert_eq!(joined, 500);
        assert_eq!(in_chunks("id", &["1".into()], 10), vec!["id in (1)".to_string()]);
    }
}
