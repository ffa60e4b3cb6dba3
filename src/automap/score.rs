//! Ranking names against an index of PSA company names: a token-based fuzzy score in which
//! rare words weigh more than common ones ("Smith Plumbing" and "Smith Electrical" share only
//! the common "smith"), and a word with a one- or two-letter typo still counts (optimal string
//! alignment distance from `strsim`). Only names sharing a similar word are scored, so
//! 2,000 × 2,000 names rank in milliseconds.

use std::collections::{BTreeSet, HashMap};

use super::normalise::{self, Change, Normalised};

/// Score of an exact match of the whole names after normalising.
pub const SAME: f64 = 1.0;
/// Score of an exact match after removing a branch suffix, or of the other part of a T/A
/// or ATF name: close, never the same.
const SAME_PART: f64 = 0.9;
/// Score of the same words in another order.
const SAME_WORDS: f64 = 0.92;
/// The highest a fuzzy score goes, so it never looks like an exact match.
const FUZZY_CAP: f64 = 0.89;
/// Lowest word similarity that counts as the same word with a typo.
const WORD_BAR: f64 = 0.7;

/// One scored name of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Position of the name in the list the index was built from.
    pub entry: usize,
    /// 0..1; [`SAME`] only for the same name after normalising.
    pub score: f64,
    /// Why, in a reviewer's words ("same after legal form", "similar name").
    pub reason: String,
    /// Whether the whole names are equal after normalising (the only link-worthy match).
    pub exact: bool,
}

struct Entry {
    forms: Vec<Normalised>,
    /// Token ids of each form.
    ids: Vec<Vec<u32>>,
    raw: String,
}

/// PSA names ready to rank against: normalised readings, the vocabulary of their words with
/// how rare each is, and which names use each word.
pub struct NameIndex {
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    vocab: Vec<String>,
    vocab_ids: HashMap<String, u32>,
    idf: Vec<f64>,
    postings: Vec<Vec<u32>>,
    /// Vocabulary ids by first letter, for typo lookups.
    by_first: HashMap<u8, Vec<u32>>,
    /// Vocabulary ids by last letter (a typo rarely hits both ends of a word).
    by_last: HashMap<u8, Vec<u32>>,
    unseen_idf: f64,
}

