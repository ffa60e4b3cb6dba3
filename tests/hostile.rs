//! Hostile and careless input, table-driven: each case breaks a copy of the quickstart
//! workspace in one way and runs `validate` and `apply --auto-approve` on it. Every run must
//! exit 1 within a few seconds, point at the file and line where there is one, print no
//! planted secret (nor a run of mask characters that would reveal its length), print no raw
//! control character, and leave the sandbox state file exactly as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "ghp_Zq8Xr2Lm5Np7Vb3Kc9Wd1Hf4Jg6Ts0Ya";
const TOKEN2: &str = "ghp_Canary2Wq9Er8Ty7Ui6Op5As4Df3Gh2Jk";
const PASSWORD: &str = "Hunter2-Canary-Pass";
const PASSWORD2: &str = "Second-Line-Canary";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";
const ENTROPY: &str = "q8Zt3NcV1xR7yLm2Kp9Wd4Hs6Fj0Bg5AeX";
const URL_PASSWORD: &str = "S3cretCanaryPw";
const AWS: &str = "AKIAIOSFODNN7CANARYQ";
const SLACK: &str = "xoxb-1234567890-Canary0Slack9Token";

/// What a case puts at a path of the workspace.
enum Content {
    Text(String),
    Bytes(Vec<u8>),
    Fifo,
    Symlink(&'static str),
    /// A sparse file of this many bytes (fast to make, large to read).
    Sparse(u64),
    Dir,
    Remove,
}

struct Case {
    name: String,
    files: Vec<(String, Content)>,
    /// `file:line` the output must contain (file relative to the workspace).
    at: Option<String>,
    /// Text the output must contain.
    says: String,
    /// Values that must never be printed.
    secrets: Vec<String>,
}

fn case(name: &str, says: &str) -> Case {
    Case { name: name.into(), files: Vec::new(), at: None, says: says.into(), secrets: Vec::new() }
}

impl Case {
    fn file(mut self, path: &str, text: impl Into<String>) -> Self {
        self.files.push((path.into(), Content::Text(text.into())));
        self
    }
    fn content(mut self, path: &str, content: Content) -> Self {
        self.files.push((path.into(), content));
        self
    }
    fn at(mut self, path: &str, line: usize) -> Self {
        self.at = Some(format!("{path}:{line}"));
        self
    }
    fn hides(mut self, secrets: &[&str]) -> Self {
        self.secrets.extend(secrets.iter().map(|s| s.to_string()));
        self
    }
}

const SETTINGS: &str = "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox:\n  state: state.yaml\n";

/// A clients file whose one client carries `extra` lines (indented under the client).
fn client_with(extra: &str) -> String {
    format!(
        "clients:\n  - dicker_data: \"100231\"\n    company: Contoso\n    agreement: Contoso - Microsoft 365\n{extra}"
    )
}

fn secret_cases() -> Vec<Case> {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\n    MIIEowIBAAKCAQEAcanaryPemBody\n    -----END RSA PRIVATE KEY-----";
    vec![
        case("password key in settings", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}password: {PASSWORD}\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD]),
        case("private key under connectwise", "looks like a secret")
            .file(
                "cspctl.yaml",
                format!("version: 1\ndistributor: sandbox\npsa:\n  connectwise:\n    site: x\n    company: y\n    private_key: {PASSWORD}\nsandbox: {{ state: state.yaml }}\n"),
            )
            .at("cspctl.yaml", 7)
            .hides(&[PASSWORD]),
        case("token in a flow map", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}defaults: {{ token: {TOKEN} }}\n"))
            .at("cspctl.yaml", 6)
            .hides(&[TOKEN]),
        case("JWT as a client name", "JSON Web Token")
            .file("clients/contoso.yaml", client_with(&format!("    name: {JWT}\n")))
            .at("clients/contoso.yaml", 5)
            .hides(&[JWT]),
        case("GitHub token as a client name", "access token")
            .file("clients/contoso.yaml", client_with(&format!("    name: {TOKEN}\n")))
            .at("clients/contoso.yaml", 5)
            .hides(&[TOKEN]),
        case("random key as a description", "long random string")
            .file(
                "products.yaml",
                format!("products:\n  - key: k\n    description: {ENTROPY}\n    dicker_data: {{ stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }}\n    psa: {{ product: X }}\n"),
            )
            .at("products.yaml", 3)
            .hides(&[ENTROPY]),
        case("PEM block scalar", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}private_key: |\n    {pem}\n"))
            .at("cspctl.yaml", 6)
            .hides(&["MIIEowIBAAKCAQEAcanaryPemBody"]),
        case("URL with a password", "URL carries a password")
            .file(
                "cspctl.yaml",
                format!("version: 1\ndistributor:\n  dicker_data:\n    api:\n      base_url: https://msp:{URL_PASSWORD}@api.example.com/v4\npsa: sandbox\nsandbox: {{ state: state.yaml }}\n"),
            )
            .at("cspctl.yaml", 5)
            .hides(&[URL_PASSWORD]),
        case("credentials mapping", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}credentials:\n  user: canary-user-name\n  pass: {PASSWORD}\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD, "canary-user-name"]),
        case("password in a list", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}psa_credentials:\n  password: [{PASSWORD}, {PASSWORD2}]\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD, PASSWORD2]),
        case("password line in a file with a syntax error", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}password: {PASSWORD}\ndefaults: [unclosed\n"))
            .hides(&[PASSWORD]),
        case("unterminated quoted api key", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}api_key: \"{PASSWORD}\n  {PASSWORD2}\n"))
            .hides(&[PASSWORD, PASSWORD2]),
        case("token used as a product key", "refers to undefined product")
            .file("clients/contoso.yaml", client_with(&format!("    products:\n      {TOKEN}: {{}}\n")))
            .at("clients/contoso.yaml", 6)
            .hides(&[TOKEN]),
        case("token in a comment beside an unrelated error", "unknown")
            .file("clients/contoso.yaml", client_with(&format!("    # old key {TOKEN}\n    colour: red\n")))
            .at("clients/contoso.yaml", 6)
            .hides(&[TOKEN]),
        case("trailing token comment beside a secret", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}secret: {PASSWORD} # {TOKEN}\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD, TOKEN]),
        case("password inside a broken flow map", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}defaults: {{ sync_description: always_on, password: {PASSWORD}, \n"))
            .hides(&[PASSWORD]),
        case("two-line quoted password", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}password: \"{PASSWORD}\n  {PASSWORD2}\"\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD, PASSWORD2]),
        case("two-line quoted password in a broken file", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}password: \"{PASSWORD}\n  {PASSWORD2}\"\nbroken: [\n"))
            .hides(&[PASSWORD, PASSWORD2]),
        case("token as an unknown key", "looks like a secret")
            .file("clients/contoso.yaml", client_with(&format!("    {TOKEN}: 1\n")))
            .at("clients/contoso.yaml", 5)
            .hides(&[TOKEN]),
        case("token as a boolean", "looks like a secret")
            .file("clients/contoso.yaml", client_with(&format!("    ignore: {TOKEN}\n")))
            .at("clients/contoso.yaml", 5)
            .hides(&[TOKEN]),
        case("token as a duplicate key", "duplicate key")
            .file("clients/contoso.yaml", client_with(&format!("    {TOKEN}: 1\n    {TOKEN}: 2\n")))
            .at("clients/contoso.yaml", 6)
            .hides(&[TOKEN]),
        case("AWS key as a stock code", "looks like a secret")
            .file(
                "products.yaml",
                format!("products:\n  - key: k\n    dicker_data: {{ stock_code: \"{AWS}\" }}\n    psa: {{ product: X }}\n"),
            )
            .at("products.yaml", 3)
            .hides(&[AWS]),
        case("token as a duplicate client id", "looks like a secret")
            .file("clients/a.yaml", format!("clients:\n  - {{ dicker_data: \"{TOKEN}\", ignore: true }}\n"))
            .file("clients/b.yaml", format!("clients:\n  - {{ dicker_data: \"{TOKEN}\", ignore: true }}\n"))
            .at("clients/a.yaml", 2)
            .hides(&[TOKEN]),
        case("URL password in a comment of a broken file", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}# was https://msp:{URL_PASSWORD}@api.example.com\nbroken: [\n"))
            .hides(&[URL_PASSWORD]),
        case("token in the sandbox state beside a duplicate id", "duplicate id")
            .file(
                "state.yaml",
                format!("# {TOKEN}\npsa:\n  additions:\n    - {{ id: 1, agreement: 812, product: 1350, quantity: 1, fingerprint: a }}\n    - {{ id: 1, agreement: 812, product: 1350, quantity: 1, fingerprint: b }}\n"),
            )
            .at("state.yaml", 5)
            .hides(&[TOKEN]),
        case("token in a folded description", "access token")
            .file(
                "products.yaml",
                format!("products:\n  - key: k\n    description: >\n      rotate {TOKEN} soon\n    dicker_data: {{ stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }}\n    psa: {{ product: X }}\n"),
            )
            .at("products.yaml", 4)
            .hides(&[TOKEN]),
        case("password through an anchor and alias", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}x-anchor: &pw {PASSWORD}\npassword: *pw\n"))
            .hides(&[PASSWORD]),
        case("secret in a CRLF file", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}clientSecret: {PASSWORD}\r\n").replace('\n', "\r\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD]),
        case("Slack token in a comment beside a syntax error", "YAML syntax error")
            .file("clients/contoso.yaml", client_with(&format!("    # {SLACK}\n    name: [\n")))
            .hides(&[SLACK]),
        case("two tokens on one line of a broken file", "YAML syntax error")
            .file("cspctl.yaml", format!("{SETTINGS}notes: {TOKEN} and {TOKEN2}: [\n"))
            .hides(&[TOKEN, TOKEN2]),
        case("access token key with a quoted value", "looks like a secret")
            .file("cspctl.yaml", format!("{SETTINGS}'access_token': '{PASSWORD}'\n"))
            .at("cspctl.yaml", 6)
            .hides(&[PASSWORD]),
    ]
}

