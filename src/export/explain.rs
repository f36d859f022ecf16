//! `--explain`: a readable table of every entity with its mentions and every relation with
//! its evidence sentence and rule.

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// Writes the explanation table.
///
/// # Errors
/// Write errors.
pub fn write_explain(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let mut s = String::new();
    s.push_str(&format!("ENTITIES ({})\n", graph.node_count()));
    for n in graph.nodes() {
        let sub = n
            .subtype
            .as_deref()
            .map(|x| format!("/{x}"))
            .unwrap_or_default();
        let background = if n.background {
            "  (background: not named in the text)"
        } else {
            ""
        };
        s.push_str(&format!(
            "  {:<32} {}{} [{}]{}\n",
            one_line(&n.name),
            n.etype.as_str(),
            sub,
            n.id,
            background
        ));
        for m in &n.mentions {
            let via = m
                .via
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default();
            let ambiguity = m
                .ambiguity
                .as_ref()
                .map(|a| {
                    format!(
                        "  ambiguous: chosen by {} over {}",
                        one_line(&a.chosen_by),
                        one_line(&a.over.join(", "))
                    )
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "      {}:{}-{} {:?}{}{}\n",
                m.doc,
                m.start,
                m.end,
                one_line(&m.text),
                via,
                ambiguity
            ));
        }
    }
    s.push_str(&format!("\nRELATIONS ({})\n", graph.edge_count()));
    for e in graph.edges() {
        let name = |id: &str| graph.node(id).map_or(id.to_string(), |n| one_line(&n.name));
        s.push_str(&format!(
            "  {} --{}--> {}",
            name(&e.source),
            e.predicate,
            name(&e.target)
        ));
        for (k, v) in &e.attributes {
            let shown = graph.node(v).map_or(v.clone(), |n| one_line(&n.name));
            s.push_str(&format!("  {k}={shown}"));
        }
        if e.background {
            s.push_str("  (background: from the gazetteer, not from the text)");
        }
        s.push('\n');
        for ev in &e.evidence {
            s.push_str(&format!(
                "      [{}] {}:{}-{} {}\n",
                ev.rule,
                ev.doc,
                ev.start,
                ev.end,
                one_line(&ev.text)
            ));
        }
    }
    out.write_all(s.as_bytes())
        .map_err(|e| super::io_err("explain", e))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
