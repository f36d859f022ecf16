//! JSON: networkx node-link (`networkx.node_link_graph(data, edges="edges")`).

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// Writes the graph as pretty JSON followed by a newline.
///
/// # Errors
/// Write errors.
pub fn write_json(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, graph)
        .map_err(|e| Error::export("json", e.to_string()))?;
    out.write_all(b"\n").map_err(|e| super::io_err("json", e))
}

/// Writes the graph as one line of JSON (for JSON Lines) followed by a newline.
///
/// # Errors
/// Write errors.
pub fn write_json_line(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, graph)
        .map_err(|e| Error::export("json", e.to_string()))?;
    out.write_all(b"\n").map_err(|e| super::io_err("json", e))
}
