//! Our output, read by the programs people load it with: Graphviz renders the DOT and the
//! images, networkx loads the JSON and the GraphML, rdflib parses the Turtle and the
//! N-Triples, `ron` (through `examples/load_graph.rs`) loads the RON, and the Cypher is
//! tokenised as Neo4j would and parsed with the openCypher grammar. Hostile names (quotes, backslashes, braces, newlines, `<>&`,
//! control characters, any Unicode) must read back in every format.
//!
//! Python consumers need `networkx`, `rdflib` and `antlr4-cypher` (`.ci/run` installs
//! them); outside CI a test without them is skipped.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use kgbuild::export::{self, ExportOptions, Format};
use kgbuild::{DocumentInfo, EntityType, Evidence, KnowledgeGraph, Mention, Node};

use crate::util::{Workdir, have, repo, require};

#[allow(dead_code)]
#[path = "../examples/load_graph.rs"]
mod load_graph;

const BASE: &str = "https://example.org/kg/";

fn article(name: &str) -> String {
    repo()
        .join("examples")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

const MERZ: &str = "merz-macron-bregancon.txt";
const BRICS: &str = "brics-rio-vieira-lamola.txt";

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn python(script: &str, args: &[&Path]) -> Output {
    Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3")
}

fn graphviz() -> bool {
    require("graphviz (dot)", have("dot", &["-V"]))
}

fn networkx() -> bool {
    require(
        "networkx",
        have(
            "python3",
            &[
                "-c",
                "import networkx as nx, sys; sys.exit(tuple(map(int, nx.__version__.split('.')[:2])) < (3, 4))",
            ],
        ),
    )
}

fn rdflib() -> bool {
    require("rdflib", have("python3", &["-c", "import rdflib"]))
}

// ---------------------------------------------------------------------------------------
// Graphviz

#[test]
fn graphviz_renders_our_dot_with_every_layout() {
    if !graphviz() {
        return;
    }
    let w = Workdir::new();
    for layout in ["dot", "neato", "fdp", "sfdp", "circo", "twopi"] {
        let out = format!("{layout}.dot");
        ok(&w.run(&[&article(MERZ), "-o", &out, "--layout", layout]));
        let dot = std::fs::read_to_string(w.path(&out)).unwrap();
        assert!(dot.contains(&format!("layout={layout}")), "{dot}");
        // `dot` honours the file's layout attribute.
        let svg = Command::new("dot")
            .arg("-Tsvg")
            .arg(w.path(&out))
            .output()
            .unwrap();
        ok(&svg);
        let svg = String::from_utf8_lossy(&svg.stdout);
        // circo, twopi and sfdp (in the Graphviz of Ubuntu's LTS) draw no cluster boxes;
        // the legend's nodes are there.
        assert!(svg.contains("<title>legend_person</title>"), "{layout}");
        if matches!(layout, "dot" | "neato" | "fdp") {
            assert!(svg.contains("<title>cluster_legend</title>"), "{layout}");
        }
        assert!(svg.contains(">Friedrich Merz</text>"), "{layout}");
    }
}

#[test]
fn merged_articles_get_one_cluster_per_document() {
    if !graphviz() {
        return;
    }
    let w = Workdir::new();
    ok(&w.run(&[&article(MERZ), &article(BRICS), "-o", "g.svg"]));
    let svg = std::fs::read_to_string(w.path("g.svg")).unwrap();
    for c in ["cluster_doc0", "cluster_doc1", "cluster_legend"] {
        assert!(svg.contains(&format!("<title>{c}</title>")), "{c}");
    }
    assert!(!svg.contains("cluster_doc2"));
    // Graphviz writes `-` as `&#45;` in SVG text.
    assert!(svg.contains("bregancon.txt</text>"), "document label");
    // One article: no document clusters.
    ok(&w.run(&[&article(MERZ), "-o", "one.svg"]));
    let svg = std::fs::read_to_string(w.path("one.svg")).unwrap();
    assert!(!svg.contains("cluster_doc"));
}

#[test]
fn images_render_through_graphviz() {
    if !graphviz() {
        return;
    }
    let w = Workdir::new();
    let magic: [(&str, &[u8]); 3] = [
        ("g.svg", b"<?xml"),
        ("g.PNG", b"\x89PNG\r\n\x1a\n"),
        ("g.pdf", b"%PDF-"),
    ];
    for (name, magic) in magic {
        ok(&w.run(&[&article(MERZ), "-o", name, "--layout", "neato"]));
        let bytes = std::fs::read(w.path(name)).unwrap();
        assert!(bytes.starts_with(magic), "{name}");
    }
    let svg = std::fs::read_to_string(w.path("g.svg")).unwrap();
    assert!(svg.contains("<svg"));
    // The evidence is the edge tooltip, shown on hover.
    assert!(svg.contains("meeting."), "evidence tooltip");
    // --format writes an image to standard output when it is not a terminal.
    let o = w.run(&[&article(MERZ), "--format", "svg"]);
    ok(&o);
    assert!(o.stdout.starts_with(b"<?xml"));
}

#[test]
fn missing_graphviz_is_one_clear_line_and_no_file() {
    let w = Workdir::new();
    let empty = tempfile::tempdir().unwrap();
    for name in ["g.svg", "g.png", "g.pdf"] {
        let o = Command::new(env!("CARGO_BIN_EXE_kgbuild"))
            .args([&article(MERZ), "-o", name])
            .current_dir(w.dir.path())
            .env("PATH", empty.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("kgbuild: "), "{err}");
        assert!(err.contains("dot not found"), "{err}");
        assert!(err.contains("Graphviz"), "{err}");
        assert!(err.contains("apt-get install graphviz"), "{err}");
        assert!(!w.path(name).exists(), "no partial {name}");
    }
}

#[test]
fn export_flags_are_checked_against_the_format() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Kremlin spokesman Dmitry Peskov said talks were paused.",
    );
    let o = w.run(&["a.txt", "-o", "g.json", "--layout", "neato"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--layout applies to DOT"));
    let o = w.run(&["a.txt", "-o", "g.dot", "--base-iri", BASE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--base-iri applies to RDF"));
    let o = w.run(&["a.txt", "-o", "g.ttl", "--base-iri", "no scheme"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!w.path("g.ttl").exists());
    let o = w.run(&["a.txt", "-o", "g.xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".graphml, .nt, .ttl"));
    for (name, format) in [
        ("g.graphml", "graphml"),
        ("g.nt", "nt"),
        ("g.ttl", "ttl"),
        ("g.cypher", "cypher"),
    ] {
        ok(&w.run(&["a.txt", "-o", name]));
        let by_ext = std::fs::read(w.path(name)).unwrap();
        let o = w.run(&["a.txt", "--format", format]);
        ok(&o);
        assert_eq!(o.stdout, by_ext, "{format}");
    }
}

// ---------------------------------------------------------------------------------------
// networkx

const NX_COMPARE: &str = r#"
import json, sys
import networkx as nx

data = json.load(open(sys.argv[1]))
j = nx.node_link_graph(data, edges="edges")
g = nx.read_graphml(sys.argv[2], force_multigraph=True)
assert g.is_directed() and g.is_multigraph()
assert g.graph["format"] == "kgbuild" and g.graph["version"] == 1
assert json.loads(g.graph["documents"]) == data["graph"]["documents"]
assert sorted(g.nodes) == sorted(j.nodes), (sorted(g.nodes), sorted(j.nodes))
for n, attrs in j.nodes(data=True):
    m = g.nodes[n]
    assert m["name"] == attrs["name"] and m["label"] == attrs["name"]
    assert m["type"] == attrs["type"]
    assert m.get("subtype") == attrs.get("subtype")
    assert json.loads(m["aliases"]) == attrs["aliases"]
    assert json.loads(m["mentions"]) == attrs["mentions"]

def edges(graph, graphml):
    out = []
    for u, v, k, d in graph.edges(keys=True, data=True):
        attributes = dict(d["attributes"]) if not graphml else {
            a: d[a] for a in ("date", "location") if a in d}
        evidence = json.loads(d["evidence"]) if graphml else d["evidence"]
        out.append((u, v, d["predicate"], d["key"] if graphml else k,
                    json.dumps(attributes, sort_keys=True), json.dumps(evidence)))
        if graphml:
            assert isinstance(d["key"], int) and isinstance(d["evidence_count"], int)
            assert d["symmetric"] is (d["predicate"] == "met_with")
            assert d["evidence_count"] == len(evidence)
    return sorted(out)

assert edges(j, False) == edges(g, True)
met = [d for u, v, d in g.edges(data=True) if d["predicate"] == "met_with"]
assert met and all("date" in d and "location" in d for d in met), met
print(g.number_of_nodes(), g.number_of_edges())
"#;

#[test]
fn networkx_loads_json_and_graphml_with_the_same_graph() {
    if !networkx() {
        return;
    }
    let w = Workdir::new();
    ok(&w.run(&[&article(MERZ), &article(BRICS), "-o", "g.json"]));
    ok(&w.run(&[&article(MERZ), &article(BRICS), "-o", "g.graphml"]));
    let o = python(NX_COMPARE, &[&w.path("g.json"), &w.path("g.graphml")]);
    ok(&o);
    let g: KnowledgeGraph =
        serde_json::from_str(&std::fs::read_to_string(w.path("g.json")).unwrap()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("{} {}", g.node_count(), g.edge_count())
    );
}

/// The Python snippets of `docs/cookbook.md` (networkx and rdflib) run as written, on
/// `graph.json`, `graph.graphml` and `graph.ttl` in the current folder.
#[test]
fn cookbook_python_snippets_run() {
    if !networkx() || !rdflib() {
        return;
    }
    let w = Workdir::new();
    for out in ["graph.json", "graph.graphml", "graph.ttl"] {
        ok(&w.run(&[&article(MERZ), "-o", out]));
    }
    let doc = std::fs::read_to_string(repo().join("docs/cookbook.md")).unwrap();
    let snippets: Vec<&str> = doc
        .split("```python\n")
        .skip(1)
        .map(|s| s.split("```").next().unwrap())
        .collect();
    assert_eq!(
        snippets.len(),
        3,
        "networkx (JSON, GraphML) and rdflib snippets"
    );
    for s in snippets {
        let o = Command::new("python3")
            .arg("-c")
            .arg(s)
            .current_dir(w.dir.path())
            .output()
            .unwrap();
        ok(&o);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains("Friedrich Merz") || stdout.contains("people:"),
            "{s}\n{stdout}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// rdflib

const RDF_CHECK: &str = r#"
import json, sys
from urllib.parse import quote
import rdflib
from rdflib import RDF, RDFS, OWL, XSD, Namespace, URIRef
from rdflib.compare import isomorphic

KGV = Namespace("urn:kgbuild:vocab:")
SCHEMA = Namespace("http://schema.org/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
data = json.load(open(sys.argv[1]))
ttl = rdflib.Graph().parse(sys.argv[2], format="turtle")
nt = rdflib.Graph().parse(sys.argv[3], format="nt")
assert isomorphic(ttl, nt), "Turtle and N-Triples hold the same graph"
base = sys.argv[4]
g = ttl
entity = lambda id: URIRef(base + quote(id, safe=""))
classes = {"Person": SCHEMA.Person, "Organization": SCHEMA.Organization,
           "Location": SCHEMA.Place, "Misc": SCHEMA.Thing}
for n in data["nodes"]:
    s = entity(n["id"])
    assert (s, RDF.type, classes[n["type"]]) in g, n["id"]
    assert str(g.value(s, RDFS.label)) == n["name"]
statements = list(g.subjects(RDF.type, RDF.Statement))
assert len(statements) == len(data["edges"])
for e in data["edges"]:
    s, p, o = entity(e["source"]), KGV[e["predicate"]], entity(e["target"])
    assert (s, p, o) in g
    [r] = [r for r in statements if (r, RDF.subject, s) in g and (r, RDF.predicate, p) in g
           and (r, RDF.object, o) in g]
    texts = sorted(str(g.value(ev, KGV.text)) for ev in g.objects(r, KGV.evidence))
    assert texts == sorted(ev["text"] for ev in e["evidence"])
    rules = sorted(str(g.value(ev, KGV.rule)) for ev in g.objects(r, KGV.evidence))
    assert rules == sorted(ev["rule"] for ev in e["evidence"])
    for ev in g.objects(r, KGV.evidence):
        assert g.value(ev, KGV.start).datatype == XSD.integer
        assert (g.value(ev, KGV.document), RDF.type, KGV.Document) in g
    if "date" in e["attributes"]:
        d = g.value(r, KGV.date)
        assert str(d) == e["attributes"]["date"] and d.datatype in (XSD.date, XSD.gYearMonth)
    if "location" in e["attributes"]:
        loc = g.value(r, KGV.location)
        assert loc == entity(e["attributes"]["location"]), loc
        assert (loc, RDF.type, SCHEMA.Place) in g
assert (KGV.met_with, RDF.type, OWL.SymmetricProperty) in g
preds = {e["predicate"] for e in data["edges"]}
if "president_of" in preds:
    assert (KGV.president_of, OWL.inverseOf, WDT.P35) in g
if "chancellor_of" in preds:
    assert (KGV.chancellor_of, OWL.inverseOf, WDT.P6) in g
assert not list(g.triples((KGV.met_with, OWL.equivalentProperty, None)))
q = """
PREFIX kgv: <urn:kgbuild:vocab:>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?a ?b WHERE { ?x kgv:met_with ?y . ?x rdfs:label ?a . ?y rdfs:label ?b }
"""
print(len(list(g.query(q))), len(g))
"#;

#[test]
fn rdflib_parses_turtle_and_ntriples_of_merged_articles() {
    if !rdflib() {
        return;
    }
    let w = Workdir::new();
    let inputs = [article(MERZ), article(BRICS)];
    ok(&w.run(&[&inputs[0], &inputs[1], "-o", "g.json"]));
    for out in ["g.ttl", "g.nt"] {
        ok(&w.run(&[&inputs[0], &inputs[1], "-o", out, "--base-iri", BASE]));
    }
    let o = python(
        RDF_CHECK,
        &[
            &w.path("g.json"),
            &w.path("g.ttl"),
            &w.path("g.nt"),
            Path::new(BASE),
        ],
    );
    ok(&o);
    let g: KnowledgeGraph =
        serde_json::from_str(&std::fs::read_to_string(w.path("g.json")).unwrap()).unwrap();
    let meetings = g.edges().filter(|e| e.predicate == "met_with").count();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.split_whitespace().next(),
        Some(meetings.to_string().as_str())
    );
    assert!(meetings >= 2);
}

// ---------------------------------------------------------------------------------------
// ron, through the example program

#[test]
fn the_load_graph_example_reads_our_ron() {
    let w = Workdir::new();
    ok(&w.run(&[&article(MERZ), "-o", "g.ron"]));
    let text = std::fs::read_to_string(w.path("g.ron")).unwrap();
    let g = load_graph::load(&text).unwrap();
    let json = w.run(&[&article(MERZ), "--format", "json"]);
    let from_json: KnowledgeGraph = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(g, from_json);
    let report = load_graph::summary(&g);
    assert!(
        report.contains("Emmanuel Macron met Friedrich Merz in Fort de Brégançon on 2025-08-28"),
        "{report}"
    );
    assert!(report.contains("[meeting."), "{report}");
    assert!(load_graph::load("(nodes: [])").is_err());
}

// ---------------------------------------------------------------------------------------
// Hostile text in every format

/// Strings that break naive writers, then pseudo-random ones from a pool of risky
/// characters and arbitrary Unicode scalars (a fixed seed: the same strings every run).
fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "A\"]; evil [label=\"X\" color=red]; z [label=\"",
        "trailing backslash \\",
        "{braces} | <angles> & ampersand &amp; &#10;",
        "new\nline and \r carriage and \t tab",
        "\u{0} nul \u{7} bell \u{1b}[31m escape \u{7f} del \u{85} nel",
        "Zelenskyy – Зеленський – 泽连斯基 – זלנסקי – 👩‍👩‍👧 – e\u{301}",
        "\\\"",
        "O'Brien's ''' \"\"\" `tick`",
        "]]> <!-- --> <?xml?> <![CDATA[x]]>",
        "\"; MATCH (n) DETACH DELETE n; //",
        "' }) DETACH DELETE n //",
        "> . <http://evil/> <http://evil/p> \"x\" .",
        "\\u0041 \\n literal backslash escapes",
        "@prefix x: <y> . _:b0 ^^xsd:int",
        "\u{2028} line sep \u{2029} para sep \u{feff} bom \u{a0} nbsp",
        "\u{fffe} \u{ffff} \u{10ffff} noncharacters",
        "%41%2F percent",
        " leading and trailing spaces ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in 0u8..0x20 {
        v.push(format!("ctl{c:02x}:{}:end", c as char));
    }
    let pool: Vec<char> = "\"'\\{}[]<>&|;:.#%@^`$\n\r\t\u{0}\u{b}\u{c}\u{1f} aZ9é你🙂"
        .chars()
        .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..60 {
        let len = 1 + next() % 24;
        let s: String = (0..len)
            .map(|_| {
                if next() % 3 == 0 {
                    // Any scalar value.
                    loop {
                        if let Some(c) = char::from_u32((next() % 0x11_0000) as u32) {
                            break c;
                        }
                    }
                } else {
                    pool[(next() % pool.len() as u64) as usize]
                }
            })
            .collect();
        v.push(s);
    }
    v
}

/// A graph whose every text (ids, names, aliases, subtypes, documents, predicates,
/// attributes, evidence, rules) is hostile.
fn hostile_graph() -> KnowledgeGraph {
    let strings = hostile_strings();
    let mut g = KnowledgeGraph::new();
    for (i, s) in strings.iter().enumerate() {
        g.add_document(DocumentInfo {
            id: format!("doc{i}{s}"),
            chars: i,
        });
        g.add_node(Node {
            references: Vec::new(),
            background: i % 4 == 1,
            id: format!("{s}#{i}"),
            name: s.clone(),
            etype: [
                EntityType::Person,
                EntityType::Organization,
                EntityType::Location,
                EntityType::Misc,
            ][i % 4],
            subtype: (i % 2 == 0).then(|| s.clone()),
            aliases: vec![format!("alias {s}"), s.chars().rev().collect()],
            mentions: vec![Mention {
                doc: format!("doc{i}{s}"),
                start: i,
                end: i + s.len(),
                text: s.clone(),
                via: (i % 3 == 0).then(|| s.clone()),
                ambiguity: (i % 5 == 0).then(|| kgbuild::Ambiguity {
                    chosen_by: s.clone(),
                    over: vec![format!("{s}#x")],
                }),
            }],
        });
    }
    let ids: Vec<String> = g.nodes().map(|n| n.id.clone()).collect();
    for i in 1..strings.len() {
        let s = &strings[i];
        let predicate = if i % 5 == 0 {
            "met_with".to_string()
        } else {
            format!("p{}{s}", i % 7)
        };
        let attributes: BTreeMap<String, String> = [
            ("date".to_string(), s.clone()),
            ("location".to_string(), ids[i - 1].clone()),
            (format!("attr {s}"), s.clone()),
            ("key".to_string(), s.clone()),
        ]
        .into();
        g.add_relation(
            &ids[i - 1],
            &predicate,
            &ids[i],
            attributes,
            vec![Evidence {
                doc: format!("doc{i}{s}"),
                start: i,
                end: i + 1,
                text: format!("sentence {s}"),
                rule: format!("rule{s}"),
            }],
        );
    }
    g
}

fn export(g: &KnowledgeGraph, format: Format, w: &Workdir, name: &str) -> std::path::PathBuf {
    let mut out = Vec::new();
    let mut options = ExportOptions::new();
    options.base_iri(BASE);
    export::write_with(g, format, &options, &mut out).unwrap();
    w.write(name, out)
}

/// What XML 1.0 can hold: the GraphML writer drops the rest, and only that.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
        })
        .collect()
}

/// The graph's texts as a JSON file for a Python checker: nodes, and edges with their
/// predicate, attributes and evidence, all passed through `f`.
fn expected(g: &KnowledgeGraph, f: impl Fn(&str) -> String) -> serde_json::Value {
    let nodes: Vec<_> = g
        .nodes()
        .map(|n| {
            serde_json::json!({
                "id": f(&n.id), "name": f(&n.name), "type": n.etype.as_str(),
                "subtype": n.subtype.as_deref().map(&f),
                "aliases": n.aliases.iter().map(|a| f(a)).collect::<Vec<_>>(),
                "background": n.background,
            })
        })
        .collect();
    let edges: Vec<_> = g
        .edges()
        .map(|e| {
            serde_json::json!({
                "source": f(&e.source), "target": f(&e.target), "predicate": f(&e.predicate),
                "attributes": e.attributes.iter().map(|(k, v)| (f(k), f(v))).collect::<BTreeMap<_, _>>(),
                "evidence": e.evidence.iter().map(|ev| serde_json::json!({
                    "doc": f(&ev.doc), "text": f(&ev.text), "rule": f(&ev.rule)})).collect::<Vec<_>>(),
                "background": e.background,
            })
        })
        .collect();
    serde_json::json!({"nodes": nodes, "edges": edges})
}

const NX_HOSTILE: &str = r#"
import json, sys
import networkx as nx
want = json.load(open(sys.argv[1]))
g = nx.read_graphml(sys.argv[2], force_multigraph=True)
s = lambda x: "" if x is None else x
assert g.number_of_nodes() == len(want["nodes"]), g.number_of_nodes()
assert g.number_of_edges() == len(want["edges"]), g.number_of_edges()
for n in want["nodes"]:
    d = g.nodes[n["id"]]
    assert s(d.get("name")) == n["name"], (d.get("name"), n["name"])
    assert s(d.get("label")) == n["name"]
    assert d["type"] == n["type"]
    assert s(d.get("subtype")) == s(n["subtype"]) or n["subtype"] is None, (d, n)
    assert json.loads(d["aliases"]) == n["aliases"], (d["aliases"], n["aliases"])
    assert d["background"] is n.get("background", False), (d, n)
got = sorted((u, v, s(d.get("predicate")), d["background"], json.dumps({k: s(x) for k, x in d.items()
              if k not in ("label", "predicate", "key", "symmetric", "evidence", "evidence_count",
                           "background")
              and s(x) != ""}, sort_keys=True),
              json.dumps([{k: e[k] for k in ("doc", "text", "rule")}
              for e in json.loads(d["evidence"])], sort_keys=True))
             for u, v, d in g.edges(data=True))
exp = sorted((e["source"], e["target"], e["predicate"], e.get("background", False), json.dumps(
              {("attr_key" if k == "key" else k): v for k, v in e["attributes"].items() if v != ""},
              sort_keys=True), json.dumps(e["evidence"], sort_keys=True)) for e in want["edges"])
assert got == exp, [(a, b) for a, b in zip(got, exp) if a != b][:2]
print("ok")
"#;

#[test]
fn hostile_text_round_trips_through_graphml_and_networkx() {
    if !networkx() {
        return;
    }
    let g = hostile_graph();
    let w = Workdir::new();
    let path = export(&g, Format::GraphMl, &w, "h.graphml");
    // The JSON evidence inside GraphML is JSON-escaped before XML-escaping: the
    // forbidden characters inside it survive as \u escapes, so only plain texts lose them.
    let want = expected(&g, xml_text);
    let mut want = want;
    for (e, orig) in want["edges"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(g.edges())
    {
        e["evidence"] = serde_json::json!(
            orig.evidence
                .iter()
                .map(|ev| serde_json::json!({"doc": ev.doc, "text": ev.text, "rule": ev.rule}))
                .collect::<Vec<_>>()
        );
    }
    for (n, orig) in want["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(g.nodes())
    {
        n["aliases"] = serde_json::json!(orig.aliases);
    }
    let want_path = w.write("want.json", serde_json::to_vec(&want).unwrap());
    let o = python(NX_HOSTILE, &[&want_path, &path]);
    ok(&o);
}

const RDF_HOSTILE: &str = r#"
import json, sys
import rdflib
from rdflib import RDF, RDFS, Namespace, URIRef, Literal
from rdflib.compare import isomorphic
KGV = Namespace("urn:kgbuild:vocab:")
SCHEMA = Namespace("http://schema.org/")
want = json.load(open(sys.argv[1]))
g = rdflib.Graph().parse(sys.argv[2], format="turtle")
nt = rdflib.Graph().parse(sys.argv[3], format="nt")
assert isomorphic(g, nt)
ents = {str(g.value(s, KGV.id)): s for s in g.subjects(RDFS.label, None)
        if (s, RDF.type, KGV.Document) not in g and g.value(s, KGV.id) is not None}
assert len(ents) == len(want["nodes"]), (len(ents), len(want["nodes"]))
for n in want["nodes"]:
    s = ents[n["id"]]
    assert str(g.value(s, RDFS.label)) == n["name"], (g.value(s, RDFS.label), n["name"])
    assert sorted(map(str, g.objects(s, SCHEMA.alternateName))) == sorted(n["aliases"])
    if n["subtype"] is not None:
        assert str(g.value(s, KGV.subtype)) == n["subtype"]
id_of = {v: k for k, v in ents.items()}
statements = list(g.subjects(RDF.type, RDF.Statement))
assert len(statements) == len(want["edges"])
got = []
for r in statements:
    p = g.value(r, RDF.predicate)
    evs = [{"doc": str(g.value(g.value(ev, KGV.document), KGV.id)),
            "text": str(g.value(ev, KGV.text)), "rule": str(g.value(ev, KGV.rule))}
           for ev in g.objects(r, KGV.evidence)]
    got.append((id_of[g.value(r, RDF.subject)], str(g.value(p, RDFS.label)),
                id_of[g.value(r, RDF.object)], str(g.value(r, KGV.date)),
                id_of[g.value(r, KGV.location)], json.dumps(evs, sort_keys=True),
                str(g.value(r, KGV.attr_key))))
    assert (g.value(r, RDF.subject), p, g.value(r, RDF.object)) in g
exp = [(e["source"], e["predicate"], e["target"], e["attributes"]["date"],
        e["attributes"]["location"], json.dumps(e["evidence"], sort_keys=True),
        e["attributes"]["key"]) for e in want["edges"]]
assert sorted(got) == sorted(exp), [(a, b) for a, b in zip(sorted(got), sorted(exp)) if a != b][:2]
print("ok")
"#;

#[test]
fn hostile_text_round_trips_through_turtle_and_ntriples() {
    if !rdflib() {
        return;
    }
    let g = hostile_graph();
    let w = Workdir::new();
    let ttl = export(&g, Format::Turtle, &w, "h.ttl");
    let nt = export(&g, Format::NTriples, &w, "h.nt");
    let want = expected(&g, str::to_string);
    let want_path = w.write("want.json", serde_json::to_vec(&want).unwrap());
    let o = python(RDF_HOSTILE, &[&want_path, &ttl, &nt]);
    ok(&o);
}

/// Cypher, tokenised as Neo4j reads it: statements end at `;` outside strings; strings
/// are single-quoted with backslash escapes. Returns the statements' code (strings
/// replaced by `?`) and every decoded string.
fn tokenise_cypher(text: &str) -> (Vec<String>, Vec<String>) {
    let mut statements = Vec::new();
    let mut strings = Vec::new();
    let mut code = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') && code.trim().is_empty() => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next().expect("unterminated string") {
                        '\'' => break,
                        '\\' => match chars.next().expect("escape") {
                            'n' => s.push('\n'),
                            'r' => s.push('\r'),
                            't' => s.push('\t'),
                            'u' => {
                                let hex: String = (0..4).map(|_| chars.next().unwrap()).collect();
                                s.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                            }
                            c @ ('\\' | '\'' | '"') => s.push(c),
                            c => panic!("unknown escape \\{c}"),
                        },
                        c => s.push(c),
                    }
                }
                strings.push(s);
                code.push('?');
            }
            ';' => statements.push(std::mem::take(&mut code).trim().to_string()),
            c => code.push(c),
        }
    }
    assert!(
        code.trim().is_empty(),
        "text after the last statement: {code:?}"
    );
    (statements, strings)
}

