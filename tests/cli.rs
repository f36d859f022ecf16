//! The command line: formats, stdin, --explain, --help, user gazetteers and rules.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::{self, Workdir};

const ARTICLE: &str = "MOSCOW, March 3, 2025 (Reuters) - Kremlin spokesman Dmitry Peskov \
said on Monday that no meeting had been agreed.\n\nOn March 1, Chinese Foreign Minister Wang Yi \
and Brazilian Foreign Minister Mauro Vieira met in Beijing, the ministry said.\n";

#[test]
fn format_follows_extension_and_flag() {
    let w = Workdir::new();
    w.write("a.txt", ARTICLE);
    for (out, start) in [
        ("g.json", "{"),
        ("g.ron", "("),
        ("g.dot", "digraph"),
        ("g.gv", "digraph"),
    ] {
        let o = w.run(&["a.txt", "-o", out]);
        assert!(
            o.status.success(),
            "{out}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(w.path(out)).unwrap();
        assert!(
            text.starts_with(start),
            "{out}: {}",
            &text[..40.min(text.len())]
        );
    }
    let o = w.run(&["a.txt", "-o", "g.txt", "--format", "json"]);
    assert!(o.status.success());
    assert!(
        std::fs::read_to_string(w.path("g.txt"))
            .unwrap()
            .starts_with('{')
    );
    let o = w.run(&["a.txt"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("digraph"));
}

#[test]
fn reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgbuild"))
        .args(["-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ARTICLE.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["graph"]["documents"][0]["id"], "-");
    let met = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["predicate"] == "met_with")
        .expect("a meeting");
    assert_eq!(met["attributes"]["date"], "2025-03-01");
    assert_eq!(met["attributes"]["location"], "beijing");
}

#[test]
fn explain_lists_mentions_evidence_and_rules() {
    let w = Workdir::new();
    w.write("a.txt", ARTICLE);
    let o = w.run(&["a.txt", "--explain", "-o", "g.json"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("ENTITIES"), "{table}");
    assert!(table.contains("Dmitry Peskov"), "{table}");
    assert!(table.contains("--spokesman_of--> Kremlin"), "{table}");
    assert!(table.contains("[role.org_title_person]"), "{table}");
    // With the graph on stdout, the table goes to stderr.
    let o = w.run(&["a.txt", "--explain"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("digraph"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RELATIONS"));
}

#[test]
fn explain_says_how_a_shared_name_was_settled() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Workers at the plant in Waterloo, Belgium, walked out. Fans in Santa Ana cheered.",
    );
    let o = w.run(&["a.txt", "--explain", "-o", "g.json"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("[waterloo-be]") && table.contains("ambiguous: chosen by qualifier over"),
        "{table}"
    );
    assert!(table.contains("chosen by population over"), "{table}");
    let g = util::read_json(&w.path("g.json"));
    let waterloo = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "waterloo-be")
        .unwrap();
    let ambiguity = &waterloo["mentions"][0]["ambiguity"];
    assert_eq!(ambiguity["chosen_by"], "qualifier");
    assert!(
        ambiguity["over"]
            .as_array()
            .unwrap()
            .contains(&"waterloo-ca".into())
    );
}

#[test]
fn background_facts_only_when_asked_and_always_marked() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Kremlin spokesman Dmitry Peskov spoke to reporters in Kazan.",
    );
    w.run(&["a.txt", "-o", "plain.json"]);
    let plain = util::read_json(&w.path("plain.json"));
    assert!(!plain.to_string().contains("background"));
    let o = w.run(&["a.txt", "--background", "-o", "bg.json", "--explain"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let g = util::read_json(&w.path("bg.json"));
    let edges = g["edges"].as_array().unwrap();
    let fact = |s: &str, p: &str, t: &str| {
        edges
            .iter()
            .find(|e| e["source"] == s && e["predicate"] == p && e["target"] == t)
    };
    let kazan = fact("kazan", "located_in", "russia").expect("Kazan located_in Russia");
    assert_eq!(kazan["background"], true);
    assert!(kazan["evidence"].as_array().unwrap().is_empty());
    assert_eq!(
        fact("kremlin", "based_in", "moscow").unwrap()["background"],
        true
    );
    // The text says it too: an ordinary edge, with its sentence.
    let role = fact("dmitry-peskov", "spokesman_of", "kremlin").unwrap();
    assert!(role.get("background").is_none());
    assert_eq!(role["evidence"].as_array().unwrap().len(), 1);
    // Every text-derived edge of the plain run is there, unchanged.
    for e in plain["edges"].as_array().unwrap() {
        assert!(edges.contains(e), "{e}");
    }
    let nodes = g["nodes"].as_array().unwrap();
    let russia = nodes.iter().find(|n| n["id"] == "russia").unwrap();
    assert_eq!(russia["background"], true);
    assert!(russia["mentions"].as_array().unwrap().is_empty());
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("Kazan --located_in--> Russia  (background: from the gazetteer"),
        "{table}"
    );
    // DOT draws them dashed.
    w.run(&["a.txt", "--background", "-o", "g.dot"]);
    let dot = std::fs::read_to_string(w.path("g.dot")).unwrap();
    assert!(dot.contains("kg_background=true"), "{dot}");
}

#[test]
fn user_gazetteers_are_compiled_once_and_cached() {
    let w = Workdir::new();
    w.write(
        "names.tsv",
        "acme\tOrganization\tcompany\tAcme Widgets\t\t\n",
    );
    w.write("a.txt", "Acme Widgets spokesman John Doe said so.");
    let cached_files = || {
        std::fs::read_dir(w.path(".cache/kgbuild"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let o = w.run(&[
        "a.txt",
        "--gazetteer",
        "names.tsv",
        "--no-cache",
        "-o",
        "0.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(cached_files(), 0, "--no-cache writes no cache");
    w.run(&["a.txt", "--gazetteer", "names.tsv", "-o", "1.json"]);
    assert_eq!(cached_files(), 1);
    w.run(&["a.txt", "--gazetteer", "names.tsv", "-o", "2.json"]);
    assert_eq!(cached_files(), 1, "the second run reads the cache");
    let read = |f: &str| std::fs::read(w.path(f)).unwrap();
    assert_eq!(read("0.json"), read("1.json"));
    assert_eq!(read("1.json"), read("2.json"));
    assert!(String::from_utf8_lossy(&read("2.json")).contains("\"acme\""));
    // A changed file is compiled again, not served from the old cache.
    w.write(
        "names.tsv",
        "acme\tOrganization\tcompany\tAcme Gadgets\t\t\n",
    );
    w.write("a.txt", "Acme Gadgets spokesman John Doe said so.");
    w.run(&["a.txt", "--gazetteer", "names.tsv", "-o", "3.json"]);
    assert!(String::from_utf8_lossy(&read("3.json")).contains("Acme Gadgets"));
}

#[test]
fn help_has_examples_and_version_prints() {
    let w = Workdir::new();
    let o = w.run(&["--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("Examples:") && help.contains("-o graph.dot"),
        "{help}"
    );
    let o = w.run(&["--version"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("kgbuild "));
}

#[test]
fn user_gazetteer_and_rules_extend_the_defaults() {
    let w = Workdir::new();
    w.write("a.txt", "Zorblax Dynamics chief Ana Quill hosted visiting Trade Minister Ben Ruiz in Lisbon. Ana Quill praised Lisbon.");
    w.write(
        "g.tsv",
        "zorblax\tOrganization\tcompany\tZorblax Dynamics\tZorblax\t\n",
    );
    w.write(
        "r.ron",
        r#"(
            predicates: {"praised": (meaning: "spoke well of")},
            rules: [(
                id: "mine.praised",
                pattern: [Entity(bind: "a", types: [Person]), Word(["praised"]), Entity(bind: "b")],
                emit: [(subject: "a", predicate: "praised", object: "b")],
            )],
        )"#,
    );
    let o = w.run(&[
        "a.txt",
        "--gazetteer",
        "g.tsv",
        "--rules",
        "r.ron",
        "-o",
        "g.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("g.json")).unwrap()).unwrap();
    let edges: Vec<String> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e["source"], e["predicate"], e["target"]).replace('"', ""))
        .collect();
    assert!(
        edges.contains(&"ana-quill leader_of zorblax".to_string()),
        "{edges:?}"
    );
    assert!(
        edges.contains(&"ana-quill met_with ben-ruiz".to_string())
            || edges.contains(&"ben-ruiz met_with ana-quill".to_string()),
        "{edges:?}"
    );
    assert!(
        edges.contains(&"ana-quill praised lisbon".to_string()),
        "{edges:?}"
    );

    // Without the defaults, only the user's data is used.
    let o = w.run(&[
        "a.txt",
        "--no-default-gazetteer",
        "--no-default-rules",
        "--gazetteer",
        "g.tsv",
        "-o",
        "h.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("h.json")).unwrap()).unwrap();
    assert_eq!(v["edges"].as_array().unwrap().len(), 0);
    assert_eq!(v["nodes"][0]["id"], "zorblax");
}

#[test]
fn jsonl_gives_one_graph_per_line_in_order() {
    let w = Workdir::new();
    w.write(
        "in.jsonl",
        "{\"id\": \"d1\", \"text\": \"Kremlin spokesman Dmitry Peskov spoke.\"}\n\n{\"id\": 7, \"text\": \"Nothing here.\"}\n",
    );
    let o = w.run(&["--jsonl", "in.jsonl", "-o", "out.jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(w.path("out.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["graph"]["documents"][0]["id"], "d1");
    assert_eq!(lines[1]["graph"]["documents"][0]["id"], "7");
    w.write("bad.jsonl", "{\"id\": \"x\"}\n");
    let o = w.run(&["--jsonl", "bad.jsonl", "-o", "out2.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.jsonl:1: bad record"));
    assert!(!w.path("out2.jsonl").exists());
}

#[test]
fn closed_pipe_is_not_an_error() {
    let w = Workdir::new();
    let long: String = ARTICLE.repeat(300);
    w.write("a.txt", &long);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgbuild"))
        .arg(w.path("a.txt"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read nothing: close our end at once, as `| head -c0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn own_names_without_the_bundled_ones_keep_the_rule_lexicon() {
    let w = Workdir::new();
    w.write("a.txt", "Acme Corp spokesman John Doe said so.");
    w.write("g.tsv", "acme\tOrganization\tcompany\tAcme Corp\t\t\n");
    let o = w.run(&[
        "a.txt",
        "--no-default-gazetteer",
        "--gazetteer",
        "g.tsv",
        "-o",
        "g.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("g.json")).unwrap()).unwrap();
    assert_eq!(v["edges"][0]["predicate"], "spokesman_of");
}