impl NameIndex {
    /// Indexes `names` (their positions are the [`Scored::entry`] values).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = NameIndex {
            entries: Vec::new(),
            by_key: HashMap::new(),
            vocab: Vec::new(),
            vocab_ids: HashMap::new(),
            idf: Vec::new(),
            postings: Vec::new(),
            by_first: HashMap::new(),
            by_last: HashMap::new(),
            unseen_idf: 0.0,
        };
        for (i, name) in names.into_iter().enumerate() {
            let forms = normalise::forms(name);
            let mut ids = Vec::with_capacity(forms.len());
            let mut seen = BTreeSet::new();
            for f in &forms {
                let form_ids: Vec<u32> = f.tokens.iter().map(|t| index.word(t)).collect();
                seen.extend(form_ids.iter().copied());
                ids.push(form_ids);
            }
            for id in seen {
                index.postings[id as usize].push(i as u32);
            }
            if let Some(main) = forms.first() {
                index.by_key.entry(main.key.clone()).or_default().push(i);
            }
            index.entries.push(Entry { forms, ids, raw: plain(name) });
        }
        let n = index.entries.len().max(1) as f64;
        index.idf = index.postings.iter().map(|p| (1.0 + n / p.len().max(1) as f64).ln()).collect();
        index.unseen_idf = (1.0 + n).ln();
        index
    }

    fn word(&mut self, token: &str) -> u32 {
        if let Some(id) = self.vocab_ids.get(token) {
            return *id;
        }
        let id = self.vocab.len() as u32;
        self.vocab.push(token.to_string());
        self.vocab_ids.insert(token.to_string(), id);
        self.postings.push(Vec::new());
        let bytes = token.as_bytes();
        if let (Some(first), Some(last)) = (bytes.first(), bytes.last()) {
            self.by_first.entry(*first).or_default().push(id);
            self.by_last.entry(*last).or_default().push(id);
        }
        id
    }

    /// How many names the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every indexed name that shares a similar word with `name` (or equals it after
    /// normalising), best first; ties keep index order.
    pub fn rank(&self, name: &str, words: &mut WordCache) -> Vec<Scored> {
        let forms = normalise::forms(name);
        let branch = normalise::without_branch(name);
        let mut best: HashMap<usize, Scored> = HashMap::new();
        let mut offer = |s: Scored| {
            let e = best.entry(s.entry).or_insert_with(|| s.clone());
            if (s.score, s.exact) > (e.score, e.exact) {
                *e = s;
            }
        };
        let raw = plain(name);
        // Exact readings first: the whole name, then its other part and branch-free readings.
        for (k, f) in forms.iter().enumerate() {
            for (j, entry) in self.exact(&f.key) {
                let whole = k == 0;
                let (score, reason) = if whole {
                    (SAME, same_reason(&raw, &entry.raw, f, &entry.forms[0]))
                } else {
                    (SAME_PART, format!("same {}", Change::OtherPart.words()))
                };
                offer(Scored { entry: j, score, reason, exact: whole });
            }
            // The other part of an indexed "A T/A B" name.
            if k == 0 {
                for j in self.entries_with_part(&f.key) {
                    offer(Scored {
                        entry: j,
                        score: SAME_PART,
                        reason: "same as its other name".into(),
                        exact: false,
                    });
                }
            }
        }
        for f in &branch {
            for (j, _) in self.exact(&f.key) {
                offer(Scored {
                    entry: j,
                    score: SAME_PART,
                    reason: "same without branch suffix".into(),
                    exact: false,
                });
            }
        }
        // Fuzzy: every name sharing a similar word.
        // Readings: the name's own (which may be the same words reordered), then branch-free.
        let query: Vec<Reading> = forms.iter().chain(&branch).map(|f| self.lookup(f, words)).collect();
        let own = forms.len();
        let mut touched: BTreeSet<u32> = BTreeSet::new();
        for (matches, _) in &query {
            for m in matches.iter().flatten() {
                touched.extend(self.postings[m.0 as usize].iter().copied());
            }
        }
        for j in touched {
            let entry = &self.entries[j as usize];
            let mut top = 0.0f64;
            let mut same_words = false;
            for (k, (matches, weights)) in query.iter().enumerate() {
                for ids in &entry.ids {
                    let s = self.similarity(matches, weights, ids);
                    top = top.max(s);
                    if s >= 0.999 && k < own {
                        same_words = true;
                    }
                }
            }
            let (score, reason) = if same_words {
                (SAME_WORDS, "same words, other order".to_string())
            } else {
                ((top * FUZZY_CAP).min(FUZZY_CAP), "similar name".to_string())
            };
            if score > 0.0 {
                offer(Scored { entry: j as usize, score, reason, exact: false });
            }
        }
        let mut out: Vec<Scored> = best.into_values().collect();
        out.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then(b.exact.cmp(&a.exact)).then(a.entry.cmp(&b.entry))
        });
        out
    }

    fn exact<'s>(&'s self, key: &str) -> impl Iterator<Item = (usize, &'s Entry)> + 's {
        self.by_key.get(key).into_iter().flatten().map(|&j| (j, &self.entries[j]))
    }

    /// Names whose other part (after T/A or ATF) reads as `key`.
    fn entries_with_part<'s>(&'s self, key: &'s str) -> impl Iterator<Item = usize> + 's {
        let word = key.split(' ').next().and_then(|w| self.vocab_ids.get(w)).copied();
        word.into_iter()
            .flat_map(move |w| self.postings[w as usize].iter())
            .map(|&j| j as usize)
            .filter(move |&j| self.entries[j].forms.iter().skip(1).any(|f| f.key == key))
    }

    /// For each word of a reading: the similar vocabulary words, and the word's weight.
    fn lookup(&self, form: &Normalised, words: &mut WordCache) -> Reading {
        let mut matches = Vec::with_capacity(form.tokens.len());
        let mut weights = Vec::with_capacity(form.tokens.len());
        for t in &form.tokens {
            let similar = words.0.entry(t.clone()).or_insert_with(|| self.similar_words(t)).clone();
            let weight = match self.vocab_ids.get(t) {
                Some(id) => self.idf[*id as usize],
                None => similar.iter().map(|(id, _)| self.idf[*id as usize]).fold(self.unseen_idf, f64::min),
            };
            matches.push(similar);
            weights.push(weight);
        }
        (matches, weights)
    }

    /// Vocabulary words equal to `t` or within a typo or two of it.
    fn similar_words(&self, t: &str) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        if let Some(id) = self.vocab_ids.get(t) {
            out.push((*id, 1.0));
        }
        let len = t.chars().count();
        if len < 4 {
            return out;
        }
        let bytes = t.as_bytes();
        let pool = [
            bytes.first().and_then(|b| self.by_first.get(b)),
            bytes.last().and_then(|b| self.by_last.get(b)),
        ];
        let mut seen = BTreeSet::new();
        for id in pool.into_iter().flatten().flatten() {
            let v = &self.vocab[*id as usize];
            let vlen = v.len();
            if v == t || vlen.abs_diff(len) > 2 || vlen < 4 || !seen.insert(*id) {
                continue;
            }
            let allowed = if len.min(vlen) >= 7 { 2 } else { 1 };
            let d = strsim::osa_distance(t, v);
            if d <= allowed {
                let s = 1.0 - d as f64 / len.max(vlen) as f64;
                if s >= WORD_BAR {
                    out.push((*id, s));
                }
            }
        }
        out
    }

    /// Weighted word overlap of a query reading and one indexed reading: twice the weight of
    /// matched words (times their similarity) over the weight of all words of both.
    fn similarity(&self, matches: &[Vec<(u32, f64)>], weights: &[f64], ids: &[u32]) -> f64 {
        let total: f64 = weights.iter().sum::<f64>() + ids.iter().map(|&i| self.idf[i as usize]).sum::<f64>();
        if total <= 0.0 {
            return 0.0;
        }
        let mut used = vec![false; ids.len()];
        let mut matched = 0.0;
        for (q, similar) in matches.iter().enumerate() {
            let mut pick: Option<(usize, f64)> = None;
            for (pos, id) in ids.iter().enumerate() {
                if used[pos] {
                    continue;
                }
                if let Some((_, s)) = similar.iter().find(|(v, _)| v == id)
                    && pick.is_none_or(|(_, best)| *s > best)
                {
                    pick = Some((pos, *s));
                }
            }
            if let Some((pos, s)) = pick {
                used[pos] = true;
                matched += s * (weights[q] + self.idf[ids[pos] as usize]);
            }
        }
        matched / total
    }
}