#[test]
fn hostile_text_cannot_escape_cypher_strings() {
    let g = hostile_graph();
    let mut out = Vec::new();
    export::write(&g, Format::Cypher, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (statements, strings) = tokenise_cypher(&text);
    assert_eq!(
        statements.len(),
        1 + g.documents().len() + g.node_count() + g.edge_count()
    );
    // Outside strings there is only the code we generate.
    for s in &statements {
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || " _:{}()[],.=-<>?".contains(c)),
            "{s}"
        );
        assert!(
            s.starts_with("CREATE CONSTRAINT")
                || s.starts_with("MERGE (d:Document {id: ?}) SET d.chars = ")
                || s.starts_with("MERGE (n:Entity {id: ?}) SET n:")
                || s.starts_with("MATCH (a:Entity {id: ?}), (b:Entity {id: ?}) MERGE (a)-[r:"),
            "{s}"
        );
    }
    // Every text comes back exactly.
    for n in g.nodes() {
        for t in [&n.id, &n.name] {
            assert!(strings.contains(t), "{t:?}");
        }
    }
    for e in g.edges() {
        assert!(strings.contains(&e.predicate));
        for ev in &e.evidence {
            assert!(strings.contains(&ev.text) && strings.contains(&ev.rule));
        }
        for v in e.attributes.values() {
            assert!(strings.contains(v));
        }
    }
}

