//! A YAML document as a tree that remembers where every key and value sits, so that checks
//! which do not go through serde (JSON Schema, secrets, cross-file references) can still point
//! at `file:line:col`. Parsed once per file with serde-saphyr's [`Spanned`] wrapper, which
//! also applies the parser's budgets and duplicate-key rejection.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Where a node starts in its file, and how long its source text is when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line; 0 when unknown.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
    /// Byte offset of the node's first character, when the parser reported it.
    pub offset: Option<usize>,
    /// Byte length of the node's source text (scalars), when the parser reported it.
    pub len: Option<usize>,
}

impl Pos {
    /// Whether the position points somewhere.
    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    pub(crate) fn from_location(l: serde_saphyr::Location) -> Self {
        let span = l.span();
        Pos {
            line: usize::try_from(l.line()).unwrap_or(0),
            column: usize::try_from(l.column()).unwrap_or(0),
            offset: span.byte_offset().and_then(|o| usize::try_from(o).ok()),
            len: span.byte_len().and_then(|o| usize::try_from(o).ok()),
        }
    }
}

/// A node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Position of the node (for a mapping or sequence, its first token).
    pub at: Pos,
    /// The node itself.
    pub node: Node,
}

/// One YAML node, with scalars already resolved to JSON types (YAML 1.2 core schema).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or float.
    Number(serde_json::Number),
    /// Any other scalar.
    String(String),
    /// A block or flow sequence.
    Seq(Vec<Located>),
    /// A mapping, entries in source order.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as text.
    pub key: String,
    /// Where the key is.
    pub key_at: Pos,
    /// The value and where it is.
    pub value: Located,
}

/// Budgets and strictness shared by every parse of workspace YAML: one document per file,
/// room for ~50,000 clients in one file (about 20 events each) but alias replays capped so an
/// alias bomb is refused in well under a second, duplicate keys rejected, and numbers with
/// leading zeros (SKU ids such as `0002`) kept as text.
pub(crate) fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1,
            max_events: 1_000_000,
            max_depth: 64,
            max_nodes: 1_000_000,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_total_scalar_bytes: 64 * 1024 * 1024,
        },
        alias_limits: serde_saphyr::alias_limits! { max_total_replayed_events: 100_000 },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    }
}

/// Parses one YAML file into a located tree. An empty file (no document) is an empty mapping.
pub fn parse(text: &str) -> Result<Located, serde_saphyr::Error> {
    let root: Option<Located> = serde_saphyr::from_str_with_options(text, options())?;
    Ok(root.unwrap_or(Located { at: Pos::default(), node: Node::Map(Vec::new()) }))
}

impl Located {
    /// The plain JSON value, for JSON Schema validation.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(Located::to_json).collect()),
            Node::Map(entries) => {
                Value::Object(entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect())
            }
        }
    }

    /// The value at a JSON pointer's segments (`["clients", "2", "company"]`), with the position
    /// of the key that leads to it (the item's own position for sequence items).
    pub fn lookup<I, S>(&self, segments: I) -> Option<(Pos, &Located)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut here = self;
        let mut key_at = self.at;
        for segment in segments {
            let segment = segment.as_ref();
            match &here.node {
                Node::Map(entries) => {
                    let entry = entries.iter().find(|e| e.key == segment)?;
                    key_at = entry.key_at;
                    here = &entry.value;
                }
                Node::Seq(items) => {
                    here = items.get(segment.parse::<usize>().ok()?)?;
                    key_at = here.at;
                }
                _ => return None,
            }
        }
        Some((key_at, here))
    }

    /// The entry named `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.node {
            Node::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The text when this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Node>::deserialize(d)?;
        Ok(Located { at: Pos::from_location(spanned.referenced), node: spanned.value })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(serde_json::Number::from_f64(v).map_or_else(|| Node::String(v.to_string()), Node::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::String(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Located>()?;
            entries.push(Entry { key: key.value, key_at: Pos::from_location(key.referenced), value });
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_positions_of_keys_and_values() {
        let text = "clients:\n  - dicker_data: \"123\"\n    company: Contoso\n    products: { a: {} }\n";
        let root = parse(text).unwrap();
        let (key_at, value) = root.lookup(["clients", "0", "company"]).unwrap();
        assert_eq!((key_at.line, key_at.column), (3, 5));
        assert_eq!((value.at.line, value.at.column), (3, 14));
        assert_eq!(value.as_str(), Some("Contoso"));
        assert_eq!(value.at.offset, Some(text.find("Contoso").unwrap()));
        assert_eq!(value.at.len, Some(7));
        let (key_at, _) = root.lookup(["clients", "0", "products", "a"]).unwrap();
        assert_eq!((key_at.line, key_at.column), (4, 17));
        assert_eq!(root.to_json()["clients"][0]["dicker_data"], "123");
    }

    #[test]
    fn keeps_leading_zeros_and_rejects_duplicate_keys() {
        let root = parse("sku: 0002\nn: 12\n").unwrap();
        assert_eq!(root.to_json(), serde_json::json!({"sku": "0002", "n": 12}));
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line()), Some(3), "{err}");
    }

    #[test]
    fn empty_file_is_an_empty_mapping() {
        assert_eq!(parse("# nothing\n").unwrap().to_json(), serde_json::json!({}));
    }
}
