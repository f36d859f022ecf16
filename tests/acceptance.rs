//! The reference article in `../shared/acceptance`, scored by the shared scorer, when the
//! shared folder is beside the checkout.

use std::process::Command;

use crate::util::{Workdir, have, require, shared};

#[test]
fn reference_article_scores_perfectly() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is not beside the checkout");
        return;
    };
    let art = shared.join("acceptance/000_8ae4745abb7369f3.txt");
    let gold = shared.join("acceptance/000_8ae4745abb7369f3.gold.json");
    if !art.exists() || !require("python3", have("python3", &["-c", "pass"])) {
        return;
    }
    let w = Workdir::new();
    let out = w.run(&[art.to_str().unwrap(), "-o", "g.json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scored = Command::new("python3")
        .arg(shared.join("eval/score_graph.py"))
        .arg(&gold)
        .arg(w.path("g.json"))
        .args(["--min-entity-f1", "0.95", "--min-relation-f1", "1.0"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&scored.stdout);
    assert!(scored.status.success(), "{report}");
    let last = report.lines().last().unwrap_or("");
    assert!(last.contains("forbidden 0"), "{report}");
    let (right, all) = attributes(last);
    assert_eq!(right, all, "{report}");
}

/// Parses "attributes R/A" from the scorer's summary line.
fn attributes(summary: &str) -> (u32, u32) {
    let part = summary.split("attributes ").nth(1).unwrap_or("0/1");
    let ratio = part.split_whitespace().next().unwrap_or("0/1");
    let (a, b) = ratio.split_once('/').unwrap_or(("0", "1"));
    (a.parse().unwrap_or(0), b.parse().unwrap_or(1))
}