/// Parses every statement of a Cypher script with the openCypher grammar (the
/// `antlr4-cypher` package) but the first, Neo4j's `CREATE CONSTRAINT`, which openCypher
/// lacks. Prints the number of statements.
const CYPHER_PARSE: &str = r#"
import sys
from antlr4 import InputStream, CommonTokenStream
from antlr4.error.ErrorListener import ErrorListener
from antlr4_cypher import CypherLexer, CypherParser

class Fail(ErrorListener):
    def syntaxError(self, recognizer, symbol, line, column, msg, e):
        raise SyntaxError(f"{line}:{column}: {msg}")

text = open(sys.argv[1], encoding="utf-8").read()
body = "\n".join(l for l in text.split("\n") if not l.startswith("//"))
statements = [s for s in body.split(";\n") if s.strip()]
assert statements[0].startswith("CREATE CONSTRAINT "), statements[0]
for s in statements[1:]:
    lexer = CypherLexer(InputStream(s + ";"))
    lexer.removeErrorListeners(); lexer.addErrorListener(Fail())
    parser = CypherParser(CommonTokenStream(lexer))
    parser.removeErrorListeners(); parser.addErrorListener(Fail())
    parser.script()
print(len(statements))
"#;

fn cypher_grammar() -> bool {
    require(
        "antlr4-cypher",
        have("python3", &["-c", "import antlr4_cypher"]),
    )
}

