//! Exit codes are a contract CI builds on: 0 success / no changes, 1 any error (usage errors
//! included), 2 changes present and only with `--detailed-exitcode`; 3 to 7 when `apply`
//! refuses a saved plan (each proved in tests/cli/saved.rs). One snapshot per subcommand holds
//! every code it can return.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::{TestWorkspace, run};

const DATE: &str = "--date=2026-11-28";

/// Runs each case in `dir` and writes `$ cspctl ARGS`, the exit code and the first lines of
/// stdout and stderr (enough to see why), one block per case.
fn cases(dir: &Path, cases: &[&[&str]]) -> String {
    let mut out = String::new();
    for args in cases {
        let r = run(args, dir, &[], None);
        let head = |s: &str| s.lines().take(4).collect::<Vec<_>>().join("\n");
        let _ = writeln!(
            out,
            "$ cspctl {}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}\n",
            args.join(" "),
            r.code,
            head(&r.stdout),
            head(&r.stderr)
        );
    }
    out
}

#[test]
fn top_level() {
    let ws = TestWorkspace::new();
    insta::assert_snapshot!(cases(
        ws.path(),
        &[&[], &["plna"], &["--frmat", "json", "plan"], &["--color", "sometimes", "plan"]],
    ));
    let version = run(&["--version"], ws.path(), &[], None);
    assert_eq!(version.code, 0, "{version}");
    assert!(version.stdout.starts_with(concat!("cspctl ", env!("CARGO_PKG_VERSION"))), "{version}");
    for args in [&["completions", "bash"][..], &["completions", "zsh"], &["man"]] {
        let r = run(args, ws.path(), &[], None);
        assert_eq!(r.code, 0, "{r}");
        assert!(r.stdout.contains("cspctl"), "{r}");
    }
    assert_eq!(
        run(&["completions", "tcsh"], ws.path(), &[], None).code,
        1,
        "an unknown shell is a usage error"
    );
    let help = run(&["--help"], ws.path(), &[], None);
    assert_eq!(help.code, 0, "{help}");
    assert!(help.stdout.contains("1  any error: usage"), "exit codes are documented in --help: {help}");
}

#[test]
fn plan() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    let broken = TestWorkspace::new().settings("version: [");
    let broken = cases(broken.path(), &[&["plan", ".", DATE, "--detailed-exitcode"]]);
    insta::assert_snapshot!(
        broken
            + &cases(
                ws.path(),
                &[
                    &["plan", ".", DATE, "--format", "json", "--target", "100315"],
                    &["plan", ".", DATE, "--target", "100315", "--detailed-exitcode"],
                    &["plan", ".", DATE, "--detailed-exitcode"],
                    &["plan", ".", DATE, "--strict"],
                    &["plan", ".", "--detailed-exitcode", "--frmat", "json"],
                    &["plan", ".", "--detailed-exitcode", "--date", "2026-13-01"],
                    &["plan", ".", "--detailed-exitcode", "--format", "yaml"],
                ],
            )
    );
}

#[test]
fn apply() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    insta::assert_snapshot!(cases(
        ws.path(),
        &[
            &["apply", ".", DATE],
            &["apply", ".", DATE, "--auto-approve", "--concurrency=1"],
            &["apply", ".", DATE, "--auto-approve", "--detailed-exitcode"],
            &["apply", ".", DATE, "--auto-approve", "--concurrency", "many"],
            &["apply", ".", DATE, "--auto-approve", "--target", "100315"],
        ],
    ));
    // A saved plan refused has its own code per reason (tests/cli/saved.rs proves each).
    let help = run(&["apply", "--help"], ws.path(), &[], None);
    assert_eq!(help.code, 0, "{help}");
    for code in [
        "3  made for another workspace",
        "4  made for another PSA endpoint",
        "5  made by another cspctl version",
        "6  the workspace files changed",
        "7  stale: live state changed",
    ] {
        assert!(help.stdout.contains(code), "`apply --help` documents {code:?}: {help}");
    }
}

#[test]
fn validate() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    insta::assert_snapshot!(cases(
        ws.path(),
        &[&["validate", "."], &["validate", "no-such-dir"], &["validate", ".", "--strict"]],
    ));
}

#[test]
fn schema_and_sandbox() {
    let ws = TestWorkspace::new();
    insta::assert_snapshot!(cases(
        ws.path(),
        &[
            &["schema"],
            &["schema", "extra"],
            &["sandbox"],
            &["sandbox", "serve"],
            &["sandbox", "serve", "--state", "missing.yaml"],
        ],
    ));
}

#[test]
fn import() {
    let ws = TestWorkspace::copy_of("examples/onboarding");
    insta::assert_snapshot!(cases(
        ws.path(),
        &[
            &["import", ".", "--date=2026-12-01"],
            &["import", ".", "--date=2026-12-01"],
            &["import", ".", "--date=2026-12-01", "--force"],
            &["import", ".", "--date=2026-12-01", "--frce"],
            &["import", "new", "--psa", "halo", "--distributor", "sandbox"],
        ],
    ));
}

#[test]
fn suggest() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    // Every customer named (one ignored) and no licence: nothing to suggest.
    let settled = TestWorkspace::new()
        .settings_sandbox("dicker_data:\n  customers:\n    - { id: \"1\", name: Solo Pty Ltd }\n")
        .file("clients.yaml", "clients:\n  - { dicker_data: \"1\", ignore: true }\n");
    insta::assert_snapshot!(
        cases(settled.path(), &[&["suggest", ".", "--date=2026-12-01"]])
            + &cases(
                ws.path(),
                &[
                    &["suggest", ".", "--date=2026-12-01", "--format", "json"],
                    &["suggest", ".", "--date=2026-12-01", "--format", "yaml"],
                    &["suggest", "no-such-dir"],
                    &["suggest", ".", "--date=2026-12-01", "--write"],
                ],
            )
    );
}

#[test]
fn report() {
    let ws = TestWorkspace::copy_of("examples/quickstart");
    insta::assert_snapshot!(cases(
        ws.path(),
        &[
            &["report", ".", DATE],
            &["report", ".", DATE, "--format", "csv"],
            &["report", ".", DATE, "--format", "xml"],
            &["report", "no-such-dir", DATE],
        ],
    ));
}
