//! The shipped CI recipes (examples/ci) cannot rot: each workflow is parsed, every `cspctl`
//! command of its `run:` / `script:` steps is run as the recipe's shell would run it (with the
//! recipe's environment, the built binary on the PATH, each job in its own clone of a repository
//! holding the quickstart at `billing/`, artifacts handed from job to job), and the exit codes
//! the recipe accepts are checked against what cspctl returns: the pull-request check is red on
//! `--strict` findings and on invalid YAML; after merge the saved plan applies (on GitHub in
//! another job, so in another clone), and the next run finds nothing to do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::saved::{copy_dir, git, have_git};
use crate::support::TestWorkspace;

const DATE: &str = "2026-11-28";

/// One `cspctl` line of a recipe and the job it belongs to.
#[derive(Debug, Clone)]
struct Line {
    job: String,
    text: String,
}

/// What a job does that the test reproduces: its cspctl lines, its environment, the files it
/// keeps as artifacts and whether it takes the artifacts of earlier jobs.
#[derive(Debug, Clone, Default)]
struct Job {
    name: String,
    lines: Vec<String>,
    env: BTreeMap<String, String>,
    uploads: Vec<String>,
    downloads: bool,
}

fn recipe(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).expect("read recipe");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

/// The cspctl lines of a shell script: continuations joined, one command per line.
fn cspctl_lines(script: &str) -> Vec<String> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cspctl "))
        .map(String::from)
        .collect()
}

/// `KEY: value` pairs a job would see; values GitHub fills in (`${{ … }}`: secrets, variables)
/// are left out, as the sandbox needs none.
fn env_of(map: Option<&Value>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (k, v) in map.and_then(Value::as_object).into_iter().flatten() {
        let value = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !value.contains("${{") && !value.contains('$') {
            env.insert(k.clone(), value);
        }
    }
    env
}

/// The jobs a GitHub workflow runs for `event` (`pull_request` or `push`), in file order.
fn github_jobs(workflow: &Value, event: &str) -> Vec<Job> {
    let top = env_of(workflow.get("env"));
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let mut out = Vec::new();
    for (name, job) in jobs {
        let condition = job["if"].as_str().unwrap_or_default();
        if !condition.contains(&format!("'{event}'")) && !needs_job_of(jobs, job, event) {
            continue;
        }
        let mut j = Job { name: name.clone(), env: top.clone(), ..Job::default() };
        j.env.extend(env_of(job.get("env")));
        for step in job["steps"].as_array().expect("steps") {
            let uses = step["uses"].as_str().unwrap_or_default();
            if uses.starts_with("actions/upload-artifact") {
                j.uploads.push(step["with"]["path"].as_str().expect("upload path").to_string());
            }
            if uses.starts_with("actions/download-artifact") {
                j.downloads = true;
            }
            if let Some(run) = step["run"].as_str() {
                assert!(step.get("env").is_none(), "{name}: step env is not reproduced here");
                j.lines.extend(cspctl_lines(run));
            }
        }
        out.push(j);
    }
    out
}

