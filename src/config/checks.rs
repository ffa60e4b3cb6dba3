//! Checks that the schema cannot express: where settings may appear, duplicates across files,
//! references between clients and products, required fields of billed clients, and the
//! Microsoft side of a mapping agreeing with its stock code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, Mark, SourceFile};
use super::located::{Located, Pos};
use super::wording::closest;
use super::{DistributorSource, Document, PsaConnection, SETTINGS_FILE, Settings};
use crate::model::{Billing, Calendar, StockCode};

/// One workspace file after its own checks; `document` is `None` when it had problems.
pub struct ParsedFile {
    /// Path relative to the workspace.
    pub rel: PathBuf,
    /// Text for snippets (secrets masked).
    pub source: SourceFile,
    /// Positions of every key and value.
    pub tree: Located,
    /// The typed document, when the file is valid on its own.
    pub document: Option<Document>,
}

impl ParsedFile {
    fn is_settings(&self) -> bool {
        self.rel == Path::new(SETTINGS_FILE)
    }

    /// The position of the key at `path`, or the document start.
    fn key_at(&self, path: &[&str]) -> Pos {
        self.tree.lookup(path.iter()).map_or(self.tree.at, |(k, _)| k)
    }

    /// The position of the value at `path`, or the document start.
    fn value_at(&self, path: &[&str]) -> Pos {
        self.tree.lookup(path.iter()).map_or(self.tree.at, |(_, v)| v.at)
    }
}

const SETTINGS_KEYS: [&str; 8] =
    ["version", "distributor", "psa", "sandbox", "defaults", "timezone", "currency", "renewal_window_days"];

/// The settings of `cspctl.yaml` with what they require; settings found elsewhere are errors.
pub fn settings(
    files: &[ParsedFile],
    settings_path: &Path,
    errors: &mut Vec<Diagnostic>,
) -> Option<Settings> {
    for file in files.iter().filter(|f| !f.is_settings()) {
        for key in SETTINGS_KEYS {
            if file.tree.entry(key).is_some() {
                errors.push(
                    Diagnostic::new(
                        file.source.mark(file.key_at(&[key]), "only allowed in cspctl.yaml"),
                        format!("`{key}` is a workspace setting; settings belong in {SETTINGS_FILE}, other files hold only `products:`, `clients:` and `exceptions:`"),
                    )
                    .help(format!("move `{key}:` to {}", settings_path.display())),
                );
            }
        }
    }
    let file = files.iter().find(|f| f.is_settings())?;
    let doc = file.document.as_ref()?;
    let mut ok = true;
    if let Some(version) = doc.version.filter(|v| *v != 1) {
        ok = false;
        errors.push(
            Diagnostic::new(
                file.source.mark(file.value_at(&["version"]), "unsupported version"),
                format!("unsupported workspace version {version}; this cspctl reads version 1"),
            )
            .help("set `version: 1`, or use the cspctl release that wrote this workspace"),
        );
    }
    let mut require = |label: &str, at: Pos, message: String, help: &str| {
        ok = false;
        errors.push(Diagnostic::new(file.source.mark(at, label), message).help(help.to_string()));
    };
    if doc.distributor.is_none() {
        require(
            "`distributor:` missing from this file",
            file.tree.at,
            format!("{SETTINGS_FILE} has no `distributor:` (where licences are read from)"),
            "add `distributor: sandbox` or `distributor: { dicker_data: { export: annuity.xlsx } }`",
        );
    }
    if doc.psa.is_none() {
        require(
            "`psa:` missing from this file",
            file.tree.at,
            format!("{SETTINGS_FILE} has no `psa:` (where billing is written)"),
            "add `psa: sandbox` or `psa: { connectwise: { site: api-au.myconnectwise.net, company: mymsp } }`",
        );
    }
    let sandbox_side = [
        ("distributor", matches!(doc.distributor, Some(DistributorSource::Sandbox))),
        ("psa", matches!(doc.psa, Some(PsaConnection::Sandbox))),
    ]
    .into_iter()
    .find_map(|(side, is_sandbox)| is_sandbox.then_some(side));
    if let Some(side) = sandbox_side
        && doc.sandbox.is_none()
    {
        require(
            "reads the sandbox state file",
            file.value_at(&[side]),
            format!("`{side}: sandbox` needs the sandbox state file, but {SETTINGS_FILE} has no `sandbox:`"),
            "add `sandbox: { state: state.yaml }`",
        );
    }
    if let Some(DistributorSource::DickerData(dd)) = &doc.distributor
        && dd.export.is_some() == dd.api.is_some()
    {
        require(
            "needs exactly one source",
            file.value_at(&["distributor", "dicker_data"]),
            "`distributor: { dicker_data: ... }` needs exactly one of `export: FILE` or `api: { ... }`"
                .to_string(),
            "read the Annuity Information export with `export: annuity.xlsx`, or the API with `api: {}`",
        );
    }
    let calendar = match doc.timezone.as_deref().map(Calendar::named) {
        None => Calendar::default(),
        Some(Ok(calendar)) => calendar,
        Some(Err(message)) => {
            let name = doc.timezone.as_deref().unwrap_or_default();
            let zones: Vec<String> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name().to_string()).collect();
            let help = match closest(name, &zones) {
                Some(near) => format!("did you mean `{near}`? Zones are IANA names such as `Australia/Sydney` or `Pacific/Auckland`"),
                None => "use an IANA zone name such as `Australia/Sydney`, `Australia/Perth` or `Pacific/Auckland`".to_string(),
            };
            errors.push(
                Diagnostic::new(file.source.mark(file.value_at(&["timezone"]), "unknown time zone"), message)
                    .help(help),
            );
            return None;
        }
    };
    let (Some(distributor), Some(psa), true) = (doc.distributor.clone(), doc.psa.clone(), ok) else {
        return None;
    };
    Some(Settings {
        distributor,
        psa,
        sandbox: doc.sandbox.clone(),
        defaults: doc.defaults.clone().unwrap_or_default(),
        calendar,
        currency: doc.currency.unwrap_or_default(),
        renewal_window_days: doc.renewal_window_days.unwrap_or(super::workspace::DEFAULT_RENEWAL_WINDOW_DAYS),
    })
}

