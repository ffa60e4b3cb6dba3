//! ConnectWise `conditions` for the simulator: a parser and evaluator for the subset cspctl and
//! common clients use (`= != < <= > >=`, `contains`, `like`, `in (...)`, `not`, `and`/`or` in
//! any case, parentheses, quoted strings, numbers, booleans, `null`, `[dates]`, nested paths
//! such as `company/id`). Records are evaluated as the JSON the simulator serves, so any field
//! the API returns can be filtered on, as in ConnectWise.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::model::NameKey;

/// A parsed condition, evaluated against one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Both sides hold.
    And(Box<Condition>, Box<Condition>),
    /// Either side holds.
    Or(Box<Condition>, Box<Condition>),
    /// The inner condition does not hold.
    Not(Box<Condition>),
    /// `path op literal`.
    Compare { path: Vec<String>, op: Op, literal: Literal },
    /// `path in (literal, ...)`.
    In { path: Vec<String>, literals: Vec<Literal> },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains` (substring, case-insensitive)
    Contains,
    /// `like` (`*` or `%` wildcards, case-insensitive)
    Like,
}

/// A literal on the right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `"text"` or `'text'`.
    Text(String),
    /// `42`, `-1.5`.
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `[2026-01-01T00:00:00Z]` or `[2026-01-01]`.
    Date(DateTime<Utc>),
}

/// Why a conditions string was refused, with the position a person can look at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at position {position} of conditions")]
pub struct ConditionError {
    /// What was wrong.
    pub message: String,
    /// Character offset in the conditions string.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Date(DateTime<Utc>),
    Op(Op),
    Open,
    Close,
    Comma,
}

/// Parses a conditions string.
pub fn parse(input: &str) -> Result<Condition, ConditionError> {
    let tokens = tokenize(input)?;
    let mut parser = Parser { tokens, at: 0, end: input.len() };
    let condition = parser.or()?;
    if let Some((_, position)) = parser.tokens.get(parser.at) {
        return Err(ConditionError { message: "unexpected text".into(), position: *position });
    }
    Ok(condition)
}

fn tokenize(input: &str) -> Result<Vec<(Token, usize)>, ConditionError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |message: &str, position: usize| ConditionError { message: message.into(), position };
    while i < chars.len() {
        let (pos, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((Token::Open, pos));
                i += 1;
            }
            ')' => {
                out.push((Token::Close, pos));
                i += 1;
            }
            ',' => {
                out.push((Token::Comma, pos));
                i += 1;
            }
            '=' => {
                out.push((Token::Op(Op::Eq), pos));
                i += 1;
            }
            '!' | '<' | '>' => {
                let next_eq = chars.get(i + 1).is_some_and(|(_, n)| *n == '=');
                let op = match (c, next_eq) {
                    ('!', true) => Op::Ne,
                    ('<', true) => Op::Le,
                    ('>', true) => Op::Ge,
                    ('<', false) => Op::Lt,
                    ('>', false) => Op::Gt,
                    _ => return Err(err("`!` must be followed by `=`", pos)),
                };
                out.push((Token::Op(op), pos));
                i += if next_eq { 2 } else { 1 };
            }
            '"' | '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    let Some(&(_, ch)) = chars.get(i) else {
                        return Err(err("unterminated string", pos));
                    };
                    i += 1;
                    if ch == '\\' {
                        if let Some(&(_, escaped)) = chars.get(i) {
                            text.push(escaped);
                            i += 1;
                        }
                    } else if ch == c {
                        break;
                    } else {
                        text.push(ch);
                    }
                }
                out.push((Token::Text(text), pos));
            }
            '[' => {
                let close = chars[i..].iter().position(|(_, ch)| *ch == ']').map(|k| i + k);
                let Some(close) = close else { return Err(err("unterminated [date]", pos)) };
                let text: String = chars[i + 1..close].iter().map(|(_, ch)| ch).collect();
                let date = parse_datetime(text.trim()).ok_or_else(|| err("not a date in [...]", pos))?;
                out.push((Token::Date(date), pos));
                i = close + 1;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|(_, n)| n.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|(_, n)| n.is_ascii_digit() || *n == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().map(|(_, ch)| ch).collect();
                let number = text.parse().map_err(|_| err("not a number", pos))?;
                out.push((Token::Number(number), pos));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars.get(i).is_some_and(|(_, n)| n.is_alphanumeric() || *n == '_' || *n == '/') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().map(|(_, ch)| ch).collect();
                out.push((Token::Word(word), pos));
            }
            _ => return Err(err("unexpected character", pos)),
        }
    }
    Ok(out)
}

/// Parses `2026-01-01T00:00:00Z` (any RFC 3339) or `2026-01-01` (midnight UTC).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.at).map(|(_, p)| *p).unwrap_or(self.end)
    }

    fn error(&self, message: &str) -> ConditionError {
        ConditionError { message: message.into(), position: self.position() }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            left = Condition::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Condition, ConditionError> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Condition::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return Err(self.error("expected `)`"));
            }
            self.at += 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Condition, ConditionError> {
        let path = match self.peek() {
            Some(Token::Word(w)) => w.split('/').map(str::to_string).collect::<Vec<_>>(),
            _ => return Err(self.error("expected a field name")),
        };
        if path.iter().any(String::is_empty) {
            return Err(self.error("empty segment in field path"));
        }
        self.at += 1;
        let negate = self.keyword("not");
        if negate {
            self.at += 1;
        }
        let condition = if self.keyword("in") {
            self.at += 1;
            Condition::In { path, literals: self.list()? }
        } else {
            let op = match self.peek() {
                Some(Token::Op(op)) => *op,
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("contains") => Op::Contains,
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("like") => Op::Like,
                _ => return Err(self.error("expected an operator")),
            };
            self.at += 1;
            Condition::Compare { path, op, literal: self.literal()? }
        };
        Ok(if negate { Condition::Not(Box::new(condition)) } else { condition })
    }

    fn list(&mut self) -> Result<Vec<Literal>, ConditionError> {
        if self.peek() != Some(&Token::Open) {
            return Err(self.error("expected `(` after `in`"));
        }
        self.at += 1;
        let mut literals = vec![self.literal()?];
        loop {
            match self.peek() {
                Some(Token::Comma) => {
                    self.at += 1;
                    literals.push(self.literal()?);
                }
                Some(Token::Close) => {
                    self.at += 1;
                    return Ok(literals);
                }
                _ => return Err(self.error("expected `,` or `)` in list")),
            }
        }
    }

    fn literal(&mut self) -> Result<Literal, ConditionError> {
        let literal = match self.peek() {
            Some(Token::Text(t)) => Literal::Text(t.clone()),
            Some(Token::Number(n)) => Literal::Number(*n),
            Some(Token::Date(d)) => Literal::Date(*d),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(self.error("expected a value")),
        };
        self.at += 1;
        Ok(literal)
    }
}

impl Condition {
    /// Whether `record` (the JSON the API serves for it) satisfies the condition.
    pub fn matches(&self, record: &Value) -> bool {
        match self {
            Condition::And(a, b) => a.matches(record) && b.matches(record),
            Condition::Or(a, b) => a.matches(record) || b.matches(record),
            Condition::Not(c) => !c.matches(record),
            Condition::Compare { path, op, literal } => compare(lookup(record, path), *op, literal),
            Condition::In { path, literals } => {
                let field = lookup(record, path);
                literals.iter().any(|l| compare(field, Op::Eq, l))
            }
        }
    }
}

/// The value at a `a/b` path of a record (`null` when absent).
pub(super) fn lookup<'a>(record: &'a Value, path: &[String]) -> &'a Value {
    let mut at = record;
    for segment in path {
        at = match at {
            Value::Object(map) => map.get(segment).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    at
}

/// SQL-like semantics, as ConnectWise's database gives: text compares as [`NameKey`]s and
/// a missing field only matches `= null` (or `!= value`-free comparisons never).
fn compare(field: &Value, op: Op, literal: &Literal) -> bool {
    if let Literal::Null = literal {
        return match op {
            Op::Eq => field.is_null(),
            Op::Ne => !field.is_null(),
            _ => false,
        };
    }
    if field.is_null() {
        return false;
    }
    match op {
        Op::Contains => text_of(field).to_lowercase().contains(&literal_text(literal).to_lowercase()),
        Op::Like => like(&text_of(field).to_lowercase(), &literal_text(literal).to_lowercase()),
        _ => order(field, literal).is_some_and(|o| match op {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Contains | Op::Like => false,
        }),
    }
}

fn order(field: &Value, literal: &Literal) -> Option<Ordering> {
    match literal {
        Literal::Number(n) => match field {
            Value::Number(f) => f.as_f64()?.partial_cmp(n),
            Value::String(s) => s.trim().parse::<f64>().ok()?.partial_cmp(n),
            _ => None,
        },
        Literal::Bool(b) => field.as_bool().map(|f| f.cmp(b)),
        Literal::Date(d) => field.as_str().and_then(parse_datetime).map(|f| f.cmp(d)),
        Literal::Text(t) => match field {
            Value::Number(f) => f.as_f64()?.partial_cmp(&t.trim().parse::<f64>().ok()?),
            Value::Bool(f) => t.parse::<bool>().ok().map(|b| f.cmp(&b)),
            other => Some(NameKey::new(&text_of(other)).cmp(&NameKey::new(t))),
        },
        Literal::Null => None,
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Text(t) => t.clone(),
        Literal::Number(n) => n.to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => String::new(),
        Literal::Date(d) => d.to_rfc3339(),
    }
}

/// Glob match with `*` or `%` for any run of characters.
fn like(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split(['*', '%']).collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(k) => rest = &rest[k + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(conditions: &str, record: &Value) -> bool {
        parse(conditions).unwrap_or_else(|e| panic!("{conditions}: {e}")).matches(record)
    }

    #[test]
    fn evaluates_the_subset() {
        let r = json!({"id": 7, "identifier": "Contoso", "inactiveFlag": false,
            "company": {"id": 250}, "cancelledDate": "2026-06-30T00:00:00Z", "product": {"identifier": "M365-BP"}});
        assert!(check("id=7", &r));
        assert!(check("identifier = \"contoso\" AND inactiveFlag=false", &r));
        assert!(check("company/id in (1, 250)", &r));
        assert!(check("company/id not in (1,2)", &r));
        assert!(check(
            "product/identifier in ('M365-BP','X') and (cancelledDate=null or cancelledDate>[2026-05-01T00:00:00Z])",
            &r
        ));
        assert!(!check("cancelledDate > [2026-07-01]", &r));
        assert!(check("identifier like \"con*\" or id < 0", &r));
        assert!(check("identifier contains 'TOS'", &r));
        assert!(check("missing = null and not (id != 7)", &r));
        assert!(!check("missing > 3", &r));
        assert!(check("id >= 7 and id <= 7 and id > 6.5", &r));
    }

    #[test]
    fn refuses_bad_input_with_a_position() {
        let e = parse("id in (1,2").unwrap_err();
        assert!(e.to_string().contains("position"));
        assert!(parse("identifier = \"x").is_err());
        assert!(parse("id = ").is_err());
        assert!(parse("id ~ 3").is_err());
    }
}
