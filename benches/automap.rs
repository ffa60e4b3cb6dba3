//! Automap quality and speed on a fixture cspctl makes: Dicker-Data-style client names (the
//! PSA name with the noise real books have: legal forms, trust wrappers, T/A, &/and,
//! punctuation, typos, abbreviations, branch suffixes, word order, missing macrons) against
//! PSA company names that include hard negatives (same surname in another trade, "Contoso"
//! beside "Contoso Group"), with about 20% of clients that have no company at all. Prints
//! confident-link precision, recall, wrong links and top-3 rate next to the portal's rule
//! (drop "Limited"/"LTD" and spaces, lowercase, exact match), then the time of a 2,000 × ~2,700
//! run and of a 2,000 × 2,000 run on one thread.
//!
//! `cargo bench --bench automap` (release build). Deterministic: the fixture is seeded.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use cspctl::automap::{Known, Options, propose};
use cspctl::model::{Company, Customer, DistributorSnapshot, PsaSnapshot};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyen",
    "Johnson",
    "Martin",
    "White",
    "Anderson",
    "Walker",
    "Thompson",
    "Harris",
    "Lee",
    "Ryan",
    "Robinson",
    "Kelly",
    "King",
    "Davis",
    "Wright",
    "Evans",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Singh",
    "Chen",
    "Wang",
    "Murphy",
    "Mitchell",
    "Campbell",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Moore",
    "Scott",
    "Young",
    "Morris",
    "Cooper",
    "Ward",
    "Watson",
    "Baker",
    "Bell",
    "Parker",
    "Harrison",
    "Stewart",
    "Carter",
    "Phillips",
    "Graham",
    "Morgan",
    "Murray",
    "Collins",
    "Bennett",
    "Allen",
    "Shaw",
    "Cook",
    "Russell",
    "Kennedy",
    "Ross",
    "Reid",
    "Hunt",
    "Gray",
    "Webb",
    "Ngata",
    "Parata",
    "Henare",
    "Walsh",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "MacKenzie",
    "Fraser",
    "Hamilton",
    "Sullivan",
    "Doyle",
    "Quinn",
    "Brennan",
    "Nolan",
    "Byrne",
    "Dunn",
    "Fitzgerald",
    "Gallagher",
    "Lynch",
    "Tran",
    "Pham",
    "Kaur",
    "Sharma",
    "Kumar",
    "Zhang",
    "Liu",
    "Huang",
    "Kim",
    "Park",
    "Rossi",
    "Russo",
    "Costa",
    "Silva",
    "Papadopoulos",
    "Kowalski",
    "Novak",
    "Schmidt",
    "Muller",
    "Jansen",
    "De Vries",
    "Andersen",
    "Larsen",
];
const PLACES: &[&str] = &[
    "Harbour",
    "Coastal",
    "Southern",
    "Pacific",
    "Summit",
    "Pinnacle",
    "Redgum",
    "Wattle",
    "Kauri",
    "Tōtara",
    "Banksia",
    "Coral",
    "Outback",
    "Southern Cross",
    "Bondi",
    "Mānuka",
    "Ridgeline",
    "Valley",
    "Riverside",
    "Bayside",
    "Eastside",
    "Northside",
    "Metro",
    "Urban",
    "Bluewater",
    "Goldfields",
    "Silverstream",
    "Ironbark",
    "Stonewall",
    "Cedar",
    "Jarrah",
    "Karri",
    "Tūī",
    "Kea",
    "Aroha",
    "Tāmaki",
    "Ōtautahi",
    "Waitematā",
    "Kōwhai",
    "Pōhutukawa",
    "Highland",
    "Lakeside",
    "Parkview",
    "Hillcrest",
    "Seaview",
    "Sunrise",
    "Sunset",
    "Horizon",
    "Apex",
    "Vertex",
    "Keystone",
    "Cornerstone",
    "Landmark",
    "Heritage",
    "Evergreen",
    "Greenfield",
    "Brightside",
    "Clearwater",
    "Westgate",
    "Eastgate",
];
const TRADES: &[&str] = &[
    "Plumbing",
    "Electrical",
    "Accounting",
    "Legal",
    "Dental",
    "Physiotherapy",
    "Medical",
    "Engineering",
    "Construction",
    "Builders",
    "Landscaping",
    "Logistics",
    "Transport",
    "Real Estate",
    "Property",
    "Consulting",
    "Financial Services",
    "Insurance",
    "Architects",
    "Surveyors",
    "Veterinary",
    "Pharmacy",
    "Bakery",
    "Cafe",
    "Motors",
    "Automotive",
    "Roofing",
    "Concreting",
    "Joinery",
    "Cabinets",
    "Signs",
    "Printing",
    "IT Services",
    "Marketing",
    "Design",
    "Media",
    "Events",
    "Travel",
    "Wines",
    "Brewing",
    "Orchards",
    "Nurseries",
    "Cleaning Services",
    "Security",
    "Solar",
    "Air Conditioning",
    "Earthmoving",
    "Childcare",
    "Fitness",
    "Photography",
    "Property Management",
    "Freight International",
    "Tiling",
    "Glass",
    "Fencing",
    "Pest Control",
    "Optometry",
    "Podiatry",
    "Chiropractic",
    "Mortgage Services",
];
const EXTRAS: &[&str] = &[
    "Group",
    "Holdings",
    "Services",
    "Solutions",
    "Partners",
    "Associates",
    "Australia",
    "NZ",
    "Management",
    "International",
];
const LEGAL: &[&str] = &[
    "Pty Ltd",
    "PTY LTD",
    "Pty. Ltd.",
    "Pty Limited",
    "Limited",
    "Ltd",
    "P/L",
    "Proprietary Limited",
    "Ltd.",
];
const BRANCHES: &[&str] = &[
    " - Sydney",
    " - Melbourne",
    " (Brisbane)",
    " - Head Office",
    " - Auckland",
    " (Perth)",
    " - Wellington",
    " - Christchurch",
];