fn file_cases() -> Vec<Case> {
    vec![
        case("FIFO named like a client file", "FIFO").content("clients/pipe.yaml", Content::Fifo).at("clients/pipe.yaml", 0),
        case("FIFO as cspctl.yaml", "FIFO").content("cspctl.yaml", Content::Fifo),
        case("FIFO as the sandbox state", "FIFO").content("state.yaml", Content::Fifo),
        case("symlink to /dev/zero as a client file", "character device")
            .content("clients/zero.yaml", Content::Symlink("/dev/zero")),
        case("symlink to /dev/zero as the state", "character device")
            .content("state.yaml", Content::Symlink("/dev/zero")),
        case("symlink to /dev/null as products", "character device")
            .content("products.yaml", Content::Symlink("/dev/null")),
        case("100 MB client file", "too large").content("clients/big.yaml", Content::Sparse(100 << 20)),
        case("100 MB sandbox state", "too large").content("state.yaml", Content::Sparse(100 << 20)),
        case("directory named like a YAML file", "directory")
            .content("state.yaml", Content::Remove)
            .content("state.yaml", Content::Dir),
        case("dangling symlink", "cannot read").content("clients/gone.yaml", Content::Symlink("/nonexistent/x")),
        case("missing sandbox state", "cannot read").content("state.yaml", Content::Remove),
        case("FIFO as the Dicker Data export", "FIFO")
            .file(
                "cspctl.yaml",
                "version: 1\ndistributor: { dicker_data: { export: annuity.csv } }\npsa: sandbox\nsandbox: { state: state.yaml }\n",
            )
            .content("annuity.csv", Content::Fifo),
        case("oversize Dicker Data export", "too large")
            .file(
                "cspctl.yaml",
                "version: 1\ndistributor: { dicker_data: { export: annuity.xlsx } }\npsa: sandbox\nsandbox: { state: state.yaml }\n",
            )
            .content("annuity.xlsx", Content::Sparse(100 << 20)),
        case("export that is a device", "character device")
            .file(
                "cspctl.yaml",
                "version: 1\ndistributor: { dicker_data: { export: annuity.csv } }\npsa: sandbox\nsandbox: { state: state.yaml }\n",
            )
            .content("annuity.csv", Content::Symlink("/dev/zero")),
        case("upper-case extension is loaded, not skipped", "refers to undefined product")
            .content("clients/contoso.yaml", Content::Remove)
            .file("clients/contoso.YAML", client_with("    products:\n      no-such-product: {}\n"))
            .at("clients/contoso.YAML", 6),
        case("Yml extension is loaded", "duplicate client")
            .file("clients/again.Yml", client_with(""))
            .at("clients/contoso.yaml", 3),
    ]
}