#[test]
fn the_opencypher_grammar_parses_our_cypher() {
    if !cypher_grammar() {
        return;
    }
    let w = Workdir::new();
    ok(&w.run(&[&article(MERZ), &article(BRICS), "-o", "g.cypher"]));
    let g = hostile_graph();
    let hostile = export(&g, Format::Cypher, &w, "h.cypher");
    for (path, want) in [(w.path("g.cypher"), None), (hostile, Some(&g))] {
        let o = python(CYPHER_PARSE, &[&path]);
        ok(&o);
        if let Some(g) = want {
            assert_eq!(
                String::from_utf8_lossy(&o.stdout).trim(),
                (1 + g.documents().len() + g.node_count() + g.edge_count()).to_string()
            );
        }
    }
}

#[test]
fn hostile_text_renders_in_dot_and_svg_without_injection() {
    if !graphviz() {
        return;
    }
    let g = hostile_graph();
    let w = Workdir::new();
    let path = export(&g, Format::Dot, &w, "h.dot");
    let svg = Command::new("dot")
        .arg("-Tsvg")
        .arg(&path)
        .output()
        .unwrap();
    ok(&svg);
    let svg = String::from_utf8_lossy(&svg.stdout);
    // Every node and cluster Graphviz drew is ours.
    let drawn: Vec<&str> = svg
        .split("class=\"node\"")
        .skip(1)
        .map(|s| {
            s.split("<title>")
                .nth(1)
                .unwrap()
                .split("</title>")
                .next()
                .unwrap()
        })
        .collect();
    let ours = drawn
        .iter()
        .filter(|t| {
            t.strip_prefix('n')
                .is_some_and(|d| d.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(ours, g.node_count());
    assert_eq!(drawn.len(), g.node_count() + 4, "plus the legend");
    assert_eq!(svg.matches("class=\"edge\"").count(), g.edge_count());
    // Every hostile node is mentioned only in its own document: one cluster each.
    assert_eq!(
        svg.matches("class=\"cluster\"").count(),
        g.documents().len() + 1
    );
}

/// Graphviz keeps `\\` and `\n` in attribute values as written (they are escapes of its
/// label language), and removes the backslash of `\"`: decode those two.
fn dot_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('\\')) => {
                chars.next();
                out.push('\\');
            }
            ('\\', Some('n')) => {
                chars.next();
                out.push('\n');
            }
            (c, _) => out.push(c),
        }
    }
    out
}

