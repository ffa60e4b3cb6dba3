//! Problems in a workspace, each pointing at `file:line:col` with a snippet of the YAML, in the
//! style of rustc and cargo-deny. Rendering uses `annotate-snippets` (the renderer rustc's
//! style comes from) on source text whose secrets have already been masked.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::located::Pos;
use crate::render::escape::terminal;

/// A workspace file's text as diagnostics may show it: secrets already replaced by `*`, and
/// the secrets themselves kept only so the rendered output can be searched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path as the user gave it (workspace directory joined with the file's relative path).
    pub path: PathBuf,
    masked: Arc<Masked>,
}

/// Masked text with the byte ranges that were masked (offsets of the original text) and the
/// values behind them (never printed; see [`Diagnostic::render`]).
#[derive(Clone, PartialEq, Eq)]
struct Masked {
    text: String,
    masks: Vec<Range<usize>>,
    secrets: Vec<String>,
}

impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Masked").field("masks", &self.masks).finish_non_exhaustive()
    }
}

impl SourceFile {
    /// Wraps a file's text, replacing each byte range in `masks` with `*` (byte length kept, so
    /// every offset the parser reported stays valid; snippets show each masked value as a
    /// fixed `****`, so its length is not revealed either).
    pub fn new(path: PathBuf, text: &str, masks: &[Range<usize>]) -> Self {
        let mut masks: Vec<Range<usize>> =
            masks.iter().filter(|r| text.get((*r).clone()).is_some() && !r.is_empty()).cloned().collect();
        let secrets = super::secrets::secret_pieces(text, &masks);
        masks.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::new();
        for r in masks {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        // A `\r` of a CRLF ending becomes a space: offsets stay valid and snippets stay clean.
        let mut masked = text.replace("\r\n", " \n");
        for range in &merged {
            if let Some(secret) = text.get(range.clone()) {
                // Newlines stay so line numbers of a masked block scalar do not move.
                let stars: String = secret
                    .chars()
                    .map(|c| if c == '\n' { "\n".to_string() } else { "*".repeat(c.len_utf8()) })
                    .collect();
                masked.replace_range(range.clone(), &stars);
            }
        }
        SourceFile { path, masked: Arc::new(Masked { text: masked, masks: merged, secrets }) }
    }

    /// The masked text.
    pub fn text(&self) -> &str {
        &self.masked.text
    }

    /// A place in this file with a short label under the caret.
    pub fn mark(&self, at: Pos, label: impl Into<String>) -> Mark {
        Mark { file: self.path.clone(), at, label: label.into(), source: Some(self.masked.clone()) }
    }
}

/// A labelled place in a file; the source travels with it so rendering needs no I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The file.
    pub file: PathBuf,
    /// Where in it; unknown positions render as just the path.
    pub at: Pos,
    /// Text under the caret.
    pub label: String,
    source: Option<Arc<Masked>>,
}

impl Mark {
    /// A whole file, without a position (a missing or unreadable file).
    pub fn file(path: &Path) -> Self {
        Mark { file: path.to_path_buf(), at: Pos::default(), label: String::new(), source: None }
    }
}

/// Whether a diagnostic stops the workspace from loading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Severity {
    /// The workspace cannot be used until it is fixed.
    #[default]
    Error,
    /// The workspace loads; something in it is not finished (an incomplete mapping).
    Warning,
}

/// One problem in the YAML, pointing at where it is. Its `Debug` shows the rendered (masked)
/// text, never the raw message.
#[derive(Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File, as given (workspace directory joined with the relative path).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong and what was expected.
    pub message: String,
    /// Where it is, with the label shown under the caret.
    pub primary: Mark,
    /// Other places involved (the first definition of a duplicate, ...).
    pub related: Vec<Mark>,
    /// What to do about it.
    pub help: Option<String>,
    /// Whether it stops the load.
    pub severity: Severity,
}

