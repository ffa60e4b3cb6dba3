//! Company names as Australian and New Zealand businesses write them, reduced to the words
//! that tell two businesses apart: case, punctuation, `&`/`and`, diacritics and macrons,
//! legal forms (Pty Ltd, Limited, P/L, Inc, NL, PLC; Corp only where safe, Co never), trust
//! wrappers ("The Trustee for …", "… ATF …"), trading names ("T/A", "trading as") and common
//! abbreviations. Two names with the same [`Normalised::key`] are the same name.

use std::collections::BTreeSet;

/// What normalising changed, so a candidate can say why it matched ("same after legal form").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Case, spacing, punctuation, `&`, diacritics: spelling only.
    Spelling,
    /// An abbreviation was written out (Aust → australia).
    Abbreviation,
    /// A legal form was removed (Pty Ltd, Limited, Inc, ...).
    LegalForm,
    /// A trust wrapper was removed ("The Trustee for", "ATF", "Trust").
    TrustWrapper,
    /// This form is the trading name after `T/A` / "trading as".
    TradingName,
    /// This form is the registered name before `T/A`, or the trust after `ATF`.
    OtherPart,
    /// A branch or location suffix ("- Sydney", "(Head Office)") was removed.
    BranchSuffix,
}

impl Change {
    /// The words a reason uses for it.
    pub fn words(self) -> &'static str {
        match self {
            Change::Spelling => "spelling",
            Change::Abbreviation => "abbreviations",
            Change::LegalForm => "legal form",
            Change::TrustWrapper => "trust wrapper",
            Change::TradingName => "trading name",
            Change::OtherPart => "registered name",
            Change::BranchSuffix => "branch suffix",
        }
    }
}

/// One way of reading a name: its distinguishing words and what was changed to get them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// The words, in order, joined by single spaces; empty when nothing distinguishing is left.
    pub key: String,
    /// The same words, one per entry.
    pub tokens: Vec<String>,
    /// What was changed on the way from the raw name.
    pub changes: BTreeSet<Change>,
}

/// The key of the whole name (the form an exact match compares).
pub fn key(name: &str) -> String {
    forms(name).into_iter().next().map(|f| f.key).unwrap_or_default()
}

/// Every reading of a name worth comparing: the whole name first, then, for "A T/A B", the
/// trading name B and the registered name A; for "A ATF B", the trust B and the trustee A.
/// Readings without a branch suffix are used for ranking only (see [`without_branch`]).
pub fn forms(name: &str) -> Vec<Normalised> {
    let words = words(name);
    let mut out = Vec::new();
    let mut push = |tokens: &[String], mut changes: BTreeSet<Change>| {
        let tokens = clean(tokens, &mut changes);
        if !tokens.is_empty() {
            let key = tokens.join(" ");
            if !out.iter().any(|f: &Normalised| f.key == key) {
                out.push(Normalised { key, tokens, changes });
            }
        }
    };
    let spelling = spelling_changed(name, &words);
    let base: BTreeSet<Change> = spelling.then_some(Change::Spelling).into_iter().collect();
    match split_parts(&words) {
        Some(Split { first, second, trading }) => {
            // The whole name reads as the part that names the business to its customers:
            // the trading name, or the trust a trustee company acts for.
            let mut main = base.clone();
            main.insert(if trading { Change::TradingName } else { Change::TrustWrapper });
            push(&second, main);
            let mut other = base.clone();
            other.insert(Change::OtherPart);
            push(&first, other);
        }
        None => push(&words, base),
    }
    out
}

/// The readings of a name with a trailing branch or location part removed ("Contoso - Sydney",
/// "Contoso (Head Office)"): close to the name, never the same name.
pub fn without_branch(name: &str) -> Vec<Normalised> {
    let trimmed = strip_branch(name);
    if trimmed.len() == name.len() {
        return Vec::new();
    }
    forms(trimmed)
        .into_iter()
        .map(|mut f| {
            f.changes.insert(Change::BranchSuffix);
            f
        })
        .collect()
}

