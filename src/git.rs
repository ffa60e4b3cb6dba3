//! What git knows about a workspace: the checkout it lives in, the commit, whether the tree is
//! dirty and who made the commit. Plans, saved plans and the audit log carry these so a
//! reviewer can tie every billing change to the commit that asked for it.
//!
//! It runs the `git` binary (nothing to link, and it reads the repository exactly as the user's
//! git does). Without git, or outside a repository, every answer is `None` and cspctl works as
//! before.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The commit a plan was made from, as plan JSON, saved plans and the audit log carry it: enough
/// to find the change in the repository's history, and nothing machine-specific.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// `HEAD` as a full hash.
    pub commit: String,
    /// Whether files under the workspace differed from it (the plan is not exactly the commit's).
    pub dirty: bool,
    /// `Name <email>` of its author, when git knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// The git checkout a workspace directory belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The repository's top-level directory (canonical).
    pub root: PathBuf,
    /// `HEAD` as a full hash; `None` in a repository with no commit yet.
    pub commit: Option<String>,
    /// Whether the workspace files (those the loader reads) differ from `HEAD`: changed, or not
    /// committed yet.
    pub dirty: bool,
    /// `Name <email>` of the `HEAD` commit's author.
    pub author: Option<String>,
}

impl Checkout {
    /// The checkout holding `dir`, or `None` without git or outside a repository.
    pub fn of(dir: &Path) -> Option<Checkout> {
        let root = Self::root_of(dir)?;
        let commit = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"]);
        // Dirty means the desired state differs from the commit: only the files the loader reads
        // count (the sandbox state and apply's lock file are not desired state).
        let files = crate::config::workspace_files(dir);
        let mut status = vec!["status", "--porcelain", "--untracked-files=normal", "--"];
        status.extend(files.iter().filter_map(|f| f.to_str()));
        // A workspace file deleted since the commit is on no list: ask git for deletions.
        let deleted = || {
            git(dir, &["diff", "--name-only", "--relative", "--diff-filter=D", "HEAD", "--", "."])
                .is_some_and(|names| {
                    names.lines().any(|n| {
                        Path::new(n)
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
                    })
                })
        };
        let dirty = git(dir, &status).is_some_and(|s| !s.is_empty()) || (commit.is_some() && deleted());
        let author = commit.as_ref().and_then(|_| git(dir, &["log", "-1", "--format=%an <%ae>"]));
        Some(Checkout { root, commit, dirty, author })
    }

    /// The top-level directory (canonical) of the checkout holding `dir`, without reading its
    /// status: finding where a saved plan's workspace is needs no more.
    pub fn root_of(dir: &Path) -> Option<PathBuf> {
        let root = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
        Some(root.canonicalize().unwrap_or(root))
    }

    /// `dir` relative to the repository root (`.` for the root itself), with `/` separators so
    /// a plan made on one machine names the same workspace on another.
    pub fn relative(&self, dir: &Path) -> Option<String> {
        let dir = dir.canonicalize().ok()?;
        let rel = dir.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> =
            rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        Some(if parts.is_empty() { ".".to_string() } else { parts.join("/") })
    }

    /// The commit checked out, with the dirty flag and author; `None` before the first commit.
    pub fn head(&self) -> Option<Commit> {
        Some(Commit { commit: self.commit.clone()?, dirty: self.dirty, author: self.author.clone() })
    }

    /// The first 12 characters of the commit, for headers.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(|c| &c[..c.len().min(12)])
    }
}

/// Runs `git ARGS` in `dir`; its trimmed stdout when it succeeds, else `None`.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        // File names are paths, not patterns (`a*.yaml` is one file, not every `a…` one).
        .env("GIT_LITERAL_PATHSPECS", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Ada")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn reads_commit_author_dirty_and_relative_path() {
        if git(Path::new("."), &["--version"]).is_none() {
            eprintln!("skipped: no git binary");
            return;
        }
        let repo = tempfile::tempdir().expect("temp dir");
        let ws = repo.path().join("billing/tenant a");
        std::fs::create_dir_all(&ws).expect("mkdir");
        std::fs::write(ws.join("cspctl.yaml"), "version: 1\n").expect("write");
        run(repo.path(), &["init", "-q"]);
        assert_eq!(Checkout::of(&ws).and_then(|c| c.commit), None, "no commit yet");
        run(repo.path(), &["add", "."]);
        run(repo.path(), &["commit", "-q", "-m", "first"]);
        let checkout = Checkout::of(&ws).expect("a checkout");
        assert_eq!(checkout.commit.as_deref().map(str::len), Some(40));
        assert_eq!(checkout.author.as_deref(), Some("Ada <ada@example.com>"));
        assert!(!checkout.dirty);
        assert_eq!(checkout.relative(&ws).as_deref(), Some("billing/tenant a"));
        std::fs::write(ws.join("cspctl.yaml"), "version: 2\n").expect("write");
        assert!(Checkout::of(&ws).expect("a checkout").dirty);
        std::fs::write(ws.join("cspctl.yaml"), "version: 1\nsandbox: { state: state.yaml }\n")
            .expect("write");
        std::fs::write(ws.join("state.yaml"), "psa: {}\n").expect("write");
        std::fs::write(ws.join("more.yaml"), "clients: []\n").expect("write");
        run(repo.path(), &["add", "."]);
        run(repo.path(), &["commit", "-q", "-m", "second"]);
        std::fs::write(ws.join("state.yaml"), "psa: { changed: true }\n").expect("write");
        std::fs::write(ws.join(".cspctl-apply.lock"), "pid").expect("write");
        assert!(
            !Checkout::of(&ws).expect("a checkout").dirty,
            "live state and the lock are not desired state"
        );
        std::fs::write(ws.join("clients.yaml"), "clients: []\n").expect("write");
        assert!(Checkout::of(&ws).expect("a checkout").dirty, "a new workspace file");
        std::fs::remove_file(ws.join("clients.yaml")).expect("rm");
        std::fs::remove_file(ws.join("more.yaml")).expect("rm");
        assert!(Checkout::of(&ws).expect("a checkout").dirty, "a workspace file deleted");
        let outside = tempfile::tempdir().expect("temp dir");
        assert_eq!(Checkout::of(outside.path()), None);
    }
}
