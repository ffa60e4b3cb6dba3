//! `cspctl import DIR`: a complete workspace from live state. Reads every Dicker Data client
//! and licence and the whole PSA (companies, agreements, catalog) in bulk, runs automap, and
//! writes `cspctl.yaml` (when made from flags; never a secret), `products.yaml` and
//! `clients.yaml`. Only confident proposals become entries; the rest are written as comments
//! with their candidates, for a reviewer to pick in the pull request.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::connect::{self, Live};
use super::{CliError, ExitStatus, Printer};
use crate::automap::{self, Candidate, ClientProposal, Known, Options, ProductProposal, Proposals};
use crate::config::write::{self, Entry, Field};
use crate::config::{
    ClientDefaults, DickerDataApiSettings, DickerDataSettings, DistributorSource, PsaConnection,
    SETTINGS_FILE, SandboxSettings, Settings, Workspace,
};
use crate::model::{AgreementStatus, Billing, DistributorSnapshot, PsaScope, PsaSnapshot, StockCode, Term};

/// The PSA `--psa` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PsaKind {
    /// The `psa` side of a sandbox state file.
    Sandbox,
    /// ConnectWise Manage (`--site`, `--company`).
    Connectwise,
    /// Autotask (zone found by lookup unless `--base-url`).
    Autotask,
}

/// The licence source `--distributor` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DistributorKind {
    /// The `dicker_data` side of a sandbox state file.
    Sandbox,
    /// Dicker Data's Annuity Information export (`--export FILE`).
    Export,
    /// Dicker Data's API (credentials from the environment).
    Api,
}

/// Arguments of `cspctl import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Workspace directory to write (created when missing). Its `cspctl.yaml`, when present,
    /// says where to read unless `--psa`/`--distributor` are given.
    pub dir: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// PSA to read (writes a new cspctl.yaml).
    #[arg(long, value_enum, requires = "distributor")]
    pub psa: Option<PsaKind>,
    /// Licence source to read (writes a new cspctl.yaml).
    #[arg(long, value_enum, requires = "psa")]
    pub distributor: Option<DistributorKind>,
    /// Sandbox state file, relative to DIR (with a `sandbox` side).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Annuity Information export, relative to DIR (with `--distributor export`).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// ConnectWise site, e.g. `api-au.myconnectwise.net`.
    #[arg(long)]
    pub site: Option<String>,
    /// ConnectWise login company id (also the MSP's own company, never a candidate).
    #[arg(long)]
    pub company: Option<String>,
    /// Autotask zone base URL (found by zone lookup when absent).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Day against which cancelled additions are history (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
}

/// `cspctl import`: read, propose, write (refusing to overwrite without `--force`).
pub async fn run(args: &ImportArgs, printer: &Printer) -> Result<ExitStatus, CliError> {
    let dir = &args.dir;
    let (settings, settings_text) = match (args.psa, args.distributor) {
        (Some(psa), Some(distributor)) => {
            let settings = settings_from_flags(args, psa, distributor)?;
            let text = settings_file(&settings);
            (settings, Some(text))
        }
        _ => {
            if !dir.join(SETTINGS_FILE).is_file() {
                return Err(CliError::msg(format!(
                    "{}: no {SETTINGS_FILE} to read the connection from",
                    dir.display()
                ))
                .hint(
                    "pass `--psa sandbox|connectwise|autotask --distributor sandbox|export|api` to write one",
                ));
            }
            (super::plan::load_workspace(dir, printer)?.settings, None)
        }
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if let Some(text) = settings_text {
        files.push((dir.join(SETTINGS_FILE), text));
    }
    let existing: Vec<String> = files
        .iter()
        .map(|(p, _)| p.clone())
        .chain([dir.join(PRODUCTS_FILE), dir.join(CLIENTS_FILE)])
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(CliError::msg(format!(
            "{} already exist{}; nothing was written",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        ))
        .hint("pass --force to overwrite them, or run `cspctl suggest` to add to an existing workspace"));
    }
    let today = args.date.unwrap_or_else(|| chrono::Local::now().date_naive());
    std::fs::create_dir_all(dir).map_err(|e| CliError::msg(format!("{}: {e}", dir.display())))?;
    let workspace = Workspace {
        root: dir.clone(),
        settings,
        products: Vec::new(),
        clients: Vec::new(),
        exceptions: Vec::new(),
        warnings: Vec::new(),
    };
    let live = connect::open(&workspace, None, today)?;
    let known = Known::default();
    let (dd, psa, options) = read(&live, &workspace, &known, today).await?;
    let proposals = automap::propose(&dd, &psa, &known, &options);
    let keys = product_keys(&proposals.products, &BTreeSet::new());
    files.push((
        dir.join(PRODUCTS_FILE),
        write::new_file(PRODUCTS_HEADER, "products", &product_entries(&proposals, &keys)),
    ));
    files.push((
        dir.join(CLIENTS_FILE),
        write::new_file(CLIENTS_HEADER, "clients", &client_entries(&proposals)),
    ));
    for (path, text) in &files {
        std::fs::write(path, text).map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
    }
    printer.out(&summary(&proposals));
    printer.status(&format!(
        "Wrote {}. Review the commented proposals, then `cspctl validate {}` and `cspctl plan {}`.",
        files.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>().join(", "),
        dir.display(),
        dir.display()
    ));
    Ok(ExitStatus::Success)
}