fn strip_branch(name: &str) -> &str {
    let t = name.trim_end();
    if t.ends_with(')')
        && let Some(open) = t.rfind('(')
        && !t[..open].trim().is_empty()
    {
        return t[..open].trim_end();
    }
    for sep in [" - ", " – ", " — "] {
        if let Some(at) = t.rfind(sep)
            && !t[..at].trim().is_empty()
        {
            return t[..at].trim_end();
        }
    }
    t
}

struct Split {
    first: Vec<String>,
    second: Vec<String>,
    trading: bool,
}

/// "A t/a B", "A trading as B", "A atf B", "A as trustee for B".
fn split_parts(words: &[String]) -> Option<Split> {
    let n = words.len();
    for i in 0..n {
        let w = words[i].as_str();
        let rest = |skip: usize| words[(i + skip).min(n)..].to_vec();
        let (skip, trading) = match w {
            "ta" => (1, true),
            "t" if words.get(i + 1).is_some_and(|w| w == "as") => (2, true),
            "trading" if words.get(i + 1).is_some_and(|w| w == "as") => (2, true),
            "atf" => (1, false),
            "as" if words.get(i + 1).is_some_and(|w| w == "trustee")
                && words.get(i + 2).is_some_and(|w| w == "for") =>
            {
                (3, false)
            }
            _ => continue,
        };
        if i == 0 || i + skip >= n {
            continue;
        }
        return Some(Split { first: words[..i].to_vec(), second: rest(skip), trading });
    }
    None
}

/// Legal forms removed from the end of a name (and before a wrapper).
const LEGAL: &[&str] =
    &["pty", "ltd", "limited", "proprietary", "pl", "inc", "incorporated", "nl", "plc", "llc", "lp"];

/// Words written out so "Aust" and "Australia" compare equal.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("aust", "australia"),
    ("aus", "australia"),
    ("au", "australia"),
    ("svcs", "services"),
    ("svc", "services"),
    ("serv", "services"),
    ("service", "services"),
    ("mgmt", "management"),
    ("mgt", "management"),
    ("intl", "international"),
    ("grp", "group"),
    ("bros", "brothers"),
    ("assoc", "associates"),
    ("hldgs", "holdings"),
    ("hldg", "holdings"),
    ("holding", "holdings"),
    ("dept", "department"),
    ("nz", "new zealand"),
    ("mt", "mount"),
];

/// Drops wrappers and legal forms, writes out abbreviations; records what it did.
fn clean(tokens: &[String], changes: &mut BTreeSet<Change>) -> Vec<String> {
    let mut t: Vec<String> = tokens.to_vec();
    // "The Trustee for (the) X", "Trustees for X", "Trustee of X".
    let mut start = 0;
    if t.first().is_some_and(|w| w == "the") && t.get(1).is_some_and(|w| w.starts_with("trustee")) {
        start = 1;
    }
    if t.get(start).is_some_and(|w| w == "trustee" || w == "trustees")
        && t.get(start + 1).is_some_and(|w| w == "for" || w == "of")
    {
        start += 2;
        changes.insert(Change::TrustWrapper);
    }
    if start > 0 && t.len() > start {
        t.drain(..start);
    }
    // A leading "The" says nothing.
    if t.len() > 1 && t[0] == "the" {
        t.remove(0);
        changes.insert(Change::Spelling);
    }
    // Trailing legal forms, repeatedly ("Pty. Ltd.", "Corporation Pty Limited").
    while let Some(last) = t.last().map(String::as_str) {
        // "Co" always stays ("Smith & Co" is not "Smith"); "Corp" goes when two words stay
        // ("Contoso Software Corp" is "Contoso Software", "Bank Corp" is kept).
        let safe_corp = (last == "corp" || last == "corporation") && t.len() > 2;
        if t.len() > 1 && (LEGAL.contains(&last) || safe_corp) {
            t.pop();
            changes.insert(Change::LegalForm);
        } else {
            break;
        }
    }
    // "X Family Trust", "X Unit Trust", "X Trust": the trust's name is X (Family).
    if t.len() > 1 && t.last().is_some_and(|w| w == "trust") {
        t.pop();
        changes.insert(Change::TrustWrapper);
        if t.len() > 1 && t.last().is_some_and(|w| w == "unit" || w == "discretionary") {
            t.pop();
        }
    }
    let mut out = Vec::with_capacity(t.len());
    for w in t {
        match ABBREVIATIONS.iter().find(|(short, _)| *short == w) {
            Some((_, long)) => {
                changes.insert(Change::Abbreviation);
                out.extend(long.split(' ').map(str::to_string));
            }
            None => out.push(w),
        }
    }
    out
}