fn domain_cases() -> Vec<Case> {
    let product = |price: &str| {
        format!(
            "products:\n  - key: k\n    dicker_data: {{ stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }}\n    psa: {{ product: X }}\n    price: {{ unit_price: {price} }}\n"
        )
    };
    let state_dup = |list: &str, item: &str| {
        let (side, name) = list.split_once('.').unwrap();
        format!("{side}:\n  {name}:\n    - {item}\n    - {item}\n")
    };
    vec![
        case("negative unit price", "at least 0").file("products.yaml", product("-612.00")).at("products.yaml", 5),
        case("huge unit price", "at most").file("products.yaml", product("1e9")).at("products.yaml", 5),
        case("price as text", "number").file("products.yaml", product("\"612\"")).at("products.yaml", 5),
        case("negative included seats", "included")
            .file("clients/contoso.yaml", client_with("    products:\n      m365-e3-annual-upfront: { included: -1 }\n"))
            .at("clients/contoso.yaml", 6),
        case("huge minimum seats", "at most")
            .file(
                "clients/contoso.yaml",
                client_with("    products:\n      m365-e3-annual-upfront: { minimum: 5000000 }\n"),
            )
            .at("clients/contoso.yaml", 6),
        case("unquoted id with a leading zero", "leading zeros")
            .file("clients/contoso.yaml", client_with("").replace("\"100231\"", "0100231"))
            .at("clients/contoso.yaml", 2),
        case("unquoted numeric id", "dicker_data")
            .file("clients/contoso.yaml", client_with("").replace("\"100231\"", "100231"))
            .at("clients/contoso.yaml", 2),
        case("Latin-1 byte in a client file", "not UTF-8")
            .content("clients/latin.yaml", Content::Bytes(b"clients:\n  - dicker_data: \"9\"\n    name: Caf\xe9\n".to_vec()))
            .at("clients/latin.yaml", 3),
        case("Latin-1 byte in cspctl.yaml", "not UTF-8")
            .content("cspctl.yaml", Content::Bytes([SETTINGS.as_bytes(), b"# r\xe9sum\xe9\n"].concat()))
            .at("cspctl.yaml", 6),
        case("Latin-1 byte in the state", "not UTF-8")
            .content("state.yaml", Content::Bytes(b"dicker_data:\n  customers:\n    - { id: \"1\", name: Caf\xe9 }\n".to_vec())),
        case("duplicate addition ids in the state", "duplicate id")
            .file("state.yaml", state_dup("psa.additions", "{ id: 5, agreement: 812, product: 1350, quantity: 1, fingerprint: a }"))
            .at("state.yaml", 4),
        case("duplicate customer ids in the state", "duplicate id")
            .file("state.yaml", state_dup("dicker_data.customers", "{ id: \"100231\", name: A }"))
            .at("state.yaml", 4),
        case("duplicate company ids in the state", "duplicate id")
            .file("state.yaml", state_dup("psa.companies", "{ id: 250, identifier: A, name: A }"))
            .at("state.yaml", 4),
        case("duplicate agreement ids in the state", "duplicate id")
            .file("state.yaml", state_dup("psa.agreements", "{ id: 812, name: A, company: 250, status: Active }"))
            .at("state.yaml", 4),
        case("duplicate product ids in the state", "duplicate id")
            .file("state.yaml", state_dup("psa.products", "{ id: 1350, identifier: A, description: A, active: true }"))
            .at("state.yaml", 4),
        case("negative licence quantity in the state", "line 3").file(
            "state.yaml",
            "dicker_data:\n  licences:\n    - { customer: \"1\", subscription: S, stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\", description: D, quantity: -3, status: active }\n",
        ),
        case("ESC in a client name beside an error", "refers to undefined product")
            .file(
                "clients/contoso.yaml",
                client_with("    name: \"Contoso \\e[31mRED\"\n    products:\n      no-such: {}\n"),
            )
            .at("clients/contoso.yaml", 7),
        case("raw ESC byte in a file", "clients/esc.yaml")
            .content("clients/esc.yaml", Content::Bytes(b"clients:\n  - dicker_data: \"7\"\n    name: a\x1b[2Jb\n".to_vec())),
        case("bidi override in a product key", "refers to undefined product")
            .file("clients/contoso.yaml", client_with("    products:\n      \"evil\u{202e}key\": {}\n"))
            .at("clients/contoso.yaml", 6),
    ]
}