impl Diagnostic {
    /// A problem at `primary`.
    pub fn new(primary: Mark, message: impl Into<String>) -> Self {
        let known = primary.at.is_known();
        Diagnostic {
            file: primary.file.clone(),
            line: known.then_some(primary.at.line),
            column: known.then_some(primary.at.column),
            message: message.into(),
            primary,
            related: Vec::new(),
            help: None,
            severity: Severity::Error,
        }
    }

    /// Makes it a warning: reported, but the workspace still loads.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Adds another place involved in the problem.
    pub fn related(mut self, mark: Mark) -> Self {
        self.related.push(mark);
        self
    }

    /// Adds a `help:` line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic with its snippets; `color` adds ANSI styles. Everything it
    /// prints (message, labels, help, snippets) goes through one masking pass with the secrets
    /// of every file it shows.
    pub fn render(&self, color: bool) -> String {
        let secrets: Vec<String> = std::iter::once(&self.primary)
            .chain(&self.related)
            .filter_map(|m| m.source.as_ref())
            .flat_map(|s| s.secrets.iter().cloned())
            .collect();
        super::secrets::mask_output(&self.render_unmasked(color), &secrets)
    }

    fn render_unmasked(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let marks: Vec<&Mark> = std::iter::once(&self.primary).chain(&self.related).collect();
        // Marks in one file share one snippet (both places of a duplicate key, say).
        let mut files: Vec<(&Path, Vec<(usize, &Mark)>)> = Vec::new();
        for (i, mark) in marks.iter().enumerate() {
            match files.iter_mut().find(|(file, _)| *file == mark.file.as_path()) {
                Some((_, group)) => group.push((i, mark)),
                None => files.push((mark.file.as_path(), vec![(i, mark)])),
            }
        }
        // Paths, messages, labels and snippets quote what the user or a vendor wrote: control
        // characters are made visible (in snippets replaced by `?`, so offsets hold).
        let paths: Vec<String> =
            files.iter().map(|(file, _)| terminal(&file.display().to_string()).into_owned()).collect();
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut group = Group::with_title(level.primary_title(terminal(&self.message)));
        for ((_, file_marks), path) in files.iter().zip(&paths) {
            group = match snippet_of(file_marks, path) {
                Element::Snippet(s) => group.element(s),
                Element::Origin(o) => group.element(o),
            };
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(terminal(help)));
        }
        renderer.render(&[group]).to_string()
    }
}

enum Element<'a> {
    Snippet(Snippet<'a, annotate_snippets::Annotation<'a>>),
    Origin(Origin<'a>),
}

/// The lines around the marks of one file (one before the first, one after the last; long
/// gaps folded), each mark's token underlined; the primary mark (index 0) with `^`.
fn snippet_of<'a>(marks: &[(usize, &'a Mark)], path: &'a str) -> Element<'a> {
    let Some(masked) = marks.first().and_then(|(_, m)| m.source.as_deref()) else {
        return Element::Origin(Origin::path(path));
    };
    let source = masked.text.as_str();
    let known: Vec<&(usize, &Mark)> = marks.iter().filter(|(_, m)| m.at.is_known()).collect();
    if known.is_empty() {
        return Element::Origin(Origin::path(path));
    }
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let located: Vec<(usize, Range<usize>, &(usize, &Mark))> = known
        .into_iter()
        .map(|m| {
            let (line, span) = span_of(m.1, source, &line_starts);
            (line, span, m)
        })
        .collect();
    let first = located.iter().map(|(line, ..)| *line).min().unwrap_or(0).saturating_sub(1);
    let last = (located.iter().map(|(line, ..)| *line).max().unwrap_or(0) + 1).min(line_starts.len() - 1);
    let excerpt_start = line_starts[first];
    let excerpt_end = source[line_starts[last]..].find('\n').map_or(source.len(), |i| line_starts[last] + i);
    let (excerpt, map) = collapse(source, excerpt_start..excerpt_end, &masked.masks);
    let excerpt_len = excerpt.len();
    let annotations = located.iter().map(|(_, span, (i, mark))| {
        let kind = if *i == 0 { AnnotationKind::Primary } else { AnnotationKind::Context };
        let start = map.place(span.start, false).min(excerpt_len);
        let end = map.place(span.end, true).clamp(start, excerpt_len);
        kind.span(start..end).label(if mark.label.is_empty() { None } else { Some(terminal(&mark.label)) })
    });
    Element::Snippet(
        Snippet::source(excerpt)
            .line_start(first + 1)
            .path(path)
            .fold(last - first > 6)
            .annotations(annotations),
    )
}

