//! The sandbox state file checked as a workspace file is: every id unique within its list
//! (two additions with one id would make writes land on the wrong row), each problem at
//! `file:line:col`. Typed reading of the state stays with the sandbox; this sees the text.

use std::collections::BTreeMap;
use std::path::Path;

use super::diagnostic::{ConfigErrors, Diagnostic, SourceFile};
use super::located::{self, Node};
use super::secrets;
use super::yaml_error::yaml_error;

/// The lists of a state file whose entries have an `id`.
const ID_LISTS: [[&str; 2]; 5] = [
    ["dicker_data", "customers"],
    ["psa", "companies"],
    ["psa", "agreements"],
    ["psa", "products"],
    ["psa", "additions"],
];

/// Checks a sandbox state file's text (YAML or JSON); `Err` lists every problem.
pub fn check_sandbox_state(path: &Path, text: &str) -> Result<(), ConfigErrors> {
    let masks = secrets::scan_lines(text);
    let source = SourceFile::new(path.to_path_buf(), text, &masks);
    let tree = located::parse(text).map_err(|e| ConfigErrors(vec![yaml_error(&e, source.clone())]))?;
    let mut errors = Vec::new();
    for list in ID_LISTS {
        let Some((_, Node::Seq(items))) = tree.lookup(list).map(|(k, v)| (k, &v.node)) else { continue };
        let mut seen: BTreeMap<String, located::Pos> = BTreeMap::new();
        for item in items {
            let Some(entry) = item.entry("id") else { continue };
            let id = match &entry.value.node {
                Node::String(s) => s.clone(),
                Node::Number(n) => n.to_string(),
                _ => continue,
            };
            let what = list.join(".");
            match seen.get(&id) {
                Some(first) => errors.push(
                    Diagnostic::new(
                        source.mark(entry.value.at, "used again here"),
                        format!("duplicate id `{id}` in `{what}`: each entry needs its own id"),
                    )
                    .related(source.mark(*first, "first used here"))
                    .help("give one of them a new id; writes find rows by id"),
                ),
                None => {
                    seen.insert(id, entry.value.at);
                }
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ConfigErrors(errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_addition_ids_are_reported_at_both_places() {
        let text = "psa:\n  additions:\n    - { id: 7, agreement: 1 }\n    - { id: 8 }\n    - { id: 7 }\n";
        let errors = check_sandbox_state(Path::new("state.yaml"), text).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!((errors.0[0].line, errors.0[0].column), (Some(5), Some(13)));
        let rendered = errors.render(false);
        assert!(rendered.contains("duplicate id `7` in `psa.additions`"), "{rendered}");
        assert!(rendered.contains("first used here"), "{rendered}");
        assert!(check_sandbox_state(Path::new("s.json"), r#"{"psa": {"additions": [{"id": 1}]}}"#).is_ok());
    }
}
