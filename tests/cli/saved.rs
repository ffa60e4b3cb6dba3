//! Saved plans that travel: `plan --out` names the workspace relative to the git repository
//! root (or the plan file), so `apply FILE` works from any directory of the checkout and in
//! another clone of the same commit; it refuses a plan made for another workspace, endpoint or
//! cspctl version, or one whose workspace files or live state changed, each with its own exit
//! code. Plan JSON, the audit log and apply's outcome carry the commit, author and plan hash.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{Run, TestWorkspace, run};

const DATE: &str = "--date=2026-11-28";
const AUTHOR: &str = "Ada Lovelace <ada@example.com>";

/// Runs git in `dir` with a fixed author and dates (so commits are the same every run) and no
/// user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-27T09:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-27T09:00:00Z")
        .stdin(Stdio::null())
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Whether a git binary is there; tests that need one say so and skip when it is not.
pub fn have_git() -> bool {
    let ok = Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: no git binary");
    }
    ok
}

/// A git repository in a temporary directory with a copy of the quickstart at each of
/// `workspaces`, committed.
pub struct Repo {
    dir: TestWorkspace,
}

impl Repo {
    pub fn with(workspaces: &[&str]) -> Repo {
        let dir = TestWorkspace::new();
        for ws in workspaces {
            copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart"), &dir.join(ws));
        }
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "Billing workspaces"]);
        Repo { dir }
    }

    /// A `git clone` of this repository in a new temporary directory.
    pub fn clone_to(&self) -> TestWorkspace {
        let to = TestWorkspace::new();
        git(to.path(), &["clone", "-q", &self.path().display().to_string(), "."]);
        to
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).expect("json")).expect("write");
}