/// Whether a snippet character would act on a terminal (what [`terminal`] makes visible),
/// line breaks and tabs aside.
fn acts_on_terminal(c: char) -> bool {
    let mut buf = [0; 4];
    c != '\n' && c != '\t' && matches!(terminal(c.encode_utf8(&mut buf)), std::borrow::Cow::Owned(_))
}

/// Where masked ranges went when an excerpt was collapsed: (start, end) in the file and the
/// matching (start, end) in the excerpt, for each piece.
struct Placement {
    start: usize,
    pieces: Vec<(Range<usize>, Range<usize>)>,
}

impl Placement {
    /// A file offset as an excerpt offset; inside a masked piece, its start (or its end).
    fn place(&self, offset: usize, is_end: bool) -> usize {
        // The end of the last piece before `offset`, in the file and in the excerpt.
        let (mut from_end, mut to_end) = (self.start, 0);
        for (from, to) in &self.pieces {
            if offset < from.start {
                break;
            }
            if offset < from.end || (is_end && offset == from.end) {
                return if is_end && offset > from.start { to.end } else { to.start };
            }
            (from_end, to_end) = (from.end, to.end);
        }
        offset.saturating_sub(from_end) + to_end
    }
}

/// The excerpt `range` of the masked text with every masked piece (each line of a masked
/// range) shown as a fixed `****`, so a snippet never reveals a secret's length.
fn collapse(source: &str, range: Range<usize>, masks: &[Range<usize>]) -> (String, Placement) {
    let mut out = String::with_capacity(range.len());
    let mut pieces = Vec::new();
    let mut at = range.start;
    for mask in masks.iter().filter(|m| m.end > range.start && m.start < range.end) {
        let (start, end) = (mask.start.max(range.start), mask.end.min(range.end));
        // Each line of the mask is one piece; newlines stay.
        let mut piece_start = start;
        for (i, line) in source[start..end].split('\n').enumerate() {
            if i > 0 {
                piece_start += 1;
            }
            let piece_end = piece_start + line.len();
            // Blanks around a masked line (indentation of a block scalar) stay as they are.
            let lead = line.len() - line.trim_start().len();
            let trail = line.len() - line.trim_end().len();
            if lead < line.len() {
                let (from, to) = (piece_start + lead, piece_end - trail);
                out.push_str(&source[at..from]);
                let to_start = out.len();
                out.push_str(super::secrets::MASK);
                pieces.push((from..to, to_start..out.len()));
                at = to;
            }
            piece_start = piece_end;
        }
    }
    out.push_str(&source[at..range.end]);
    let out = if out.chars().any(acts_on_terminal) {
        out.chars()
            .map(|c| if acts_on_terminal(c) { "?".repeat(c.len_utf8()) } else { c.to_string() })
            .collect()
    } else {
        out
    };
    (out, Placement { start: range.start, pieces })
}

/// The 0-based line of a mark and the byte range of its token in `source`.
fn span_of(mark: &Mark, source: &str, line_starts: &[usize]) -> (usize, Range<usize>) {
    let line_index = mark.at.line.saturating_sub(1).min(line_starts.len().saturating_sub(1));
    let line_start = line_starts[line_index];
    let line_end = source[line_start..].find('\n').map_or(source.len(), |i| line_start + i);
    let offset =
        mark.at.offset.filter(|o| (line_start..=line_end).contains(o)).unwrap_or_else(|| {
            char_column_offset(&source[line_start..line_end], mark.at.column) + line_start
        });
    let end = mark
        .at
        .len
        .filter(|l| *l > 0)
        .map(|l| (offset + l).min(line_end))
        .unwrap_or_else(|| token_end(source, offset, line_end));
    (line_index, offset..end)
}