/// Whether `job` runs after (`needs`) a job that runs for `event`.
fn needs_job_of(jobs: &serde_json::Map<String, Value>, job: &Value, event: &str) -> bool {
    let needs: Vec<&str> = match &job["needs"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    needs.iter().any(|n| jobs[*n]["if"].as_str().unwrap_or_default().contains(&format!("'{event}'")))
}

/// The jobs a GitLab pipeline runs for a rules template (`.merge_request`, `.default_branch`),
/// by stage, then file order.
fn gitlab_jobs(pipeline: &Value, template: &str) -> Vec<Job> {
    let top = env_of(pipeline.get("variables"));
    let stages: Vec<&str> =
        pipeline["stages"].as_array().expect("stages").iter().filter_map(Value::as_str).collect();
    let mut out: Vec<(usize, Job)> = Vec::new();
    for (name, job) in pipeline.as_object().expect("a mapping") {
        if name.starts_with('.') || job.get("script").is_none() || job["extends"].as_str() != Some(template) {
            continue;
        }
        let stage = stages.iter().position(|s| Some(*s) == job["stage"].as_str()).expect("a known stage");
        let mut j = Job { name: name.clone(), env: top.clone(), downloads: true, ..Job::default() };
        j.env.extend(env_of(job.get("variables")));
        for line in job["script"].as_array().expect("script list") {
            j.lines.extend(cspctl_lines(line.as_str().expect("script line")));
        }
        if let Some(paths) = job["artifacts"]["paths"].as_array() {
            j.uploads.extend(paths.iter().filter_map(Value::as_str).map(String::from));
        }
        // A job without cspctl (the merge-request note) has nothing to run here.
        if !j.lines.is_empty() {
            out.push((stage, j));
        }
    }
    out.sort_by_key(|(stage, _)| *stage);
    out.into_iter().map(|(_, j)| j).collect()
}

/// A repository like an MSP's: the quickstart at `billing/`, committed, with the sandbox state
/// (the "live" Dicker Data and PSA) outside it, shared by every job as a real PSA would be.
struct Remote {
    repo: TestWorkspace,
    _live: TestWorkspace,
    state: PathBuf,
}

impl Remote {
    fn new(break_yaml: bool) -> Remote {
        let ws = TestWorkspace::new();
        let billing = ws.join("billing");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart"), &billing);
        let live = TestWorkspace::new();
        let state = live.join("state.yaml");
        std::fs::rename(billing.join("state.yaml"), &state).expect("move state");
        let settings = std::fs::read_to_string(billing.join("cspctl.yaml")).expect("read");
        let settings = settings.replace("state: state.yaml", &format!("state: \"{}\"", state.display()));
        std::fs::write(billing.join("cspctl.yaml"), settings).expect("write");
        if break_yaml {
            std::fs::write(billing.join("clients/broken.yaml"), "clients: [\n").expect("write");
        }
        git(ws.path(), &["init", "-q", "-b", "main"]);
        git(ws.path(), &["add", "."]);
        git(ws.path(), &["commit", "-q", "-m", "Billing workspace"]);
        Remote { repo: ws, _live: live, state }
    }
}

/// What one line did: cspctl's own exit code, and whether the recipe's shell line passed.
#[derive(Debug)]
struct Ran {
    line: Line,
    code: i32,
    accepted: bool,
    stderr: String,
}

/// Runs `jobs` in order, each in a fresh clone, the way CI would; stops at the first job whose
/// line the recipe does not accept (a red job stops the pipeline).
fn run_pipeline(remote: &Remote, jobs: &[Job]) -> Vec<Ran> {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cspctl")).parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let artifacts = TestWorkspace::new();
    let mut ran = Vec::new();
    for job in jobs {
        let clone = TestWorkspace::new();
        git(clone.path(), &["clone", "-q", &remote.repo.path().display().to_string(), "."]);
        if job.downloads {
            for entry in std::fs::read_dir(artifacts.path()).expect("artifacts").flatten() {
                std::fs::copy(entry.path(), clone.join(&entry.file_name().to_string_lossy()))
                    .expect("download");
            }
        }
        let summary = clone.join("summary.md");
        for text in &job.lines {
            let (command, accept) = match text.split_once(" || ") {
                Some((command, accept)) => (command, Some(accept)),
                None => (text.as_str(), None),
            };
            let shell = |script: &str| {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(script)
                    .current_dir(clone.path())
                    .envs(&job.env)
                    .env("PATH", &path)
                    .env("GITHUB_STEP_SUMMARY", &summary)
                    .env_remove("CSPCTL_LOG");
                c.output().expect("run sh")
            };
            // The plan date is pinned so the quickstart plans the same whatever today is.
            let pinned = command.replacen("cspctl plan ", &format!("cspctl plan --date {DATE} "), 1);
            let out = shell(&pinned);
            let code = out.status.code().unwrap_or(-1);
            // The recipe's own test of the code, without running cspctl again.
            let accepted = match accept {
                Some(accept) => shell(&format!("(exit {code}) || {accept}")).status.success(),
                None => code == 0,
            };
            ran.push(Ran {
                line: Line { job: job.name.clone(), text: text.clone() },
                code,
                accepted,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
            if !accepted {
                return ran;
            }
        }
        for upload in &job.uploads {
            let from = clone.join(upload);
            if from.is_file() {
                std::fs::copy(&from, artifacts.join(upload)).expect("upload");
            }
        }
    }
    ran
}

fn codes(ran: &[Ran]) -> Vec<(String, i32, bool)> {
    ran.iter()
        .map(|r| {
            let verb = r.line.text.split_whitespace().nth(1).unwrap_or_default();
            (format!("{}: cspctl {verb}", r.line.job), r.code, r.accepted)
        })
        .collect()
}

fn check_recipe(pr: &[Job], main: &[Job]) {
    // A pull request over the quickstart: it has warnings (Not Setup, Not Mapped, …), so the
    // `--strict` check is red, with the plan already written for the comment.
    let remote = Remote::new(false);
    let ran = run_pipeline(&remote, pr);
    let (last, first) = (ran.last().expect("ran"), &ran[0]);
    assert!(first.line.text.starts_with("cspctl validate") && first.code == 0 && first.accepted, "{ran:#?}");
    assert!(last.line.text.contains("--strict"), "{ran:#?}");
    assert_eq!((last.code, last.accepted), (1, false), "red on --strict warnings: {ran:#?}");
    assert!(last.stderr.is_empty() || !last.stderr.contains("unexpected argument"), "{}", last.stderr);

    // Invalid YAML: red at validate.
    let broken = Remote::new(true);
    let ran = run_pipeline(&broken, pr);
    assert_eq!(codes(&ran).len(), 1, "{ran:#?}");
    assert_eq!((ran[0].code, ran[0].accepted), (1, false), "{ran:#?}");

    // After merge: plan (changes: 2), then the saved plan applied in another clone (0).
    let state_before = std::fs::read_to_string(&remote.state).expect("state");
    let ran = run_pipeline(&remote, main);
    let got = codes(&ran);
    assert!(ran.iter().all(|r| r.accepted), "{ran:#?}");
    assert_eq!(got.iter().map(|(_, c, _)| *c).collect::<Vec<_>>(), [2, 0], "{got:?}");
    assert!(ran[1].line.text.starts_with("cspctl apply plan.json"), "{ran:#?}");
    assert_ne!(std::fs::read_to_string(&remote.state).expect("state"), state_before, "applied");
    // The next push finds nothing to do, and its saved plan applies as a no-op.
    let ran = run_pipeline(&remote, main);
    assert_eq!(
        codes(&ran).iter().map(|(_, c, a)| (*c, *a)).collect::<Vec<_>>(),
        [(0, true), (0, true)],
        "{ran:#?}"
    );
}

#[test]
fn github_actions_recipe_runs() {
    if !have_git() {
        return;
    }
    let workflow = recipe("examples/ci/github/cspctl.yml");
    for (key, value) in workflow["env"].as_object().expect("env") {
        if ["KEY", "SECRET", "TOKEN", "CLIENT_ID", "CODE", "USERNAME"].iter().any(|w| key.contains(w)) {
            assert_eq!(value, &format!("${{{{ secrets.{key} }}}}"), "credentials only from secrets: {key}");
        }
    }
    let pr = github_jobs(&workflow, "pull_request");
    let main = github_jobs(&workflow, "push");
    assert_eq!(pr.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["check"]);
    assert_eq!(main.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["plan", "apply"]);
    let concurrency = workflow["concurrency"]["group"].as_str().expect("a concurrency group");
    assert!(concurrency.contains("'push'"), "applies are serialised: {concurrency}");
    check_recipe(&pr, &main);
}

#[test]
fn gitlab_ci_recipe_runs() {
    if !have_git() {
        return;
    }
    let pipeline = recipe("examples/ci/gitlab/.gitlab-ci.yml");
    let credentials = ["KEY", "SECRET", "TOKEN", "CLIENT_ID"];
    for (key, _) in pipeline["variables"].as_object().expect("variables") {
        assert!(!credentials.iter().any(|w| key.contains(w)), "credentials only from CI/CD variables: {key}");
    }
    let pr = gitlab_jobs(&pipeline, ".merge_request");
    let main = gitlab_jobs(&pipeline, ".default_branch");
    assert_eq!(pr.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["validate", "plan:merge-request"]);
    assert_eq!(main.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(), ["apply"]);
    assert!(pipeline["apply"]["resource_group"].is_string(), "applies are serialised");
    check_recipe(&pr, &main);
}