/// Checks across all files: unique product keys and client ids, references, client fields,
/// Microsoft sides; incomplete product mappings are `warnings`.
pub fn workspace(files: &[ParsedFile], errors: &mut Vec<Diagnostic>, warnings: &mut Vec<Diagnostic>) {
    let mut product_keys: BTreeMap<&str, Mark> = BTreeMap::new();
    let mut client_ids: BTreeMap<&str, Mark> = BTreeMap::new();
    let mut stock_codes: BTreeMap<&StockCode, (&str, Mark)> = BTreeMap::new();
    for file in files {
        let Some(doc) = &file.document else { continue };
        for (i, product) in doc.products.iter().enumerate() {
            let index = i.to_string();
            let mark = file.source.mark(file.value_at(&["products", &index, "key"]), "defined again here");
            let code = &product.dicker_data.stock_code;
            microsoft_side(file, &index, code, product.microsoft.as_ref(), errors);
            if product.is_incomplete() {
                // What `cspctl import` writes when no PSA product fits: unfinished, not broken.
                warnings.push(
                    Diagnostic::new(
                        file.source.mark(file.value_at(&["products", &index, "psa", "product"]), "no PSA product yet"),
                        format!(
                            "product mapping `{}` for stock code `{code}` is incomplete: it names no PSA product, so its licences stay Not Mapped (unbilled)",
                            product.key
                        ),
                    )
                    .help("pick one of the candidates in the comment above the mapping (a ConnectWise catalog identifier or Autotask service name)")
                    .warning(),
                );
            }
            if let Some(first) = product_keys.get(product.key.as_str()) {
                // The same mapping twice: its stock code is a duplicate too, said once here.
                errors.push(duplicate("product key", &product.key, mark, first));
                continue;
            }
            product_keys.insert(&product.key, relabel(mark, "first defined here"));
            let code_mark = file
                .source
                .mark(file.value_at(&["products", &index, "dicker_data", "stock_code"]), "mapped again here");
            if let Some((first_key, first)) = stock_codes.get(code) {
                errors.push(
                    Diagnostic::new(
                        code_mark,
                        format!("stock code `{code}` is mapped twice, by `{first_key}` and `{}`; a licence must bill as one product", product.key),
                    )
                    .related(first.clone())
                    .help("keep one mapping per stock code; a different billing or term is a different stock code"),
                );
            } else {
                stock_codes.insert(code, (&product.key, relabel(code_mark, "first mapped here")));
            }
        }
        for (i, client) in doc.clients.iter().enumerate() {
            let index = i.to_string();
            unquoted_id(file, &index, &client.dicker_data, errors);
            let mark =
                file.source.mark(file.value_at(&["clients", &index, "dicker_data"]), "defined again here");
            if let Some(first) = client_ids.get(client.dicker_data.as_str()) {
                errors.push(duplicate("client", &client.dicker_data, mark, first));
            } else {
                client_ids.insert(&client.dicker_data, relabel(mark, "first defined here"));
            }
            if !client.ignore {
                let missing: Vec<&str> =
                    [("company", client.company.is_none()), ("agreement", client.agreement.is_none())]
                        .into_iter()
                        .filter_map(|(name, absent)| absent.then_some(name))
                        .collect();
                if !missing.is_empty() {
                    let names = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(" and ");
                    errors.push(
                        Diagnostic::new(
                            file.source.mark(file.value_at(&["clients", &index]), format!("{names} missing")),
                            format!("client `{}` has no {names}; a billed client needs its PSA company and agreement", client.dicker_data),
                        )
                        .help("add them, or `ignore: true` if this client is not billed through the PSA"),
                    );
                }
            }
        }
    }
    // References are only checked when every file parsed: a product in a broken file is
    // not missing, it is unreadable (and already reported).
    if files.iter().any(|f| f.document.is_none()) {
        return;
    }
    let keys: Vec<String> = product_keys.keys().map(|k| k.to_string()).collect();
    for file in files {
        let Some(doc) = &file.document else { continue };
        for (i, client) in doc.clients.iter().enumerate() {
            for key in client.products.keys().filter(|k| !product_keys.contains_key(k.as_str())) {
                let at = file.key_at(&["clients", &i.to_string(), "products", key]);
                let mut d = Diagnostic::new(
                    file.source.mark(at, "no product mapping has this key"),
                    format!("client `{}` refers to undefined product `{key}`", client.dicker_data),
                );
                d = match closest(key, &keys) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None if keys.is_empty() => {
                        d.help("define it under `products:` (no products are defined yet)")
                    }
                    None => d.help(format!(
                        "defined products: {}",
                        keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )),
                };
                errors.push(d);
            }
        }
    }
    exceptions(files, &product_keys, errors);
}

