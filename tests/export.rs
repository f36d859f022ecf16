//! Exporters, checked by the programs that read them: Graphviz for DOT, `ron` for RON,
//! networkx (when installed) for JSON.

use std::process::Command;

use kgbuild::{EntityType, KnowledgeGraph, Node};

use crate::util::{Workdir, have, require};

const HOSTILE: &[&str] = &[
    "A\"]; evil [label=\"X\" color=red]; z [label=\"",
    "trailing backslash \\",
    "{braces} | <angles> & ampersand",
    "new\nline and \r carriage",
    "\u{0} nul \u{7} bell",
    "Zelenskyy – Зеленський – 泽连斯基",
    "\\\"",
];

fn hostile_graph() -> KnowledgeGraph {
    let mut g = KnowledgeGraph::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        g.add_node(Node {
            id: format!("h{i}"),
            name: name.to_string(),
            etype: [
                EntityType::Person,
                EntityType::Organization,
                EntityType::Location,
                EntityType::Misc,
            ][i % 4],
            subtype: Some(name.to_string()),
            aliases: vec![name.to_string()],
            mentions: Vec::new(),
            references: Vec::new(),
            background: false,
        });
    }
    for i in 1..HOSTILE.len() {
        g.add_relation(
            &format!("h{}", i - 1),
            HOSTILE[i],
            &format!("h{i}"),
            [("location".to_string(), HOSTILE[i - 1].to_string())].into(),
            vec![kgbuild::Evidence {
                doc: HOSTILE[i].to_string(),
                start: 0,
                end: 1,
                text: HOSTILE[i].to_string(),
                rule: "r".into(),
            }],
        );
    }
    g
}

#[test]
fn dot_with_hostile_names_renders_without_injection() {
    if !require("graphviz (dot)", have("dot", &["-V"])) {
        return;
    }
    let g = hostile_graph();
    let mut dot = Vec::new();
    kgbuild::export::write(&g, kgbuild::export::Format::Dot, &mut dot).unwrap();
    let w = Workdir::new();
    let path = w.write("g.dot", &dot);
    // Graphviz must accept it, and see exactly our nodes and edges: canonical output
    // (`-Tcanon`) lists one statement per node.
    let svg = Command::new("dot")
        .arg("-Tsvg")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    let svg = String::from_utf8_lossy(&svg.stdout);
    // Our nodes plus the legend's four.
    assert_eq!(
        svg.matches("class=\"node\"").count(),
        HOSTILE.len() + 4,
        "{svg}"
    );
    assert_eq!(svg.matches("class=\"edge\"").count(), HOSTILE.len() - 1);
    // Every node Graphviz drew is one of ours (n0, n1, ..., the legend): nothing was
    // injected.
    for title in svg.split("<title>").skip(1) {
        let title = title.split("</title>").next().unwrap();
        let ours = title == "kgbuild"
            || title == "cluster_legend"
            || title.starts_with("legend_")
            || title.contains("&#45;&gt;")
            || title
                .strip_prefix('n')
                .is_some_and(|d| d.parse::<usize>().is_ok());
        assert!(ours, "unexpected element {title:?} in {svg}");
    }
    assert!(svg.contains("Зеленський"));
}

#[test]
fn dot_of_a_real_article_renders() {
    if !require("graphviz (dot)", have("dot", &["-V"])) {
        return;
    }
    let w = Workdir::new();
    let art = crate::util::repo().join("examples");
    let first = std::fs::read_dir(&art)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .min()
        .unwrap();
    let o = w.run(&[first.to_str().unwrap(), "-o", "g.dot"]);
    assert!(o.status.success());
    let svg = Command::new("dot")
        .arg("-Tsvg")
        .arg(w.path("g.dot"))
        .output()
        .unwrap();
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
}

#[test]
fn ron_and_json_round_trip_hostile_names() {
    let g = hostile_graph();
    let mut ron_out = Vec::new();
    kgbuild::export::write(&g, kgbuild::export::Format::Ron, &mut ron_out).unwrap();
    let back: KnowledgeGraph = ron::from_str(std::str::from_utf8(&ron_out).unwrap()).unwrap();
    assert_eq!(back, g);
    let mut json_out = Vec::new();
    kgbuild::export::write(&g, kgbuild::export::Format::Json, &mut json_out).unwrap();
    let back: KnowledgeGraph = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(back, g);
}

#[test]
fn cli_ron_output_loads_back_as_a_knowledge_graph() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Kremlin spokesman Dmitry Peskov said talks were paused, TASS reported.",
    );
    let o = w.run(&["a.txt", "-o", "g.ron"]);
    assert!(o.status.success());
    let g: KnowledgeGraph =
        ron::from_str(&std::fs::read_to_string(w.path("g.ron")).unwrap()).unwrap();
    assert!(g.node("dmitry-peskov").is_some());
    assert!(
        g.edges()
            .any(|e| e.predicate == "reported_by" && e.target == "tass")
    );
}

#[test]
fn json_follows_the_node_link_contract() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "On August 15, Russian President Vladimir Putin and US President Donald Trump met in Alaska. Putin said so.",
    );
    let o = w.run(&["a.txt", "-o", "g.json"]);
    assert!(o.status.success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("g.json")).unwrap()).unwrap();
    assert_eq!(v["directed"], true);
    assert_eq!(v["multigraph"], true);
    assert_eq!(v["graph"]["format"], "kgbuild");
    assert_eq!(v["graph"]["version"], 1);
    assert_eq!(v["graph"]["documents"][0]["id"], "a.txt");
    let text = std::fs::read_to_string(w.path("a.txt")).unwrap();
    for n in v["nodes"].as_array().unwrap() {
        for key in ["id", "name", "type", "aliases", "mentions"] {
            assert!(n.get(key).is_some(), "node lacks {key}: {n}");
        }
        for m in n["mentions"].as_array().unwrap() {
            let (s, e) = (
                m["start"].as_u64().unwrap() as usize,
                m["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&text[s..e], m["text"].as_str().unwrap(), "byte offsets");
        }
    }
    let putin = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "vladimir-putin")
        .unwrap();
    assert!(
        putin["mentions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["via"] == "surname")
    );
    let met = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["predicate"] == "met_with")
        .unwrap();
    assert!(
        met["source"].as_str() < met["target"].as_str(),
        "symmetric edges sorted by id"
    );
    assert_eq!(met["key"], 0);
    assert_eq!(met["evidence"][0]["rule"], "meeting.x_and_y_met");
    let ev = &met["evidence"][0];
    let (s, e) = (
        ev["start"].as_u64().unwrap() as usize,
        ev["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], ev["text"].as_str().unwrap());

    if require("networkx", have("python3", &["-c", "import networkx"])) {
        let check = Command::new("python3")
            .arg("-c")
            .arg(
                "import json,sys,networkx as nx\n\
                 g = nx.node_link_graph(json.load(open(sys.argv[1])), edges='edges')\n\
                 assert g.is_directed() and g.is_multigraph()\n\
                 print(g.number_of_nodes(), g.number_of_edges())",
            )
            .arg(w.path("g.json"))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let counts = String::from_utf8_lossy(&check.stdout);
        let want = format!(
            "{} {}",
            v["nodes"].as_array().unwrap().len(),
            v["edges"].as_array().unwrap().len()
        );
        assert_eq!(counts.trim(), want);
    }
}