fn structure_cases() -> Vec<Case> {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    vec![
        case("alias bomb", "limits").file("clients/bomb.yaml", bomb),
        case("deep nesting", "limits").file("clients/deep.yaml", format!("x: {}{}\n", "[".repeat(200), "]".repeat(200))),
        case("two documents", "one YAML document").file("clients/two.yaml", "clients: []\n---\nclients: []\n").at("clients/two.yaml", 2),
        case("duplicate key", "duplicate key")
            .file("clients/contoso.yaml", client_with("    company: Again\n"))
            .at("clients/contoso.yaml", 5),
        case("tab indentation", "YAML syntax error").file("clients/tab.yaml", "clients:\n\t- dicker_data: \"1\"\n"),
        case("unknown top-level key", "unknown").file("clients/x.yaml", "client:\n  - dicker_data: \"1\"\n").at("clients/x.yaml", 1),
        case("settings outside cspctl.yaml", "workspace setting").file("clients/x.yaml", "psa: sandbox\n").at("clients/x.yaml", 1),
        case("unsupported version", "unsupported workspace version")
            .file("cspctl.yaml", SETTINGS.replace("version: 1", "version: 2"))
            .at("cspctl.yaml", 1),
        case("missing psa", "no `psa:`").file("cspctl.yaml", "version: 1\ndistributor: sandbox\nsandbox: { state: state.yaml }\n"),
        case("sandbox side without state", "sandbox state file").file("cspctl.yaml", "version: 1\ndistributor: sandbox\npsa: sandbox\n").at("cspctl.yaml", 2),
        case("export and api both", "exactly one")
            .file(
                "cspctl.yaml",
                "version: 1\ndistributor: { dicker_data: { export: a.csv, api: {} } }\npsa: sandbox\nsandbox: { state: state.yaml }\n",
            )
            .at("cspctl.yaml", 2),
        case("bad stock code", "stock code")
            .file("products.yaml", "products:\n  - key: k\n    dicker_data: { stock_code: \"nonsense\" }\n    psa: { product: X }\n")
            .at("products.yaml", 3),
        case("stock code as a number", "stock_code")
            .file("products.yaml", "products:\n  - key: k\n    dicker_data: { stock_code: 5 }\n    psa: { product: X }\n")
            .at("products.yaml", 3),
        case("duplicate product key across files", "duplicate product key")
            .file("more.yaml", "products:\n  - key: m365-e3-annual-upfront\n    dicker_data: { stock_code: \"P1M:CFQ7TTC0LFLZ:0002:1:\" }\n    psa: { product: X }\n")
            .at("products.yaml", 19),
        case("stock code mapped twice", "mapped twice")
            .file("more.yaml", "products:\n  - key: other\n    dicker_data: { stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }\n    psa: { product: X }\n")
            .at("products.yaml", 6),
        case("client missing company", "company")
            .file("clients/contoso.yaml", "clients:\n  - dicker_data: \"100231\"\n    agreement: A\n")
            .at("clients/contoso.yaml", 2),
        case("microsoft side contradicts stock code", "stock code")
            .file(
                "products.yaml",
                "products:\n  - key: k\n    dicker_data: { stock_code: \"P1Y:CFQ7TTC0LCHC:0002:1:\" }\n    microsoft: { term: P1M }\n    psa: { product: X }\n",
            )
            .at("products.yaml", 4),
        case("wrong enum value", "sync_description")
            .file("clients/contoso.yaml", client_with("    sync_description: sometimes\n"))
            .at("clients/contoso.yaml", 5),
        case("products not a list", "products").file("products.yaml", "products: { key: k }\n").at("products.yaml", 1),
        case("no cspctl.yaml", "no cspctl.yaml").content("cspctl.yaml", Content::Remove),
        case("number too large for its field", "included")
            .file(
                "clients/contoso.yaml",
                client_with("    products:\n      m365-e3-annual-upfront: { included: 99999999999999999999 }\n"),
            ),
        case("null document", "clients")
            .file("clients/contoso.yaml", "clients:\n  - ~\n")
            .at("clients/contoso.yaml", 2),
        case("yes as a boolean", "ignore")
            .file("clients/contoso.yaml", client_with("    ignore: yes\n"))
            .at("clients/contoso.yaml", 5),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = secret_cases();
    cases.extend(file_cases());
    cases.extend(domain_cases());
    cases.extend(structure_cases());
    cases
}

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn place(root: &Path, rel: &str, content: &Content) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    match content {
        Content::Text(text) => std::fs::write(&path, text).unwrap(),
        Content::Bytes(bytes) => std::fs::write(&path, bytes).unwrap(),
        Content::Fifo => {
            let _ = std::fs::remove_file(&path);
            let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
            assert!(status.success());
        }
        Content::Symlink(target) => {
            let _ = std::fs::remove_file(&path);
            std::os::unix::fs::symlink(target, &path).unwrap();
        }
        Content::Sparse(len) => std::fs::File::create(&path).unwrap().set_len(*len).unwrap(),
        Content::Dir => std::fs::create_dir_all(&path).unwrap(),
        Content::Remove => {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The state file's bytes, when it is a regular file (`None` for a FIFO or device).
fn state_bytes(root: &Path) -> Option<Vec<u8>> {
    let path = root.join("state.yaml");
    std::fs::metadata(&path).ok().filter(|m| m.is_file() && m.len() < 1 << 20)?;
    std::fs::read(path).ok()
}

/// Runs cspctl with a deadline; a run that does not end in time is a failure (a hang).
fn run(args: &[&str], dir: &Path) -> Result<(i32, String), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cspctl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CSPCTL_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("`cspctl {}` did not finish in 20 s", args.join(" ")));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.code().unwrap_or(-1), text))
}

