//! Sets `CSPCTL_VERSION` for `cspctl --version`: the package version, plus the git commit (and
//! `dirty` for uncommitted changes) when built inside a git checkout with git installed. Built
//! from a source tarball or without git, it is the package version alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let dirty =
                git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            format!("{version} ({commit}{})", if dirty { ", dirty" } else { "" })
        }
        _ => version.to_string(),
    };
    println!("cargo:rustc-env=CSPCTL_VERSION={full}");
    // Rebuild when HEAD moves (a commit, a checkout); the dirty flag is as of the last build.
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(refs) = git(&["rev-parse", "--symbolic-full-name", "HEAD"])
        .and_then(|r| git(&["rev-parse", "--git-path", &r]))
    {
        println!("cargo:rerun-if-changed={refs}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
