//! The pull-request comment of a large plan: under the comment size limit, saying what it left
//! out and where the full plan is, with a hostile vendor-supplied client name escaped.

use cspctl::reconcile::plan;
use cspctl::render::{MARKDOWN_MAX_CHARS, Origin, RenderOptions, markdown};

use super::{synthetic, today};

const HOSTILE: &str = "Acme </details><h1>PWNED</h1> **[x](https://evil.example)** | ` @org";

#[test]
fn a_2000_client_plan_fits_a_comment_and_says_what_it_left_out() {
    let (ws, dd, psa) = synthetic::synthetic(2000, 3);
    let plan0 = plan(&ws, &dd, &psa, today());
    let first = plan0.actions.iter().map(|a| a.client.clone()).min().expect("actions");
    // The name a reviewer sees comes from Dicker Data's side of the action; make it hostile.
    let mut plan = plan0.clone();
    for a in plan.actions.iter_mut().filter(|a| a.client == first) {
        a.client_name = HOSTILE.to_string();
        a.agreement = format!("{HOSTILE} agreement");
    }
    let origin = Origin {
        workspace: "billing/tenant-a".into(),
        psa: "connectwise".into(),
        date: Some(today()),
        commit: Some(cspctl::git::Commit {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            dirty: false,
            author: Some("Ada <ada@example.com>".into()),
        }),
        full_plan: Some("plan.json".into()),
    };
    let md = markdown(&plan, RenderOptions::default(), &origin);
    assert!(plan.actions.len() > 1000, "a real cut: {} actions", plan.actions.len());
    assert!(md.chars().count() < 65_536 && md.len() <= MARKDOWN_MAX_CHARS, "{} bytes", md.len());
    assert!(!md.contains("</details><h1>") && !md.contains("<h1>"), "hostile HTML reached the comment");
    assert_eq!(md.matches("<details>").count(), md.matches("</details>").count(), "every fold is closed");
    let left_out = md.lines().rev().find(|l| l.contains("are not shown")).expect("a left-out note");
    assert!(left_out.contains("plan.json"), "{left_out}");
    let shown = md.lines().filter(|l| l.starts_with("| `")).count();
    let omitted: usize = left_out
        .split("Cut to fit a pull-request comment: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert_eq!(shown + omitted, plan.actions.len(), "every action is shown or counted");
    let hostile: Vec<&str> = md.lines().filter(|l| l.contains("PWNED")).collect();
    assert_eq!(hostile.len(), 2, "the client's heading and its action row");
    let head: Vec<&str> = md.lines().take(8).chain(hostile).collect();
    let tail: Vec<&str> = md.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
    insta::assert_snapshot!(format!("{}\n[...]\n{}", head.join("\n"), tail.join("\n")));
}