/// A query reading: per word, the similar vocabulary words (id, similarity); and per word, its weight.
type Reading = (Vec<Vec<(u32, f64)>>, Vec<f64>);

/// Typo lookups already made, shared across the names of one run.
#[derive(Debug, Default)]
pub struct WordCache(HashMap<String, Vec<(u32, f64)>>);

/// A name with case and spacing ignored: "same name" means equal in this form.
fn plain(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

fn same_reason(raw_a: &str, raw_b: &str, a: &Normalised, b: &Normalised) -> String {
    if raw_a == raw_b {
        return "same name".into();
    }
    let changes: BTreeSet<Change> = a.changes.union(&b.changes).copied().collect();
    let mut words: Vec<&str> =
        changes.iter().filter(|c| **c != Change::Spelling).map(|c| c.words()).collect();
    if words.is_empty() {
        words.push("punctuation");
    }
    if changes.contains(&Change::TradingName) && words.len() == 1 {
        return "same trading name".into();
    }
    format!("same after {}", join_and(&words))
}

fn join_and(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(index: &NameIndex, name: &str) -> Vec<(usize, f64, String, bool)> {
        index
            .rank(name, &mut WordCache::default())
            .into_iter()
            .map(|s| (s.entry, s.score, s.reason, s.exact))
            .collect()
    }

    #[test]
    fn the_same_name_after_legal_form_is_exact_and_says_so() {
        let index = NameIndex::new(["Contoso", "Contoso Group", "Contoso Plumbing"]);
        let r = top(&index, "CONTOSO PTY LTD");
        assert_eq!(r[0], (0, 1.0, "same after legal form".into(), true));
        assert!(r[1].1 < 0.9 && !r[1].3, "{r:?}");
    }

    #[test]
    fn rare_words_decide_and_common_ones_do_not() {
        let names = ["Smith Plumbing", "Smith Electrical", "Jones Plumbing", "Smith Legal", "Smith Dental"];
        let index = NameIndex::new(names);
        let r = top(&index, "Smith Plumbng Pty Ltd");
        assert_eq!(r[0].0, 0, "{r:?}");
        assert!(!r[0].3);
        assert!(r[0].1 > r[1].1 + 0.1, "{r:?}");
    }

    #[test]
    fn typos_word_order_and_branches_rank_the_true_name_first() {
        let index = NameIndex::new([
            "Northwind Traders",
            "Northwind Logistics",
            "Fabrikam Dental",
            "Dental Fabrikam Lab",
        ]);
        assert_eq!(top(&index, "Nortwind Traders")[0].0, 0);
        assert_eq!(top(&index, "Northwind Traders - Sydney")[0].2, "same without branch suffix");
        let order = top(&index, "Dental Fabrikam");
        assert_eq!((order[0].0, order[0].2.as_str()), (2, "same words, other order"));
    }

    #[test]
    fn a_trading_name_matches_exactly_and_the_other_part_only_as_a_candidate() {
        let index = NameIndex::new(["Smith Plumbing", "Smith Family Trust"]);
        let r = top(&index, "The Trustee for Smith Family Trust T/A Smith Plumbing");
        assert_eq!(r[0], (0, 1.0, "same trading name".into(), true));
        assert_eq!((r[1].0, r[1].3), (1, false));
    }
}