fn char_column_offset(line: &str, column: usize) -> usize {
    line.char_indices().nth(column.saturating_sub(1)).map_or(line.len(), |(i, _)| i)
}

/// Without a length from the parser: the rest of the scalar token, up to `:` + space, `,`,
/// `}` or `]`, or the end of the line.
fn token_end(source: &str, offset: usize, line_end: usize) -> usize {
    let rest = &source[offset.min(line_end)..line_end];
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        let next = rest[i + c.len_utf8()..].chars().next();
        if matches!(c, ',' | '}' | ']' | '#') || (c == ':' && next.is_none_or(char::is_whitespace)) {
            end = i;
            break;
        }
    }
    let end = offset + rest[..end].trim_end().len();
    if end == offset { (offset + rest.chars().next().map_or(0, char::len_utf8)).min(line_end) } else { end }
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Diagnostic")
            .field("file", &self.file)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("rendered", &self.render(false))
            .finish()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

/// Every problem found while loading, so one run shows them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl ConfigErrors {
    /// All diagnostics rendered with snippets, separated by blank lines.
    pub fn render(&self, color: bool) -> String {
        self.0.iter().map(|d| d.render(color).trim_end().to_string()).collect::<Vec<_>>().join("\n\n")
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> Pos {
        let offset = text.find(needle).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
        Pos { line, column, offset: Some(offset), len: Some(needle.len()) }
    }

    #[test]
    fn snippets_show_secrets_as_a_fixed_mask_and_keep_later_marks_in_place() {
        let text = "a: 1\nb: { token: Hunter2IsAVeryLongPassword, colour: red }\nc: 3\n";
        let start = text.find("Hunter2").unwrap();
        let mask = start..start + 26;
        let source = SourceFile::new("f.yaml".into(), text, std::slice::from_ref(&mask));
        let d = Diagnostic::new(source.mark(at(text, "colour"), "unknown field"), "unknown field `colour`");
        let rendered = d.render(false);
        assert!(rendered.contains("b: { token: ****, colour: red }"), "{rendered}");
        assert!(!rendered.contains("Hunter2"), "{rendered}");
        // The caret sits under `colour`, after the collapsed mask.
        let line = rendered.lines().find(|l| l.contains("^")).unwrap();
        let caret = line.find('^').unwrap();
        let source_line = rendered.lines().find(|l| l.contains("colour: red")).unwrap();
        assert_eq!(&source_line[caret..caret + 6], "colour", "{rendered}");
    }

    #[test]
    fn messages_labels_and_help_are_masked_in_one_pass() {
        let text = "password: Hunter2IsAVeryLongPassword\n";
        let mask = 10..36;
        let source = SourceFile::new("f.yaml".into(), text, std::slice::from_ref(&mask));
        let d = Diagnostic::new(
            source.mark(at(text, "password"), "Hunter2IsAVeryLongPassword"),
            "echoes Hunter2IsAVeryLongPassword",
        )
        .help("and ghp_abcdefghijklmnopqrstuvwxyz0123 too");
        for text in [d.render(false), format!("{d:?}"), d.to_string()] {
            assert!(!text.contains("Hunter2") && !text.contains("ghp_abc"), "{text}");
        }
    }

    #[test]
    fn control_characters_in_snippets_and_messages_are_neutralised() {
        let text = "name: a\u{1b}[2Jb\n";
        let source = SourceFile::new("f.yaml".into(), text, &[]);
        let d = Diagnostic::new(source.mark(at(text, "name"), "here"), "name a\u{1b}[2Jb is bad");
        let rendered = d.render(true);
        assert!(!rendered.contains("\u{1b}[2J"), "{rendered:?}");
        assert!(rendered.contains("a\\u{1b}[2Jb is bad"), "{rendered:?}");
    }
}
