//! Property tests (proptest): no stage panics on arbitrary text, the gazetteer and rule
//! parsers give `Ok` or a typed error on arbitrary bytes, and arbitrary names survive every
//! export format (JSON and RON load back equal; Graphviz renders the DOT).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use kgbuild::export::{self, Format};
use kgbuild::gazetteer::{Gazetteer, Matcher};
use kgbuild::rules::RuleSources;
use kgbuild::{Document, DocumentInfo, EntityType, Evidence, KnowledgeGraph, Mention, Node};
use proptest::prelude::*;

use crate::util::{Workdir, have, require};

fn pipeline() -> &'static kgbuild::Pipeline {
    static P: OnceLock<kgbuild::Pipeline> = OnceLock::new();
    P.get_or_init(|| kgbuild::Pipeline::new().unwrap())
}

/// Pieces of hostile text: real names and titles (so the later stages have work), odd
/// Unicode (lone combining marks, right-to-left text and marks, zero-width characters,
/// astral characters), very long tokens, many newlines, quotes and control characters.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Kremlin spokesman Dmitry Peskov said".to_string()),
        Just("Russian President Vladimir Putin and US President Donald Trump met in Alaska on August 15.".to_string()),
        Just("the two diplomats".to_string()),
        Just(" he ".to_string()),
        Just("Ltd".to_string()),
        Just("(Reuters) - ".to_string()),
        Just("'s".to_string()),
        Just("n't".to_string()),
        Just("\u{2019}".to_string()),
        "[\u{300}-\u{36f}]{1,8}",
        "[\u{590}-\u{5ff}\u{600}-\u{6ff} \u{200f}\u{202e}\u{2067}]{1,20}",
        "[\u{200b}\u{200d}\u{feff}\u{fffd}\u{1f600}-\u{1f64f}]{1,6}",
        "[A-Za-z]{200,3000}",
        "[A-Z]{2,40}[a-z]{0,3}",
        "\n{1,300}",
        "[\r\n\t \u{b}\u{c}\u{85}\u{2028}]{1,20}",
        "[\"'\\\\{}<>&|=@;.,!?:()\\[\\]-]{1,10}",
        "[\u{0}-\u{1f}\u{7f}]{1,5}",
        "[0-9]{1,12}",
        any::<String>(),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..24).prop_map(|v| {
        let mut s = String::new();
        for (i, f) in v.iter().enumerate() {
            if i % 3 == 1 {
                s.push(' ');
            }
            s.push_str(f);
        }
        s
    })
}

/// Checks what a graph of `text` promises: spans on character boundaries that give back
/// the recorded text, edges between known nodes, every format writes.
fn check_graph(text: &str, g: &KnowledgeGraph) {
    for n in g.nodes() {
        for m in &n.mentions {
            assert!(m.start <= m.end && m.end <= text.len());
            assert_eq!(text.get(m.start..m.end), Some(m.text.as_str()));
        }
    }
    for e in g.edges() {
        assert!(g.node(&e.source).is_some() && g.node(&e.target).is_some());
        for ev in &e.evidence {
            assert_eq!(text.get(ev.start..ev.end), Some(ev.text.as_str()));
        }
    }
    for format in [Format::Dot, Format::Ron, Format::Json] {
        let mut out = Vec::new();
        export::write(g, format, &mut out).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_stage_panics_on_arbitrary_text(text in hostile_text()) {
        let g = pipeline().run("prop", &text);
        check_graph(&text, &g);
    }

    #[test]
    fn no_stage_panics_on_arbitrary_bytes_read_lossily(
        bytes in prop::collection::vec(any::<u8>(), 0..2048)
    ) {
        let text = String::from_utf8_lossy(&bytes);
        let g = pipeline().run("prop", &text);
        check_graph(&text, &g);
    }

    #[test]
    fn tokens_and_sentences_stay_in_the_text(text in hostile_text()) {
        let d = Document::new("prop", text.clone());
        let mut last = 0;
        for t in &d.tokens {
            prop_assert!(last <= t.start && t.start < t.end && t.end <= text.len());
            prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            last = t.end;
        }
        for s in &d.sentences {
            prop_assert!(s.start <= s.end && s.end <= text.len());
        }
    }
}

/// Gazetteer-shaped lines: fields from a small hostile alphabet joined by tabs.
fn tsv_like() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("acme".to_string()),
        Just("Person".to_string()),
        Just("Organization".to_string()),
        Just("Lexicon".to_string()),
        Just("title".to_string()),
        Just("company".to_string()),
        Just("=US|U.S.|@American".to_string()),
        Just("country=russia;role=president_of:russia".to_string()),
        "[a-z0-9_ =@|;\u{e9}\u{300}-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(
        (prop::collection::vec(field, 0..8), "[\t\n\r#]{0,2}"),
        0..12,
    )
    .prop_map(|lines| {
        let mut s = String::new();
        for (fields, tail) in lines {
            s.push_str(&fields.join("\t"));
            s.push_str(&tail);
            s.push('\n');
        }
        s.into_bytes()
    })
}