#[test]
fn hostile_text_reads_back_from_graphviz() {
    if !graphviz() {
        return;
    }
    let g = hostile_graph();
    let w = Workdir::new();
    let path = export(&g, Format::Dot, &w, "h.dot");
    let o = Command::new("dot")
        .arg("-Tjson")
        .arg(&path)
        .output()
        .unwrap();
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let objects = v["objects"].as_array().unwrap();
    // What DOT can hold: every character but the controls other than newline.
    let dot_text = |s: &str| -> String {
        s.chars()
            .filter(|&c| c == '\n' || !c.is_control())
            .collect()
    };
    let mut seen = 0;
    for (i, n) in g.nodes().enumerate() {
        let o = objects
            .iter()
            .find(|o| o["name"] == format!("n{i}"))
            .unwrap_or_else(|| panic!("n{i} missing"));
        assert_eq!(dot_unescape(o["kg_id"].as_str().unwrap()), dot_text(&n.id));
        assert_eq!(
            dot_unescape(o["label"].as_str().unwrap()),
            dot_text(&n.name)
        );
        seen += 1;
    }
    assert_eq!(seen, g.node_count());
    // Ours, without the legend's invisible ones.
    let edges: Vec<&serde_json::Value> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("kg_predicate").is_some())
        .collect();
    assert_eq!(edges.len(), g.edge_count());
    for (e, ours) in edges.iter().zip(g.edges()) {
        assert_eq!(
            dot_unescape(e["kg_predicate"].as_str().unwrap()),
            dot_text(&ours.predicate)
        );
        assert_eq!(
            dot_unescape(e["kg_location"].as_str().unwrap()),
            dot_text(&ours.attributes["location"])
        );
    }
}

#[test]
fn hostile_text_images_render() {
    if !graphviz() {
        return;
    }
    let g = hostile_graph();
    let mut out = Vec::new();
    export::write(&g, Format::Png, &mut out).unwrap();
    assert!(out.starts_with(b"\x89PNG"));
}