/// One generated client and the PSA company (index) it truly is, if any.
struct Fixture {
    companies: Vec<Company>,
    inactive: BTreeSet<i64>,
    clients: Vec<(Customer, Option<i64>)>,
}

fn pick<'a>(rng: &mut StdRng, list: &'a [&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn base_name(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=2 => format!("{} {}", pick(rng, SURNAMES), pick(rng, TRADES)),
        3 => format!("{} & {} {}", pick(rng, SURNAMES), pick(rng, SURNAMES), pick(rng, TRADES)),
        4..=5 => format!("{} {}", pick(rng, PLACES), pick(rng, TRADES)),
        6 => format!("{} {} {}", pick(rng, PLACES), pick(rng, TRADES), pick(rng, EXTRAS)),
        7 => format!("{} {}", pick(rng, SURNAMES), pick(rng, EXTRAS)),
        8 => format!("{} {} {}", pick(rng, PLACES), pick(rng, SURNAMES), pick(rng, TRADES)),
        _ => {
            let a = (b'A' + rng.random_range(0..26u8)) as char;
            let b = (b'A' + rng.random_range(0..26u8)) as char;
            format!("{a} & {b} {} {}", pick(rng, SURNAMES), pick(rng, TRADES))
        }
    }
}

/// A name that shares words with `name` but is another business.
fn neighbour(rng: &mut StdRng, name: &str) -> String {
    let words: Vec<&str> = name.split(' ').collect();
    match rng.random_range(0..4) {
        0 => format!("{name} {}", pick(rng, EXTRAS)),
        1 => format!("{} {}", words[0], pick(rng, TRADES)),
        2 => format!("{} {}", pick(rng, PLACES), words[words.len() - 1]),
        _ => format!("{} {}", words[..words.len() - 1].join(" "), pick(rng, TRADES)),
    }
}