/// The file import writes product mappings to.
pub const PRODUCTS_FILE: &str = "products.yaml";
/// The file import writes clients to (one file: one review, one diff).
pub const CLIENTS_FILE: &str = "clients.yaml";

const PRODUCTS_HEADER: &[&str] = &[
    "Product mappings proposed by `cspctl import`: one per Dicker Data stock code.",
    "A mapping with `product: \"\"` is incomplete: pick one of its candidates.",
];
const CLIENTS_HEADER: &[&str] = &[
    "Dicker Data clients and where they bill, proposed by `cspctl import`.",
    "Entries written as comments are proposals: pick the company and agreement, then uncomment.",
];

fn settings_from_flags(
    args: &ImportArgs,
    psa: PsaKind,
    distributor: DistributorKind,
) -> Result<Settings, CliError> {
    let needs_state = psa == PsaKind::Sandbox || distributor == DistributorKind::Sandbox;
    let sandbox = match (&args.state, needs_state) {
        (Some(state), true) => Some(SandboxSettings { state: state.clone() }),
        (None, true) => return Err(CliError::msg("a `sandbox` side needs `--state FILE` (relative to DIR)")),
        (_, false) => None,
    };
    let distributor = match distributor {
        DistributorKind::Sandbox => DistributorSource::Sandbox,
        DistributorKind::Export => DistributorSource::DickerData(DickerDataSettings {
            export: Some(
                args.export
                    .clone()
                    .ok_or_else(|| CliError::msg("`--distributor export` needs `--export FILE`"))?,
            ),
            api: None,
        }),
        DistributorKind::Api => DistributorSource::DickerData(DickerDataSettings {
            export: None,
            api: Some(DickerDataApiSettings::default()),
        }),
    };
    let psa = match psa {
        PsaKind::Sandbox => PsaConnection::Sandbox,
        PsaKind::Connectwise => PsaConnection::Connectwise(crate::config::ConnectWiseSettings {
            site: args
                .site
                .clone()
                .ok_or_else(|| CliError::msg("`--psa connectwise` needs `--site HOST`"))?,
            company: args
                .company
                .clone()
                .ok_or_else(|| CliError::msg("`--psa connectwise` needs `--company ID`"))?,
            codebase: None,
            api_version: None,
            concurrency: None,
        }),
        PsaKind::Autotask => PsaConnection::Autotask(crate::config::AutotaskSettings {
            base_url: args.base_url.clone(),
            ..Default::default()
        }),
    };
    Ok(Settings {
        distributor,
        psa,
        sandbox,
        defaults: ClientDefaults::default(),
        calendar: Default::default(),
        currency: Default::default(),
        renewal_window_days: crate::config::DEFAULT_RENEWAL_WINDOW_DAYS,
    })
}

