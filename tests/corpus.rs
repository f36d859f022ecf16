//! Corpora: folders of articles, merging across documents, threads, JSON Lines in chunks,
//! and `kgbuild merge` over our own outputs.

use crate::util::Workdir;

const PESKOV_A: &str = "MOSCOW, March 3, 2025 (Reuters) - Kremlin spokesman Dmitry Peskov \
said on Monday that no meeting had been agreed.\n";
const PESKOV_B: &str = "Kremlin spokesman Dmitry Peskov told reporters on Tuesday that \
talks would go on.\n";
const MEETING: &str = "On March 1, Chinese Foreign Minister Wang Yi and Brazilian Foreign \
Minister Mauro Vieira met in Beijing, the ministry said.\n";

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "status {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A folder of articles, some nested, some not matching the glob.
fn corpus(w: &Workdir) {
    std::fs::create_dir_all(w.path("news/2025/03")).unwrap();
    w.write("news/b.txt", PESKOV_B);
    w.write("news/2025/03/a.txt", PESKOV_A);
    w.write("news/2025/c.txt", MEETING);
    w.write(
        "news/notes.md",
        "Kremlin spokesman Ivan Ivanov said nothing.",
    );
}

#[test]
fn folders_are_searched_recursively_in_sorted_order() {
    let w = Workdir::new();
    corpus(&w);
    let o = w.run(&["news", "-o", "g.json"]);
    ok(&o);
    let g = json(&w.path("g.json"));
    let docs: Vec<&str> = g["graph"]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        docs,
        ["news/2025/03/a.txt", "news/2025/c.txt", "news/b.txt"],
        "sorted paths, as found"
    );
    assert!(!g.to_string().contains("Ivanov"), "*.md is not read");

    let o = w.run(&["news", "--glob", "*.md", "-o", "md.json"]);
    ok(&o);
    assert!(json(&w.path("md.json")).to_string().contains("Ivanov"));

    // A folder with no matching file is an error.
    let o = w.run(&["news", "--glob", "*.xml", "-o", "x.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("kgbuild: news: folder has no file that matches `*.xml`")
    );
    assert!(!w.path("x.json").exists());
}

#[test]
fn a_relation_in_two_documents_is_one_edge_with_a_count() {
    let w = Workdir::new();
    w.write("a.txt", PESKOV_A);
    w.write("b.txt", PESKOV_B);
    w.write("c.txt", MEETING);
    let o = w.run(&["a.txt", "b.txt", "c.txt", "-o", "g.json"]);
    ok(&o);
    let g = json(&w.path("g.json"));
    let spokesman: Vec<&serde_json::Value> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["predicate"] == "spokesman_of" && e["source"] == "dmitry-peskov")
        .collect();
    assert_eq!(spokesman.len(), 1, "one edge");
    let e = spokesman[0];
    assert_eq!(e["count"], 2, "two documents give it");
    let docs: Vec<&str> = e["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ev| ev["doc"].as_str().unwrap())
        .collect();
    assert_eq!(docs, ["a.txt", "b.txt"]);
    let met = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["predicate"] == "met_with")
        .unwrap();
    assert_eq!(met["count"], 1);
    // One node for Peskov, with mentions from both documents.
    let peskov = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "dmitry-peskov")
        .unwrap();
    let mdocs: std::collections::BTreeSet<&str> = peskov["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["doc"].as_str().unwrap())
        .collect();
    assert_eq!(mdocs.into_iter().collect::<Vec<_>>(), ["a.txt", "b.txt"]);
}

