//! Another Rust program reading kgbuild's RON output.
//!
//! ```text
//! kgbuild examples/merz-macron-bregancon.txt -o graph.ron
//! cargo run --example load_graph -- graph.ron
//! ```
//!
//! It needs only `kgbuild` (for the types, `default-features = false` is enough) and
//! `ron` 0.12. It prints who met whom, where and when, with the evidence, then the most
//! connected entities, found with petgraph.

use std::error::Error;

use kgbuild::KnowledgeGraph;

/// Parses RON text written by `kgbuild -o graph.ron`. Loading checks the format version
/// and that every edge names a known node.
pub fn load(text: &str) -> Result<KnowledgeGraph, ron::error::SpannedError> {
    ron::from_str(text)
}

/// A short report: counts, meetings with their evidence, and the best-connected entities.
pub fn summary(graph: &KnowledgeGraph) -> String {
    let mut out = format!(
        "{} entities, {} relations, from {} document(s)\n",
        graph.node_count(),
        graph.edge_count(),
        graph.documents().len()
    );
    let name = |id: &str| graph.node(id).map_or(id.to_string(), |n| n.name.clone());
    for edge in graph.edges().filter(|e| e.predicate == "met_with") {
        out.push_str(&format!(
            "{} met {}",
            name(&edge.source),
            name(&edge.target)
        ));
        if let Some(place) = edge.attributes.get("location") {
            out.push_str(&format!(" in {}", name(place)));
        }
        if let Some(date) = edge.attributes.get("date") {
            out.push_str(&format!(" on {date}"));
        }
        out.push('\n');
        for ev in &edge.evidence {
            out.push_str(&format!("    [{}] {}\n", ev.rule, ev.text));
        }
    }
    // petgraph for graph algorithms: here, degree.
    let pg = graph.as_petgraph();
    let mut degree: Vec<(usize, &str)> = pg
        .node_indices()
        .map(|ix| {
            let d = pg.neighbors_undirected(ix).count();
            (d, pg[ix].name.as_str())
        })
        .collect();
    degree.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    out.push_str("most connected:");
    for (d, n) in degree.iter().take(3) {
        out.push_str(&format!(" {n} ({d})"));
    }
    out.push('\n');
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: load_graph GRAPH.ron".into());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let graph = load(&text).map_err(|e| format!("{path}: {e}"))?;
    print!("{}", summary(&graph));
    Ok(())
}