fn typo(rng: &mut StdRng, name: &str) -> String {
    let mut words: Vec<String> = name.split(' ').map(str::to_string).collect();
    let long: Vec<usize> =
        (0..words.len()).filter(|&i| words[i].chars().count() >= 6 && words[i].is_ascii()).collect();
    let Some(&i) = long.get(rng.random_range(0..long.len().max(1))) else { return name.to_string() };
    let edits = if words[i].len() >= 8 { rng.random_range(1..=2) } else { 1 };
    for _ in 0..edits {
        let mut c: Vec<char> = words[i].chars().collect();
        let at = rng.random_range(1..c.len() - 1);
        match rng.random_range(0..4) {
            0 => c[at] = (b'a' + rng.random_range(0..26u8)) as char,
            1 => {
                c.remove(at);
            }
            2 => c.swap(at, at + 1),
            _ => c.insert(at, c[at]),
        }
        words[i] = c.into_iter().collect();
    }
    words.join(" ")
}

fn strip_macrons(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ā' => 'a',
            'ē' => 'e',
            'ī' => 'i',
            'ō' => 'o',
            'ū' => 'u',
            'Ō' => 'O',
            other => other,
        })
        .collect()
}

/// The Dicker Data spelling of a company's name: the same business, written differently.
fn noisy(rng: &mut StdRng, name: &str) -> String {
    let mut n = name.to_string();
    if rng.random_bool(0.5) {
        n = n.replace(" & ", " and ");
    }
    if rng.random_bool(0.1) {
        n = n
            .replace("Services", "Svcs")
            .replace("Management", "Mgmt")
            .replace("Australia", "Aust")
            .replace("International", "Intl");
    }
    if rng.random_bool(0.1) {
        n = strip_macrons(&n);
    }
    if rng.random_bool(0.1) {
        n = n.replacen(' ', "-", 1);
    }
    if rng.random_bool(0.12) {
        n = typo(rng, &n);
    }
    if rng.random_bool(0.04) {
        let mut words: Vec<&str> = n.split(' ').collect();
        if words.len() >= 2 {
            words.swap(0, 1);
        }
        n = words.join(" ");
    }
    let wrapper = rng.random_range(0..100);
    n = match wrapper {
        0..=5 => format!("The Trustee for {n} Trust"),
        6..=10 => format!("{} Holdings Pty Ltd T/A {n}", pick(rng, SURNAMES)),
        11..=13 => format!("{} Family Trust trading as {n}", pick(rng, SURNAMES)),
        14..=15 => format!("{} Nominees Pty Ltd ATF {n} Unit Trust", pick(rng, SURNAMES)),
        _ => n,
    };
    if wrapper >= 16 && rng.random_bool(0.6) {
        n = format!("{n} {}", pick(rng, LEGAL));
    }
    if rng.random_bool(0.08) {
        n.push_str(pick(rng, BRANCHES));
    }
    match rng.random_range(0..10) {
        0..=2 => n.to_uppercase(),
        3 => n.to_lowercase(),
        _ => n,
    }
}

