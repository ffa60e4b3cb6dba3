//! Ranking names against an index of PSA company names: a token-based fuzzy score in which
//! rare words weigh more than common ones ("Smith Plumbing" and "Smith Electrical" share only
//! the common "smith"), and a word with a one- or two-letter typo still counts (optimal string
//! alignment distance from `strsim`). Only names sharing a similar word are scored, rarest
//! words first, and only while they could still make the best few (see [`NameIndex::rank`]).

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
/// Word overlap from which two readings are the same words.
const SAME_WORDS_BAR: f64 = 0.999;
/// Rounding room when comparing a bound with a score summed in another order.
const BOUND_SLACK: f64 = 1e-9;

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
    /// Factor on every score of this name (below 1 for a name that should rank lower).
    weight: f64,
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
    /// Indexes `names` with their weights (a factor of at most 1 on every score, so an
    /// inactive company ranks lower); positions are the [`Scored::entry`] values.
    pub fn new<'a>(names: impl IntoIterator<Item = (&'a str, f64)>) -> Self {
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
        for (i, (name, weight)) in names.into_iter().enumerate() {
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
            index.entries.push(Entry { forms, ids, raw: plain(name), weight: weight.clamp(0.0, 1.0) });
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

    /// The indexed names that share a similar word with `name` (or equal it after
    /// normalising), best first; ties keep index order. Every exact match is there, and every
    /// name that could be among the best `top` (or among the exact matches, when there are
    /// more); names that cannot are never scored. Scores are scaled by each name's weight.
    ///
    /// Words are visited rarest first; before each word's names are scored, a bound on what
    /// any name reached only through it and the commoner words could score is checked
    /// against the best `top` so far, so "services", "group" or "and" make a name a
    /// candidate only when nothing better is found.
    pub fn rank(&self, name: &str, words: &mut WordCache, top: usize) -> Vec<Scored> {
        let forms = normalise::forms(name);
        let branch = normalise::without_branch(name);
        let mut best: HashMap<usize, Scored> = HashMap::new();
        let raw = plain(name);
        // Exact readings first: the whole name, then its other part and branch-free readings.
        let mut exact_matches = 0;
        for (k, f) in forms.iter().enumerate() {
            for (j, entry) in self.exact(&f.key) {
                let whole = k == 0;
                let (score, reason) = if whole {
                    exact_matches += 1;
                    (SAME, same_reason(&raw, &entry.raw, f, &entry.forms[0]))
                } else {
                    (SAME_PART, format!("same {}", Change::OtherPart.words()))
                };
                self.offer(&mut best, Scored { entry: j, score, reason, exact: whole });
            }
            // The other part of an indexed "A T/A B" name.
            if k == 0 {
                for j in self.entries_with_part(&f.key) {
                    self.offer(
                        &mut best,
                        Scored {
                            entry: j,
                            score: SAME_PART,
                            reason: "same as its other name".into(),
                            exact: false,
                        },
                    );
                }
            }
        }
        for f in &branch {
            for (j, _) in self.exact(&f.key) {
                self.offer(
                    &mut best,
                    Scored {
                        entry: j,
                        score: SAME_PART,
                        reason: "same without branch suffix".into(),
                        exact: false,
                    },
                );
            }
        }
        // Fuzzy: names sharing a similar word, through the rarest words first.
        // Readings: the name's own (which may be the same words reordered), then branch-free.
        let query: Vec<Reading> = forms.iter().chain(&branch).map(|f| self.lookup(f, words)).collect();
        let own = forms.len();
        let mut reached: Vec<u32> =
            query.iter().flat_map(|(matches, _)| matches.iter().flatten().map(|m| m.0)).collect();
        reached.sort_by_key(|&w| (self.postings[w as usize].len(), w));
        reached.dedup();
        let wanted = top.max(exact_matches);
        let mut scored = vec![false; self.entries.len()];
        for (i, &word) in reached.iter().enumerate() {
            if best.len() >= wanted {
                let floor = kth_best(best.values().map(|s| s.score), wanted);
                if self.bound(&query, own, &reached[i..]) + BOUND_SLACK < floor {
                    break;
                }
            }
            for &j in &self.postings[word as usize] {
                if std::mem::replace(&mut scored[j as usize], true) {
                    continue;
                }
                let entry = &self.entries[j as usize];
                let mut top = 0.0f64;
                let mut same_words = false;
                for (k, (matches, weights)) in query.iter().enumerate() {
                    for ids in &entry.ids {
                        let s = self.similarity(matches, weights, ids);
                        top = top.max(s);
                        if s >= SAME_WORDS_BAR && k < own {
                            same_words = true;
                        }
                    }
                }
                let (score, reason) = if same_words {
                    (SAME_WORDS, "same words, other order")
                } else {
                    ((top * FUZZY_CAP).min(FUZZY_CAP), "similar name")
                };
                if score > 0.0 {
                    self.offer(
                        &mut best,
                        Scored { entry: j as usize, score, reason: reason.into(), exact: false },
                    );
                }
            }
        }
        let mut out: Vec<Scored> = best.into_values().collect();
        out.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then(b.exact.cmp(&a.exact)).then(a.entry.cmp(&b.entry))
        });
        out
    }

    /// Keeps the better of `s` (weighted) and what `best` holds for its name.
    fn offer(&self, best: &mut HashMap<usize, Scored>, mut s: Scored) {
        s.score *= self.entries[s.entry].weight;
        match best.get_mut(&s.entry) {
            Some(held) if (s.score, s.exact) > (held.score, held.exact) => *held = s,
            Some(_) => {}
            None => {
                best.insert(s.entry, s);
            }
        }
    }

    /// The most a name could score (weight 1) whose words reached by the query are all in
    /// `rest`: per reading, the query words with a similar word in `rest` matched at full
    /// similarity by the rarest such word, over the reading's weight plus theirs. (The
    /// matched part of a Dice-style ratio grows with the other name's matched weight, and
    /// that name has at least that weight.)
    fn bound(&self, query: &[Reading], own: usize, rest: &[u32]) -> f64 {
        let mut most = 0.0f64;
        for (k, (matches, weights)) in query.iter().enumerate() {
            let (mut mine, mut theirs) = (0.0, 0.0);
            for (similar, weight) in matches.iter().zip(weights) {
                let rarest = similar
                    .iter()
                    .filter(|(v, _)| rest.contains(v))
                    .map(|(v, _)| self.idf[*v as usize])
                    .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))));
                if let Some(idf) = rarest {
                    mine += weight;
                    theirs += idf;
                }
            }
            let total: f64 = weights.iter().sum::<f64>() + theirs;
            if total <= 0.0 || mine <= 0.0 {
                continue;
            }
            let ratio = ((mine + theirs) / total).min(1.0);
            let score = if ratio >= SAME_WORDS_BAR && k < own { SAME_WORDS } else { ratio * FUZZY_CAP };
            most = most.max(score);
        }
        most
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