#[test]
fn a_saved_plan_records_where_it_belongs_and_applies_from_another_directory_of_the_checkout() {
    if !have_git() {
        return;
    }
    let repo = Repo::with(&["billing/acme"]);
    let saved = run(&["plan", "billing/acme", DATE, "--out", "plan.json"], repo.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");
    let plan = read_json(&repo.join("plan.json"));
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(plan["workspace"], "billing/acme", "relative to the repository root, not as typed");
    assert_eq!(plan["relative_to"], "git_root");
    assert_eq!(plan["git"], serde_json::json!({ "commit": head, "dirty": false, "author": AUTHOR }));
    assert_eq!(plan["cspctl_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(plan["endpoint"], "sandbox");
    assert_eq!(plan["date"], "2026-11-28");
    let files: Vec<&str> = plan["files"].as_object().expect("files").keys().map(String::as_str).collect();
    assert_eq!(
        files,
        ["clients/contoso.yaml", "clients/others.yaml", "cspctl.yaml", "exceptions.yaml", "products.yaml"],
        "every file the loader reads, and not the sandbox state"
    );
    assert!(plan["files_hash"].as_str().is_some_and(|h| h.starts_with("sha256:")), "{plan}");
    assert!(
        !std::fs::read_to_string(repo.join("plan.json"))
            .unwrap()
            .contains(&repo.path().display().to_string())
    );

    // The apply job runs somewhere else in the checkout.
    let elsewhere = repo.join("ci/jobs");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let applied = run(&["apply", "../../plan.json"], &elsewhere, &[], None);
    assert_eq!(applied.code, 0, "{applied}");
    let again = run(&["plan", "billing/acme", DATE, "--detailed-exitcode"], repo.path(), &[], None);
    assert_eq!(again.code, 0, "applied where it was planned: {again}");
}

#[test]
fn a_saved_plan_applies_in_another_clone_of_the_same_commit() {
    if !have_git() {
        return;
    }
    let repo = Repo::with(&["billing/acme"]);
    let artifacts = TestWorkspace::new();
    let plan_file = artifacts.join("plan.json");
    let plan_file = plan_file.to_str().expect("utf-8 path");
    let saved = run(&["plan", "billing/acme", DATE, "--out", plan_file], repo.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");

    let clone = repo.clone_to();
    let before = std::fs::read_to_string(repo.join("billing/acme/state.yaml")).expect("read");
    let applied = run(&["apply", plan_file], clone.path(), &[], None);
    assert_eq!(applied.code, 0, "{applied}");
    assert_ne!(clone.read("billing/acme/state.yaml"), before, "the clone's workspace was applied");
    assert_eq!(
        std::fs::read_to_string(repo.join("billing/acme/state.yaml")).expect("read"),
        before,
        "the checkout the plan was made in is left alone"
    );
    let again = run(&["plan", "billing/acme", DATE, "--detailed-exitcode"], clone.path(), &[], None);
    assert_eq!(again.code, 0, "{again}");
}

#[test]
fn outside_git_the_workspace_is_named_relative_to_the_plan_file() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let plans = TestWorkspace::new();
    let plan_file = plans.join("plan.json");
    let plan_file = plan_file.to_str().expect("utf-8 path");
    let saved = run(&["plan", ".", DATE, "--out", plan_file], ws.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");
    let plan = read_json(Path::new(plan_file));
    assert_eq!(plan["relative_to"], "plan_file");
    assert!(plan["workspace"].as_str().is_some_and(|w| w.starts_with("../")), "{}", plan["workspace"]);
    assert!(plan.get("git").is_none(), "no commit outside git: {plan}");
    let applied = run(&["apply", "plan.json"], plans.path(), &[], None);
    assert_eq!(applied.code, 0, "applied from the plan file's directory: {applied}");
}

/// One block per refused apply: its exit code and stderr, with the temporary paths named.
fn refusal(out: &mut String, what: &str, r: &Run, paths: &[(&Path, &str)]) {
    let mut stderr = r.stderr.clone();
    for (path, name) in paths {
        for p in [path.to_path_buf(), path.canonicalize().unwrap_or_default()] {
            stderr = stderr.replace(&p.display().to_string(), name);
        }
    }
    let _ = writeln!(out, "## {what}\nexit: {}\n{stderr}", r.code);
}

#[test]
fn a_saved_plan_for_another_workspace_endpoint_version_or_files_is_refused() {
    if !have_git() {
        return;
    }
    let mut out = String::new();
    let repo = Repo::with(&["billing/acme", "billing/globex"]);
    let saved = run(&["plan", "billing/acme", DATE, "--out", "plan.json"], repo.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");
    let plan_file = repo.join("plan.json");
    let plan_arg = plan_file.to_str().expect("utf-8 path");
    let state = std::fs::read_to_string(repo.join("billing/acme/state.yaml")).expect("read");
    let paths = [(repo.path(), "[REPO]")];

    // Run from inside another workspace: that is the one the user meant.
    let r = run(&["apply", "../../plan.json"], &repo.join("billing/globex"), &[], None);
    assert_eq!(r.code, 3, "{r}");
    refusal(&mut out, "from inside another workspace", &r, &paths);

    // A checkout of another repository, without the plan's workspace.
    let other = Repo::with(&["tenants/initech"]);
    let r = run(&["apply", plan_arg], other.path(), &[], None);
    assert_eq!(r.code, 3, "{r}");
    refusal(
        &mut out,
        "in a checkout without its workspace",
        &r,
        &[(repo.path(), "[REPO]"), (other.path(), "[OTHER]")],
    );

    // The workspace now points at another PSA.
    let settings_path = repo.join("billing/acme/cspctl.yaml");
    let settings = std::fs::read_to_string(&settings_path).expect("read");
    let moved = settings
        .replace("psa: sandbox", "psa: { connectwise: { site: \"http://127.0.0.1:9\", company: acme } }");
    assert_ne!(moved, settings);
    std::fs::write(&settings_path, moved).expect("write");
    let r = run(&["apply", "plan.json"], repo.path(), &[], None);
    assert_eq!(r.code, 4, "{r}");
    refusal(&mut out, "another PSA endpoint", &r, &paths);
    std::fs::write(&settings_path, &settings).expect("write");

    // Another cspctl release made it.
    let mut edited = read_json(&plan_file);
    edited["cspctl_version"] = serde_json::json!("0.0.1");
    let other_version = repo.join("other-version.json");
    write_json(&other_version, &edited);
    let r = run(&["apply", "other-version.json"], repo.path(), &[], None);
    assert_eq!(r.code, 5, "{r}");
    refusal(&mut out, "another cspctl version", &r, &paths);

    // A workspace file changed since the plan was made (and was committed: a later commit).
    let client = repo.join("billing/acme/clients/contoso.yaml");
    let yaml = std::fs::read_to_string(&client).expect("read");
    std::fs::write(&client, format!("{yaml}# reviewed again\n")).expect("write");
    let r = run(&["apply", "plan.json"], repo.path(), &[], None);
    assert_eq!(r.code, 6, "{r}");
    refusal(&mut out, "workspace files changed", &r, &paths);
    std::fs::write(&client, &yaml).expect("write");

    // Live state moved since: the fresh plan differs.
    let state_path = repo.join("billing/acme/state.yaml");
    std::fs::write(
        &state_path,
        state.replacen("quantity: 20, status: active", "quantity: 21, status: active", 1),
    )
    .expect("write");
    let r = run(&["apply", "plan.json"], repo.path(), &[], None);
    assert_eq!(r.code, 7, "{r}");
    refusal(&mut out, "live state changed", &r, &paths);
    std::fs::write(&state_path, &state).expect("write");

    // Actions edited by hand after saving.
    let mut edited = read_json(&plan_file);
    edited["plan"]["actions"][0]["client_name"] = serde_json::json!("Someone Else");
    let tampered = repo.join("tampered.json");
    write_json(&tampered, &edited);
    let r = run(&["apply", "tampered.json"], repo.path(), &[], None);
    assert_eq!(r.code, 1, "{r}");
    refusal(&mut out, "actions edited after saving", &r, &paths);

    assert_eq!(std::fs::read_to_string(&state_path).expect("read"), state, "no refusal wrote anything");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\[TMP\]/cspctl-test-\w+", "[PLAN DIR]");
    settings.bind(|| insta::assert_snapshot!(out));

    // Put back as planned, it applies.
    let r = run(&["apply", "plan.json"], repo.path(), &[], None);
    assert_eq!(r.code, 0, "{r}");
}

#[test]
fn plan_json_the_audit_log_and_apply_carry_the_commit_author_and_plan_hash() {
    if !have_git() {
        return;
    }
    let repo = Repo::with(&["billing/acme"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let plan_json = |repo: &Repo| {
        let r = run(&["plan", "billing/acme", DATE, "--format", "json"], repo.path(), &[], None);
        assert_eq!(r.code, 0, "{r}");
        serde_json::from_str::<serde_json::Value>(&r.stdout).expect("json")
    };
    let doc = plan_json(&repo);
    assert_eq!(doc["git"], serde_json::json!({ "commit": head, "dirty": false, "author": AUTHOR }));
    assert_eq!(doc["date"], "2026-11-28");
    let hash = doc["plan_hash"].as_str().expect("plan_hash").to_string();
    assert_eq!(plan_json(&repo)["plan_hash"], hash.as_str(), "the same plan, the same hash");

    let saved = run(&["plan", "billing/acme", DATE, "--out", "plan.json"], repo.path(), &[], None);
    assert_eq!(saved.code, 0, "{saved}");
    assert_eq!(read_json(&repo.join("plan.json"))["plan_hash"], hash.as_str());

    let audit = repo.join("audit.jsonl");
    let audit_arg = audit.to_str().expect("utf-8 path");
    let applied = run(&["apply", "plan.json", "--audit-log", audit_arg], repo.path(), &[], None);
    assert_eq!(applied.code, 0, "{applied}");
    let last = applied.stderr.lines().last().unwrap_or_default();
    assert_eq!(last, format!("Applied plan {hash} from commit {} by {AUTHOR}.", &head[..12]), "{applied}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .expect("audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 7, "one line per write");
    for line in &lines {
        assert_eq!(line["plan_hash"], hash.as_str(), "{line}");
        assert_eq!(line["commit"], head.as_str(), "{line}");
        assert_eq!(line["author"], AUTHOR, "{line}");
    }
    let after = plan_json(&repo);
    assert_ne!(after["plan_hash"], hash.as_str(), "another plan (no changes), another hash");
    assert_eq!(after["git"]["dirty"], false, "the sandbox state and apply's lock file are not desired state");
    let client = repo.join("billing/acme/clients/contoso.yaml");
    let yaml = std::fs::read_to_string(&client).expect("read");
    std::fs::write(&client, format!("{yaml}# edited\n")).expect("write");
    assert_eq!(plan_json(&repo)["git"]["dirty"], true, "a workspace file differs from the commit");

    // JSON and Markdown outcomes end with the same.
    let fresh = Repo::with(&["billing/acme"]);
    let r =
        run(&["apply", "billing/acme", DATE, "--auto-approve", "--format", "json"], fresh.path(), &[], None);
    assert_eq!(r.code, 0, "{r}");
    let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(report["plan_hash"], hash.as_str());
    assert_eq!(report["git"]["author"], AUTHOR);
    assert_eq!(report["plan"]["plan_hash"], hash.as_str());
    let fresh = Repo::with(&["billing/acme"]);
    let r = run(
        &["apply", "billing/acme", DATE, "--auto-approve", "--format", "markdown"],
        fresh.path(),
        &[],
        None,
    );
    assert_eq!(r.code, 0, "{r}");
    let tail: Vec<&str> = r.stdout.trim_end().lines().rev().take(1).collect();
    insta::assert_snapshot!("apply_markdown_ends_with_plan_commit_and_author", tail.join("\n"));
}