fn fixture(clients_with_company: usize, clients_without: usize, seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let key = |n: &str| cspctl::automap::normalise::key(n);
    let mut taken: HashSet<String> = HashSet::new();
    let mut names: Vec<String> = Vec::new();
    let fresh = |rng: &mut StdRng, taken: &mut HashSet<String>, make: &dyn Fn(&mut StdRng) -> String| loop {
        let n = make(rng);
        if taken.insert(key(&n)) {
            return n;
        }
    };
    // True companies, then their hard negatives, then unrelated filler.
    for _ in 0..clients_with_company {
        names.push(fresh(&mut rng, &mut taken, &base_name));
    }
    let negatives = clients_with_company / 2;
    for i in 0..negatives {
        let near = names[i % clients_with_company].clone();
        names.push(fresh(&mut rng, &mut taken, &|r| neighbour(r, &near)));
    }
    while names.len() < 2_000.max(clients_with_company + negatives + 300) {
        names.push(fresh(&mut rng, &mut taken, &base_name));
    }
    let mut companies: Vec<Company> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let shown = if rng.random_bool(0.3) {
                format!("{n} {}", pick(&mut rng, &["Pty Ltd", "Limited", "Ltd"]))
            } else {
                n.clone()
            };
            Company { id: i as i64 + 1, identifier: format!("C{:05}", i + 1), name: shown }
        })
        .collect();
    // A few true companies have a second company of the same name (a duplicate, or another
    // business): their clients are ambiguous, never linked.
    let duplicates: Vec<usize> = (0..clients_with_company).filter(|_| rng.random_bool(0.02)).collect();
    for &i in &duplicates {
        let id = companies.len() as i64 + 1;
        companies.push(Company {
            id,
            identifier: format!("C{id:05}"),
            name: format!("{} Limited", names[i]),
        });
    }
    companies.push(Company { id: 0, identifier: "0".into(), name: "Sandbox MSP".into() });
    let inactive: BTreeSet<i64> = (1..=companies.len() as i64).filter(|_| rng.random_bool(0.03)).collect();
    let mut clients = Vec::new();
    for (i, name) in names.iter().take(clients_with_company).enumerate() {
        clients.push((
            Customer { id: format!("{:06}", i + 1), name: noisy(&mut rng, name) },
            Some(i as i64 + 1),
        ));
    }
    // Clients with no company: new names, half of them built to share words with one.
    for j in 0..clients_without {
        let near = names[rng.random_range(0..names.len())].clone();
        let name = if j % 2 == 0 {
            fresh(&mut rng, &mut taken, &|r| neighbour(r, &near))
        } else {
            fresh(&mut rng, &mut taken, &base_name)
        };
        clients.push((
            Customer { id: format!("{:06}", clients_with_company + j + 1), name: noisy(&mut rng, &name) },
            None,
        ));
    }
    Fixture { companies, inactive, clients }
}

impl Fixture {
    /// The fixture as automap takes it: the clients, the PSA's companies (the MSP's own is
    /// id 0) and the bench's fixed date.
    fn inputs(&self) -> (DistributorSnapshot, PsaSnapshot, Options) {
        let dd = DistributorSnapshot {
            customers: self.clients.iter().map(|(c, _)| c.clone()).collect(),
            licences: Vec::new(),
        };
        let psa = PsaSnapshot {
            companies: self.companies.clone(),
            inactive_companies: self.inactive.clone(),
            ..PsaSnapshot::default()
        };
        let options = Options {
            own_companies: [0].into(),
            today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        };
        (dd, psa, options)
    }
}

#[derive(Default)]
struct Quality {
    links: usize,
    right: usize,
    wrong: usize,
    with_company: usize,
    in_top3: usize,
}

fn ours(f: &Fixture) -> (Quality, Duration) {
    let (dd, psa, options) = f.inputs();
    let started = Instant::now();
    let proposals = propose(&dd, &psa, &Known::default(), &options);
    let took = started.elapsed();
    let identifier: HashMap<i64, &str> = f.companies.iter().map(|c| (c.id, c.identifier.as_str())).collect();
    let truth: HashMap<&str, Option<i64>> = f.clients.iter().map(|(c, t)| (c.id.as_str(), *t)).collect();
    let mut q = Quality::default();
    for p in &proposals.clients {
        let t = truth[p.dicker_data.as_str()].map(|id| identifier[&id]);
        if let Some(link) = &p.link {
            q.links += 1;
            if Some(link.as_str()) == t { q.right += 1 } else { q.wrong += 1 }
        }
        if let Some(t) = t {
            q.with_company += 1;
            if p.link.as_deref() == Some(t) || p.candidates.iter().take(3).any(|c| c.identifier == t) {
                q.in_top3 += 1;
            }
        }
    }
    (q, took)
}

