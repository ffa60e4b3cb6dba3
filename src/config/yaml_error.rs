//! YAML-level errors from serde-saphyr (syntax, duplicate keys, size limits) turned into
//! diagnostics worded for people, pointing at both places of a duplicate key.

use super::diagnostic::{Diagnostic, SourceFile};
use super::located::Pos;

/// A YAML-level error (syntax, duplicate key, budget) from serde-saphyr, as a diagnostic.
pub fn yaml_error(e: &serde_saphyr::Error, source: SourceFile) -> Diagnostic {
    use serde_saphyr::Error as E;
    let inner = e.without_snippet();
    let message = serde_saphyr::MessageFormatter::format_message(&serde_saphyr::UserMessageFormatter, inner);
    let at = inner.location().map(Pos::from_location).unwrap_or_default();
    match inner {
        E::DuplicateMappingKey { key, .. } => {
            let name = key.clone().unwrap_or_default();
            let mut d = Diagnostic::new(
                source.mark(at, "duplicate key"),
                format!("duplicate key `{name}`: a key may appear only once in a mapping"),
            )
            .help("remove one of them; YAML would otherwise silently keep only one value");
            if let Some(first) = first_occurrence(source.text(), at, &name) {
                d = d.related(source.mark(first, "first used here"));
            }
            d
        }
        E::Budget { breach: serde_saphyr::budget::BudgetBreach::Documents { .. }, .. } => Diagnostic::new(
            source.mark(at, "second document starts here"),
            "a workspace file holds one YAML document, this one has more",
        )
        .help("split it at `---` into separate files (any name ending in .yaml)"),
        _ if matches!(inner, E::Budget { .. }) || message.contains("too large or too complex") => {
            Diagnostic::new(
                source.mark(at, "limit reached here"),
                format!("YAML refused by the size limits (nodes, nesting, alias expansions): {message}"),
            )
            .help("workspace files are plain hand-written YAML; avoid deep nesting and repeated aliases")
        }
        _ => Diagnostic::new(source.mark(at, "here"), format!("YAML syntax error: {message}")),
    }
}

/// The earlier `key:` of the same block mapping as a duplicate at `dup`: the nearest line
/// above with `key:` at the same column, before the mapping's indentation ends.
fn first_occurrence(text: &str, dup: Pos, key: &str) -> Option<Pos> {
    let lines: Vec<&str> = text.lines().collect();
    let column = dup.column.checked_sub(1)?;
    for line_index in (0..dup.line.checked_sub(1)?).rev() {
        let line = lines.get(line_index)?;
        let indent = line.chars().take_while(|c| *c == ' ' || *c == '-').count();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        let rest: String = line.chars().skip(column).collect();
        if indent <= column && rest.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':')) {
            let offset = text.lines().take(line_index).map(|l| l.len() + 1).sum::<usize>()
                + line.char_indices().nth(column).map_or(0, |(i, _)| i);
            return Some(Pos {
                line: line_index + 1,
                column: dup.column,
                offset: Some(offset),
                len: Some(key.len()),
            });
        }
        if !blank && indent < column {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str, line: usize, column: usize, key: &str) -> Option<(usize, usize)> {
        first_occurrence(text, Pos { line, column, offset: None, len: None }, key).map(|p| (p.line, p.column))
    }

    #[test]
    fn finds_the_first_key_of_the_same_mapping() {
        let text = "clients:\n  - dicker_data: \"1\"\n    company: A\n\n    # note\n    dicker_data: \"2\"\n";
        assert_eq!(first(text, 6, 5, "dicker_data"), Some((2, 5)));
        let text = "a:\n  b: 1\nc:\n  d: 1\n  b: 2\n";
        assert_eq!(first(text, 5, 3, "b"), None, "`b` under `a` is another mapping");
    }

    #[test]
    fn duplicate_key_names_both_places() {
        let text = "version: 1\npsa: sandbox\nversion: 1\n";
        let error = super::super::located::parse(text).unwrap_err();
        let d = yaml_error(&error, SourceFile::new("cspctl.yaml".into(), text, &[]));
        assert_eq!((d.line, d.column), (Some(3), Some(1)));
        assert_eq!(d.related.len(), 1);
        assert_eq!(d.related[0].at.line, 1);
        assert!(d.message.contains("`version`"), "{d}");
    }
}