/// Each exception names a billed client of the workspace and a defined product mapping, once.
fn exceptions(files: &[ParsedFile], product_keys: &BTreeMap<&str, Mark>, errors: &mut Vec<Diagnostic>) {
    let billed: BTreeMap<&str, bool> = files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .flat_map(|d| d.clients.iter().map(|c| (c.dicker_data.as_str(), !c.ignore)))
        .collect();
    let client_ids: Vec<String> = billed.keys().map(|k| k.to_string()).collect();
    let keys: Vec<String> = product_keys.keys().map(|k| k.to_string()).collect();
    let mut seen: BTreeMap<(&str, &str), Mark> = BTreeMap::new();
    for file in files {
        let Some(doc) = &file.document else { continue };
        for (i, e) in doc.exceptions.iter().enumerate() {
            let index = i.to_string();
            let at = |field: &str| file.value_at(&["exceptions", &index, field]);
            match billed.get(e.client.as_str()) {
                None => {
                    let d = Diagnostic::new(
                        file.source.mark(at("client"), "no client has this id"),
                        format!("exception for client `{}`: no workspace file defines that client", e.client),
                    );
                    errors.push(match closest(&e.client, &client_ids) {
                        Some(best) => d.help(format!("did you mean `{best}`?")),
                        None => d.help("exceptions name a client defined under `clients:`"),
                    });
                }
                Some(false) => errors.push(
                    Diagnostic::new(
                        file.source.mark(at("client"), "this client is `ignore: true`"),
                        format!("exception for client `{}`: the client is ignored, so nothing is billed to accept", e.client),
                    )
                    .help("remove the exception, or the client's `ignore: true`"),
                ),
                Some(true) => {}
            }
            if !product_keys.contains_key(e.product.as_str()) {
                let d = Diagnostic::new(
                    file.source.mark(at("product"), "no product mapping has this key"),
                    format!(
                        "exception for client `{}` refers to undefined product `{}`",
                        e.client, e.product
                    ),
                );
                errors.push(match closest(&e.product, &keys) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help("exceptions name a product mapping `key`"),
                });
            }
            let mark = file.source.mark(file.value_at(&["exceptions", &index]), "accepted again here");
            match seen.get(&(e.client.as_str(), e.product.as_str())) {
                Some(first) => errors.push(
                    Diagnostic::new(
                        mark,
                        format!(
                            "client `{}` / product `{}` has two exceptions; a pair is accepted once",
                            e.client, e.product
                        ),
                    )
                    .related(first.clone())
                    .help("keep one exception for the pair and remove the other"),
                ),
                None => {
                    seen.insert((&e.client, &e.product), relabel(mark, "first accepted here"));
                }
            }
        }
    }
}