/// Every problem with one case's runs; empty when it passed.
fn check(case: &Case) -> Vec<String> {
    let dir = tempfile::Builder::new().prefix("cspctl-hostile-").tempdir().unwrap();
    let root = dir.path();
    copy_dir(&quickstart(), root);
    for (rel, content) in &case.files {
        place(root, rel, content);
    }
    let before = state_bytes(root);
    let mut problems = Vec::new();
    for args in [&["validate", "."][..], &["apply", ".", "--auto-approve", "--date=2026-11-28"]] {
        let command = args[0];
        let (code, output) = match run(args, root) {
            Ok(r) => r,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let mut fail = |what: String| problems.push(format!("{command}: {what}\n--- output\n{output}"));
        if code != 1 {
            fail(format!("exit {code}, expected 1"));
        }
        if !output.contains(&case.says) {
            fail(format!("does not say {:?}", case.says));
        }
        if let Some(at) = &case.at {
            let at = at.strip_suffix(":0").unwrap_or(at);
            if !output.contains(at) {
                fail(format!("does not point at {at}"));
            }
        }
        for secret in &case.secrets {
            if output.contains(secret.as_str()) {
                fail(format!("prints the secret {secret}"));
            }
        }
        if output.contains("*****") {
            fail("prints a run of mask characters that tells a secret's length".into());
        }
        if output.contains('\u{1b}') || output.contains('\u{202e}') {
            fail("prints a raw control character".into());
        }
    }
    if state_bytes(root) != before {
        problems.push("the sandbox state file changed".into());
    }
    problems
}

#[test]
fn hostile_inputs_are_refused_clearly() {
    let cases = all_cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    assert!(secret_cases().len() >= 21);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    for problem in check(case) {
                        failures.lock().unwrap().push(format!("[{}] {problem}", case.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} problem(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

/// A 100 MB workspace file is refused by its size before it is read: fast, whatever its
/// content (here real bytes, not a sparse file).
#[test]
fn a_100_mb_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&quickstart(), dir.path());
    let line = "  - { dicker_data: \"1\", name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx }\n";
    let text = format!("clients:\n{}", line.repeat((100 << 20) / line.len() + 1));
    std::fs::write(dir.path().join("clients/big.yaml"), text).unwrap();
    let started = Instant::now();
    let (code, output) = run(&["validate", "."], dir.path()).unwrap();
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("too large") && output.contains("clients/big.yaml"), "{output}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

/// `--audit-log` naming a FIFO (with or without a reader) or a directory is refused before
/// any write, naming the file, instead of blocking apply at the open.
#[test]
fn an_audit_log_that_is_not_a_regular_file_is_refused_before_any_write() {
    for (name, content) in [("audit.jsonl", Content::Fifo), ("audit-dir", Content::Dir)] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_dir(&quickstart(), root);
        place(root, name, &content);
        let before = state_bytes(root);
        let log = format!("--audit-log={name}");
        let (code, output) = run(&["apply", ".", "--auto-approve", "--date=2026-11-28", &log], root).unwrap();
        assert_eq!(code, 1, "{output}");
        assert!(output.contains(name) && output.contains("not a regular file"), "{output}");
        assert_eq!(state_bytes(root), before, "the sandbox state changed");
    }
}