/// Lower-case ASCII words: diacritics and macrons folded, `&` and `+` read as "and",
/// apostrophes dropped inside words, other punctuation a word break, and runs of single
/// letters joined ("P.T.Y." → "pty", "P/L" → "pl", "T/A" → "ta").
fn words(name: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if matches!(c, '\'' | '\u{2019}' | '`') {
            continue;
        }
        match fold(c) {
            '&' | '+' => spaced.push_str(" and "),
            c if c.is_ascii_alphanumeric() => spaced.push(c.to_ascii_lowercase()),
            _ => spaced.push(' '),
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut letters = String::new();
    for w in spaced.split_whitespace() {
        if w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()) {
            letters.push_str(w);
            continue;
        }
        if !letters.is_empty() {
            out.push(std::mem::take(&mut letters));
        }
        out.push(w.to_string());
    }
    if !letters.is_empty() {
        out.push(letters);
    }
    out
}

fn spelling_changed(name: &str, words: &[String]) -> bool {
    name.split_whitespace().map(str::to_ascii_lowercase).ne(words.iter().cloned())
}

/// Latin letters with diacritics and macrons (Māori ā ē ī ō ū included) as plain letters.
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'ç' | 'ć' | 'č' => 'c',
        'Ç' | 'Ć' | 'Č' => 'C',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' => 'I',
        'ñ' | 'ń' | 'ň' => 'n',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        'š' | 'ś' => 's',
        'Š' | 'Ś' => 'S',
        'ž' | 'ź' | 'ż' => 'z',
        'Ž' | 'Ź' | 'Ż' => 'Z',
        'ł' => 'l',
        'Ł' => 'L',
        'ß' => 's',
        _ => ' ',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs that must read as the same name.
    const SAME: &[(&str, &str)] = &[
        ("CONTOSO PTY LTD", "Contoso"),
        ("Contoso Pty. Ltd.", "contoso"),
        ("Contoso P/L", "Contoso"),
        ("Contoso Proprietary Limited", "Contoso"),
        ("CSP Technology Limited", "CSP Technology"),
        ("Fabrikam Limited", "FABRIKAM LTD"),
        ("Smith & Jones Pty Ltd", "Smith and Jones"),
        ("Smith + Jones", "Smith & Jones"),
        ("O'Brien Electrical Pty Ltd", "OBrien Electrical"),
        ("Joe’s Café Pty Ltd", "Joes Cafe"),
        ("Māori Tourism Limited", "Maori Tourism"),
        ("Te Rūnanga o Ngāi Tahu", "Te Runanga o Ngai Tahu"),
        ("Whānau Services Ltd", "Whanau Svcs"),
        ("The Trustee for Smith Family Trust", "Smith Family"),
        ("The Trustee for the Smith Family Trust", "Smith Family Trust"),
        ("Trustee for Nguyen Unit Trust", "Nguyen"),
        ("ABC Holdings Pty Ltd ATF Smith Family Trust", "Smith Family"),
        ("ABC Pty Ltd as trustee for the Brown Discretionary Trust", "Brown"),
        ("Smith Family Trust T/A Smith Plumbing", "Smith Plumbing"),
        ("J & M Nguyen Pty Ltd trading as Sunrise Bakery", "Sunrise Bakery Pty Ltd"),
        ("Northwind Traders T/as Northwind", "Northwind"),
        ("Acme Aust Pty Ltd", "Acme Australia"),
        ("Acme Mgmt Svcs", "Acme Management Services"),
        ("Globex Intl Pty Ltd", "Globex International"),
        ("Wide World Importers Inc.", "Wide World Importers"),
        ("Wide World Importers Incorporated", "Wide World Importers"),
        ("Coho Mining NL", "Coho Mining"),
        ("Tailspin Toys PLC", "Tailspin Toys"),
        ("Adventure Works Co Pty Ltd", "Adventure Works Co"),
        ("Litware Corporation Pty Ltd", "Litware Corporation"),
        ("Contoso Software Corp", "Contoso Software"),
        ("  contoso   pty   ltd ", "Contoso"),
        ("CONTOSO-PTY-LTD", "Contoso"),
        ("Proseware, Inc.", "Proseware"),
        ("A.B.C. Accounting", "ABC Accounting"),
        ("The Vineyard Group", "Vineyard Group"),
        ("Blue Yonder Airlines (NZ) Limited", "Blue Yonder Airlines New Zealand"),
        ("Kiwi Bros Ltd", "Kiwi Brothers Limited"),
        ("Mt Eden Medical", "Mount Eden Medical"),
        ("Fourth Coffee Hldgs Pty Ltd", "Fourth Coffee Holdings"),
        ("Trey Research Grp", "Trey Research Group"),
        ("Humongous Insurance Ltd.", "HUMONGOUS INSURANCE"),
        ("Lucerne Publishing Pty Limited", "Lucerne Publishing"),
    ];

    /// Pairs that share words but are different businesses.
    const DIFFERENT: &[(&str, &str)] = &[
        ("Smith Plumbing Pty Ltd", "Smith Electrical Pty Ltd"),
        ("Contoso", "Contoso Group"),
        ("Contoso Pty Ltd", "Contoso Holdings Pty Ltd"),
        ("CSP Tech Limited", "CSP Technology"),
        ("Smith & Co", "Smith"),
        ("Adventure Works Co", "Adventure Works"),
        ("Bank Corp", "Bank"),
        ("Contoso Australia", "Contoso New Zealand"),
        ("Northwind Sydney", "Northwind Melbourne"),
        ("Brown Family Trust", "Brown Unit Trust Plumbing"),
        ("ABC Pty Ltd ATF Smith Family Trust", "ABC"),
        ("Jones Lang", "Lang Jones"),
        ("Fabrikam Dental", "Fabrikam Dental Lab"),
        ("Pty Ltd", "Ltd"),
        ("Wellington Motors", "Wellington Motor Group"),
        ("St Kilda Physio", "Kilda Physio"),
    ];

    #[test]
    fn real_looking_pairs_read_as_the_same_name() {
        for (a, b) in SAME {
            let (fa, fb) = (forms(a), forms(b));
            assert!(fa.iter().any(|x| fb.iter().any(|y| x.key == y.key)), "{a:?} {fa:?} vs {b:?} {fb:?}");
        }
        assert!(SAME.len() + DIFFERENT.len() >= 40);
    }

    #[test]
    fn hard_negatives_stay_apart() {
        for (a, b) in DIFFERENT {
            assert_ne!(key(a), key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn the_whole_name_is_the_trading_name_and_the_registered_name_comes_second() {
        let f = forms("Smith Family Trust T/A Smith Plumbing");
        assert_eq!(f[0].key, "smith plumbing");
        assert!(f[0].changes.contains(&Change::TradingName));
        assert_eq!(f[1].key, "smith family");
        assert!(f[1].changes.contains(&Change::OtherPart));
    }

    #[test]
    fn a_legal_form_alone_is_kept_rather_than_emptied() {
        assert_eq!(key("Limited"), "limited");
        assert_eq!(key("Pty Ltd"), "pty");
        assert_eq!(key("!!!"), "");
    }

    #[test]
    fn branch_suffixes_are_a_separate_reading() {
        assert_eq!(key("Contoso - Sydney"), "contoso sydney");
        let b = without_branch("Contoso Pty Ltd - Sydney");
        assert_eq!(b[0].key, "contoso");
        assert!(b[0].changes.contains(&Change::BranchSuffix));
        assert_eq!(without_branch("Contoso (Head Office)")[0].key, "contoso");
        assert!(without_branch("Contoso").is_empty());
    }

    #[test]
    fn changes_say_what_made_two_names_equal() {
        assert!(forms("CONTOSO PTY LTD")[0].changes.contains(&Change::LegalForm));
        assert!(forms("The Trustee for Smith Family Trust")[0].changes.contains(&Change::TrustWrapper));
        assert!(forms("Acme Aust")[0].changes.contains(&Change::Abbreviation));
        assert!(forms("contoso").first().is_some_and(|f| f.changes.is_empty()));
    }
}