/// `cspctl.yaml` for the settings: connection only (credentials stay in the environment).
fn settings_file(settings: &Settings) -> String {
    let flow = |v: serde_json::Value| write::flow(&v);
    let mut out = String::from(
        "# cspctl workspace written by `cspctl import`. Credentials come from environment variables (see README).\nversion: 1\n",
    );
    out.push_str(&format!(
        "distributor: {}\n",
        flow(serde_json::to_value(&settings.distributor).unwrap_or_default())
    ));
    out.push_str(&format!("psa: {}\n", flow(serde_json::to_value(&settings.psa).unwrap_or_default())));
    if let Some(s) = &settings.sandbox {
        out.push_str(&format!("sandbox:\n  state: {}\n", write::scalar(&s.state.display().to_string())));
    }
    out.push_str("defaults:\n  sync_description: always_off\n  on_licence_removed: cancel\n");
    out
}

/// Reads what proposals need: every client and licence, the whole PSA, then the additions of
/// the active agreements of every company that is linked or a candidate (one more bulk read,
/// shaped like a plan's).
pub(super) async fn read(
    live: &Live,
    workspace: &Workspace,
    known: &Known,
    today: NaiveDate,
) -> Result<(DistributorSnapshot, PsaSnapshot, Options), CliError> {
    let whole = PsaScope { whole: true, ..PsaScope::default() };
    let (dd, psa) = tokio::join!(live.distributor.snapshot(), live.psa.snapshot(&whole));
    let dd = dd.map_err(|e| CliError::new(&e))?;
    let mut psa = psa.map_err(|e| CliError::new(&e))?;
    let own_companies = match &workspace.settings.psa {
        PsaConnection::Connectwise(s) => psa
            .companies
            .iter()
            .filter(|c| c.identifier.eq_ignore_ascii_case(&s.company))
            .map(|c| c.id)
            .collect(),
        // Autotask's company 0 is the MSP itself; the sandbox follows the same rule.
        PsaConnection::Autotask(_) | PsaConnection::Sandbox => [0].into(),
    };
    let options = Options { own_companies, today };
    if psa.additions.is_empty() {
        let by_name = automap::propose(&dd, &psa, known, &options);
        let mut wanted: BTreeSet<&str> = known.linked.values().map(String::as_str).collect();
        for c in &by_name.clients {
            wanted.extend(c.candidates.iter().map(|c| c.identifier.as_str()));
        }
        let mut scope = PsaScope::default();
        for company in psa.companies.iter().filter(|c| wanted.contains(c.identifier.as_str())) {
            for a in psa
                .agreements
                .iter()
                .filter(|a| a.company == company.id && a.status == AgreementStatus::Active)
            {
                scope.companies.insert(company.identifier.clone());
                scope.agreements.insert((company.identifier.clone(), a.name.clone()));
            }
        }
        if !scope.agreements.is_empty() {
            let billed = live.psa.snapshot(&scope).await.map_err(|e| CliError::new(&e))?;
            psa.additions = billed.additions;
            for p in billed.products {
                if !psa.products.iter().any(|x| x.id == p.id) {
                    psa.products.push(p);
                }
            }
        }
    }
    Ok((dd, psa, options))
}

/// Words of Dicker Data descriptions that the key's term and billing suffix already says.
const KEY_NOISE: &[&str] =
    &["ms", "nce", "1", "yr", "commit", "monthly", "month", "annual", "annually", "year"];

/// Mapping keys for the proposed stock codes, unique among themselves and `taken`.
pub(super) fn product_keys(
    products: &[ProductProposal],
    taken: &BTreeSet<String>,
) -> BTreeMap<StockCode, String> {
    let mut used = taken.clone();
    let mut out = BTreeMap::new();
    for p in products {
        let mut words: Vec<String> = p
            .description
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty() && !KEY_NOISE.contains(w))
            .map(str::to_string)
            .collect();
        words.truncate(6);
        if words.is_empty() {
            words.push(p.stock_code.product_id.to_lowercase());
        }
        let variant = match (p.stock_code.term, p.stock_code.billing) {
            (None, _) => "usage",
            (Some(Term::P1M), _) => "monthly",
            (Some(Term::P1Y), Billing::Monthly) => "annual-monthly",
            (Some(Term::P1Y), Billing::Annual) => "annual-upfront",
            (Some(Term::P1Y), _) => "annual",
            (Some(Term::P3Y), Billing::Monthly) => "3-year-monthly",
            (Some(Term::P3Y), Billing::Annual) => "3-year-upfront",
            (Some(Term::P3Y), _) => "3-year",
        };
        let base = format!("{}-{variant}", words.join("-"));
        let mut key = base.clone();
        if used.contains(&key) {
            key = format!("{base}-{}", p.stock_code.sku_id.to_lowercase());
        }
        let mut n = 2;
        while used.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        used.insert(key.clone());
        out.insert(p.stock_code.clone(), key);
    }
    out
}