fn parse_gazetteer(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut g = Gazetteer::new();
    match g.add_source(&text, Path::new("prop.tsv")) {
        Ok(()) => {
            let m = Matcher::build(&g, |_| true).unwrap();
            let d = Document::new("prop", text.to_string());
            for h in m.find(&d) {
                assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end));
            }
        }
        Err(e) => {
            assert!(
                matches!(e.kind(), kgbuild::ErrorKind::Gazetteer { .. }),
                "{e:?}"
            );
            assert_eq!(e.to_string().lines().count(), 1, "{e}");
        }
    }
}

/// RON-shaped text: rule-file tokens in arbitrary order.
fn ron_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just("rules: [".to_string()),
        Just("predicates: {".to_string()),
        Just("id: \"r\"".to_string()),
        Just("pattern: [".to_string()),
        Just("emit: [(subject: \"a\", predicate: \"met_with\", object: \"b\")]".to_string()),
        Just("Entity(bind: \"a\")".to_string()),
        Just("Entity(bind: \"b\", types: [Person])".to_string()),
        Just("Lex(category: \"title\", bind: \"t\")".to_string()),
        Just("Word([\"met\"])".to_string()),
        Just("Skip(max: 3)".to_string()),
        Just("Opt([".to_string()),
        Just("Either([[".to_string()),
        Just("Not(Word([\"not\"]))".to_string()),
        Just("\"met_with\": (meaning: \"m\", symmetric: true)".to_string()),
        "[a-z\"\\\\:(){}\\[\\], \n]{0,10}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat().into_bytes())
}

fn parse_rules(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut sources = RuleSources::new();
    let result = sources
        .add_source(&text, Path::new("prop.ron"))
        .and_then(|()| sources.compile(Gazetteer::bundled()).map(|_| ()));
    if let Err(e) = result {
        assert!(
            matches!(e.kind(), kgbuild::ErrorKind::Rules { .. }),
            "{e:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn gazetteer_parser_gives_ok_or_an_error_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..1024)
    ) {
        parse_gazetteer(&bytes);
    }

    #[test]
    fn gazetteer_parser_gives_ok_or_an_error_on_tsv_like_text(bytes in tsv_like()) {
        parse_gazetteer(&bytes);
    }

    #[test]
    fn rule_parser_gives_ok_or_an_error_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..1024)
    ) {
        parse_rules(&bytes);
    }

    #[test]
    fn rule_parser_gives_ok_or_an_error_on_ron_like_text(bytes in ron_like()) {
        parse_rules(&bytes);
    }
}

/// Names as hostile as they come: quotes, backslashes, braces, newlines, `<>` and `&`,
/// control characters, and any Unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\"\\\\{}<>&\n\r\t\u{0}\u{7}\u{1b}a-z ]{0,16}",
        "[\u{0}-\u{7f}]{0,16}",
        any::<String>(),
    ]
}

