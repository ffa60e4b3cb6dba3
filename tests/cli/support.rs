//! Test workspaces in temporary directories, and a runner that turns a `cspctl` run into one
//! snapshot string (exit code, stdout, stderr) with temporary paths replaced.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The minimal settings of a sandbox workspace: both sides read from `state.yaml`.
pub const SANDBOX_SETTINGS: &str = "\
version: 1
distributor: sandbox
psa: sandbox
sandbox: { state: state.yaml }
";

/// A workspace directory that is deleted when the test ends.
pub struct TestWorkspace {
    dir: tempfile::TempDir,
}

impl TestWorkspace {
    /// An empty directory (no `cspctl.yaml` yet).
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("cspctl-test-").tempdir().expect("create temp dir");
        TestWorkspace { dir }
    }

    /// A copy of a directory of the repository, e.g. `examples/quickstart`, so a test may
    /// apply to it without touching the committed files.
    pub fn copy_of(relative: &str) -> Self {
        let ws = TestWorkspace::new();
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(relative), ws.path());
        ws
    }

    /// Writes a file (parent directories created), relative to the workspace.
    pub fn file(self, relative: &str, contents: &str) -> Self {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Writes `cspctl.yaml`.
    pub fn settings(self, yaml: &str) -> Self {
        self.file("cspctl.yaml", yaml)
    }

    /// Writes sandbox settings ([`SANDBOX_SETTINGS`]) and the state file `state.yaml`.
    pub fn settings_sandbox(self, state_yaml: &str) -> Self {
        self.settings(SANDBOX_SETTINGS).file("state.yaml", state_yaml)
    }

    /// The workspace directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the workspace.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Reads a file of the workspace.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.join(relative)).expect("read file")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// One `cspctl` run as a snapshot: exit code, stdout and stderr.
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output, temp paths replaced by `[WORKSPACE]`.
    pub stdout: String,
    /// Standard error, temp paths replaced by `[WORKSPACE]`.
    pub stderr: String,
}

impl Run {
    /// The text a snapshot holds.
    pub fn snapshot(&self) -> String {
        format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.snapshot())
    }
}

/// Runs `cspctl ARGS` in `dir` with `NO_COLOR=1`, returning the snapshot text.
pub fn cspctl(args: &[&str], dir: &Path) -> String {
    run(args, dir, &[], None).snapshot()
}

/// Runs `cspctl ARGS` in `dir` with extra environment variables and optional stdin.
pub fn run(args: &[&str], dir: &Path, env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cspctl"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CSPCTL_LOG")
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run cspctl");
    if let Some(input) = stdin {
        use std::io::Write as _;
        let mut pipe = child.stdin.take().expect("stdin");
        let _ = pipe.write_all(input.as_bytes());
    }
    let output = child.wait_with_output().expect("wait for cspctl");
    let filter = |bytes: &[u8]| filter_paths(&String::from_utf8_lossy(bytes), dir);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: filter(&output.stdout),
        stderr: filter(&output.stderr),
    }
}

/// Replaces the workspace's absolute path (as given and canonical) with `[WORKSPACE]`, and the
/// system temp dir with `[TMP]`, so snapshots do not depend on where the test ran.
pub fn filter_paths(text: &str, dir: &Path) -> String {
    let mut out = text.to_string();
    let mut paths = vec![dir.to_path_buf()];
    if let Ok(canonical) = dir.canonicalize() {
        paths.push(canonical);
    }
    for path in paths {
        out = out.replace(&path.display().to_string(), "[WORKSPACE]");
    }
    let tmp = std::env::temp_dir();
    let tmp = tmp.display().to_string();
    out.replace(tmp.trim_end_matches('/'), "[TMP]")
}

/// Filters for values that change from run to run: timestamps and durations.
pub const FILTERS: &[(&str, &str)] = &[
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", "[TIMESTAMP]"),
    (r"\b\d+(\.\d+)?(ns|µs|us|ms|s)\b", "[DURATION]"),
];

/// `insta::assert_snapshot!` with [`FILTERS`] applied, for runs that print times.
#[macro_export]
macro_rules! assert_cli_snapshot {
    ($($args:tt)*) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::support::FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($($args)*));
    }};
}
