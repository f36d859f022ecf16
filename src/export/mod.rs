//! Exporters: one file per format, each a `write_*(&KnowledgeGraph, impl Write)`.
//!
//! Output is deterministic: nodes and edges in graph order.

pub mod dot;
pub mod explain;
pub mod json;
pub mod ron;

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Graphviz DOT.
    Dot,
    /// RON, loadable as [`KnowledgeGraph`].
    Ron,
    /// networkx node-link JSON.
    Json,
}

impl Format {
    /// The format for a file name's extension (`.dot`/`.gv`, `.ron`, `.json`).
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "dot" | "gv" => Format::Dot,
            "ron" => Format::Ron,
            "json" => Format::Json,
            _ => return None,
        })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Ron => "ron",
            Format::Json => "json",
        }
    }
}

/// Writes `graph` in `format`.
///
/// # Errors
/// Write errors, or a serialiser's error.
pub fn write(graph: &KnowledgeGraph, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    match format {
        Format::Dot => dot::write_dot(graph, out),
        Format::Ron => ron::write_ron(graph, out),
        Format::Json => json::write_json(graph, out),
    }
}

pub(crate) fn io_err(format: &'static str, e: std::io::Error) -> Error {
    Error::io(format!("{format} output"), e)
}
