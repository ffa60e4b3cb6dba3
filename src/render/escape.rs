//! Escaping for strings cspctl did not write: client names, agreement names, descriptions and
//! error texts come from Dicker Data, the PSA or the YAML, and must reach a pull-request
//! comment or a terminal as plain text, never as markup or control sequences.
//!
//! Both functions borrow when nothing needs escaping, so the common case costs no allocation.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Text for GitHub-flavoured Markdown and the HTML it allows: inline markup (`*`, `_`, `` ` ``,
/// `~`, `$` maths, links' `[]`, tables' `|`), raw HTML (`</details><h1>`), entities (`&`)
/// and line-start blocks (`#`, `-`, `1.`) all show as the characters they are.
/// Quotes and parentheses are left alone: strings never go into attributes, and without `[`
/// no link can form. Line breaks become spaces so one value stays
/// in its list item or table cell; control characters are shown as in [`terminal`].
///
/// For running text, table cells and `<summary>`; not for code spans, which need no escaping.
pub fn markdown(s: &str) -> Cow<'_, str> {
    let block = block_marker(s);
    let start = match (block, s.find(needs_markdown_escape)) {
        (Some(b), Some(e)) => b.min(e),
        (Some(i), None) | (None, Some(i)) => i,
        (None, None) => return Cow::Borrowed(s),
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..start]);
    for (i, c) in s[start..].char_indices() {
        if block == Some(start + i) {
            out.push('\\');
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if is_control(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text inside an HTML element such as `<summary>`, where GitHub does not read Markdown (but
/// other hosts may): HTML's `&`, `<`, `>`, `"` and Markdown's punctuation are written as
/// character references, which read the same either way. Line breaks become spaces and
/// control characters are shown as in [`terminal`].
pub fn html(s: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"') || needs_markdown_escape(c);
    let Some(start) = s.find(special) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..start]);
    for c in s[start..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_control(c) => push_visible(&mut out, c),
            c if needs_markdown_escape(c) => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An identifier (product, stock code) as a Markdown code span, or as escaped text when a
/// backtick, `|`, line break or control character would break out of the span or its table cell.
pub fn code(s: &str) -> String {
    if s.is_empty() || s.contains(|c: char| c == '`' || c == '|' || is_control(c)) {
        markdown(s).into_owned()
    } else {
        format!("`{s}`")
    }
}

/// Text for a terminal: C0 and C1 control characters, DEL and the bidirectional overrides
/// (which reorder what is shown) are written as visible `\u{1b}`-style escapes, so a vendor
/// string cannot move the cursor, recolour the screen, forge a new line or hide text.
/// Printable text, backslashes included, is left as it is.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let Some(start) = s.find(is_control) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..start]);
    for c in s[start..].chars() {
        if is_control(c) { push_visible(&mut out, c) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// C0, DEL, C1 and the Unicode bidirectional embedding, override and isolate controls.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

fn needs_markdown_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '$') || is_control(c)
}

/// Where a backslash stops the text opening a block (bullet, setext underline, ordered list)
/// if it began a line: before a leading `-`, `+` or `=`, or before the `.` or `)` of `1.`.
/// (`#` is escaped everywhere anyway.)
fn block_marker(s: &str) -> Option<usize> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    match s.as_bytes().first() {
        Some(b'-' | b'+' | b'=') => Some(0),
        _ if digits > 0 && matches!(s.as_bytes().get(digits), Some(b'.' | b')')) => Some(digits),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for s in ["Contoso Pty Ltd", "Fabrikam, Inc.", "Microsoft 365 Business Premium", ""] {
            assert!(matches!(markdown(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(terminal(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn html_cannot_close_the_fold_or_add_headings() {
        assert_eq!(
            markdown("Contoso </details><h1>PWNED</h1>"),
            "Contoso &lt;/details&gt;&lt;h1&gt;PWNED&lt;/h1&gt;"
        );
        assert_eq!(markdown("<img src=x onerror=\"a('b')\">"), "&lt;img src=x onerror=\"a('b')\"&gt;");
        assert_eq!(markdown("A & B"), "A &amp; B");
    }

    #[test]
    fn html_text_is_entities_only() {
        assert_eq!(html("Contoso </summary><h1>x</h1>"), "Contoso &lt;/summary&gt;&lt;h1&gt;x&lt;/h1&gt;");
        assert_eq!(html("**A & B**"), "&#42;&#42;A &amp; B&#42;&#42;");
        assert!(matches!(html("Contoso Pty Ltd"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_markup_is_literal() {
        assert_eq!(markdown("**bold** _it_ `code`"), "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`");
        assert_eq!(markdown("[x](https://evil.example)"), "\\[x\\](https://evil.example)");
        assert_eq!(markdown("$x^2$"), "\\$x^2\\$");
        assert_eq!(markdown("3) item"), "3\\) item");
        assert_eq!(markdown("a | b"), "a \\| b");
        assert_eq!(markdown("# heading"), "\\# heading");
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("1. item"), "1\\. item");
        assert_eq!(markdown("2026 licences"), "2026 licences");
        assert_eq!(markdown("Contoso - Sydney"), "Contoso - Sydney");
        assert_eq!(markdown("C:\\path"), "C:\\\\path");
    }

    #[test]
    fn code_spans_cannot_be_broken_out_of() {
        assert_eq!(code("M365-BP"), "`M365-BP`");
        assert_eq!(code("a`</details>"), "a\\`&lt;/details&gt;");
        assert_eq!(code("a|b"), "a\\|b");
    }

    #[test]
    fn line_breaks_cannot_start_a_new_block() {
        assert_eq!(markdown("one\n# two\r\n"), "one \\# two  ");
    }

    #[test]
    fn control_characters_are_visible() {
        assert_eq!(terminal("red \u{1b}[31mtext"), "red \\u{1b}[31mtext");
        assert_eq!(terminal("a\nerror: forged"), "a\\nerror: forged");
        assert_eq!(terminal("del\u{7f} c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal("tab\there"), "tab\\there");
        assert_eq!(markdown("bell\u{7}"), "bell\\u{7}");
        assert_eq!(terminal("Müller & Söhne — 東京"), "Müller & Söhne — 東京");
    }
}