/// The portal's rule: drop "limited" and "ltd", drop spaces, lowercase, exact match (first wins).
fn portal(f: &Fixture) -> Quality {
    let key = |n: &str| n.to_lowercase().replace("limited", "").replace("ltd", "").replace(' ', "");
    let mut by_key: HashMap<String, i64> = HashMap::new();
    for c in f.companies.iter().filter(|c| c.id != 0) {
        by_key.entry(key(&c.name)).or_insert(c.id);
    }
    let mut q = Quality::default();
    for (c, t) in &f.clients {
        let link = by_key.get(&key(&c.name)).copied();
        if let Some(l) = link {
            q.links += 1;
            if Some(l) == *t { q.right += 1 } else { q.wrong += 1 }
        }
        if t.is_some() {
            q.with_company += 1;
            if link.is_some() && link == *t {
                q.in_top3 += 1;
            }
        }
    }
    q
}

fn row(name: &str, q: &Quality) {
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    println!(
        "{name:<22} {:>6} {:>6} {:>6} {:>10.4} {:>8.4} {:>8.4}",
        q.links,
        q.right,
        q.wrong,
        ratio(q.right, q.links),
        ratio(q.right, q.with_company),
        ratio(q.in_top3, q.with_company)
    );
}

fn main() {
    let f = fixture(1_200, 300, 8);
    let (q, _) = ours(&f);
    println!(
        "automap quality: {} clients ({} with a true company), {} PSA companies (+ the MSP's own), {} inactive, seed 8",
        f.clients.len(),
        q.with_company,
        f.companies.len() - 1,
        f.inactive.len()
    );
    println!(
        "{:<22} {:>6} {:>6} {:>6} {:>10} {:>8} {:>8}",
        "rule", "links", "right", "wrong", "precision", "recall", "top-3"
    );
    row("cspctl automap", &q);
    row("portal (exact, -ltd)", &portal(&f));

    let big = fixture(1_600, 400, 9);
    speed(&big);
    // The same 2,000 clients against exactly 2,000 companies (the rest left out).
    let mut square = big;
    square.companies.truncate(2_000);
    square.companies.push(Company { id: 0, identifier: "0".into(), name: "Sandbox MSP".into() });
    speed(&square);
    let examples = std::env::var("AUTOMAP_SHOW").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    if examples > 0 {
        show_misses(&f, examples);
    }
}

/// Prints the median of 5 runs of the whole proposal on one thread.
fn speed(f: &Fixture) {
    let mut times: Vec<Duration> = (0..5).map(|_| ours(f).1).collect();
    times.sort();
    println!(
        "speed: {} clients x {} companies, one thread: median {:.1} ms (min {:.1} ms, max {:.1} ms over 5 runs)",
        f.clients.len(),
        f.companies.len() - 1,
        times[2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[4].as_secs_f64() * 1e3
    );
}

/// `AUTOMAP_SHOW=N`: prints up to N wrong links and top-3 misses, to study the rule.
fn show_misses(f: &Fixture, n: usize) {
    let (dd, psa, options) = f.inputs();
    let proposals = propose(&dd, &psa, &Known::default(), &options);
    let truth: HashMap<&str, Option<i64>> = f.clients.iter().map(|(c, t)| (c.id.as_str(), *t)).collect();
    let name: HashMap<String, &str> =
        f.companies.iter().map(|c| (c.identifier.clone(), c.name.as_str())).collect();
    let mut shown = 0;
    for p in &proposals.clients {
        let t = truth[p.dicker_data.as_str()].map(|id| format!("C{id:05}"));
        let wrong = p.link.is_some() && p.link != t;
        let missed = t
            .as_ref()
            .is_some_and(|t| p.link.as_ref() != Some(t) && !p.candidates.iter().any(|c| &c.identifier == t));
        if (wrong || missed) && shown < n {
            shown += 1;
            let truth_name = t.as_ref().map(|t| name[t]).unwrap_or("-");
            println!(
                "{} {:?} truth {:?} link {:?}",
                if wrong { "WRONG" } else { "MISS " },
                p.name,
                truth_name,
                p.link.as_ref().map(|l| name[l])
            );
            for c in &p.candidates {
                println!("      {:.2} {:?} ({})", c.score, c.name, c.reason);
            }
        }
    }
}