/// A Dicker Data id of digits written without quotes: cspctl keeps its text, but YAML 1.1
/// tools (and a later edit) read `0100231` as a number and lose the leading zero, so the id
/// must be quoted.
fn unquoted_id(file: &ParsedFile, index: &str, id: &str, errors: &mut Vec<Diagnostic>) {
    let at = file.value_at(&["clients", index, "dicker_data"]);
    let quoted =
        at.offset.and_then(|o| file.source.text().get(o..)).is_some_and(|rest| rest.starts_with(['"', '\'']));
    if !quoted && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(
            Diagnostic::new(
                file.source.mark(at, "quote this id"),
                format!(
                    "Dicker Data id {id} is written as a number; ids are text and keep their leading zeros"
                ),
            )
            .help(format!("write `dicker_data: \"{id}\"`")),
        );
    }
}

fn relabel(mut mark: Mark, label: &str) -> Mark {
    mark.label = label.to_string();
    mark
}

fn duplicate(what: &str, id: &str, again: Mark, first: &Mark) -> Diagnostic {
    Diagnostic::new(again, format!("duplicate {what} `{id}`: each must be defined once in the workspace"))
        .related(first.clone())
        .help(format!("keep one definition of `{id}` and remove the other"))
}

/// A stated `microsoft:` side must say what the stock code says.
fn microsoft_side(
    file: &ParsedFile,
    index: &str,
    code: &StockCode,
    microsoft: Option<&super::MicrosoftLicence>,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(ms) = microsoft else { return };
    let mut contradiction = |field: &str, stated: String, derived: String| {
        let at = file.value_at(&["products", index, "microsoft", field]);
        errors.push(
            Diagnostic::new(
                file.source.mark(at, format!("stock code says {derived}")),
                format!("`microsoft.{field}` is {stated} but stock code `{code}` says {derived}"),
            )
            .help("remove the `microsoft:` field (it is derived from the stock code) or correct it"),
        );
    };
    if let Some(product) = &ms.product
        && !product.eq_ignore_ascii_case(&code.product_id)
    {
        contradiction("product", format!("`{product}`"), format!("`{}`", code.product_id));
    }
    if let Some(sku) = &ms.sku
        && !sku.eq_ignore_ascii_case(&code.sku_id)
    {
        contradiction("sku", format!("`{sku}`"), format!("`{}`", code.sku_id));
    }
    if let Some(term) = ms.term
        && code.term != Some(term)
    {
        let derived = code.term.map_or("no term (usage-based)".to_string(), |t| format!("`{t}`"));
        contradiction("term", format!("`{term}`"), derived);
    }
    if let Some(billing) = ms.billing
        && code.billing != Billing::Unknown
        && billing != code.billing
    {
        contradiction("billing", format!("`{billing}`"), format!("`{}`", code.billing));
    }
}