/// The `k`-th largest of `scores` (1-based); 0 when there are fewer.
fn kth_best(scores: impl Iterator<Item = f64>, k: usize) -> f64 {
    let mut all: Vec<f64> = scores.collect();
    if k == 0 || all.len() < k {
        return 0.0;
    }
    let (_, kth, _) = all.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    *kth
}

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

    fn index(names: &[&str]) -> NameIndex {
        NameIndex::new(names.iter().map(|n| (*n, 1.0)))
    }

    fn top(index: &NameIndex, name: &str) -> Vec<(usize, f64, String, bool)> {
        index
            .rank(name, &mut WordCache::default(), usize::MAX)
            .into_iter()
            .map(|s| (s.entry, s.score, s.reason, s.exact))
            .collect()
    }

    #[test]
    fn the_same_name_after_legal_form_is_exact_and_says_so() {
        let index = index(&["Contoso", "Contoso Group", "Contoso Plumbing"]);
        let r = top(&index, "CONTOSO PTY LTD");
        assert_eq!(r[0], (0, 1.0, "same after legal form".into(), true));
        assert!(r[1].1 < 0.9 && !r[1].3, "{r:?}");
    }

    #[test]
    fn rare_words_decide_and_common_ones_do_not() {
        let names = ["Smith Plumbing", "Smith Electrical", "Jones Plumbing", "Smith Legal", "Smith Dental"];
        let index = index(&names);
        let r = top(&index, "Smith Plumbng Pty Ltd");
        assert_eq!(r[0].0, 0, "{r:?}");
        assert!(!r[0].3);
        assert!(r[0].1 > r[1].1 + 0.1, "{r:?}");
    }

    #[test]
    fn typos_word_order_and_branches_rank_the_true_name_first() {
        let index =
            index(&["Northwind Traders", "Northwind Logistics", "Fabrikam Dental", "Dental Fabrikam Lab"]);
        assert_eq!(top(&index, "Nortwind Traders")[0].0, 0);
        assert_eq!(top(&index, "Northwind Traders - Sydney")[0].2, "same without branch suffix");
        let order = top(&index, "Dental Fabrikam");
        assert_eq!((order[0].0, order[0].2.as_str()), (2, "same words, other order"));
    }

    #[test]
    fn a_trading_name_matches_exactly_and_the_other_part_only_as_a_candidate() {
        let index = index(&["Smith Plumbing", "Smith Family Trust"]);
        let r = top(&index, "The Trustee for Smith Family Trust T/A Smith Plumbing");
        assert_eq!(r[0], (0, 1.0, "same trading name".into(), true));
        assert_eq!((r[1].0, r[1].3), (1, false));
    }

    #[test]
    fn common_words_do_not_make_every_name_a_candidate() {
        let mut names: Vec<String> =
            ["Smith Plumbing Services", "Smith Plumbing", "Smith Electrical", "Jones Plumbing"]
                .map(String::from)
                .into();
        names.extend((0..500).map(|i| format!("Company{i:03} Services Group")));
        let index = NameIndex::new(names.iter().map(|n| (n.as_str(), 1.0)));
        let mut words = WordCache::default();
        let few = index.rank("Smith Plumbing Svcs Pty Ltd", &mut words, 3);
        let all = index.rank("Smith Plumbing Svcs Pty Ltd", &mut words, usize::MAX);
        assert!(all.len() > 500, "{}", all.len());
        assert!(few.len() < 10, "{few:?}");
        assert_eq!(few[..3], all[..3]);
        assert_eq!((few[0].entry, few[0].exact), (0, true));
    }

    /// Ranking that skips names which cannot make the best three finds the same best three
    /// (and every exact match) as scoring every name sharing a word, weights included.
    #[test]
    fn skipping_names_never_changes_the_best_three() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let first = ["Smith", "Jones", "Nguyen", "Ngata", "Parata", "Kelly", "Harris", "Wood", "Te Awa"];
        let second = ["Plumbing", "Electrical", "Dental", "Legal", "Accounting", "Logistics", "Cafe"];
        let third = ["", "Services", "Group", "Holdings", "and Sons", "Australia", "NZ", "Partners"];
        let mut rng = StdRng::seed_from_u64(7);
        let make = |rng: &mut StdRng| {
            let pick = |rng: &mut StdRng, list: &[&'static str]| list[rng.random_range(0..list.len())];
            format!("{} {} {}", pick(rng, &first), pick(rng, &second), pick(rng, &third))
        };
        let names: Vec<(String, f64)> =
            (0..300).map(|_| (make(&mut rng), if rng.random_bool(0.1) { 0.85 } else { 1.0 })).collect();
        let index = NameIndex::new(names.iter().map(|(n, w)| (n.as_str(), *w)));
        let mut words = WordCache::default();
        for _ in 0..200 {
            let mut query = make(&mut rng);
            if rng.random_bool(0.3) {
                query = query.replacen('i', "", 1);
            }
            if rng.random_bool(0.2) {
                query.push_str(" - Sydney");
            }
            let few = index.rank(&query, &mut words, 3);
            let all = index.rank(&query, &mut words, usize::MAX);
            let exact = all.iter().filter(|s| s.exact).count();
            let n = 3.max(exact).min(all.len());
            assert_eq!(few[..n], all[..n], "{query}");
            assert!(few.len() <= all.len());
        }
    }
}
