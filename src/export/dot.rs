//! DOT, built as a graphviz-rust AST and printed by its printer.
//!
//! graphviz-rust prints ids as given, so every text that reaches the DOT goes through
//! [`quoted`], the one escaping helper; node ids are generated (`n0`, `n1`, ...), so no name
//! is ever an id.
//!
//! Besides what Graphviz draws, nodes carry `kg_id` (the entity id) and edges
//! `kg_predicate` and `kg_<name>` per attribute (`kg_date`, `kg_location` as a node id), for
//! programs that read the DOT back; Graphviz ignores them. The evidence is each edge's
//! tooltip, one line per sentence: `[rule] doc:start-end sentence`.

use std::io::Write;

use graphviz_rust::dot_structures::{
    Attribute, Edge as DotEdge, EdgeTy, Graph, GraphAttributes, Id, Node as DotNode, NodeId, Stmt,
    Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

use super::Layout;
use crate::error::Error;
use crate::gazetteer::EntityType;
use crate::graph::KnowledgeGraph;

/// Quotes and escapes text for a DOT string: `\` → `\\`, `"` → `\"`, newline → `\n`; CR
/// and other control characters are dropped.
pub fn quoted(text: &str) -> Id {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s.push('"');
    Id::Escaped(s)
}

fn attr(key: &str, value: Id) -> Attribute {
    Attribute(Id::Plain(key.to_string()), value)
}

fn style(t: EntityType) -> (&'static str, &'static str) {
    match t {
        EntityType::Person => ("ellipse", "#cfe2ff"),
        EntityType::Organization => ("box", "#ffe0b2"),
        EntityType::Location => ("hexagon", "#d7f0d2"),
        EntityType::Misc => ("note", "#e8e8e8"),
    }
}

/// The legend's entries: every node type, in this order.
const LEGEND: [EntityType; 4] = [
    EntityType::Person,
    EntityType::Organization,
    EntityType::Location,
    EntityType::Misc,
];

/// Builds the DOT AST of a graph with the default layout.
pub fn to_dot(graph: &KnowledgeGraph) -> Graph {
    to_dot_with(graph, Layout::default())
}

/// Builds the DOT AST of a graph: a legend cluster with the four node types, the nodes (one
/// cluster per document when the graph has several and the node is mentioned in only one),
/// then the edges.
pub fn to_dot_with(graph: &KnowledgeGraph, layout: Layout) -> Graph {
    let mut stmts = vec![
        Stmt::GAttribute(GraphAttributes::Graph(vec![
            attr("layout", Id::Plain(layout.name().into())),
            attr("rankdir", Id::Plain("LR".into())),
            attr("fontname", quoted("Helvetica")),
            attr("overlap", Id::Plain("false".into())),
        ])),
        Stmt::GAttribute(GraphAttributes::Node(vec![
            attr("style", Id::Plain("filled".into())),
            attr("fontname", quoted("Helvetica")),
        ])),
        Stmt::GAttribute(GraphAttributes::Edge(vec![
            attr("fontname", quoted("Helvetica")),
            attr("fontsize", Id::Plain("10".into())),
            attr("color", quoted("#555555")),
        ])),
    ];
    if graph.node_count() > 0 {
        stmts.push(legend());
    }
    let mut ids = std::collections::HashMap::new();
    let home = home_documents(graph);
    let mut clusters: Vec<(&str, Vec<Stmt>)> = Vec::new();
    for (i, n) in graph.nodes().enumerate() {
        let id = format!("n{i}");
        ids.insert(n.id.as_str(), id.clone());
        let (shape, color) = style(n.etype);
        let tooltip = match &n.subtype {
            Some(s) => format!("{} ({}, {s})", n.name, n.etype.as_str()),
            None => format!("{} ({})", n.name, n.etype.as_str()),
        };
        let mut node_attributes = vec![
            attr("label", quoted(&n.name)),
            attr("shape", Id::Plain(shape.into())),
            attr("fillcolor", quoted(color)),
            attr("tooltip", quoted(&tooltip)),
            attr("kg_id", quoted(&n.id)),
        ];
        if n.background {
            // Not named in any text: drawn dashed, like the background facts that bring it.
            node_attributes.push(attr("style", quoted("filled,dashed")));
            node_attributes.push(attr("kg_background", Id::Plain("true".into())));
        }
        let stmt = Stmt::Node(DotNode::new(NodeId(Id::Plain(id), None), node_attributes));
        match home.as_ref().and_then(|h| h.get(i).copied().flatten()) {
            Some(doc) => match clusters.iter_mut().find(|(d, _)| *d == doc) {
                Some((_, c)) => c.push(stmt),
                None => clusters.push((doc, vec![stmt])),
            },
            None => stmts.push(stmt),
        }
    }
    // Clusters in document order (the order of `graph.documents`, then of first mention).
    let order = |doc: &str| {
        graph
            .documents()
            .iter()
            .position(|d| d.id == doc)
            .unwrap_or(usize::MAX)
    };
    clusters.sort_by_key(|(doc, _)| order(doc));
    for (i, (doc, mut nodes)) in clusters.into_iter().enumerate() {
        let mut body = vec![
            Stmt::Attribute(attr("label", quoted(doc))),
            Stmt::Attribute(attr("style", quoted("rounded,dashed"))),
            Stmt::Attribute(attr("color", quoted("#999999"))),
        ];
        body.append(&mut nodes);
        stmts.push(Stmt::Subgraph(Subgraph {
            id: Id::Plain(format!("cluster_doc{i}")),
            stmts: body,
        }));
    }
    for e in graph.edges() {
        let (Some(a), Some(b)) = (ids.get(e.source.as_str()), ids.get(e.target.as_str())) else {
            continue;
        };
        let mut label = e.predicate.clone();
        for (k, v) in &e.attributes {
            let shown = graph.node(v).map_or(v.as_str(), |n| n.name.as_str());
            label.push_str(&format!("\n{k}: {shown}"));
        }
        let mut evidence: Vec<String> = e
            .evidence
            .iter()
            .map(|ev| {
                format!(
                    "[{}] {}:{}-{} {}",
                    ev.rule, ev.doc, ev.start, ev.end, ev.text
                )
            })
            .collect();
        if e.background {
            evidence.push("background fact from the gazetteer, not from the text".into());
        }
        let mut attributes = vec![
            attr("label", quoted(&label)),
            attr("tooltip", quoted(&evidence.join("\n"))),
            attr("kg_predicate", quoted(&e.predicate)),
        ];
        // The attributes as they are (`location` a node id), for programs reading the DOT;
        // Graphviz ignores attributes it does not know.
        for (k, v) in &e.attributes {
            attributes.push(Attribute(quoted(&format!("kg_{k}")), quoted(v)));
        }
        if super::is_symmetric(&e.predicate) {
            attributes.push(attr("dir", Id::Plain("none".into())));
            attributes.push(attr("color", quoted("#1f5fbf")));
        }
        if e.background {
            attributes.push(attr("style", Id::Plain("dashed".into())));
            attributes.push(attr("color", quoted("#999999")));
            attributes.push(attr("fontcolor", quoted("#777777")));
            attributes.push(attr("kg_background", Id::Plain("true".into())));
        }
        stmts.push(Stmt::Edge(DotEdge {
            ty: EdgeTy::Pair(
                Vertex::N(NodeId(Id::Plain(a.clone()), None)),
                Vertex::N(NodeId(Id::Plain(b.clone()), None)),
            ),
            attributes,
        }));
    }
    Graph::DiGraph {
        id: Id::Plain("kgbuild".into()),
        strict: false,
        stmts,
    }
}

/// The legend: a cluster with one node per type, ids `legend_person`, ... (never `n<i>`).
fn legend() -> Stmt {
    let mut body = vec![
        Stmt::Attribute(attr("label", quoted("Legend"))),
        Stmt::Attribute(attr("style", quoted("rounded"))),
        Stmt::Attribute(attr("color", quoted("#bbbbbb"))),
        Stmt::Attribute(attr("fontsize", Id::Plain("10".into()))),
    ];
    for t in LEGEND {
        let (shape, color) = style(t);
        body.push(Stmt::Node(DotNode::new(
            NodeId(
                Id::Plain(format!("legend_{}", t.as_str().to_ascii_lowercase())),
                None,
            ),
            vec![
                attr("label", quoted(t.as_str())),
                attr("shape", Id::Plain(shape.into())),
                attr("fillcolor", quoted(color)),
                attr("fontsize", Id::Plain("10".into())),
                attr("tooltip", quoted(&format!("node type {}", t.as_str()))),
            ],
        )));
    }
    // Invisible edges lay the entries out in a row.
    for pair in LEGEND.windows(2) {
        let id = |t: EntityType| {
            Vertex::N(NodeId(
                Id::Plain(format!("legend_{}", t.as_str().to_ascii_lowercase())),
                None,
            ))
        };
        body.push(Stmt::Edge(DotEdge {
            ty: EdgeTy::Pair(id(pair[0]), id(pair[1])),
            attributes: vec![attr("style", Id::Plain("invis".into()))],
        }));
    }
    Stmt::Subgraph(Subgraph {
        id: Id::Plain("cluster_legend".into()),
        stmts: body,
    })
}

/// For a graph of several documents: per node (in graph order), the one document that
/// mentions it, or `None` when several do or none does. `None` overall for one document.
fn home_documents(graph: &KnowledgeGraph) -> Option<Vec<Option<&str>>> {
    let mut docs: Vec<&str> = graph.documents().iter().map(|d| d.id.as_str()).collect();
    for n in graph.nodes() {
        docs.extend(n.mentions.iter().map(|m| m.doc.as_str()));
    }
    docs.sort_unstable();
    docs.dedup();
    if docs.len() < 2 {
        return None;
    }
    Some(
        graph
            .nodes()
            .map(|n| {
                let first = n.mentions.first()?.doc.as_str();
                n.mentions.iter().all(|m| m.doc == first).then_some(first)
            })
            .collect(),
    )
}

/// Writes the graph as DOT with the default layout.
///
/// # Errors
/// Write errors.
pub fn write_dot(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    write_dot_with(graph, Layout::default(), out)
}

/// Writes the graph as DOT, with `layout` as the graph's `layout` attribute.
///
/// # Errors
/// Write errors.
pub fn write_dot_with(
    graph: &KnowledgeGraph,
    layout: Layout,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let text = to_dot_with(graph, layout).print(&mut PrinterContext::default());
    out.write_all(text.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .map_err(|e| super::io_err("dot", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_everything_dot_reads_specially() {
        let Id::Escaped(s) = quoted("A\"]; evil [label=\"X\"]\\\r\nz") else {
            panic!()
        };
        assert_eq!(s, r#""A\"]; evil [label=\"X\"]\\\nz""#);
    }

    #[test]
    fn golden_fixture() {
        let mut out = Vec::new();
        write_dot_with(&crate::export::tests::fixture(), Layout::Neato, &mut out).unwrap();
        crate::export::tests::golden("fixture.dot", out);
    }

    #[test]
    fn several_documents_give_clusters_and_shared_nodes_stay_outside() {
        let mut g = crate::export::tests::fixture();
        let mut other = crate::KnowledgeGraph::new();
        other.add_document(crate::DocumentInfo {
            id: "b.txt".into(),
            chars: 5,
        });
        for id in ["paris", "rome"] {
            other.add_node(crate::Node {
                references: Vec::new(),
                background: false,
                id: id.into(),
                name: id.into(),
                etype: EntityType::Location,
                subtype: None,
                aliases: vec![],
                mentions: vec![crate::Mention {
                    doc: "b.txt".into(),
                    start: 0,
                    end: 1,
                    text: id.into(),
                    via: None,
                    ambiguity: None,
                }],
            });
        }
        g.merge(other);
        let text = to_dot(&g).print(&mut PrinterContext::default());
        let cluster = |name: &str| {
            let start = text.find(&format!("subgraph {name} {{")).unwrap();
            let end = start + text[start..].find('}').unwrap();
            text[start..end].to_string()
        };
        let a = cluster("cluster_doc0");
        let b = cluster("cluster_doc1");
        assert!(a.contains("label=\"a.txt\"") && a.contains("n0[") && a.contains("n3["));
        assert!(b.contains("label=\"b.txt\"") && b.contains("n4["));
        // Paris is mentioned in both documents: in neither cluster.
        assert!(!a.contains("n2[") && !b.contains("n2[") && text.contains("n2["));
        assert!(cluster("cluster_legend").contains("legend_person"));
    }
}