/// `Name [identifier] (0.93, reason)`, the identifier shown only when it differs.
fn listed(c: &Candidate) -> String {
    let who = if c.name.eq_ignore_ascii_case(&c.identifier) || c.name.is_empty() {
        c.identifier.clone()
    } else {
        format!("{} [{}]", c.name, c.identifier)
    };
    format!("{who} ({:.2}, {})", c.score, c.reason)
}

fn candidates_line(list: &[Candidate], none: &str) -> String {
    if list.is_empty() {
        none.to_string()
    } else {
        format!("candidates: {}", list.iter().map(listed).collect::<Vec<_>>().join(", "))
    }
}

/// One entry per proposed stock code; those without a confident product name none (and
/// `validate` says so) with their candidates above.
pub(super) fn product_entries(proposals: &Proposals, keys: &BTreeMap<StockCode, String>) -> Vec<Entry> {
    proposals
        .products
        .iter()
        .map(|p| {
            let mut comments = vec![format!("Dicker Data: {}", p.description)];
            let psa = match &p.link {
                Some(link) => {
                    let reason = p.candidates.first().map(|c| c.reason.clone()).unwrap_or_default();
                    Field::noted("psa", write::flow(&serde_json::json!({ "product": link })), reason)
                }
                None => {
                    comments.push(candidates_line(
                        &p.candidates,
                        "no PSA product fits: none agrees on term and billing",
                    ));
                    Field::noted("psa", "{ product: \"\" }".into(), "incomplete: pick a PSA product")
                }
            };
            Entry {
                comments,
                fields: vec![
                    Field::new("key", write::scalar(&keys[&p.stock_code])),
                    Field::new(
                        "dicker_data",
                        write::flow(&serde_json::json!({ "stock_code": p.stock_code.to_string() })),
                    ),
                    psa,
                ],
                commented: false,
            }
        })
        .collect()
}

/// One entry per proposed client: a real entry when both company and agreement are clear,
/// otherwise the entry as comments with what to pick.
pub(super) fn client_entries(proposals: &Proposals) -> Vec<Entry> {
    proposals.clients.iter().map(client_entry).collect()
}

fn client_entry(c: &ClientProposal) -> Entry {
    let mut comments = Vec::new();
    let company_note = match &c.link {
        Some(_) => c.candidates.first().map(|x| x.reason.clone()).unwrap_or_default(),
        None => {
            comments.push(candidates_line(
                &c.candidates,
                "no candidate company: create it in the PSA, or `ignore: true`",
            ));
            String::new()
        }
    };
    let agreement = &c.agreement;
    if c.link.is_some() && agreement.link.is_none() {
        comments.push(if agreement.candidates.is_empty() {
            "the company has no active agreement: create one in the PSA".to_string()
        } else {
            format!("pick the agreement: {}", agreement.candidates.join(", "))
        });
    }
    let complete = c.link.is_some() && agreement.link.is_some();
    Entry {
        comments,
        fields: vec![
            Field::new("dicker_data", write::scalar(&c.dicker_data)),
            Field::new("name", write::scalar(&c.name)),
            Field::noted("company", c.link.as_deref().map(write::scalar).unwrap_or_default(), company_note),
            Field::noted(
                "agreement",
                agreement.link.as_deref().map(write::scalar).unwrap_or_default(),
                agreement.reason.clone(),
            ),
        ],
        commented: !complete,
    }
}

/// The one-paragraph outcome on stdout.
pub(super) fn summary(p: &Proposals) -> String {
    let linked = p.clients.iter().filter(|c| c.link.is_some() && c.agreement.link.is_some()).count();
    let mapped = p.products.iter().filter(|x| x.link.is_some()).count();
    format!(
        "Clients: {linked} linked, {} to review. Products: {mapped} mapped, {} to review.\n",
        p.clients.len() - linked,
        p.products.len() - mapped
    )
}

/// Whether `path` is inside `dir` (for messages that name files relative to the workspace).
pub(super) fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}