fn arbitrary_graph() -> impl Strategy<Value = KnowledgeGraph> {
    let node = (
        name(),
        name(),
        prop::collection::vec(name(), 0..3),
        name(),
        0..4usize,
    );
    (
        prop::collection::vec(node, 1..6),
        prop::collection::vec((0..6usize, 0..6usize, name(), name(), name()), 0..6),
        name(),
    )
        .prop_map(|(nodes, edges, doc)| {
            let mut g = KnowledgeGraph::new();
            g.add_document(DocumentInfo {
                id: doc.clone(),
                chars: doc.chars().count(),
            });
            let n = nodes.len();
            for (i, (id, name, aliases, text, t)) in nodes.into_iter().enumerate() {
                g.add_node(Node {
                    references: Vec::new(),
                    background: t == 2,
                    // Unique ids, still hostile.
                    id: format!("{i}{id}"),
                    name: name.clone(),
                    etype: [
                        EntityType::Person,
                        EntityType::Organization,
                        EntityType::Location,
                        EntityType::Misc,
                    ][t],
                    subtype: (!name.is_empty()).then(|| name.clone()),
                    aliases,
                    mentions: vec![Mention {
                        doc: doc.clone(),
                        start: 0,
                        end: text.len(),
                        text,
                        via: Some(name.clone()),
                        ambiguity: (t == 1).then(|| kgbuild::Ambiguity {
                            chosen_by: name.clone(),
                            over: vec![name.clone(), String::new()],
                        }),
                    }],
                });
            }
            let ids: Vec<String> = g.nodes().map(|n| n.id.clone()).collect();
            for (a, b, predicate, key, text) in edges {
                g.add_relation(
                    &ids[a % n],
                    &predicate,
                    &ids[b % n],
                    BTreeMap::from([(key, ids[b % n].clone())]),
                    vec![Evidence {
                        doc: doc.clone(),
                        start: 0,
                        end: text.len(),
                        text,
                        rule: predicate.clone(),
                    }],
                );
            }
            g
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_names_round_trip_through_json(g in arbitrary_graph()) {
        let mut out = Vec::new();
        export::write(&g, Format::Json, &mut out).unwrap();
        let back: KnowledgeGraph = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, g);
    }

    #[test]
    fn arbitrary_names_round_trip_through_ron(g in arbitrary_graph()) {
        let mut out = Vec::new();
        export::write(&g, Format::Ron, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let back: KnowledgeGraph = ron::from_str(&text).unwrap();
        prop_assert_eq!(back, g);
    }
}

/// Graphviz renders the DOT of graphs with arbitrary names, with exactly our nodes and
/// edges. (One `dot` process per case, so fewer cases.)
#[test]
fn arbitrary_names_render_through_graphviz() {
    if !require("graphviz (dot)", have("dot", &["-V"])) {
        return;
    }
    let w = Workdir::new();
    let path = w.path("g.dot");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    runner
        .run(&arbitrary_graph(), |g| {
            let mut out = Vec::new();
            export::write(&g, Format::Dot, &mut out).unwrap();
            std::fs::write(&path, &out).unwrap();
            let o = std::process::Command::new("dot")
                .arg("-Tcanon")
                .arg(&path)
                .output()
                .unwrap();
            prop_assert!(
                o.status.success(),
                "{}\n{}",
                String::from_utf8_lossy(&o.stderr),
                String::from_utf8_lossy(&out)
            );
            // Canonical output: one `nK [...]` statement per node, `nA -> nB` per edge.
            let canon = String::from_utf8_lossy(&o.stdout);
            let mut nodes = 0;
            let mut edges = 0;
            for line in canon.lines() {
                let l = line.trim_start();
                let Some(rest) = l.strip_prefix('n') else {
                    continue;
                };
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if digits.is_empty() || !line.starts_with('\t') {
                    continue;
                }
                if rest[digits.len()..].starts_with(" -> ") {
                    edges += 1;
                } else if rest[digits.len()..].starts_with("\t[") {
                    nodes += 1;
                }
            }
            prop_assert_eq!(nodes, g.node_count(), "{}", canon);
            prop_assert_eq!(edges, g.edge_count(), "{}", canon);
            Ok(())
        })
        .unwrap();
}
