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
    let mut buf = Vec::new();
    json_line(graph, &mut buf)?;
    out.write_all(&buf).map_err(|e| super::io_err("json", e))
}

/// Appends the graph as one line of JSON and a newline to `buf`: what [`write_json_line`]
/// writes, serialised into memory without a `dyn Write` call per token of JSON.
///
/// # Errors
/// None in practice (serialising this model into memory does not fail); the `Result`
/// keeps serde's signature.
pub fn json_line(graph: &KnowledgeGraph, buf: &mut Vec<u8>) -> Result<(), Error> {
    serde_json::to_writer(&mut *buf, graph).map_err(|e| Error::export("json", e.to_string()))?;
    buf.push(b'\n');
    Ok(())
}