#[test]
fn surnames_and_pronouns_never_link_documents() {
    // Two different people called Lee, each named in full once and then by surname and
    // pronoun; neither is in the gazetteer.
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Samsung Electronics spokesman Lee Min-ho said on Monday that sales rose. \
         Lee said he expected more growth.\n",
    );
    w.write(
        "b.txt",
        "Hyundai Motor spokesman Lee Soo-jin said on Tuesday that exports fell. \
         Lee said she expected a recovery.\n",
    );
    let o = w.run(&["a.txt", "b.txt", "-o", "g.json"]);
    ok(&o);
    let g = json(&w.path("g.json"));
    let nodes = g["nodes"].as_array().unwrap();
    for n in nodes {
        let docs: std::collections::BTreeSet<&str> = n["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["via"] == "surname" || m["via"] == "pronoun")
            .map(|m| m["doc"].as_str().unwrap())
            .collect();
        assert!(docs.len() <= 1, "{} links documents: {docs:?}", n["id"]);
        assert_ne!(n["id"], "lee", "no node for the bare surname");
    }
    let lee = |id: &str, doc: &str| {
        let n = nodes.iter().find(|n| n["id"] == id).unwrap_or_else(|| {
            panic!(
                "no {id}: {:?}",
                nodes.iter().map(|n| &n["id"]).collect::<Vec<_>>()
            )
        });
        let m = n["mentions"].as_array().unwrap();
        assert!(m.iter().all(|m| m["doc"] == doc), "{id}: {m:?}");
        assert!(m.iter().any(|m| m["via"] == "surname"), "{id}: {m:?}");
    };
    lee("lee-min-ho", "a.txt");
    lee("lee-soo-jin", "b.txt");

    // A bare surname after a title, in two documents that never give a full name: two
    // people, each known only within its document.
    w.write("c.txt", "Mr. Lee said on Monday that sales rose.\n");
    w.write(
        "d.txt",
        "Spokesman Lee said on Tuesday that exports fell.\n",
    );
    let o = w.run(&["c.txt", "d.txt", "-o", "h.json"]);
    ok(&o);
    let h = json(&w.path("h.json"));
    let ids: Vec<&str> = h["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["lee@c.txt", "lee@d.txt"]);
}

#[test]
fn output_is_the_same_for_one_and_two_threads() {
    let w = Workdir::new();
    corpus(&w);
    for i in 0..40 {
        let text = [PESKOV_A, PESKOV_B, MEETING][i % 3];
        w.write(&format!("news/x{i:02}.txt"), text);
    }
    let o1 = w.run(&["news", "-j", "1", "--format", "json"]);
    let o2 = w.run(&["news", "-j", "2", "--format", "json"]);
    ok(&o1);
    ok(&o2);
    assert!(o1.stdout.len() > 1000);
    assert!(o1.stdout == o2.stdout, "-j1 and -j2 differ");

    // JSON Lines over more than one chunk (1,000 records).
    let mut lines = String::new();
    for i in 0..1100 {
        let text = [PESKOV_A, PESKOV_B, MEETING, ""][i % 4];
        lines.push_str(&serde_json::json!({"id": i, "text": text}).to_string());
        lines.push('\n');
    }
    w.write("in.jsonl", &lines);
    let o1 = w.run(&["--jsonl", "in.jsonl", "-j", "1"]);
    let o2 = w.run(&["--jsonl", "in.jsonl", "-j", "2"]);
    ok(&o1);
    ok(&o2);
    assert!(o1.stdout == o2.stdout, "--jsonl -j1 and -j2 differ");
    let out = String::from_utf8(o1.stdout).unwrap();
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["graph"]["documents"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = (0..1100).map(|i| i.to_string()).collect();
    assert_eq!(ids, want, "input order");
}

#[test]
fn merge_of_per_document_graphs_equals_one_run_over_all() {
    let w = Workdir::new();
    w.write("a.txt", PESKOV_A);
    w.write("b.txt", PESKOV_B);
    w.write("c.txt", MEETING);
    ok(&w.run(&["a.txt", "b.txt", "c.txt", "-o", "all.json"]));
    // Per-document graphs in three formats, as a Spark job or a shell loop would write.
    ok(&w.run(&["a.txt", "-o", "a.json"]));
    ok(&w.run(&["b.txt", "-o", "b.ron"]));
    w.write(
        "c.jsonl",
        serde_json::json!({"id": "c.txt", "text": MEETING}).to_string() + "\n",
    );
    ok(&w.run(&["--jsonl", "c.jsonl", "-o", "c.out.jsonl"]));
    let o = w.run(&[
        "merge",
        "a.json",
        "b.ron",
        "c.out.jsonl",
        "-o",
        "merged.json",
    ]);
    ok(&o);
    assert_eq!(json(&w.path("merged.json")), json(&w.path("all.json")));

    // To RON, and back through merge again: the same graph.
    ok(&w.run(&["merge", "merged.json", "-o", "merged.ron"]));
    let ron_text = std::fs::read_to_string(w.path("merged.ron")).unwrap();
    let back: kgbuild::KnowledgeGraph = ron::from_str(&ron_text).unwrap();
    let all: kgbuild::KnowledgeGraph =
        serde_json::from_str(&std::fs::read_to_string(w.path("all.json")).unwrap()).unwrap();
    assert_eq!(back, all);

    // A JSON Lines file of several graphs merges line by line.
    let mut lines = String::new();
    for (id, text) in [("a.txt", PESKOV_A), ("b.txt", PESKOV_B), ("c.txt", MEETING)] {
        lines.push_str(&serde_json::json!({"id": id, "text": text}).to_string());
        lines.push('\n');
    }
    w.write("all.in.jsonl", &lines);
    ok(&w.run(&["--jsonl", "all.in.jsonl", "-o", "all.out.jsonl"]));
    ok(&w.run(&["merge", "all.out.jsonl", "-o", "m2.json", "-j", "2"]));
    assert_eq!(json(&w.path("m2.json")), json(&w.path("all.json")));
}

#[test]
fn merge_reports_bad_graphs_with_file_and_line() {
    let w = Workdir::new();
    w.write("a.txt", PESKOV_A);
    ok(&w.run(&["a.txt", "-o", "a.json"]));
    w.write("bad.json", "{\"directed\": true}\n");
    let o = w.run(&[
        "merge",
        "a.json",
        "bad.json",
        "missing.json",
        "-o",
        "m.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kgbuild: bad.json:1:"), "{err}");
    assert!(err.contains("not a kgbuild graph"), "{err}");
    assert!(err.contains("kgbuild: missing.json: no such file"), "{err}");
    assert!(!w.path("m.json").exists());
}

/// JSON Lines over several chunks, with the next chunk read while the last one is analysed:
/// from standard input, the output is that of the same file, and a bad record in a later
/// chunk is reported with its line, after the earlier records and before the later ones.
#[test]
fn jsonl_reads_ahead_without_changing_output_or_errors() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let w = Workdir::new();
    let record = |i: usize| {
        let text = [PESKOV_A, MEETING, PESKOV_B][i % 3];
        serde_json::json!({"id": i, "text": text}).to_string() + "\n"
    };
    let lines: String = (0..2500).map(record).collect();
    w.write("in.jsonl", &lines);
    let from_file = w.run(&["--jsonl", "in.jsonl", "-j", "2"]);
    ok(&from_file);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgbuild"))
        .args(["--jsonl", "-", "-j", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feed = std::thread::spawn(move || stdin.write_all(lines.as_bytes()).unwrap());
    let from_stdin = child.wait_with_output().unwrap();
    feed.join().unwrap();
    ok(&from_stdin);
    assert!(
        from_stdin.stdout == from_file.stdout,
        "stdin and file differ"
    );
    assert_eq!(
        from_file.stdout.iter().filter(|&&b| b == b'\n').count(),
        2500
    );

    // Line 1,700 is in the second chunk; the third chunk is read while the second is analysed.
    let bad: String = (0..2500)
        .map(|i| {
            if i == 1699 {
                "{\"id\": 1}\n".to_string()
            } else {
                record(i)
            }
        })
        .collect();
    w.write("bad.jsonl", &bad);
    let o = w.run(&["--jsonl", "bad.jsonl", "-o", "bad.out.jsonl"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.jsonl:1700: bad record"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!w.path("bad.out.jsonl").exists(), "no half-written output");
}
