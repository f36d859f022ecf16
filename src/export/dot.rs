//! DOT, built as a graphviz-rust AST and printed by its printer.
//!
//! graphviz-rust prints ids as given, so every text that reaches the DOT goes through
//! [`quoted`], the one escaping helper; node ids are generated (`n0`, `n1`, ...), so no name
//! is ever an id.

use std::io::Write;

use graphviz_rust::dot_structures::{
    Attribute, Edge as DotEdge, EdgeTy, Graph, GraphAttributes, Id, Node as DotNode, NodeId, Stmt,
    Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

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

/// Builds the DOT AST of a graph.
pub fn to_dot(graph: &KnowledgeGraph) -> Graph {
    let mut stmts = vec![
        Stmt::GAttribute(GraphAttributes::Graph(vec![
            attr("rankdir", Id::Plain("LR".into())),
            attr("fontname", quoted("Helvetica")),
        ])),
        Stmt::GAttribute(GraphAttributes::Node(vec![
            attr("style", Id::Plain("filled".into())),
            attr("fontname", quoted("Helvetica")),
        ])),
        Stmt::GAttribute(GraphAttributes::Edge(vec![attr(
            "fontname",
            quoted("Helvetica"),
        )])),
    ];
    let mut ids = std::collections::HashMap::new();
    for (i, n) in graph.nodes().enumerate() {
        let id = format!("n{i}");
        ids.insert(n.id.as_str(), id.clone());
        let (shape, color) = style(n.etype);
        let tooltip = match &n.subtype {
            Some(s) => format!("{} ({}, {s})", n.name, n.etype.as_str()),
            None => format!("{} ({})", n.name, n.etype.as_str()),
        };
        stmts.push(Stmt::Node(DotNode::new(
            NodeId(Id::Plain(id), None),
            vec![
                attr("label", quoted(&n.name)),
                attr("shape", Id::Plain(shape.into())),
                attr("fillcolor", quoted(color)),
                attr("tooltip", quoted(&tooltip)),
            ],
        )));
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
        let evidence: Vec<&str> = e.evidence.iter().map(|ev| ev.text.as_str()).collect();
        let mut attributes = vec![
            attr("label", quoted(&label)),
            attr("tooltip", quoted(&evidence.join("\n"))),
        ];
        if e.predicate == "met_with" {
            attributes.push(attr("dir", Id::Plain("none".into())));
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

/// Writes the graph as DOT.
///
/// # Errors
/// Write errors.
pub fn write_dot(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let text = to_dot(graph).print(&mut PrinterContext::default());
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
}
